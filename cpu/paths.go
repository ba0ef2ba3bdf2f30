package cpu

import (
	"runtime"
	"strings"
)

// Kernels names the implementation each hot-path primitive uses on this CPU.
// The names follow the choices the underlying libraries make themselves
// (Go's hash/crc32 and crypto packages, klauspost/reedsolomon); this package
// only predicts and reports them, it does not switch them.
type Kernels struct {
	CRC32C    string // hash/crc32 Castagnoli
	CRC32     string // hash/crc32 IEEE (S3 flexible checksum)
	AESGCM    string // crypto/aes + crypto/cipher GCM
	SHA256    string // crypto/sha256
	MD5       string // crypto/md5
	RS        string // klauspost/reedsolomon encode/reconstruct
	CRC64NVME string // minio/crc64nvme
}

// Paths returns one log line naming the kernels that run on this machine,
// e.g. "crc32c=sse4.2x3 crc32=avx512+vpclmulqdq aes-gcm=aesni+pclmul
// rs=avx512+gfni sha256=sha-ni md5=amd64-asm crc64nvme=avx512+vpclmulqdq".
func Paths() string {
	k := KernelsFor(Detect(), runtime.GOARCH)
	var b strings.Builder
	for _, kv := range [][2]string{
		{"crc32c", k.CRC32C}, {"crc32", k.CRC32}, {"aes-gcm", k.AESGCM},
		{"rs", k.RS}, {"sha256", k.SHA256}, {"md5", k.MD5}, {"crc64nvme", k.CRC64NVME},
	} {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	return b.String()
}

// KernelsFor predicts the kernels selected for feature set f on architecture
// arch. It is exported so tests (and curious operators) can see the choice
// for CPUs other than the running one. Only amd64 is modelled in detail;
// other architectures report "arch-default".
func KernelsFor(f Features, arch string) Kernels {
	if arch != "amd64" {
		d := "arch-default"
		return Kernels{CRC32C: d, CRC32: d, AESGCM: d, SHA256: d, MD5: d, RS: d, CRC64NVME: d}
	}
	k := Kernels{MD5: "amd64-asm"}

	// hash/crc32: Castagnoli uses the SSE4.2 CRC32 instruction over three
	// interleaved streams (combined with tables, not carry-less multiply).
	switch {
	case f.SSE42:
		k.CRC32C = "sse4.2x3"
	default:
		k.CRC32C = "slicing-by-8"
	}
	// hash/crc32: IEEE folds with PCLMULQDQ, widened to AVX-512 when present.
	switch {
	case f.PCLMULQDQ && f.SSE41 && f.VPCLMULQDQ && f.AVX512F && f.AVX512VL:
		k.CRC32 = "avx512+vpclmulqdq"
	case f.PCLMULQDQ && f.SSE41:
		k.CRC32 = "pclmul"
	default:
		k.CRC32 = "slicing-by-8"
	}

	// crypto/cipher GCM: the assembly path needs AES-NI, PCLMULQDQ, SSE4.1 and
	// SSSE3. Go 1.26 has no VAES path (golang/go#42726), so VAES is unused.
	if f.AESNI && f.PCLMULQDQ && f.SSE41 && f.SSSE3 {
		k.AESGCM = "aesni+pclmul"
	} else {
		k.AESGCM = "generic"
	}

	// crypto/sha256 prefers SHA-NI, then AVX2.
	switch {
	case f.SHANI && f.AVX && f.SSE41 && f.SSSE3:
		k.SHA256 = "sha-ni"
	case f.AVX && f.AVX2 && f.BMI2:
		k.SHA256 = "avx2"
	default:
		k.SHA256 = "generic"
	}

	// klauspost/reedsolomon: GFNI with AVX-512 first, then GFNI with AVX,
	// then AVX-512/AVX2 PSHUFB code, then SSSE3.
	switch {
	case f.AVX512F && f.GFNI && f.AVX512DQ:
		k.RS = "avx512+gfni"
	case f.AVX && f.GFNI:
		k.RS = "avx2+gfni"
	case f.AVX512F && f.AVX512BW && f.AVX512VL:
		k.RS = "avx512"
	case f.AVX2:
		k.RS = "avx2"
	case f.SSSE3:
		k.RS = "ssse3"
	default:
		k.RS = "generic"
	}

	// minio/crc64nvme: AVX-512 VPCLMULQDQ folding, else PCLMULQDQ.
	switch {
	case f.AVX512F && f.AVX512VL && f.VPCLMULQDQ && f.PCLMULQDQ:
		k.CRC64NVME = "avx512+vpclmulqdq"
	case f.PCLMULQDQ && f.SSE41:
		k.CRC64NVME = "pclmul"
	default:
		k.CRC64NVME = "table"
	}
	return k
}

// MultiBufferMD5 names the multi-buffer MD5 kernel (github.com/minio/md5-simd)
// usable on feature set f and architecture arch: "avx512x16" (16 streams
// share one core's ZMM lanes), "avx2x8" (8 streams in YMM lanes), or "" when
// neither is available and crypto/md5's scalar code is the only choice. It
// mirrors md5-simd's own probes (AVX-512F with DQ for the 16-lane kernel,
// AVX2 for the server at all), so the name logged is the kernel that runs.
func MultiBufferMD5(f Features, arch string) string {
	if arch != "amd64" {
		return ""
	}
	switch {
	case f.AVX2 && f.AVX512F && f.AVX512DQ:
		return "avx512x16"
	case f.AVX2:
		return "avx2x8"
	}
	return ""
}
