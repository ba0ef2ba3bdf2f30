#!/usr/bin/env bash
# ceph-up.sh [DIR] — start a throw-away single-host Ceph micro cluster on 127.0.0.1 for the
# RADOS backend's tests and benchmarks (Debian's Pacific packages, no systemd, nothing in /etc/ceph).
#
#   1 mon (a), a lean mgr (x, no python modules), 6 memstore OSDs in 3 racks (osd.i in rack{i%3},
#   each rack one fake host node{i%3}), cephx on.
#   pools: rustfs.meta   replicated size 3, one copy per rack (rule rustfs-meta), omap metadata
#          rustfs.rack{0,1,2} size 1, pinned to one rack by rule rustfs-rack{0,1,2}: the gateway's
#          own Reed-Solomon coding provides the redundancy, CRUSH only provides the rack spread.
#   client.rustfs: a key limited to those pools, in DIR/client.rustfs.keyring.
#
# Everything (conf, keyrings, daemon data, pids, logs) lives in DIR (default /tmp/rustfs-ceph).
# stdout is exactly one line, `export RUSTFS_CEPH_CONF=... RUSTFS_CEPH_KEYRING=... RUSTFS_CEPH_USER=...`,
# so `eval "$(scripts/ceph-up.sh)"` works; the same line is kept in DIR/env. Progress goes to stderr.
# Idempotent: when the cluster in DIR already answers, it only prints the exports (after resuming
# any daemon a killed test left paused); a recorded cluster that no longer takes writes is
# recreated. Concurrent ceph-up/ceph-down calls on one DIR are serialised by flock on DIR.lock.
#
# Knobs (environment): CEPH_OSDS (6), CEPH_MGR (lean|full|none; lean), CEPH_OSD_BYTES (memstore
# capacity per OSD, 4 GiB; data lives in OSD RAM), CEPH_MON_V2_PORT (3300), CEPH_MON_V1_PORT (6789),
# CEPH_UP_TIMEOUT (seconds for the whole start, 120).
# Large data sets (the 1,000,000-key listing benchmark): CEPH_STORE (memstore|bluestore; memstore):
# bluestore keeps each OSD's data in a sparse file DIR/osd.N/block of CEPH_BLOCK_BYTES (64 GiB) with a
# CEPH_BLUESTORE_CACHE (256 MiB) cache, so the data set is bounded by the disk instead of RAM (~100-700 MB
# RSS per OSD); only what is written takes disk, but space bluefs frees stays allocated in the file (the
# 1,000,000-key seed left 38 GB of files for 19 GB of live data), so size it to about twice an OSD's data; CEPH_META_SIZE (3) is the metadata pool's replica
# count (1 or 2 saves disk and OSD CPU; reads go to the primary only, so a read costs the same).
# A second cluster beside the default one needs its own DIR and mon ports (CEPH_MON_V2_PORT/V1_PORT);
# OSD and mgr ports are picked automatically.
set -euo pipefail

DIR=${1:-${CEPH_DIR:-/tmp/rustfs-ceph}}
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
NOSD=${CEPH_OSDS:-6}
MGR=${CEPH_MGR:-lean}
OSD_BYTES=${CEPH_OSD_BYTES:-4294967296}
V2=${CEPH_MON_V2_PORT:-3300}
V1=${CEPH_MON_V1_PORT:-6789}
UP_TIMEOUT=${CEPH_UP_TIMEOUT:-120}
STORE=${CEPH_STORE:-memstore}
BLOCK_BYTES=${CEPH_BLOCK_BYTES:-68719476736}
BS_CACHE=${CEPH_BLUESTORE_CACHE:-268435456}
META_SIZE=${CEPH_META_SIZE:-3}
case "$STORE" in memstore|bluestore) ;; *) echo "ceph-up: CEPH_STORE must be memstore or bluestore" >&2; exit 1 ;; esac
case "$META_SIZE" in 1|2|3) ;; *) echo "ceph-up: CEPH_META_SIZE must be 1, 2 or 3" >&2; exit 1 ;; esac
RACKS=3
CONF="$DIR/ceph.conf"
KEYRING="$DIR/keyring"
CLIENT_KEYRING="$DIR/client.rustfs.keyring"
EXPORTS="export RUSTFS_CEPH_CONF=$CONF RUSTFS_CEPH_KEYRING=$CLIENT_KEYRING RUSTFS_CEPH_USER=rustfs"
T0=$(date +%s%N)

log() {
  local ms=$(( ($(date +%s%N) - T0) / 1000000 ))
  printf 'ceph-up: %3d.%01ds %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}

# tails prints the end of every daemon log, so a CI failure explains itself.
tails() {
  local f
  for f in "$DIR"/log/*.log "$DIR"/log/*.out; do
    [ -s "$f" ] || continue
    echo "----- tail $f" >&2
    tail -n 15 "$f" >&2
  done
}

die() {
  echo "ceph-up: FAILED: $*" >&2
  tails
  if [ -d "$DIR/pids" ]; then
    echo "ceph-up: the half-started cluster is left in $DIR; remove it with scripts/ceph-down.sh $DIR" >&2
  fi
  exit 1
}

trap 'die "command failed at line $LINENO"' ERR

for bin in ceph ceph-mon ceph-osd ceph-authtool monmaptool rados uuidgen timeout flock setsid; do
  command -v "$bin" >/dev/null || { echo "ceph-up: $bin not found; run scripts/deps.sh (apt-get install ceph-mon ceph-osd ceph-mgr ceph-common uuid-runtime)" >&2; exit 1; }
done
if [ "$MGR" != none ]; then command -v ceph-mgr >/dev/null || { echo "ceph-up: ceph-mgr not found (or set CEPH_MGR=none)" >&2; exit 1; }; fi

# cephcli runs ceph commands, one per stdin line, in ONE python process (each start costs 0.3-0.5 s).
# Interactive mode exits 0 even when a command fails, so errors are detected on stderr.
cephcli() {
  local out rc=0
  out=$(timeout 60 ceph -c "$CONF" --connect-timeout 20 2>&1) || rc=$?
  if [ $rc -ne 0 ] || grep -qE '^Error|^ *Error [A-Z]+' <<<"$out"; then
    echo "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# alive PIDFILE: the recorded daemon is still running (a zombie, left where nothing reaps
# orphans, does not count).
alive() {
  local p
  [ -s "$1" ] || return 1
  p=$(cat "$1")
  kill -0 "$p" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$p/stat" 2>/dev/null
}

# probe: a write to every pool is acknowledged within a few seconds.
probe() {
  local p
  for p in rustfs.meta $(seq -f 'rustfs.rack%g' 0 $((RACKS - 1))); do
    echo ok | timeout 10 rados -c "$CONF" --keyring "$CLIENT_KEYRING" --id rustfs -p "$p" put __ceph_up_probe - 2>/dev/null || return 1
  done
}

# One ceph-up/ceph-down at a time per DIR (parallel CI steps, several developers on one box).
# The lock file sits next to DIR because ceph-down removes DIR itself.
mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock -w 180 9 || { echo "ceph-up: another ceph-up/ceph-down still holds $DIR.lock after 180 s" >&2; exit 1; }

# ---- already up? -------------------------------------------------------------------------------
if [ -f "$CONF" ] && alive "$DIR/pids/mon.a.pid"; then
  # A test that paused a daemon (SIGSTOP) and was killed before resuming it would leave the
  # cluster hung: resume every recorded daemon first (SIGCONT is harmless on a running one).
  for f in "$DIR"/pids/*.pid; do alive "$f" && kill -CONT "$(cat "$f")" 2>/dev/null || true; done
  for try in 1 2 3; do
    if probe; then
      log "cluster in $DIR is already up"
      echo "$EXPORTS"
      exit 0
    fi
    sleep 2
  done
  # A cluster that cannot take writes is useless to every caller, and its data is scratch data.
  log "the cluster in $DIR does not acknowledge writes; recreating it"
fi
if [ -e "$DIR" ]; then
  log "removing the stale cluster directory $DIR"
  CEPH_LOCK_HELD=1 bash "$(dirname "$0")/ceph-down.sh" "$DIR" >&2 || die "cannot clean $DIR"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$V2") 2>/dev/null; then
  die "port 127.0.0.1:$V2 is already in use (another mon?); set CEPH_MON_V2_PORT/CEPH_MON_V1_PORT"
fi

mkdir -p "$DIR"/{log,run,pids,crash}
FSID=$(uuidgen)

# ---- conf --------------------------------------------------------------------------------------
{
  cat <<EOF
# Generated by scripts/ceph-up.sh; the cluster lives and dies with this directory.
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$V2,v1:127.0.0.1:$V1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $KEYRING
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
crash dir = $DIR/crash
mon data = $DIR/\$name
osd data = $DIR/\$name
mgr data = $DIR/\$name
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
mon max pg per osd = 1000
osd crush chooseleaf type = 1
# A stopped OSD is never marked "out": its memstore data would not follow it, and tests pause OSDs.
mon osd down out interval = 0
mon warn on osd down out interval zero = false

[mon]
# Default 1 s per paxos round makes every pool/rule command cost a second.
paxos propose interval = 0.05

[osd]
osd objectstore = $STORE
$(if [ "$STORE" = bluestore ]; then
  # A sparse file per OSD; a fixed cache (osd memory target cannot go below 896 MiB, so the cache is
  # bounded directly); no fsck at mkfs.
  printf '%s\n' "bluestore block create = true" "bluestore block size = $BLOCK_BYTES" \
    "bluestore cache autotune = false" "bluestore cache size = $BS_CACHE" "bluestore fsck on mkfs = false" \
    "osd memory target = 939524096"
else
  echo "memstore device bytes = $OSD_BYTES"
fi)
osd op num shards = 2
osd op num threads per shard = 1
# The failure-injection suite stops OSDs on purpose; without this an OSD marked
# down 5 times in 10 minutes shuts itself down and memstore loses its data.
osd max markdown count = 1000000

[client]
# Empty: several rados.Conn in one process must not fight over one socket file.
admin socket =
EOF
  for ((i = 0; i < NOSD; i++)); do
    printf '\n[osd.%d]\ncrush location = root=default rack=rack%d host=node%d\n' "$i" $((i % RACKS)) $((i % RACKS))
  done
} >"$CONF"

# ---- keys: one keyring imported at mon mkfs, so no "auth add" round trips ------------------------
ceph-authtool --create-keyring "$KEYRING" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$KEYRING" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$KEYRING" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
for ((i = 0; i < NOSD; i++)); do
  ceph-authtool "$KEYRING" --gen-key -n "osd.$i" --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
done
OSDCAP="allow rwx pool=rustfs.meta"
for ((r = 0; r < RACKS; r++)); do OSDCAP="$OSDCAP, allow rwx pool=rustfs.rack$r"; done
ceph-authtool --create-keyring "$CLIENT_KEYRING" --gen-key -n client.rustfs --cap mon 'allow r' --cap osd "$OSDCAP" >/dev/null
ceph-authtool "$KEYRING" --import-keyring "$CLIENT_KEYRING" >/dev/null
chmod 600 "$KEYRING" "$CLIENT_KEYRING"
log "conf and keys ready"

# start NAME CMD...: run a daemon in the foreground (-f) of its own session so that it outlives the
# caller's process group; $! is then the daemon's own PID (setsid execs it without forking).
start() {
  local name=$1
  shift
  setsid "$@" -f </dev/null >>"$DIR/log/$name.out" 2>&1 9>&- & # 9>&-: the daemon must not hold our lock
  echo $! >"$DIR/pids/$name.pid"
}

# ---- mon ---------------------------------------------------------------------------------------
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$V2,v1:127.0.0.1:$V1]" "$DIR/monmap" >/dev/null \
  || die "monmaptool failed"
mkdir -p "$DIR/mon.a"
ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" --keyring "$KEYRING" >>"$DIR/log/mon.a.out" 2>&1 \
  || die "ceph-mon --mkfs failed"
start mon.a ceph-mon -c "$CONF" -i a
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$V2") 2>/dev/null && break
  alive "$DIR/pids/mon.a.pid" || die "ceph-mon exited during start-up"
  sleep 0.1
done
log "mon up"

# ---- mgr: "lean" runs only the C++ core (pool/PG stats) by pointing it at an empty module dir ----
case "$MGR" in
  lean) mkdir -p "$DIR/mgr.x" "$DIR/mgr-no-modules"
        start mgr.x ceph-mgr -c "$CONF" -i x --mgr_module_path="$DIR/mgr-no-modules" ;;
  full) mkdir -p "$DIR/mgr.x"; start mgr.x ceph-mgr -c "$CONF" -i x ;;
  none) ;;
  *) die "CEPH_MGR must be lean, full or none" ;;
esac

# ---- OSDs: ids in one CLI call, mkfs in parallel, then start -----------------------------------
declare -a UUIDS
cmds=""
for ((i = 0; i < NOSD; i++)); do
  UUIDS[i]=$(uuidgen)
  cmds+="osd new ${UUIDS[i]} $i"$'\n'
done
for try in 1 2 3; do
  if printf '%s' "$cmds" | cephcli >/dev/null; then break; fi
  [ "$try" = 3 ] && die "cannot register the OSD ids with the mon"
  sleep 1
done
log "osd ids registered"
pids=()
for ((i = 0; i < NOSD; i++)); do
  mkdir -p "$DIR/osd.$i"
  ceph-osd -c "$CONF" -i "$i" --mkfs --osd-uuid "${UUIDS[i]}" >>"$DIR/log/osd.$i.out" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do wait "${pids[i]}" || die "ceph-osd --mkfs failed for osd.$i"; done
for ((i = 0; i < NOSD; i++)); do start "osd.$i" ceph-osd -c "$CONF" -i "$i"; done
log "osds started"

deadline=$(( $(date +%s) + UP_TIMEOUT ))
while :; do
  up=$(timeout 20 ceph -c "$CONF" --connect-timeout 10 osd stat -f json 2>/dev/null \
        | sed -n 's/.*"num_up_osds":\([0-9]*\).*/\1/p') || true
  [ "${up:-0}" -ge "$NOSD" ] && break
  for ((i = 0; i < NOSD; i++)); do alive "$DIR/pids/osd.$i.pid" || die "osd.$i exited during start-up"; done
  [ "$(date +%s)" -lt "$deadline" ] || die "only ${up:-0}/$NOSD OSDs up after ${UP_TIMEOUT}s"
  sleep 0.3
done
log "$NOSD osds up"

# ---- rules and pools ---------------------------------------------------------------------------
SIZE_ONE=""
if [ "$META_SIZE" = 1 ]; then SIZE_ONE=" --yes-i-really-mean-it"; fi
cmds="health mute MGR_MODULE_ERROR --sticky
osd crush rule create-replicated rustfs-meta default rack
osd pool create rustfs.meta 16 16 replicated rustfs-meta
osd pool set rustfs.meta size $META_SIZE$SIZE_ONE
osd pool set rustfs.meta min_size $(( META_SIZE > 1 ? 2 : 1 ))
osd pool application enable rustfs.meta rustfs
"
for ((r = 0; r < RACKS; r++)); do
  cmds+="osd crush rule create-replicated rustfs-rack$r rack$r osd
osd pool create rustfs.rack$r 16 16 replicated rustfs-rack$r
osd pool set rustfs.rack$r size 1 --yes-i-really-mean-it
osd pool set rustfs.rack$r min_size 1
osd pool application enable rustfs.rack$r rustfs
"
done
for try in 1 2 3; do
  if printf '%s' "$cmds" | cephcli >/dev/null; then break; fi
  [ "$try" = 3 ] && die "cannot create the CRUSH rules and pools"
  sleep 1 # every command above is idempotent, so a retry is safe
done
log "pools created"

# ---- ready = writes acknowledged on every pool -------------------------------------------------
until probe; do
  [ "$(date +%s)" -lt "$deadline" ] || die "pools do not acknowledge writes after ${UP_TIMEOUT}s"
  sleep 0.3
done
echo "$EXPORTS" >"$DIR/env"
log "ready: writes acknowledged (conf $CONF)"
echo "$EXPORTS"
