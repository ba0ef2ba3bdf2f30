#!/usr/bin/env python3
"""boto3 browser POST and SSE-C check against a running RustFS.

Usage: boto3_post_ssec.py ENDPOINT CA_BUNDLE BUCKET

generate_presigned_post builds a SigV4 POST policy (key prefix,
content-length-range); the form is posted with requests as a browser
would: a file inside the range is stored, one outside it, a key outside
the prefix, an expired policy and an extra field are refused. Forms with
a tagging field (a Tagging document) and with the Object Lock fields
(in BUCKET-l, created with Object Lock) store tags, retention and legal
hold, read back with get_object_tagging/retention/legal_hold; too many
tags (InvalidTag), a tagging field the policy does not name (403), lock
fields without Content-MD5 (InvalidRequest) and in a bucket without
Object Lock (InvalidRequest) are refused. Then an SSE-C round trip:
put_object with a customer key, get with it, get with another key (403)
and without (400), copy to a second customer key.
Prints "ok" or exits non-zero with a message.
"""
import base64
import datetime
import hashlib
import os
import sys
import time
import xml.etree.ElementTree as ET

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError


def expect_error(what, status, code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        got = (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
        if got != (status, code):
            sys.exit(f"{what}: got {got}, want {(status, code)}")
        return
    sys.exit(f"{what}: succeeded, want {status} {code}")


def post(ca, post_, data, extra=None, filename="f.txt"):
    fields = dict(post_["fields"])
    fields.update(extra or {})
    return requests.post(post_["url"], data=fields, files={"file": (filename, data)}, verify=ca, timeout=30)


def expect_post(what, resp, status, code):
    got_code = ""
    if resp.content:
        try:
            got_code = ET.fromstring(resp.content).findtext("Code") or ""
        except ET.ParseError:
            pass
    if (resp.status_code, got_code) != (status, code):
        sys.exit(f"{what}: got {(resp.status_code, got_code)}, want {(status, code)}: {resp.text}")


def tagging_doc(*pairs):
    tags = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)
    return f"<Tagging><TagSet>{tags}</TagSet></Tagging>"


def signed_post(s3, bucket, key, fields, uncovered=()):
    """A presigned POST whose policy names each of fields with its exact
    value, except those in uncovered (sent all the same)."""
    conds = [{k: v} for k, v in fields.items() if k not in uncovered]
    p = s3.generate_presigned_post(bucket, key, Fields={k: v for k, v in fields.items() if k not in uncovered},
                                   Conditions=conds, ExpiresIn=600)
    p["fields"].update(fields)
    return p


def post_tagging(s3, ca, bucket):
    tags = tagging_doc(("team", "blue"), ("tier", "gold"))
    p = signed_post(s3, bucket, "tagged", {"tagging": tags})
    expect_post("tagged POST", post(ca, p, b"tagged form"), 204, "")
    got = s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"]
    if got != [{"Key": "team", "Value": "blue"}, {"Key": "tier", "Value": "gold"}]:
        sys.exit(f"POSTed tags read {got!r}")
    many = tagging_doc(*[(f"k{i}", "v") for i in range(11)])
    expect_post("eleven tags", post(ca, signed_post(s3, bucket, "many", {"tagging": many}), b"x"), 400, "InvalidTag")
    expect_post("tagging not in the policy", post(ca, signed_post(s3, bucket, "sneaky", {"tagging": tags}, uncovered=("tagging",)), b"x"),
                403, "AccessDenied")
    for k in ("many", "sneaky"):
        expect_error(f"refused POST stored {k}", 404, "404", s3.head_object, Bucket=bucket, Key=k)
    s3.delete_object(Bucket=bucket, Key="tagged")


def post_lock(s3, ca, bucket):
    lb = bucket + "-l"
    s3.create_bucket(Bucket=lb, ObjectLockEnabledForBucket=True)
    body = b"locked form"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).replace(microsecond=0)
    lock = {"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-amz-object-lock-legal-hold": "ON"}
    expect_post("lock POST", post(ca, signed_post(s3, lb, "locked", dict(lock, **{"Content-MD5": md5})), body), 204, "")
    ret = s3.get_object_retention(Bucket=lb, Key="locked")["Retention"]
    if ret["Mode"] != "GOVERNANCE" or ret["RetainUntilDate"] != until:
        sys.exit(f"POSTed retention reads {ret!r}, want GOVERNANCE until {until}")
    if s3.get_object_legal_hold(Bucket=lb, Key="locked")["LegalHold"]["Status"] != "ON":
        sys.exit("POSTed legal hold is not ON")
    expect_post("lock POST without Content-MD5", post(ca, signed_post(s3, lb, "bare", lock), body), 400, "InvalidRequest")
    expect_post("lock POST into a bucket without Object Lock",
                post(ca, signed_post(s3, bucket, "nolock", dict(lock, **{"Content-MD5": md5})), body), 400, "InvalidRequest")
    v = s3.head_object(Bucket=lb, Key="locked")["VersionId"]
    s3.put_object_legal_hold(Bucket=lb, Key="locked", VersionId=v, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=lb, Key="locked", VersionId=v, BypassGovernanceRetention=True)
    s3.delete_bucket(Bucket=lb)


def main():
    endpoint, ca, bucket = sys.argv[1:4]
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, verify=ca, region_name="us-east-1",
        aws_access_key_id=os.environ["RUSTFS_ACCESS_KEY"],
        aws_secret_access_key=os.environ["RUSTFS_SECRET_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      request_checksum_calculation="when_required", response_checksum_validation="when_required"),
    )
    s3.create_bucket(Bucket=bucket)

    conds = [["starts-with", "$key", "uploads/"], ["content-length-range", 1, 1024]]
    p = s3.generate_presigned_post(bucket, "uploads/${filename}", Conditions=conds, ExpiresIn=600)
    expect_post("good POST", post(ca, p, b"hello from a form"), 204, "")
    got = s3.get_object(Bucket=bucket, Key="uploads/f.txt")["Body"].read()
    if got != b"hello from a form":
        sys.exit(f"POSTed object reads {got!r}")
    expect_post("too large", post(ca, p, b"x" * 1025, filename="big.txt"), 400, "EntityTooLarge")
    expect_post("empty", post(ca, p, b"", filename="empty.txt"), 400, "EntityTooSmall")
    other = s3.generate_presigned_post(bucket, "elsewhere/k", Conditions=conds, ExpiresIn=600)
    expect_post("key outside prefix", post(ca, other, b"x"), 403, "AccessDenied")
    expect_post("extra field", post(ca, p, b"x", extra={"x-amz-meta-sneaky": "1"}), 403, "AccessDenied")
    expired = s3.generate_presigned_post(bucket, "uploads/${filename}", Conditions=conds, ExpiresIn=1)
    time.sleep(2)
    expect_post("expired", post(ca, expired, b"x"), 403, "AccessDenied")
    forged = {"url": p["url"], "fields": dict(p["fields"], **{"x-amz-signature": "0" * 64})}
    expect_post("forged signature", post(ca, forged, b"x"), 403, "SignatureDoesNotMatch")
    for k in ("uploads/big.txt", "uploads/empty.txt", "elsewhere/k"):
        expect_error(f"refused POST stored {k}", 404, "404", s3.head_object, Bucket=bucket, Key=k)
    post_tagging(s3, ca, bucket)
    post_lock(s3, ca, bucket)

    key1, key2 = b"1" * 32, b"2" * 32
    s3.put_object(Bucket=bucket, Key="secret", Body=b"ssec data", SSECustomerAlgorithm="AES256", SSECustomerKey=key1)
    got = s3.get_object(Bucket=bucket, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key1)
    if got["Body"].read() != b"ssec data" or got.get("SSECustomerAlgorithm") != "AES256":
        sys.exit("SSE-C get: wrong data or headers")
    expect_error("SSE-C wrong key", 403, "AccessDenied", s3.get_object, Bucket=bucket, Key="secret",
                 SSECustomerAlgorithm="AES256", SSECustomerKey=key2)
    expect_error("SSE-C no key", 400, "InvalidRequest", s3.get_object, Bucket=bucket, Key="secret")
    s3.copy_object(Bucket=bucket, Key="secret2", CopySource={"Bucket": bucket, "Key": "secret"},
                   CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key1,
                   SSECustomerAlgorithm="AES256", SSECustomerKey=key2)
    got = s3.get_object(Bucket=bucket, Key="secret2", SSECustomerAlgorithm="AES256", SSECustomerKey=key2)["Body"].read()
    if got != b"ssec data":
        sys.exit("SSE-C copy: wrong data")

    for k in ("uploads/f.txt", "secret", "secret2"):
        s3.delete_object(Bucket=bucket, Key=k)
    s3.delete_bucket(Bucket=bucket)
    print("ok")


if __name__ == "__main__":
    main()
