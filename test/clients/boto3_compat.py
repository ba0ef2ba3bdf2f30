#!/usr/bin/env python3
"""boto3 compatibility checks (issue 14) against a running RustFS.

Usage: boto3_compat.py ENDPOINT CA_BUNDLE BUCKET

- Requests signed with Date instead of X-Amz-Date: botocore signs Date
  (formatted "Sun, 06 Dec 2026 03:05:00 -0000") whenever the caller sets
  one, and sends no X-Amz-Date.
- Tagging: x-amz-tagging on put_object and create_multipart_upload,
  TagCount on get/head, get/put/delete_object_tagging, bucket tagging,
  InvalidTag over the limits.
- A repeated complete_multipart_upload with the same parts answers the
  completed object (same ETag).
- ListBuckets pagination: MaxBuckets, ContinuationToken, Prefix.
- Non-ASCII user metadata as RFC 2047 encoded-words round-trips as sent.
- The other bugs as boto3 meets them: DeleteBucket of a bucket holding
  only an upload in progress, bucket names foo-.bar / foo.-bar refused,
  CreateBucket of an owned bucket (200 in us-east-1), Content-Encoding
  stored byte for byte, a wrong SHA-256 checksum (BadDigest) and
  ListObjectsV2 with an empty ContinuationToken.

Prints "ok" or exits non-zero with a message. Everything it creates is
removed at the end.
"""
import os
import sys
import time

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


def check(what, got, want):
    if got != want:
        sys.exit(f"{what}: got {got!r}, want {want!r}")


def client(endpoint, ca):
    return boto3.client(
        "s3", endpoint_url=endpoint, verify=ca, region_name="us-east-1",
        aws_access_key_id=os.environ["RUSTFS_ACCESS_KEY"],
        aws_secret_access_key=os.environ["RUSTFS_SECRET_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def date_signed(endpoint, ca, bucket):
    s3 = client(endpoint, ca)
    sent = []

    def set_date(request, **_):
        request.headers["Date"] = "set by the caller"  # botocore rewrites it when signing

    def seen(request, **_):
        sent.append((request.headers.get("Date"), request.headers.get("X-Amz-Date")))

    s3.meta.events.register("before-sign.s3", set_date)
    s3.meta.events.register("before-send.s3", seen)
    s3.put_object(Bucket=bucket, Key="dated", Body=b"signed with Date")
    check("get with Date", s3.get_object(Bucket=bucket, Key="dated")["Body"].read(), b"signed with Date")
    s3.head_object(Bucket=bucket, Key="dated")
    s3.delete_object(Bucket=bucket, Key="dated")
    for date, amz in sent:
        if not date or amz:
            sys.exit(f"the client did not sign with Date alone: Date={date!r} X-Amz-Date={amz!r}")


def tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=two%20words")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]}
    check("tags after put", tags, {"a": "1", "b": "two words"})
    check("get TagCount", s3.get_object(Bucket=bucket, Key="t")["TagCount"], 2)
    check("head TagCount", s3.head_object(Bucket=bucket, Key="t")["TagCount"], 2)
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    check("tags after put_object_tagging", s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"], [{"Key": "c", "Value": "3"}])
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    check("tags after delete", s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"], [])
    if "TagCount" in s3.head_object(Bucket=bucket, Key="t"):
        sys.exit("untagged object reports a TagCount")
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    expect_error("11 object tags", 400, "InvalidTag", s3.put_object_tagging,
                 Bucket=bucket, Key="t", Tagging={"TagSet": eleven})
    expect_error("aws: prefix", 400, "InvalidTag", s3.put_object, Bucket=bucket, Key="u", Body=b"x", Tagging="aws:k=v")
    expect_error("long key", 400, "InvalidTag", s3.put_object_tagging, Bucket=bucket, Key="t",
                 Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})

    up = s3.create_multipart_upload(Bucket=bucket, Key="m", Tagging="stage=final")
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"part")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up["UploadId"], MultipartUpload=parts)
    check("tags after complete", s3.get_object_tagging(Bucket=bucket, Key="m")["TagSet"], [{"Key": "stage", "Value": "final"}])
    # A retried Complete (the client lost the first answer) gets the object.
    again = s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up["UploadId"], MultipartUpload=parts)
    check("repeated complete ETag", again["ETag"], first["ETag"])

    expect_error("no bucket tags", 404, "NoSuchTagSet", s3.get_bucket_tagging, Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "test"}]})
    check("bucket tags", s3.get_bucket_tagging(Bucket=bucket)["TagSet"], [{"Key": "env", "Value": "test"}])
    fifty_one = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    expect_error("51 bucket tags", 400, "InvalidTag", s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": fifty_one})
    s3.delete_bucket_tagging(Bucket=bucket)
    expect_error("bucket tags deleted", 404, "NoSuchTagSet", s3.get_bucket_tagging, Bucket=bucket)


def list_buckets(s3, bucket):
    names = [f"{bucket}-lb{i}" for i in range(3)]
    for n in names:
        s3.create_bucket(Bucket=n)
    try:
        got, token = [], None
        for _ in range(5):
            kw = {"MaxBuckets": 2, "Prefix": bucket + "-lb"}
            if token:
                kw["ContinuationToken"] = token
            page = s3.list_buckets(**kw)
            check("ListBuckets Prefix echoed", page.get("Prefix"), bucket + "-lb")
            got += [b["Name"] for b in page["Buckets"]]
            token = page.get("ContinuationToken")
            if not token:
                break
        check("ListBuckets pages", got, names)
    finally:
        for n in names:
            s3.delete_bucket(Bucket=n)


def metadata(s3, bucket):
    encoded = "=?UTF-8?B?aMOpbGxvIHfDtnJsZA==?="
    s3.put_object(Bucket=bucket, Key="meta", Body=b"m", Metadata={"greeting": encoded, "plain": "ascii"})
    check("RFC 2047 metadata", s3.head_object(Bucket=bucket, Key="meta")["Metadata"], {"greeting": encoded, "plain": "ascii"})


def more_bugs(s3, bucket):
    ub = bucket + "-up"
    s3.create_bucket(Bucket=ub)
    s3.create_multipart_upload(Bucket=ub, Key="pending")
    s3.delete_bucket(Bucket=ub)  # aborts the upload, as S3 does
    expect_error("bucket gone", 404, "NoSuchBucket", s3.list_objects_v2, Bucket=ub)
    for name in ("foo-.bar", "foo.-bar"):
        expect_error("bucket name " + name, 400, "InvalidBucketName", s3.create_bucket, Bucket=name)
    # The gateway's replay cache refuses a byte-identical signed request
    # inside one second (X-Amz-Date has second resolution; docs/SECURITY.md),
    # and on a fast backend this re-create can land in the same second as
    # main's first create: wait so it is signed anew, as a later call is.
    time.sleep(1.1)
    s3.create_bucket(Bucket=bucket)  # owned already: 200 in us-east-1
    s3.put_object(Bucket=bucket, Key="enc", Body=b"e", ContentEncoding="deflate, gzip")
    check("Content-Encoding", s3.head_object(Bucket=bucket, Key="enc")["ContentEncoding"], "deflate, gzip")
    wrong = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # SHA-256 of ""
    expect_error("SHA-256 mismatch", 400, "BadDigest", s3.put_object, Bucket=bucket, Key="bad", Body=b"x",
                 ChecksumSHA256=wrong)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, ContinuationToken="").get("Contents", [])]
    if "enc" not in keys:
        sys.exit(f"ListObjectsV2 with an empty token: {keys}")


def main():
    endpoint, ca, bucket = sys.argv[1:4]
    s3 = client(endpoint, ca)
    s3.create_bucket(Bucket=bucket)
    date_signed(endpoint, ca, bucket)
    tagging(s3, bucket)
    list_buckets(s3, bucket)
    metadata(s3, bucket)
    more_bugs(s3, bucket)
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)
    print("ok")


if __name__ == "__main__":
    main()
