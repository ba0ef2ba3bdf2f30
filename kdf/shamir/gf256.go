package shamir

// GF(2^8) with the AES reduction polynomial x^8+x^4+x^3+x+1 (0x11b).
//
// mul is computed bit by bit without tables or data-dependent branches
// (a mask replaces the "if high bit set" test), so its timing does not
// depend on the operands. inv is a^254 by a fixed square-and-multiply
// chain, equally branch-free. Splitting and combining a 32-byte key costs
// a few thousand of these; speed does not matter here, secrecy does.

// gfMul returns a·b in GF(2^8).
func gfMul(a, b byte) byte {
	var p byte
	for i := 0; i < 8; i++ {
		p ^= a & -(b & 1) // add a when the low bit of b is set
		b >>= 1
		hi := -(a >> 7) // 0xff when the high bit of a is set
		a = (a << 1) ^ (0x1b & hi)
	}
	return p
}

// gfInv returns a^-1 (a^254); gfInv(0) is 0, which callers never use as a
// divisor (share indices are distinct and non-zero).
func gfInv(a byte) byte {
	// a^254 = a^(2+4+8+16+32+64+128)
	x2 := gfMul(a, a)       // a^2
	x4 := gfMul(x2, x2)     // a^4
	x8 := gfMul(x4, x4)     // a^8
	x16 := gfMul(x8, x8)    // a^16
	x32 := gfMul(x16, x16)  // a^32
	x64 := gfMul(x32, x32)  // a^64
	x128 := gfMul(x64, x64) // a^128
	r := gfMul(x2, x4)
	r = gfMul(r, x8)
	r = gfMul(r, x16)
	r = gfMul(r, x32)
	r = gfMul(r, x64)
	return gfMul(r, x128)
}
