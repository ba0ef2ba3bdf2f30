// Package bench is the cross-stage benchmark harness of the data plane. Its
// benchmarks measure the kernel ceilings (CRC32C, AES-256-GCM, Reed-Solomon,
// MD5, SHA-256, the chunker) and the engine's Put and Get on the real local
// backend in one process, so their ratios are meaningful on a noisy machine.
//
// Reproduce (see docs/PERFORMANCE.md, section Engine):
//
//	go test -run '^$' -bench . -benchtime 2s ./bench          # everything
//	go test -run '^$' -bench Targets -benchtime 1x ./bench    # the target ratios only
//
// OSD directories live on tmpfs (/dev/shm) when it exists, so storage costs
// page-cache copies only and the engine itself is what is measured.
package bench
