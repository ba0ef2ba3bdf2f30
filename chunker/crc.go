package chunker

import "hash/crc32"

// castagnoli is the CRC32C table; hash/crc32 uses the SSE4.2 instruction
// when available (package cpu reports which). Read-only after init.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// reflectedPoly is the Castagnoli polynomial in the bit-reflected form CRC32C
// is computed in.
const reflectedPoly = 0x82F63B78

// CRC32C returns the CRC-32C (Castagnoli) checksum of p.
func CRC32C(p []byte) uint32 { return crc32.Checksum(p, castagnoli) }

// UpdateCRC32C returns the CRC-32C of the concatenation of the bytes that gave
// crc and p.
func UpdateCRC32C(crc uint32, p []byte) uint32 { return crc32.Update(crc, castagnoli, p) }

// x2n[k] holds x^(2^k) modulo the CRC polynomial, for k up to 3+63, enough to
// shift by any int64 byte count (8·len = 2^3·len). Computed once, read-only.
var x2n = func() (t [67]uint32) {
	t[0] = 1 << 30 // x^1 in reflected form (bit 31 is x^0)
	for k := 1; k < len(t); k++ {
		t[k] = mulModP(t[k-1], t[k-1])
	}
	return t
}()

// mulModP multiplies two polynomials in reflected form modulo the CRC32C
// polynomial. Bit 31 is the x^0 coefficient, bit 0 the x^31 one.
func mulModP(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0 && a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a &^= m
		}
		// b *= x, reducing when x^32 appears.
		if b&1 != 0 {
			b = b>>1 ^ reflectedPoly
		} else {
			b >>= 1
		}
	}
	return p
}

// shiftBytes returns x^(8n) modulo the polynomial: the multiplier that moves a
// CRC past n zero bytes.
func shiftBytes(n int64) uint32 {
	p := uint32(1) << 31 // x^0
	for k := 3; n != 0; k++ {
		if n&1 != 0 {
			p = mulModP(x2n[k], p)
		}
		n >>= 1
	}
	return p
}

// CombineCRC32C returns the CRC-32C of A‖B given crc1 = CRC32C(A),
// crc2 = CRC32C(B) and len2 = len(B). It costs O(log len2), so per-chunk CRCs
// computed in parallel can be folded into the whole-object checksum S3 asks
// for without rereading the data. A negative len2 is treated as zero.
func CombineCRC32C(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1 // nothing appended
	}
	return mulModP(shiftBytes(len2), crc1) ^ crc2
}
