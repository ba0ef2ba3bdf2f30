#!/usr/bin/env python3
"""boto3 bucket-policy check against a running RustFS.

Usage: boto3_bpolicy.py ENDPOINT CA_BUNDLE BUCKET

Root puts a policy granting anonymous s3:GetObject on BUCKET/public/* from
127.0.0.0/8 and denying s3:DeleteObject to everyone; an unsigned boto3
client may then read public/x but not private/y nor list the bucket; root's
delete is refused until root deletes the policy. Prints "ok" or exits
non-zero with a message.
"""
import json
import os
import sys

import boto3
from botocore import UNSIGNED
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


def main():
    endpoint, ca, bucket = sys.argv[1:4]
    base = dict(
        s3={"addressing_style": "path"}, retries={"max_attempts": 1},
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, verify=ca, region_name="us-east-1",
        aws_access_key_id=os.environ["RUSTFS_ACCESS_KEY"],
        aws_secret_access_key=os.environ["RUSTFS_SECRET_KEY"],
        config=Config(signature_version="s3v4", **base),
    )
    anon = boto3.client(
        "s3", endpoint_url=endpoint, verify=ca, region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, **base),
    )
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="public/x", Body=b"public data")
    s3.put_object(Bucket=bucket, Key="private/y", Body=b"private data")
    doc = json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{bucket}/public/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
             "Resource": f"arn:aws:s3:::{bucket}/*"},
        ],
    })
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    if s3.get_bucket_policy(Bucket=bucket)["Policy"] != doc:
        sys.exit("get_bucket_policy: document differs")
    if anon.get_object(Bucket=bucket, Key="public/x")["Body"].read() != b"public data":
        sys.exit("anonymous get_object: wrong data")
    expect_error("anonymous private get", 403, "AccessDenied", anon.get_object, Bucket=bucket, Key="private/y")
    expect_error("anonymous list", 403, "AccessDenied", anon.list_objects_v2, Bucket=bucket)
    expect_error("root delete under Deny", 403, "AccessDenied", s3.delete_object, Bucket=bucket, Key="public/x")
    expect_error("malformed policy", 400, "MalformedPolicy", s3.put_bucket_policy, Bucket=bucket, Policy="{")
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="public/x")
    s3.delete_object(Bucket=bucket, Key="private/y")
    s3.delete_bucket(Bucket=bucket)
    print("ok")


if __name__ == "__main__":
    main()
