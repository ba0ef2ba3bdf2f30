#!/usr/bin/env python3
"""boto3 round trip against a running RustFS.

Usage: boto3_roundtrip.py ENDPOINT CA_BUNDLE BUCKET WORKDIR CHECKSUMS(on|off)

Uploads a multipart-sized file and a small file with upload_file, downloads them with
download_file, and compares SHA-256. With CHECKSUMS=on boto3's default flexible checksums
are used (CRC32 trailers over https); with off they are only computed when required.
Exits non-zero with a message on any mismatch.
"""
import base64
import hashlib
import os
import sys
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def crc32_b64(path):
    crc = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


def main():
    endpoint, ca, bucket, work, mode = sys.argv[1:6]
    when = "when_supported" if mode == "on" else "when_required"
    cfg = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        request_checksum_calculation=when,
        response_checksum_validation=when,
        retries={"max_attempts": 1},
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        verify=ca,
        region_name="us-east-1",
        aws_access_key_id=os.environ["RUSTFS_ACCESS_KEY"],
        aws_secret_access_key=os.environ["RUSTFS_SECRET_KEY"],
        config=cfg,
    )
    s3.create_bucket(Bucket=bucket)
    big = os.path.join(work, "big.bin")
    small = os.path.join(work, "small.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(12 * 1024 * 1024 + 123))
    with open(small, "wb") as f:
        f.write(os.urandom(1000))
    tc = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=3)
    for name, path in (("big", big), ("small", small)):
        s3.upload_file(path, bucket, "boto/" + name, Config=tc, ExtraArgs={"Metadata": {"color": "blue"}})
        out = path + ".down"
        s3.download_file(bucket, "boto/" + name, out, Config=tc)
        if sha256(out) != sha256(path):
            sys.exit(f"{name}: downloaded bytes differ")
        head = s3.head_object(Bucket=bucket, Key="boto/" + name)
        if head["Metadata"].get("color") != "blue":
            sys.exit(f"{name}: user metadata lost: {head['Metadata']}")
        if head["ContentLength"] != os.path.getsize(path):
            sys.exit(f"{name}: size {head['ContentLength']} != {os.path.getsize(path)}")
    if mode == "on":
        # boto3 sent a CRC32 with the single PUT (a trailer over https); the
        # server stored it and returns it in checksum mode.
        head = s3.head_object(Bucket=bucket, Key="boto/small", ChecksumMode="ENABLED")
        if head.get("ChecksumCRC32") != crc32_b64(small):
            sys.exit(f"small: ChecksumCRC32 {head.get('ChecksumCRC32')!r} != {crc32_b64(small)!r}")
    # Control characters in a key round-trip exactly: boto3 lists with
    # encoding-type=url and decodes.
    odd = "boto/ctl\x01\t\r\n&<x>"
    s3.put_object(Bucket=bucket, Key=odd, Body=b"odd")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="boto/")["Contents"]]
    if keys != ["boto/big", odd, "boto/small"]:
        sys.exit(f"listing: {keys!r}")
    if s3.get_object(Bucket=bucket, Key=odd)["Body"].read() != b"odd":
        sys.exit("control-character key: other bytes")
    try:
        s3.get_object(Bucket=bucket, Key="boto/missing")
        sys.exit("missing key: no error")
    except s3.exceptions.NoSuchKey:
        pass
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    s3.delete_bucket(Bucket=bucket)
    print("ok")


if __name__ == "__main__":
    main()
