#!/usr/bin/env bash
# make bench: one table of every engine ratio (bench.BenchmarkTargets) and, when a Ceph cluster is up
# (RUSTFS_CEPH_CONF set, e.g. after `make ceph-up`; sourced from $CEPH_DIR/env when present), the RADOS
# benchmarks: the gateway next to `rados bench` (x-rados-* ratios) and raw shard I/O. Each entry names
# a package and a benchmark pattern; a package holding no matching benchmark is skipped. Everything go
# test prints goes to $BENCH_LOG; the table, the failures and the run time go to stdout.
#
#   bash scripts/bench.sh [ceph-dir]
#   BENCH_ONLY=engine bash scripts/bench.sh     # engine ratios only
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
CEPH_DIR=${1:-${CEPH_DIR:-/tmp/rustfs-ceph}}
BENCH_LOG=${BENCH_LOG:-bin/bench.log}
mkdir -p "$(dirname "$BENCH_LOG")"
: >"$BENCH_LOG"
if [[ -z "${RUSTFS_CEPH_CONF:-}" && -f "$CEPH_DIR/env" && "${BENCH_ONLY:-}" != engine ]]; then
	# shellcheck disable=SC1091
	source "$CEPH_DIR/env"
fi

start=$SECONDS
status=0
# run PKG PATTERN BENCHTIME [TAGS] [ARGS...]: benchmark PATTERN in PKG unless PKG has none.
run() {
	local pkg=$1 pattern=$2 benchtime=$3 tags=$4
	shift 4
	if ! grep -qsE "^func Benchmark(${pattern})\(" "$pkg"/*_test.go; then
		echo "skip $pkg: no benchmark matches $pattern" >>"$BENCH_LOG"
		return
	fi
	echo "== $pkg ($pattern, $benchtime) at $((SECONDS - start))s" >&2
	if ! $GO test ${tags:+-tags "$tags"} -run '^$' -bench "^Benchmark(${pattern})\$" -benchtime "$benchtime" \
		-benchmem -timeout 10m "$pkg" "$@" >>"$BENCH_LOG" 2>&1; then
		status=1
	fi
}

# Engine ratios: Targets measures each ceiling and its engine counterpart in alternating rounds.
run ./bench 'Targets' 1x ''
if [[ -n "${RUSTFS_CEPH_CONF:-}" && "${BENCH_ONLY:-}" != engine ]]; then
	# The gateway on RADOS next to `rados bench` (3 s per rados phase keeps the whole run short).
	run ./bench/gateway 'GatewayRados' 1x ceph -args -gateway.rados-seconds=3 -gateway.rados-objects=64
	run ./rados 'ShardPut|ShardGet' 1s ceph
else
	echo "(no Ceph cluster: RUSTFS_CEPH_CONF unset, RADOS benchmarks skipped; make ceph-up first)" >&2
fi

$GO run ./bench/benchtable <"$BENCH_LOG" || status=1
echo "make bench: $((SECONDS - start)) s; full output in $BENCH_LOG" >&2
exit $status
