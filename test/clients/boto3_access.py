#!/usr/bin/env python3
"""boto3 public-access-block and ACL check against a running RustFS.

Usage: boto3_access.py ENDPOINT CA_BUNDLE BUCKET

A new bucket reports all four public access block switches on and refuses
a public policy; get_bucket_acl/get_object_acl answer the owner's
FULL_CONTROL; private ACLs are accepted and public ones refused with
AccessControlListNotSupported. Prints "ok" or exits non-zero.
"""
import json
import os
import sys

import boto3
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
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, verify=ca, region_name="us-east-1",
        aws_access_key_id=os.environ["RUSTFS_ACCESS_KEY"],
        aws_secret_access_key=os.environ["RUSTFS_SECRET_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    if not all(pab[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")):
        sys.exit(f"new bucket's block: {pab}")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                      "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    expect_error("public policy while blocked", 403, "AccessDenied", s3.put_bucket_policy, Bucket=bucket, Policy=doc)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    if s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]:
        sys.exit("put_public_access_block: not stored")
    s3.delete_public_access_block(Bucket=bucket)
    expect_error("deleted block", 404, "NoSuchPublicAccessBlockConfiguration", s3.get_public_access_block, Bucket=bucket)

    for acl in (s3.get_bucket_acl(Bucket=bucket), s3.get_object_acl(Bucket=bucket, Key="k")):
        owner = acl["Owner"]["ID"]
        grants = acl["Grants"]
        if len(grants) != 1 or grants[0]["Permission"] != "FULL_CONTROL" or grants[0]["Grantee"].get("ID") != owner:
            sys.exit(f"acl: {acl}")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="bucket-owner-full-control")
    expect_error("public-read bucket ACL", 400, "AccessControlListNotSupported", s3.put_bucket_acl, Bucket=bucket, ACL="public-read")
    expect_error("public-read object", 400, "AccessControlListNotSupported", s3.put_object,
                 Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    print("ok")


if __name__ == "__main__":
    main()
