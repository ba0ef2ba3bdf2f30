// Package loadgen is the S3 load generator behind `rustfs bench`: it drives
// any S3 endpoint over real SigV4 (HTTP or TLS) with put, get, range-get,
// multipart-put, mixed, list and delete workloads, fixed sizes or a size
// distribution, and reports throughput, latency percentiles, time to first
// byte, errors and — given the server's PID — its CPU-seconds per GB. Its
// A/B mode alternates two endpoints case by case and reports each case's
// median ratio, so RustFS and another S3 server are compared in one run on
// the same noisy machine.
//
// Every object's content is a deterministic function of its key, so reads
// are verified byte for byte without keeping any data.
package loadgen
