#!/usr/bin/env bash
# ceph-down.sh [DIR] — stop the micro cluster started by scripts/ceph-up.sh and remove DIR
# (default /tmp/rustfs-ceph). Daemons are stopped by their recorded PIDs only: OSDs and mgr first,
# the mon last; SIGKILL after a short grace, since the cluster is thrown away anyway.
# A missing DIR is not an error.
set -euo pipefail

DIR=${1:-${CEPH_DIR:-/tmp/rustfs-ceph}}
[ -e "$DIR" ] || exit 0
if [ -z "${CEPH_LOCK_HELD:-}" ]; then # ceph-up.sh holds the lock when it calls us
  exec 9>"$DIR.lock"
  flock -w 180 9 || { echo "ceph-down: another ceph-up/ceph-down holds $DIR.lock" >&2; exit 1; }
fi
# Refuse to rm -rf something that is not a cluster directory made by ceph-up.sh.
if [ ! -d "$DIR/pids" ] && [ ! -f "$DIR/ceph.conf" ]; then
  echo "ceph-down: $DIR does not look like a ceph-up.sh cluster directory; not touching it" >&2
  exit 1
fi

# pid_of FILE: the PID recorded in FILE if that process is alive and is a Ceph daemon.
pid_of() {
  local p
  [ -s "$1" ] || return 1
  p=$(cat "$1")
  kill -0 "$p" 2>/dev/null || return 1
  case "$(cat "/proc/$p/comm" 2>/dev/null)" in ceph-*|radosgw) echo "$p" ;; *) return 1 ;; esac
}

# stop_group FILE...: SIGCONT (a test may have paused it) + SIGTERM, wait up to 3 s, then SIGKILL.
stop_group() {
  local f p pids=()
  for f in "$@"; do
    [ -e "$f" ] || continue
    if p=$(pid_of "$f"); then pids+=("$p"); fi
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -CONT "${pids[@]}" 2>/dev/null || true
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 30); do
    local left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ $left = 0 ] && return 0
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  sleep 0.2
}

shopt -s nullglob
stop_group "$DIR"/pids/osd.*.pid "$DIR"/pids/mgr.*.pid "$DIR"/pids/rgw.*.pid
stop_group "$DIR"/pids/mon.*.pid
rm -rf "$DIR"
echo "ceph-down: removed $DIR" >&2
