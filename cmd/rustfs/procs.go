package main

import "runtime"

// minProcs is the least number of Ps (GOMAXPROCS) `rustfs server` runs
// with by default.
//
// Why more Ps than CPUs: a gateway's request goroutines spend much of their
// time in blocking file system calls (fsync, O_DIRECT pwrite, openat and
// rename on the OSD directories). A goroutine in a system call keeps its P
// until the runtime's monitor takes it back (20 µs or more later), and a
// thread returning from one must find a free P again. With as many Ps as
// CPUs on a small machine, runnable goroutines (sealing, MD5, the next
// request's socket reads) wait for Ps held by threads that sleep in the
// kernel; with more Ps the kernel, not the Go scheduler, shares the CPUs
// among the threads that are really runnable. Measured on the 2-vCPU VM
// (docs/PERFORMANCE.md, "More Ps than CPUs"): 8 Ps instead of 2 made PUT
// 1 MiB × 8 streams and multipart 16 MiB × 4 faster at less CPU per GB.
const minProcs = 8

// serverProcs is the GOMAXPROCS `rustfs server` runs with: flag when
// positive; else the runtime's default (cpus, which honours $GOMAXPROCS
// and CPU quotas) raised to minProcs, unless $GOMAXPROCS chose it.
func serverProcs(flag, cpus int, envSet bool) int {
	switch {
	case flag > 0:
		return flag
	case envSet:
		return cpus
	default:
		return max(cpus, minProcs)
	}
}

// setProcs applies serverProcs and returns the runtime's default before
// the change, which stays the default number of data-plane workers: the
// sealing and erasure coding are CPU-bound, so more workers than CPUs
// would only hold more stripes in memory.
func setProcs(flag int, getenv func(string) string) (cpus int) {
	cpus = runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(serverProcs(flag, cpus, getenv("GOMAXPROCS") != ""))
	return cpus
}
