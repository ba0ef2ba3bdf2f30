// Package cpu detects the CPU features the data plane's kernels depend on and
// names the kernels that will run. It is the only place in RustFS that looks at
// CPU features: other packages ask here instead of probing on their own, so
// logs and benchmarks can say exactly which code paths produced a number.
//
// Detection happens once per process (the CPU does not change under us); the
// result is an immutable value.
package cpu

import (
	"strings"
	"sync"

	"github.com/klauspost/cpuid/v2"
)

// Features lists the instruction-set extensions relevant to RustFS's hot
// paths. The fields after GFNI are extras needed to predict which kernel
// klauspost/reedsolomon and the Go standard library pick.
type Features struct {
	SSE42, PCLMULQDQ, AVX2, AVX512F, VPCLMULQDQ, AESNI, VAES, SHANI, GFNI bool

	// SSSE3, SSE41, AVX, BMI2, AVX512BW, AVX512DQ and AVX512VL gate the
	// kernels above in the standard library and in reedsolomon.
	SSSE3, SSE41, AVX, BMI2, AVX512BW, AVX512DQ, AVX512VL bool
}

var (
	detectOnce sync.Once
	detected   Features // written once under detectOnce, read-only afterwards
)

// Detect returns the features of the running CPU. The probe runs once; later
// calls return the cached, read-only value.
func Detect() Features {
	detectOnce.Do(func() { detected = fromCPUID(&cpuid.CPU) })
	return detected
}

// fromCPUID translates cpuid's feature set into Features.
func fromCPUID(c *cpuid.CPUInfo) Features {
	return Features{
		SSE42:      c.Has(cpuid.SSE42),
		PCLMULQDQ:  c.Has(cpuid.CLMUL),
		AVX2:       c.Has(cpuid.AVX2),
		AVX512F:    c.Has(cpuid.AVX512F),
		VPCLMULQDQ: c.Has(cpuid.VPCLMULQDQ),
		AESNI:      c.Has(cpuid.AESNI),
		VAES:       c.Has(cpuid.VAES),
		SHANI:      c.Has(cpuid.SHA),
		GFNI:       c.Has(cpuid.GFNI),
		SSSE3:      c.Has(cpuid.SSSE3),
		SSE41:      c.Has(cpuid.SSE4),
		AVX:        c.Has(cpuid.AVX),
		BMI2:       c.Has(cpuid.BMI2),
		AVX512BW:   c.Has(cpuid.AVX512BW),
		AVX512DQ:   c.Has(cpuid.AVX512DQ),
		AVX512VL:   c.Has(cpuid.AVX512VL),
	}
}

// String lists the present features in a fixed order, space separated, for
// logs ("sse4.2 pclmulqdq avx2 ..."); it is "none" when nothing relevant is
// present.
func (f Features) String() string {
	names := []struct {
		on   bool
		name string
	}{
		{f.SSSE3, "ssse3"}, {f.SSE41, "sse4.1"}, {f.SSE42, "sse4.2"},
		{f.PCLMULQDQ, "pclmulqdq"}, {f.AESNI, "aes-ni"}, {f.AVX, "avx"},
		{f.AVX2, "avx2"}, {f.BMI2, "bmi2"}, {f.AVX512F, "avx512f"},
		{f.AVX512BW, "avx512bw"}, {f.AVX512DQ, "avx512dq"}, {f.AVX512VL, "avx512vl"},
		{f.VPCLMULQDQ, "vpclmulqdq"}, {f.VAES, "vaes"}, {f.SHANI, "sha-ni"},
		{f.GFNI, "gfni"},
	}
	var b strings.Builder
	for _, n := range names {
		if !n.on {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n.name)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
