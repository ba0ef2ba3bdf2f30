package object

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/minio/crc64nvme"
)

// Checksum types of S3 flexible checksums.
const (
	ChecksumFullObject = "FULL_OBJECT"
	ChecksumComposite  = "COMPOSITE"
)

// checksumAlgos lists every S3 flexible-checksum algorithm we compute, with
// the digest size in bytes. Names are the lower-case forms used in
// x-amz-checksum-<name> headers.
var checksumAlgos = map[string]int{
	"crc32":     4,
	"crc32c":    4,
	"crc64nvme": 8,
	"sha1":      sha1.Size,
	"sha256":    sha256.Size,
}

// ValidChecksumAlgorithm reports whether name (any case: "CRC32" from
// x-amz-sdk-checksum-algorithm, "crc32" from a header name) is a flexible
// checksum algorithm the layer supports. The gateway rejects anything else
// with 400 rather than silently dropping integrity data.
func ValidChecksumAlgorithm(name string) bool {
	_, ok := checksumAlgos[strings.ToLower(name)]
	return ok
}

// newChecksumHash returns a fresh hash for a canonical (lower-case)
// algorithm name. Sums are big-endian, the byte order S3 base64-encodes.
func newChecksumHash(algo string) hash.Hash {
	switch algo {
	case "crc32":
		return crc32.NewIEEE()
	case "crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "crc64nvme":
		return crc64nvme.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	}
	return nil
}

// decodeChecksum decodes a base64 checksum value and checks its length.
func decodeChecksum(algo, v string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(v)
	// An unknown algorithm has no size: "" must not pass as its 0 bytes.
	if n, known := checksumAlgos[algo]; !known || err != nil || len(raw) != n {
		return nil, fmt.Errorf("%w: x-amz-checksum-%s value %q", ErrInvalidArgument, algo, v)
	}
	return raw, nil
}

// MultipartChecksum builds the checksumAlgo argument of
// CreateMultipartUpload from x-amz-checksum-algorithm and
// x-amz-checksum-type (either may be ""). The result is "" (no checksum),
// "<algo>" or "<algo>:<TYPE>". Rules follow S3: crc64nvme is FULL_OBJECT
// only, sha1/sha256 are COMPOSITE only, crc32/crc32c default to COMPOSITE
// and may ask for FULL_OBJECT; a type without an algorithm is refused.
func MultipartChecksum(algorithm, checksumType string) (string, error) {
	algo, typ, err := resolveUploadChecksum(strings.ToLower(algorithm), strings.ToUpper(checksumType))
	if err != nil {
		return "", err
	}
	if algo == "" {
		return "", nil
	}
	return algo + ":" + typ, nil
}

// parseUploadChecksum splits a checksumAlgo argument ("", "<algo>" or
// "<algo>:<TYPE>") and applies the defaults of MultipartChecksum.
func parseUploadChecksum(spec string) (algo, typ string, err error) {
	algo, typ, _ = strings.Cut(spec, ":")
	return resolveUploadChecksum(strings.ToLower(algo), strings.ToUpper(typ))
}

func resolveUploadChecksum(algo, typ string) (string, string, error) {
	if algo == "" {
		if typ != "" {
			return "", "", fmt.Errorf("%w: x-amz-checksum-type without x-amz-checksum-algorithm", ErrInvalidArgument)
		}
		return "", "", nil
	}
	if _, ok := checksumAlgos[algo]; !ok {
		return "", "", fmt.Errorf("%w: checksum algorithm %q", ErrInvalidArgument, algo)
	}
	switch algo {
	case "crc64nvme":
		if typ == "" {
			typ = ChecksumFullObject
		}
		if typ != ChecksumFullObject {
			return "", "", fmt.Errorf("%w: %s supports only %s checksums", ErrInvalidArgument, algo, ChecksumFullObject)
		}
	case "sha1", "sha256":
		if typ == "" {
			typ = ChecksumComposite
		}
		if typ != ChecksumComposite {
			return "", "", fmt.Errorf("%w: %s supports only %s checksums", ErrInvalidArgument, algo, ChecksumComposite)
		}
	default:
		if typ == "" {
			typ = ChecksumComposite
		}
		if typ != ChecksumComposite && typ != ChecksumFullObject {
			return "", "", fmt.Errorf("%w: checksum type %q", ErrInvalidArgument, typ)
		}
	}
	return algo, typ, nil
}

// Reflected CRC polynomials of the CRC algorithms that combine.
const (
	polyCRC32     = 0xedb88320
	polyCRC32C    = 0x82f63b78
	polyCRC64NVME = crc64nvme.NVME
)

// crcCombine returns the CRC of A‖B given crc(A), crc(B) and len(B) for a
// reflected CRC of the given width with all-ones init and final XOR (true
// for CRC-32, CRC-32C and CRC-64/NVME): crc(A) multiplied by x^(8·len(B))
// modulo P, XOR crc(B). The conditioning terms cancel, as in zlib.
func crcCombine(poly uint64, width uint, crc1, crc2 uint64, len2 int64) uint64 {
	top := uint64(1) << (width - 1)
	result := top    // x^0
	base := top >> 8 // x^8: one byte of zeros
	for n := uint64(max(len2, 0)); n > 0; n >>= 1 {
		if n&1 == 1 {
			result = gfMulMod(poly, top, result, base)
		}
		base = gfMulMod(poly, top, base, base)
	}
	return gfMulMod(poly, top, result, crc1) ^ crc2
}

// gfMulMod multiplies a·b modulo P in the bit-reflected representation
// (bit width-1 is x^0).
func gfMulMod(poly, top, a, b uint64) uint64 {
	var p uint64
	for m := top; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 == 1 {
			b = b>>1 ^ poly
		} else {
			b >>= 1
		}
	}
	return p
}

// partChecksum is one part's raw checksum and size, input to the
// multipart checksum of the whole object.
type partChecksum struct {
	raw  []byte
	size int64
}

// multipartChecksum computes the object checksum of a completed upload:
// COMPOSITE is the algorithm applied to the concatenated raw part checksums,
// base64 with a "-N" suffix; FULL_OBJECT (CRC algorithms only) combines the
// part CRCs mathematically into the CRC of the whole byte stream, so it
// equals what a single PUT of the same bytes would report.
func multipartChecksum(algo, typ string, parts []partChecksum) (string, error) {
	if typ == ChecksumComposite {
		h := newChecksumHash(algo)
		for _, p := range parts {
			h.Write(p.raw)
		}
		return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts)), nil
	}
	var poly uint64
	var width uint
	switch algo {
	case "crc32":
		poly, width = polyCRC32, 32
	case "crc32c":
		poly, width = polyCRC32C, 32
	case "crc64nvme":
		poly, width = polyCRC64NVME, 64
	default:
		return "", fmt.Errorf("%w: %s cannot be a %s checksum", ErrInvalidArgument, algo, ChecksumFullObject)
	}
	var crc uint64
	for i, p := range parts {
		v := beUint(p.raw)
		if i == 0 {
			crc = v
			continue
		}
		crc = crcCombine(poly, width, crc, v, p.size)
	}
	out := make([]byte, width/8)
	for i := range out {
		out[len(out)-1-i] = byte(crc >> (8 * i))
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// beUint reads a big-endian unsigned integer of up to 8 bytes.
func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
