#!/usr/bin/env python3
"""boto3 checks of versioning, Object Lock, conditional writes, object
attributes, default encryption and CORS (issue 14) against a running RustFS.

Usage: boto3_versions_lock.py ENDPOINT CA_BUNDLE BUCKET

BUCKET is a prefix: the script creates BUCKET-v (versioned), BUCKET-l
(Object Lock) and BUCKET-c (configuration), and removes what it can; a
version it locked in GOVERNANCE mode is deleted with the bypass.

- Versioning: put/get_bucket_versioning, a versioned overwrite, a delete
  marker and a restore (deleting the marker), get/head/copy by VersionId,
  list_object_versions with prefix/delimiter/markers/MaxKeys,
  delete_objects with version ids, MfaDelete refused (NotImplemented).
- Object Lock: create_bucket with ObjectLockEnabledForBucket,
  put/get_object_lock_configuration, retention and legal hold on a
  version, a locked version surviving the root's delete, a GOVERNANCE
  version deleted with BypassGovernanceRetention, and S3's InvalidRequest
  for a lock write without Content-MD5 or a checksum.
- Conditional writes: If-None-Match "*" and If-Match on put_object and
  complete_multipart_upload (412 PreconditionFailed).
- get_object_attributes (ETag, ObjectSize, ObjectParts, StorageClass,
  Checksum), GET/HEAD with PartNumber (InvalidPart past the end).
- put/get/delete_bucket_encryption (AES256; an unknown algorithm refused).
- put/get/delete_bucket_cors, a preflight OPTIONS answered from it, and a
  bucket deleted and re-created starting with no CORS, tags or versioning.

Prints "ok" or exits non-zero with a message.
"""
import base64
import datetime
import hashlib
import os
import sys

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from boto3_compat import check, client, expect_error


def versioning(s3, b):
    check("never-configured versioning", s3.get_bucket_versioning(Bucket=b).get("Status"), None)
    # No version was ever written: the listing answers (tools empty buckets so).
    check("empty versions", s3.list_object_versions(Bucket=b).get("Versions", []), [])
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    check("versioning", s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
    expect_error("MfaDelete", 501, "NotImplemented", s3.put_bucket_versioning, Bucket=b,
                 VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="doc", Body=b"one")["VersionId"]
    # Bodies of distinct sizes: botocore signs STREAMING-UNSIGNED-PAYLOAD-
    # TRAILER over https, so two PUTs of one size to one key within a
    # second carry the same signature, which the replay cache refuses.
    v2 = s3.put_object(Bucket=b, Key="doc", Body=b"two!")["VersionId"]
    if not v1 or not v2 or v1 == v2:
        sys.exit(f"version ids {v1!r} {v2!r}")
    check("GET v1", s3.get_object(Bucket=b, Key="doc", VersionId=v1)["Body"].read(), b"one")
    check("HEAD v1", s3.head_object(Bucket=b, Key="doc", VersionId=v1)["VersionId"], v1)
    marker = s3.delete_object(Bucket=b, Key="doc")
    if not marker.get("DeleteMarker") or not marker.get("VersionId"):
        sys.exit(f"delete in a versioned bucket: {marker}")
    expect_error("GET behind a delete marker", 404, "NoSuchKey", s3.get_object, Bucket=b, Key="doc")
    expect_error("GET the marker by id", 405, "MethodNotAllowed", s3.get_object, Bucket=b, Key="doc",
                 VersionId=marker["VersionId"])
    expect_error("unknown version", 404, "NoSuchVersion", s3.get_object, Bucket=b, Key="doc",
                 VersionId="0" * 32)
    # Restore: deleting the marker brings v2 back.
    s3.delete_object(Bucket=b, Key="doc", VersionId=marker["VersionId"])
    check("restored", s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"two!")
    # Copy an old version over the current one (the usual restore of v1).
    cp = s3.copy_object(Bucket=b, Key="doc", CopySource={"Bucket": b, "Key": "doc", "VersionId": v1})
    check("copy source version", cp.get("CopySourceVersionId"), v1)
    check("restored v1", s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"one")

    for k in ("dir/a", "dir/b", "top"):
        s3.put_object(Bucket=b, Key=k, Body=k.encode())
    page = s3.list_object_versions(Bucket=b, Delimiter="/", Prefix="")
    check("common prefixes", [p["Prefix"] for p in page.get("CommonPrefixes", [])], ["dir/"])
    seen, kw = [], {"Bucket": b, "MaxKeys": 2}
    for _ in range(10):
        page = s3.list_object_versions(**kw)
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        seen += [(m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers", [])]
        if not page["IsTruncated"]:
            break
        kw.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
    # doc: v1, v2, the copy; dir/a, dir/b, top (the marker was deleted).
    check("paged versions", len(seen), 6)
    check("no duplicates", len(set(seen)), 6)
    latest = [v for v in s3.list_object_versions(Bucket=b, Prefix="doc")["Versions"] if v["IsLatest"]]
    check("one latest doc", len(latest), 1)

    out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k, "VersionId": i} for k, i in seen]})
    if out.get("Errors"):
        sys.exit(f"delete_objects by version: {out['Errors']}")
    check("emptied", s3.list_object_versions(Bucket=b).get("Versions", []), [])


def object_lock(s3, b, endpoint, ca):
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    check("lock bucket versioned", s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
    check("lock configuration", s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]["ObjectLockEnabled"], "Enabled")
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    body = b"keep me"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    v = s3.put_object(Bucket=b, Key="gov", Body=body, ContentMD5=md5, ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=until)["VersionId"]
    check("retention", s3.get_object_retention(Bucket=b, Key="gov", VersionId=v)["Retention"]["Mode"], "GOVERNANCE")
    expect_error("root deletes a locked version", 403, "AccessDenied", s3.delete_object, Bucket=b, Key="gov", VersionId=v)
    s3.put_object_legal_hold(Bucket=b, Key="gov", VersionId=v, LegalHold={"Status": "ON"})
    check("legal hold", s3.get_object_legal_hold(Bucket=b, Key="gov", VersionId=v)["LegalHold"]["Status"], "ON")
    expect_error("bypass under a legal hold", 403, "AccessDenied", s3.delete_object, Bucket=b, Key="gov",
                 VersionId=v, BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=b, Key="gov", VersionId=v, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=b, Key="gov", VersionId=v, BypassGovernanceRetention=True)

    # S3 wants an integrity check on a lock write: a request with lock
    # parameters and neither Content-MD5 nor a checksum is InvalidRequest.
    raw = client_without_checksums(endpoint, ca)
    expect_error("lock PUT without a checksum", 400, "InvalidRequest", raw.put_object, Bucket=b, Key="bare",
                 Body=b"x", ObjectLockLegalHoldStatus="ON")
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    rule = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    check("default retention", (rule["Mode"], rule["Days"]), ("GOVERNANCE", 1))
    expect_error("PUT under a default retention without a checksum", 400, "InvalidRequest", raw.put_object,
                 Bucket=b, Key="bare", Body=b"x")
    # boto3's default (a CRC checksum on every PUT) satisfies it.
    v = s3.put_object(Bucket=b, Key="dflt", Body=b"x")["VersionId"]
    check("default retention applied", s3.head_object(Bucket=b, Key="dflt")["ObjectLockMode"], "GOVERNANCE")
    s3.delete_object(Bucket=b, Key="dflt", VersionId=v, BypassGovernanceRetention=True)


def client_without_checksums(endpoint, ca):
    """A client like boto3_compat.client that sends no flexible checksum
    (nor Content-MD5) unless an operation requires one."""
    return boto3.client(
        "s3", endpoint_url=endpoint, verify=ca, region_name="us-east-1",
        aws_access_key_id=os.environ["RUSTFS_ACCESS_KEY"],
        aws_secret_access_key=os.environ["RUSTFS_SECRET_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      request_checksum_calculation="when_required"),
    )


def conditional(s3, b):
    s3.put_object(Bucket=b, Key="c", Body=b"first", IfNoneMatch="*")
    expect_error("If-None-Match * on an existing key", 412, "PreconditionFailed", s3.put_object,
                 Bucket=b, Key="c", Body=b"again!", IfNoneMatch="*")
    etag = s3.head_object(Bucket=b, Key="c")["ETag"]
    s3.put_object(Bucket=b, Key="c", Body=b"second", IfMatch=etag)
    expect_error("If-Match a replaced ETag", 412, "PreconditionFailed", s3.put_object,
                 Bucket=b, Key="c", Body=b"third", IfMatch=etag)
    up = s3.create_multipart_upload(Bucket=b, Key="c")
    part = s3.upload_part(Bucket=b, Key="c", UploadId=up["UploadId"], PartNumber=1, Body=b"mp")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": part}]}
    expect_error("Complete If-None-Match * on an existing key", 412, "PreconditionFailed",
                 s3.complete_multipart_upload, Bucket=b, Key="c", UploadId=up["UploadId"],
                 MultipartUpload=parts, IfNoneMatch="*")
    cur = s3.head_object(Bucket=b, Key="c")["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key="c", UploadId=up["UploadId"], MultipartUpload=parts, IfMatch=cur)
    check("completed under If-Match", s3.get_object(Bucket=b, Key="c")["Body"].read(), b"mp")


def attributes(s3, b):
    part1 = b"a" * (5 << 20)
    up = s3.create_multipart_upload(Bucket=b, Key="attr", ChecksumAlgorithm="SHA256")
    etags = []
    for n, data in ((1, part1), (2, b"tail")):
        r = s3.upload_part(Bucket=b, Key="attr", UploadId=up["UploadId"], PartNumber=n, Body=data, ChecksumAlgorithm="SHA256")
        etags.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
    s3.complete_multipart_upload(Bucket=b, Key="attr", UploadId=up["UploadId"], MultipartUpload={"Parts": etags})
    a = s3.get_object_attributes(Bucket=b, Key="attr",
                                 ObjectAttributes=["ETag", "ObjectSize", "ObjectParts", "StorageClass", "Checksum"])
    check("ObjectSize", a["ObjectSize"], len(part1) + 4)
    check("StorageClass", a["StorageClass"], "STANDARD")
    check("parts count", a["ObjectParts"]["TotalPartsCount"], 2)
    if not a.get("Checksum", {}).get("ChecksumSHA256") or not a["ETag"].endswith("-2"):
        sys.exit(f"attributes: {a}")
    check("GET part 2", s3.get_object(Bucket=b, Key="attr", PartNumber=2)["Body"].read(), b"tail")
    check("HEAD part 1 length", s3.head_object(Bucket=b, Key="attr", PartNumber=1)["ContentLength"], len(part1))
    # Issue 14 and the s3-tests suite: InvalidPart, 400 (see s3err/map.go).
    expect_error("part past the end", 400, "InvalidPart", s3.get_object, Bucket=b, Key="attr", PartNumber=3)
    expect_error("attributes of a missing key", 404, "NoSuchKey", s3.get_object_attributes, Bucket=b, Key="none",
                 ObjectAttributes=["ETag"])


def encryption(s3, b):
    rules = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"]
    check("default encryption", rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
    s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    check("PUT answers AES256", s3.put_object(Bucket=b, Key="e", Body=b"e")["ServerSideEncryption"], "AES256")
    expect_error("unknown algorithm", 400, "InvalidArgument", s3.put_object, Bucket=b, Key="e", Body=b"e",
                 ServerSideEncryption="aws:kms:dsse")
    s3.delete_bucket_encryption(Bucket=b)
    check("encryption after delete", s3.head_object(Bucket=b, Key="e")["ServerSideEncryption"], "AES256")


def cors_and_recreate(s3, b, endpoint, ca):
    expect_error("no CORS", 404, "NoSuchCORSConfiguration", s3.get_bucket_cors, Bucket=b)
    s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 60}]})
    check("CORS rules", s3.get_bucket_cors(Bucket=b)["CORSRules"][0]["AllowedOrigins"], ["https://app.example"])
    pre = requests.options(f"{endpoint}/{b}/k", verify=ca, timeout=30, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
    check("preflight", (pre.status_code, pre.headers.get("Access-Control-Allow-Origin")), (200, "https://app.example"))
    bad = requests.options(f"{endpoint}/{b}/k", verify=ca, timeout=30, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"})
    check("preflight from another origin", bad.status_code, 403)
    # S3: "Found unsupported HTTP method in CORS config", InvalidRequest.
    expect_error("unsupported CORS method", 400, "InvalidRequest", s3.put_bucket_cors, Bucket=b,
                 CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["BREW"]}]})
    s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "env", "Value": "old"}]})
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    for v in s3.list_object_versions(Bucket=b).get("Versions", []):
        s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"])
    s3.delete_bucket(Bucket=b)
    # A bucket created again under the name starts clean.
    s3.create_bucket(Bucket=b)
    expect_error("CORS after re-create", 404, "NoSuchCORSConfiguration", s3.get_bucket_cors, Bucket=b)
    expect_error("tags after re-create", 404, "NoSuchTagSet", s3.get_bucket_tagging, Bucket=b)
    check("versioning after re-create", s3.get_bucket_versioning(Bucket=b).get("Status"), None)
    s3.delete_bucket_cors(Bucket=b)  # deleting none succeeds, as in S3


def empty(s3, b):
    try:
        for v in s3.list_object_versions(Bucket=b).get("Versions", []) + \
                s3.list_object_versions(Bucket=b).get("DeleteMarkers", []):
            s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"], BypassGovernanceRetention=True)
        s3.delete_bucket(Bucket=b)
    except ClientError:
        pass


def main():
    endpoint, ca, bucket = sys.argv[1:4]
    s3 = client(endpoint, ca)
    vb, lb, cb = bucket + "-v", bucket + "-l", bucket + "-c"
    s3.create_bucket(Bucket=vb)
    s3.create_bucket(Bucket=cb)
    try:
        versioning(s3, vb)
        object_lock(s3, lb, endpoint, ca)
        conditional(s3, cb)
        attributes(s3, cb)
        encryption(s3, cb)
        cors_and_recreate(s3, cb, endpoint, ca)
    finally:
        for b in (vb, lb, cb):
            empty(s3, b)
    print("ok")


if __name__ == "__main__":
    main()
