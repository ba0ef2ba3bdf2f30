package cpu

import (
	"runtime"
	"strings"
	"testing"
)

func TestDetectStable(t *testing.T) {
	a, b := Detect(), Detect()
	if a != b {
		t.Fatalf("Detect changed between calls: %v vs %v", a, b)
	}
	if runtime.GOARCH == "amd64" && !a.SSE42 {
		t.Logf("no SSE4.2 on this amd64 CPU: %s", a)
	}
}

func TestStringOrder(t *testing.T) {
	if got := (Features{}).String(); got != "none" {
		t.Fatalf("empty features = %q, want none", got)
	}
	f := Features{GFNI: true, SSE42: true, AVX2: true}
	if got, want := f.String(), "sse4.2 avx2 gfni"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

func TestKernelsFor(t *testing.T) {
	full := Features{SSE42: true, PCLMULQDQ: true, AVX2: true, AVX512F: true, VPCLMULQDQ: true,
		AESNI: true, VAES: true, SHANI: true, GFNI: true, SSSE3: true, SSE41: true, AVX: true,
		BMI2: true, AVX512BW: true, AVX512DQ: true, AVX512VL: true}
	tests := []struct {
		name string
		f    Features
		want Kernels
	}{
		{"full", full, Kernels{CRC32C: "sse4.2x3", CRC32: "avx512+vpclmulqdq", AESGCM: "aesni+pclmul",
			SHA256: "sha-ni", MD5: "amd64-asm", RS: "avx512+gfni", CRC64NVME: "avx512+vpclmulqdq"}},
		{"haswell", Features{SSE42: true, PCLMULQDQ: true, AVX2: true, AESNI: true, SSSE3: true,
			SSE41: true, AVX: true, BMI2: true}, Kernels{CRC32C: "sse4.2x3", CRC32: "pclmul",
			AESGCM: "aesni+pclmul", SHA256: "avx2", MD5: "amd64-asm", RS: "avx2", CRC64NVME: "pclmul"}},
		{"avx-gfni", Features{SSE42: true, AVX: true, AVX2: true, GFNI: true, SSSE3: true},
			Kernels{CRC32C: "sse4.2x3", CRC32: "slicing-by-8", AESGCM: "generic", SHA256: "generic",
				MD5: "amd64-asm", RS: "avx2+gfni", CRC64NVME: "table"}},
		{"bare", Features{}, Kernels{CRC32C: "slicing-by-8", CRC32: "slicing-by-8", AESGCM: "generic",
			SHA256: "generic", MD5: "amd64-asm", RS: "generic", CRC64NVME: "table"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := KernelsFor(tc.f, "amd64"); got != tc.want {
				t.Fatalf("KernelsFor = %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := KernelsFor(full, "arm64"); got.RS != "arch-default" {
		t.Fatalf("arm64 RS = %q, want arch-default", got.RS)
	}
}

func TestPaths(t *testing.T) {
	p := Paths()
	for _, key := range []string{"crc32c=", "aes-gcm=", "rs=", "sha256=", "md5="} {
		if !strings.Contains(p, key) {
			t.Fatalf("Paths() = %q lacks %q", p, key)
		}
	}
	t.Logf("features: %s", Detect())
	t.Logf("paths: %s", p)
}

func TestMultiBufferMD5(t *testing.T) {
	tests := []struct {
		f    Features
		arch string
		want string
	}{
		{Features{AVX2: true, AVX512F: true, AVX512DQ: true}, "amd64", "avx512x16"},
		{Features{AVX2: true, AVX512F: true}, "amd64", "avx2x8"},
		{Features{AVX2: true}, "amd64", "avx2x8"},
		{Features{AVX512F: true, AVX512DQ: true}, "amd64", ""},
		{Features{}, "amd64", ""},
		{Features{AVX2: true, AVX512F: true, AVX512DQ: true}, "arm64", ""},
	}
	for _, tc := range tests {
		if got := MultiBufferMD5(tc.f, tc.arch); got != tc.want {
			t.Errorf("MultiBufferMD5(%s, %s) = %q, want %q", tc.f, tc.arch, got, tc.want)
		}
	}
}
