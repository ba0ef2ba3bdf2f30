#!/usr/bin/env python3
"""boto3 browser POST and SSE-C check against a running RustFS.

Usage: boto3_post_ssec.py ENDPOINT CA_BUNDLE BUCKET

generate_presigned_post builds a SigV4 POST policy (key prefix,
content-length-range); the form is posted with requests as a browser
would: a file inside the range is stored, one outside it, a key outside
the prefix, an expired policy and an extra field are refused. Then an
SSE-C round trip: put_object with a customer key, get with it, get with
another key (403) and without (400), copy to a second customer key.
Prints "ok" or exits non-zero with a message.
"""
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
