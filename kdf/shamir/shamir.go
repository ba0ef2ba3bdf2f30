// Package shamir splits a secret into n shares of which any m recover it
// and any m-1 reveal nothing about it (Shamir's threshold scheme over
// GF(2^8), one random polynomial of degree m-1 per secret byte).
//
// A share is its x coordinate (1..255) followed by one y byte per secret
// byte: len(share) == len(secret)+1. Shares carry no integrity check: a
// changed share combines to a wrong secret without any error, so callers
// must authenticate shares (the ceremony signs each one) and check the
// result (the ceremony compares the keyring id).
package shamir

import (
	"errors"
	"fmt"
	"io"
)

// MaxShares is the largest number of shares: x coordinates are the non-zero
// elements of GF(2^8).
const MaxShares = 255

// Split divides secret into n shares, any m of which recover it, drawing
// the polynomial coefficients from rand (crypto/rand.Reader in production).
func Split(secret []byte, n, m int, rand io.Reader) ([][]byte, error) {
	switch {
	case len(secret) == 0:
		return nil, errors.New("shamir: empty secret")
	case m < 2:
		return nil, fmt.Errorf("shamir: threshold %d: want at least 2", m)
	case n < m:
		return nil, fmt.Errorf("shamir: %d shares below threshold %d", n, m)
	case n > MaxShares:
		return nil, fmt.Errorf("shamir: %d shares: at most %d", n, MaxShares)
	}
	// coef[i*(m-1)+j] is the coefficient of x^(j+1) for secret byte i.
	coef := make([]byte, len(secret)*(m-1))
	defer clear(coef)
	if _, err := io.ReadFull(rand, coef); err != nil {
		return nil, fmt.Errorf("shamir: random coefficients: %w", err)
	}
	shares := make([][]byte, n)
	for s := range shares {
		x := byte(s + 1)
		sh := make([]byte, len(secret)+1)
		sh[0] = x
		for i, b := range secret {
			c := coef[i*(m-1) : (i+1)*(m-1)]
			// Horner: ((c[m-2]·x + c[m-3])·x + … + c[0])·x + secret
			var y byte
			for j := len(c) - 1; j >= 0; j-- {
				y = gfMul(y^c[j], x)
			}
			sh[i+1] = y ^ b
		}
		shares[s] = sh
	}
	return shares, nil
}

// Combine recovers the secret from shares by Lagrange interpolation at 0.
// It needs at least the threshold number of shares but cannot know the
// threshold: fewer shares give a wrong secret, which the caller detects.
// Shares must have equal length (at least 2) and distinct non-zero x
// coordinates.
func Combine(shares [][]byte) ([]byte, error) {
	if len(shares) < 2 {
		return nil, fmt.Errorf("shamir: %d shares: need at least 2", len(shares))
	}
	if len(shares) > MaxShares {
		return nil, fmt.Errorf("shamir: %d shares: at most %d", len(shares), MaxShares)
	}
	size := len(shares[0])
	if size < 2 {
		return nil, fmt.Errorf("shamir: share 0 has %d bytes: need at least 2", size)
	}
	var seen [256]bool
	xs := make([]byte, len(shares))
	for i, sh := range shares {
		if len(sh) != size {
			return nil, fmt.Errorf("shamir: share %d has %d bytes, share 0 has %d", i, len(sh), size)
		}
		x := sh[0]
		if x == 0 {
			return nil, fmt.Errorf("shamir: share %d has x coordinate 0", i)
		}
		if seen[x] {
			return nil, fmt.Errorf("shamir: two shares have x coordinate %d", x)
		}
		seen[x] = true
		xs[i] = x
	}
	// Lagrange basis at 0: l_i = Π_{j≠i} x_j / (x_j - x_i); subtraction is xor.
	basis := make([]byte, len(shares))
	for i, xi := range xs {
		num, den := byte(1), byte(1)
		for j, xj := range xs {
			if j != i {
				num = gfMul(num, xj)
				den = gfMul(den, xj^xi)
			}
		}
		basis[i] = gfMul(num, gfInv(den))
	}
	secret := make([]byte, size-1)
	for k := range secret {
		var y byte
		for i, sh := range shares {
			y ^= gfMul(basis[i], sh[k+1])
		}
		secret[k] = y
	}
	return secret, nil
}
