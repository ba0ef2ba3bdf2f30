// Package gateway benchmarks the complete RustFS gateway over loopback: the
// real server (s3api, sigv4, object layer, data plane, local or RADOS
// backend, TLS or plaintext) started in-process or as the real binary, and
// driven by a lean S3 client.
//
// The client is raw net/http signed with sigv4.Sign, sending
// UNSIGNED-PAYLOAD and no checksum headers: the cheapest thing a real client
// can send (one 32 KiB-buffered copy per body, no hashing), so more of the
// two shared vCPUs stay with the server. aws-sdk-go-v2 would add middleware
// allocations on every request and, unless configured otherwise, CRC32 and
// SHA-256 over every byte.
//
// Reproduce (figures and commentary in docs/PERFORMANCE.md, sections
// Gateway, Multipart and Gateway on RADOS):
//
//	go test -run '^$' -bench 'Gateway/.*/.*/(4KiB|1MiB)' -benchtime 2s ./bench/gateway
//	go test -run '^$' -bench 'Gateway/.*/.*/256MiB' -benchtime 8x ./bench/gateway
//	go test -run '^$' -bench 'Multipart/plain' -benchtime 2x -timeout 30m ./bench/gateway
//	eval "$(bash scripts/ceph-up.sh)"
//	go test -tags ceph -run '^$' -bench GatewayRados -benchtime 8x -v ./bench/gateway
//
// Settings: -gateway.dir (parent of data directories), -gateway.fsync,
// -gateway.etag, -gateway.binary (BenchmarkGateway against the rustfs
// binary), -gateway.rados-seconds and -gateway.rados-objects (rados bench
// bounds), passed after -args.
//
// Data directories live on tmpfs (/dev/shm) without fsync unless
// -gateway.dir and -gateway.fsync say otherwise, so the gateway rather than
// the noisy disk is measured.
package gateway
