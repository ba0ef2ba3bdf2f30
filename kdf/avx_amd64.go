package kdf

import "golang.org/x/sys/cpu"

// vzeroupper clears the upper halves of the YMM registers.
//
//go:noescape
func vzeroupper()

// hasAVX is read once at start-up; VZEROUPPER faults on CPUs without AVX.
var hasAVX = cpu.X86.HasAVX

// avxReset must run after every call into circl's ML-KEM / ML-DSA code.
// Its AVX2 assembly returns without VZEROUPPER, leaving the upper YMM state
// dirty; every later legacy-SSE instruction on that thread then pays the
// AVX-SSE transition penalty. Measured here: a 1 KiB SHA-256 (SHA-NI) took
// 107 µs instead of 1.5 µs right after an ML-KEM encapsulation, and the
// same would hit AES-NI GCM in whatever goroutine runs next on the thread.
func avxReset() {
	if hasAVX {
		vzeroupper()
	}
}
