# RustFS — two commands set everything up on a fresh machine:
#   make run    start the server on the embedded default backend (6 local OSDs, 3 racks, ./data)
#   make test   install what the tests need (Debian packages, a Ceph micro-cluster, a SoftHSM2 token)
#               and run every test
SHELL      := /bin/bash
GO         ?= go
DATA       ?= ./data
ADDRESS    ?= 127.0.0.1:9000
CEPH_DIR   ?= /tmp/rustfs-ceph
HSM_DIR    ?= /tmp/rustfs-softhsm
BIN        := bin/rustfs
export CGO_ENABLED ?= 1

.PHONY: all build build-ceph run test test-unit test-race test-ceph deps ceph-up ceph-down softhsm-up \
        bench bench-list fuzz fuzz-short soak vet fmt clean test-failure test-failure-long

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rustfs

build-ceph:
	$(GO) build -tags ceph -o bin/rustfs-ceph ./cmd/rustfs

run: build
	$(BIN) server --address $(ADDRESS) --data $(DATA)

deps:
	@bash scripts/deps.sh

ceph-up:
	@bash scripts/ceph-up.sh $(CEPH_DIR)

ceph-down:
	@bash scripts/ceph-down.sh $(CEPH_DIR)

softhsm-up:
	@bash kdf/testdata/softhsm-setup.sh $(HSM_DIR) >/dev/null

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags ceph ./...

# test: everything, against real parts. The environment the suites need is exported by
# scripts/test-env.sh (Ceph conf/keyring, SoftHSM token, client-test switch).
test: deps ceph-up
	@bash scripts/run-tests.sh

# Pieces of `make test`, for iterating (they assume `make deps ceph-up softhsm-up` ran once).
test-unit:
	$(GO) test ./...

test-race:
	$(GO) test -race ./chunker/... ./aead/... ./erasure/... ./dataplane/... ./storage/... ./manifest/... ./kdf/... ./sigv4/...

test-ceph:
	@bash scripts/run-tests.sh ceph

# The failure-injection suite (issue 10): short mode (also part of `make test`) and the long mode.
test-failure:
	$(GO) test -timeout 15m -v -run TestFailure ./test/failure/

test-failure-long:
	$(GO) test -timeout 90m -v -run TestFailure ./test/failure/ -failure.long

# bench: one table of the engine ratios, plus the RADOS benchmarks when a Ceph cluster is up
# (make ceph-up); about 2.5 minutes. Every benchmark: go test -run '^$$' -bench . ./...
bench:
	@bash scripts/bench.sh $(CEPH_DIR)

# bench-list: one listing page (ListObjectsV2, with prefix+delimiter, with a delimiter at the top, and
# ListObjectVersions) from seeded versioned buckets of each of LIST_SIZES keys, on the embedded backend and,
# when a Ceph cluster is up (make ceph-up), on RADOS. Buckets are seeded once (metadata records only) and kept
# under RUSTFS_BENCH_DIR (default /tmp) and in RADOS namespaces rustfs-list-v*; see docs/PERFORMANCE.md for
# the space each size needs (1,000,000 keys: ~32 GB of disk embedded; on RADOS ~29 GB of memstore RAM, so use a
# bluestore cluster: CEPH_STORE=bluestore CEPH_META_SIZE=1 scripts/ceph-up.sh DIR; ~40 GB of disk). Not part of make test.
LIST_SIZES ?= 1000,10000,100000
bench-list:
	RUSTFS_BENCH_LIST=$(LIST_SIZES) $(GO) test -timeout 4h -run '^$$' -bench 'BenchmarkListSeededLocal' -benchtime 20x -v ./object/
	@if [[ -f $(CEPH_DIR)/env ]]; then source $(CEPH_DIR)/env && RUSTFS_BENCH_LIST=$(LIST_SIZES) $(GO) test -tags ceph \
		-timeout 4h -run '^$$' -bench 'BenchmarkListSeededRADOS' -benchtime 20x -v ./object/; fi

# Long fuzzing sits behind its own target: FUZZTIME per target (default 60s). fuzz-short gives every
# target 10 s (about 9 minutes for the ~50 targets; docs/SECURITY.md lists what they cover).
FUZZTIME ?= 60s
fuzz:
	@bash scripts/fuzz-all.sh $(FUZZTIME)

fuzz-short:
	@bash scripts/fuzz-all.sh 10s

clean:
	rm -rf bin
