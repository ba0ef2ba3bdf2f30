#!/usr/bin/env bash
# Installs the Debian packages the test suites use, when missing. Idempotent and quiet.
set -euo pipefail
need=()
command -v ceph-mon      >/dev/null || need+=(ceph-mon)
command -v ceph-osd      >/dev/null || need+=(ceph-osd)
command -v ceph-mgr      >/dev/null || need+=(ceph-mgr)
command -v ceph          >/dev/null || need+=(ceph-common)
[ -e /usr/include/rados/librados.h ] || need+=(librados-dev)
command -v softhsm2-util >/dev/null || need+=(softhsm2)
command -v rclone        >/dev/null || need+=(rclone)
command -v s3cmd         >/dev/null || need+=(s3cmd)
command -v gcc           >/dev/null || need+=(gcc libc6-dev)
command -v uuidgen       >/dev/null || need+=(uuid-runtime)
# The real-client suites use the machine's aws CLI and python3 with boto3; Debian packages them too.
command -v aws           >/dev/null || need+=(awscli)
command -v python3       >/dev/null || need+=(python3)
python3 -c 'import boto3' 2>/dev/null || need+=(python3-boto3)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
