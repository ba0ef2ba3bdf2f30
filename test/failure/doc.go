// Package failure holds the failure-injection suite of issue 10: it injects
// faults of many classes into the embedded backend (lost OSDs, outages
// followed by a rack loss, EIO, ENOSPC, hung reads, bit flips, truncation
// and foreign shards, damaged metadata records, replaced empty OSDs) and
// kills the real server binary with SIGKILL at random points of its
// commits and of heal. After each trial it restarts, heals and reads back
// everything acknowledged, and it ends with one summary line: objects
// written, faults injected, objects verified, acknowledged bytes lost,
// wrong bytes served and garbage bytes left after GC; the last three must
// be 0.
//
// The default (short) mode runs in `make test`; -failure.long (or
// RUSTFS_FAILURE_LONG=1, or `make test-failure-long`) runs more of every
// class. -failure.seed (or RUSTFS_FAILURE_SEED) replays a run.
package failure
