#!/usr/bin/env bash
# Runs every suite of `make test` against real parts. Called by the Makefile after
# `deps` and `ceph-up`; prints go test's own summary lines.
#
#   run-tests.sh        everything
#   run-tests.sh ceph   only the suites that talk to the Ceph micro-cluster
set -euo pipefail
cd "$(dirname "$0")/.."
CEPH_DIR=${CEPH_DIR:-/tmp/rustfs-ceph}

# The Ceph cluster's conf/keyring/user, printed by ceph-up.sh (idempotent when already up).
eval "$(bash scripts/ceph-up.sh "$CEPH_DIR")"
export RUSTFS_CEPH_CONF RUSTFS_CEPH_KEYRING RUSTFS_CEPH_USER
# Real PKCS#11 token (the kdf tests create a private SoftHSM2 token per run) and real clients.
export RUSTFS_TEST_SOFTHSM=1
export RUSTFS_TEST_CLIENTS=1
export CGO_ENABLED=1

fail=0
run() { echo "== $*"; "$@" || fail=1; }

if [ "${1:-all}" != ceph ]; then
  run go vet ./...
  # The engine, crypto and parsers under the race detector.
  run go test -race -timeout 15m ./cpu/... ./md5x/... ./chunker/... ./aead/... ./erasure/... ./dataplane/... \
      ./storage/... ./manifest/... ./kdf/... ./sigv4/... ./iam/... ./s3err/...
  # The gateway, object layer and real-client integration tests on the local backend.
  run go test -timeout 20m ./object/... ./s3api/... ./server/... ./cmd/... ./test/ ./bench/... ./internal/... \
      ./audit/... ./maint/... ./metrics/...
  # Failure injection, short mode: each fault class is a subtest; the summary line is the figure to watch.
  run bash -c 'set -o pipefail; go test -timeout 15m -v -run TestFailure ./test/failure/ 2>&1 | grep -Ev "^=== (RUN|PAUSE|CONT)"'
  # Every package must be in one of the lists above: a new top-level package
  # would otherwise go untested without anyone noticing.
  untested=$(go list ./... | sed 's#^github.com/tasmaniancloud/rustfs/##' | grep -v -E \
    '^(cpu|md5x|chunker|aead|erasure|dataplane|storage|manifest|kdf|sigv4|iam|s3err|object|s3api|server|cmd|test|bench|internal|audit|maint|metrics|rados)(/|$)' || true)
  if [ -n "$untested" ]; then
    echo "packages in no test list of scripts/run-tests.sh: $untested"
    fail=1
  fi
fi
# The same storage conformance suite and S3 integration tests on RADOS.
run go vet -tags ceph ./rados/... ./test/... ./cmd/...
run go test -tags ceph -timeout 20m ./rados/...
RUSTFS_TEST_BACKEND=rados run go test -tags ceph -timeout 20m ./test/
# Multi-gateway and failure injection (stops OSD daemons): alone, so no other suite shares the stall.
run go test -tags ceph -p 1 -timeout 10m ./test/cephe2e/
exit $fail
