#!/usr/bin/env bash
# rgw-up.sh [CEPH_DIR] [down] — start Ceph's own S3 gateway (radosgw) on the micro-cluster of
# scripts/ceph-up.sh, as the reference the RADOS figures in docs/PERFORMANCE.md are compared with.
# Measuring only: nothing in the tests or CI needs radosgw (`apt-get install -y radosgw`).
#
#   data pool  default.rgw.buckets.data: erasure coded 4+2 (profile rgw-ec42, one chunk per OSD,
#              the same 1.5× byte cost as the gateway's own 4+2 shards on rustfs.rack0..2)
#   index/meta pools: replicated size 3, one copy per rack (rule rustfs-meta), like rustfs.meta
#   user bench with fixed keys; beast frontend on 127.0.0.1:$RGW_PORT (default 7480)
#
# stdout is one line, `export RGW_ENDPOINT=... RGW_ACCESS_KEY=... RGW_SECRET_KEY=... RGW_PID=...`,
# so `eval "$(scripts/rgw-up.sh)"` works. Idempotent: a running instance is reused.
# Deleted objects are garbage-collected after 30 s (not 2 h): the OSDs keep data in RAM.
# `rgw-up.sh DIR down` stops radosgw and deletes its pools (other engineers share the cluster).
#
# Compare with the gateway (A) in one command:
#   rustfs bench --endpoint http://127.0.0.1:9000 --endpoint-b $RGW_ENDPOINT \
#     --access-key-b $RGW_ACCESS_KEY --mode put,get --size 64M --duration 10s
#   (RUSTFS_BENCH_B_SECRET_KEY=$RGW_SECRET_KEY in the environment)
set -euo pipefail

DIR=${1:-${CEPH_DIR:-/tmp/rustfs-ceph}}
ACTION=${2:-up}
PORT=${RGW_PORT:-7480}
CONF="$DIR/ceph.conf"
NAME=client.rgw.bench
RDIR="$DIR/rgw"
AK=RGWBENCHACCESSKEY000
SK=rgwbenchsecretkey0000000000000000000000
POOLS=".rgw.root default.rgw.control default.rgw.meta default.rgw.log default.rgw.buckets.index default.rgw.buckets.non-ec default.rgw.buckets.data"

log() { echo "rgw-up: $*" >&2; }
ceph_() { timeout 60 ceph -c "$CONF" "$@"; }

[ -f "$CONF" ] || { log "no cluster in $DIR; run scripts/ceph-up.sh first"; exit 1; }
command -v radosgw >/dev/null || { log "radosgw not found: apt-get install -y radosgw"; exit 1; }
mkdir -p "$RDIR"

running() { [ -f "$RDIR/pid" ] && kill -0 "$(cat "$RDIR/pid")" 2>/dev/null; }

if [ "$ACTION" = down ]; then
  if running; then kill "$(cat "$RDIR/pid")"; sleep 2; fi
  rm -f "$RDIR/pid"
  for p in $POOLS; do ceph_ osd pool rm "$p" "$p" --yes-i-really-really-mean-it >/dev/null 2>&1 || true; done
  ceph_ osd erasure-code-profile rm rgw-ec42 >/dev/null 2>&1 || true
  ceph_ auth rm "$NAME" >/dev/null 2>&1 || true
  log "stopped, pools removed"
  exit 0
fi

if ! running; then
  # The EC profile and data pool must exist before radosgw first starts: it would create a
  # replicated one itself.
  if ! ceph_ osd pool ls | grep -qx default.rgw.buckets.data; then
    ceph_ osd erasure-code-profile set rgw-ec42 k=4 m=2 crush-failure-domain=osd --force >/dev/null
    ceph_ osd pool create default.rgw.buckets.data 32 32 erasure rgw-ec42 >/dev/null 2>&1
    ceph_ osd pool application enable default.rgw.buckets.data rgw >/dev/null
    for p in .rgw.root default.rgw.control default.rgw.meta default.rgw.log default.rgw.buckets.index default.rgw.buckets.non-ec; do
      ceph_ osd pool create "$p" 8 8 replicated rustfs-meta >/dev/null 2>&1
      ceph_ osd pool set "$p" size 3 >/dev/null
      ceph_ osd pool set "$p" min_size 2 >/dev/null
      ceph_ osd pool application enable "$p" rgw >/dev/null
    done
    log "pools created (data: EC 4+2)"
  fi
  ceph_ auth get-or-create "$NAME" mon 'allow rw' osd 'allow rwx' >"$RDIR/keyring"
  setsid radosgw -c "$CONF" -n "$NAME" --keyring "$RDIR/keyring" -f \
    --rgw-frontends "beast endpoint=127.0.0.1:$PORT" \
    --rgw-dns-name 127.0.0.1 --log-file "$RDIR/radosgw.log" --admin-socket "$RDIR/radosgw.asok" \
    --debug-rgw 0 --debug-ms 0 --rgw-gc-obj-min-wait 30 --rgw-gc-processor-period 30 >"$RDIR/radosgw.out" 2>&1 &
  echo $! >"$RDIR/pid"
  for _ in $(seq 60); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
    sleep 1
  done
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { log "radosgw does not answer; see $RDIR/radosgw.log"; tail -20 "$RDIR/radosgw.log" >&2; exit 1; }
  log "radosgw pid $(cat "$RDIR/pid") on 127.0.0.1:$PORT"
fi

if ! radosgw-admin -c "$CONF" -n "$NAME" --keyring "$RDIR/keyring" user info --uid bench >/dev/null 2>&1; then
  radosgw-admin -c "$CONF" -n "$NAME" --keyring "$RDIR/keyring" user create --uid bench \
    --display-name bench --access-key "$AK" --secret-key "$SK" >/dev/null
  log "user bench created"
fi
echo "export RGW_ENDPOINT=http://127.0.0.1:$PORT RGW_ACCESS_KEY=$AK RGW_SECRET_KEY=$SK RGW_PID=$(cat "$RDIR/pid")"
