package shamir

import (
	"bytes"
	"crypto/rand"
	mrand "math/rand/v2"
	"testing"
)

// seeded returns a deterministic random source for reproducible tests.
func seeded(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return mrand.NewChaCha8(s)
}

func TestGFMulKnown(t *testing.T) {
	// FIPS 197 §4.2 examples and identities.
	for _, c := range []struct{ a, b, want byte }{
		{0x57, 0x83, 0xc1}, {0x57, 0x13, 0xfe}, {0x57, 0x02, 0xae}, {0x57, 0x04, 0x47},
		{0x00, 0xff, 0x00}, {0x01, 0xab, 0xab}, {0xff, 0x01, 0xff},
	} {
		if got := gfMul(c.a, c.b); got != c.want {
			t.Errorf("%#x·%#x = %#x, want %#x", c.a, c.b, got, c.want)
		}
	}
}

func TestGFFieldLaws(t *testing.T) {
	for a := 1; a < 256; a++ {
		if p := gfMul(byte(a), gfInv(byte(a))); p != 1 {
			t.Fatalf("%#x·inv(%#x) = %#x", a, a, p)
		}
		for b := 0; b < 256; b += 7 {
			if gfMul(byte(a), byte(b)) != gfMul(byte(b), byte(a)) {
				t.Fatalf("mul not commutative at %#x,%#x", a, b)
			}
			c := byte(a*31 + b)
			if gfMul(byte(a), byte(b)^c) != gfMul(byte(a), byte(b))^gfMul(byte(a), c) {
				t.Fatalf("mul not distributive at %#x,%#x,%#x", a, b, c)
			}
		}
	}
}

func TestSplitCombineEverySubset(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	for _, c := range []struct{ n, m int }{{2, 2}, {3, 2}, {3, 3}, {5, 3}, {6, 4}} {
		shares, err := Split(secret, c.n, c.m, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range shares {
			if len(sh) != len(secret)+1 {
				t.Fatalf("share length %d", len(sh))
			}
		}
		for mask := 1; mask < 1<<c.n; mask++ {
			var pick [][]byte
			for i := 0; i < c.n; i++ {
				if mask&(1<<i) != 0 {
					pick = append(pick, shares[i])
				}
			}
			if len(pick) < 2 {
				continue
			}
			got, err := Combine(pick)
			if err != nil {
				t.Fatal(err)
			}
			if eq := bytes.Equal(got, secret); eq != (len(pick) >= c.m) {
				t.Fatalf("n=%d m=%d subset %b (%d shares): recovered=%v", c.n, c.m, mask, len(pick), eq)
			}
		}
	}
}

// TestBelowThresholdRevealsNothing checks the structural property behind
// Shamir's secrecy: m-1 shares are consistent with every possible secret.
// Completing them with each of the 256 possible y values at a further x
// gives 256 distinct secrets for every byte, so the m-1 shares fix none.
func TestBelowThresholdRevealsNothing(t *testing.T) {
	secret := []byte("a 32-byte root secret, for tests")
	shares, err := Split(secret, 5, 3, seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	partial := shares[:2]
	for pos := range secret {
		var seen [256]bool
		for y := 0; y < 256; y++ {
			extra := make([]byte, len(secret)+1)
			extra[0] = 200
			extra[pos+1] = byte(y)
			got, err := Combine([][]byte{partial[0], partial[1], extra})
			if err != nil {
				t.Fatal(err)
			}
			if seen[got[pos]] {
				t.Fatalf("byte %d: two completions give secret byte %#x", pos, got[pos])
			}
			seen[got[pos]] = true
		}
	}
}

func TestSplitRandomised(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 16)
	a, _ := Split(secret, 3, 2, seeded(1))
	b, _ := Split(secret, 3, 2, seeded(2))
	if bytes.Equal(a[0][1:], b[0][1:]) {
		t.Fatal("different randomness gave the same share")
	}
	if bytes.Contains(a[0], secret[:8]) {
		t.Fatal("share contains the secret in the clear")
	}
}

func TestSplitErrors(t *testing.T) {
	s := []byte("secret")
	for _, c := range []struct {
		secret []byte
		n, m   int
	}{{nil, 3, 2}, {s, 3, 1}, {s, 1, 2}, {s, 256, 2}, {s, 2, 3}} {
		if _, err := Split(c.secret, c.n, c.m, rand.Reader); err == nil {
			t.Errorf("Split(len %d, n=%d, m=%d) accepted", len(c.secret), c.n, c.m)
		}
	}
	if _, err := Split(s, 3, 2, bytes.NewReader(nil)); err == nil {
		t.Error("Split with an empty random source accepted")
	}
}

func TestCombineErrors(t *testing.T) {
	shares, _ := Split([]byte("secret"), 3, 2, seeded(3))
	zero := append([]byte{0}, shares[1][1:]...)
	for name, in := range map[string][][]byte{
		"none":      nil,
		"one":       shares[:1],
		"duplicate": {shares[0], shares[0]},
		"length":    {shares[0], shares[1][:3]},
		"x zero":    {shares[0], zero},
		"too short": {{1}, {2}},
	} {
		if _, err := Combine(in); err == nil {
			t.Errorf("%s: Combine accepted", name)
		}
	}
}

// FuzzCombine feeds arbitrary share sets: Combine must never panic, and a
// set it accepts yields a secret one byte shorter than the shares.
func FuzzCombine(f *testing.F) {
	shares, _ := Split([]byte("seed secret"), 3, 2, seeded(4))
	f.Add(bytes.Join(shares, nil), uint8(len(shares[0])))
	f.Add([]byte{1, 2, 1, 3}, uint8(2))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, raw []byte, size uint8) {
		if size == 0 {
			size = 1
		}
		var in [][]byte
		for len(raw) > 0 {
			n := min(int(size), len(raw))
			in = append(in, raw[:n])
			raw = raw[n:]
		}
		got, err := Combine(in)
		if err == nil && len(got) != len(in[0])-1 {
			t.Fatalf("secret length %d for shares of %d", len(got), len(in[0]))
		}
	})
}
