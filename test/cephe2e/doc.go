// Package cephe2e holds the end-to-end tests of RustFS on a real Ceph
// cluster: several `rustfs server` processes (the binary built from this
// checkout with -tags ceph) on one RADOS namespace, driven by aws-sdk-go-v2,
// and fault injection that freezes ceph-osd daemons while the gateways
// serve.
//
// The tests carry the build tag `ceph` and need the micro-cluster of
// scripts/ceph-up.sh:
//
//	eval "$(scripts/ceph-up.sh /tmp/rustfs-ceph)"
//	go test -tags ceph -count=1 ./test/cephe2e/...
//
// They skip only when RUSTFS_CEPH_CONF is empty. RUSTFS_E2E_BINARY names a
// rustfs binary (built with -tags ceph) to use instead of building one;
// RUSTFS_E2E_LOGS=1 prints the gateways' logs even when a test passes.
// Every test uses its own RADOS namespace and deletes everything in it at
// the end, because memstore OSDs keep objects in RAM.
//
// The fault test pauses OSD daemons with SIGSTOP (never SIGKILL: a memstore
// OSD that dies loses its data) and always resumes them; while it runs
// (about a minute and a half), other users of the same cluster see those
// OSDs hang, so run this package on its own, not in parallel with other
// Ceph tests. To mark paused OSDs down without waiting for the heartbeat
// grace it uses client.admin from the conf's keyring, and it sets
// osd_max_markdown_count very high in the cluster's configuration database:
// an OSD marked down more than 5 times in 10 minutes shuts itself down,
// which for memstore means losing its data. Without client.admin the
// phases that mark OSDs down are skipped.
package cephe2e
