package aead

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func testKey(t testing.TB, seed byte) *Key {
	t.Helper()
	secret := bytes.Repeat([]byte{seed}, KeySize)
	k, err := NewKey(secret, sha256.Sum256([]byte{'b', seed}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testStream(t testing.TB, k *Key, id byte, part uint32) *Stream {
	t.Helper()
	s, err := k.Stream([16]byte{id}, part)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := testStream(t, testKey(t, 1), 1, 1)
	for _, n := range []int{0, 1, 15, 16, 17, 4096, 1<<16 + 3} {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		for _, final := range []bool{false, true} {
			ct := s.Seal(nil, pt, 7, final)
			if len(ct) != n+Overhead {
				t.Fatalf("len(ct) = %d, want %d", len(ct), n+Overhead)
			}
			got, err := s.Open(nil, ct, 7, final)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("n=%d final=%v: open = %v", n, final, err)
			}
			// In place, as the engine's GET does.
			got, err = s.Open(ct[:0], ct, 7, final)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("n=%d in-place open = %v", n, err)
			}
		}
	}
}

func TestSealAppends(t *testing.T) {
	s := testStream(t, testKey(t, 1), 1, 0)
	dst := []byte("hdr")
	out := s.Seal(dst, []byte("payload"), 0, true)
	if !bytes.HasPrefix(out, []byte("hdr")) || len(out) != 3+7+Overhead {
		t.Fatalf("Seal did not append: %q", out)
	}
}

// TestTamper covers every way a stored chunk may be moved or changed: each must
// fail to open, and with ErrOpen.
func TestTamper(t *testing.T) {
	k := testKey(t, 1)
	s := testStream(t, k, 1, 3)
	pt := []byte("the quick brown fox jumps over the lazy dog")
	c0 := s.Seal(nil, pt, 0, false)
	c1 := s.Seal(nil, pt, 1, true)

	otherObj := testStream(t, k, 2, 3)             // another dataID, same key
	otherPart := testStream(t, k, 1, 4)            // same dataID, other part
	otherKey := testStream(t, testKey(t, 2), 1, 3) // other secret and binding
	sameSecretOtherBinding, _ := NewKey(bytes.Repeat([]byte{1}, KeySize), sha256.Sum256([]byte("other")))
	otherBinding := testStream(t, sameSecretOtherBinding, 1, 3)

	flip := func(p []byte, i int) []byte {
		q := bytes.Clone(p)
		q[i] ^= 0x01
		return q
	}
	tests := []struct {
		name  string
		s     *Stream
		ct    []byte
		chunk uint64
		final bool
	}{
		{"flipped first byte", s, flip(c0, 0), 0, false},
		{"flipped tag", s, flip(c0, len(c0)-1), 0, false},
		{"reordered", s, c1, 0, true},
		{"reordered index", s, c0, 1, false},
		{"duplicated chunk 0 as chunk 1", s, c0, 1, true},
		{"truncated: non-final opened as final", s, c0, 0, true},
		{"extended: final opened as non-final", s, c1, 1, false},
		{"truncated ciphertext", s, c0[:len(c0)-1], 0, false},
		{"short ciphertext", s, c0[:Overhead-1], 0, false},
		{"empty ciphertext", s, nil, 0, false},
		{"spliced from another object", otherObj, c0, 0, false},
		{"spliced from another part", otherPart, c0, 0, false},
		{"other key", otherKey, c0, 0, false},
		{"other binding, same secret", otherBinding, c0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.Open(nil, tc.ct, tc.chunk, tc.final)
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open = %q, %v; want nil, ErrOpen", got, err)
			}
		})
	}
}

// TestFormatIndependent re-derives the format from its specification with
// the standard library alone, so an accidental change to the nonce, AAD or
// key schedule fails here.
func TestFormatIndependent(t *testing.T) {
	secret := bytes.Repeat([]byte{0x42}, KeySize)
	binding := sha256.Sum256([]byte("ctx"))
	dataID := [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	const part, chunk = 9, 0x0102030405
	k, _ := NewKey(secret, binding)
	s, _ := k.Stream(dataID, part)
	pt := []byte("format check")
	got := s.Seal(nil, pt, chunk, true)

	info := fmt.Sprintf("rustfs/v1/stream%c%c%c%c", 0, 0, 0, part)
	sub, err := hkdf.Key(sha256.New, secret, dataID[:], info, 32)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := aes.NewCipher(sub)
	g, _ := cipher.NewGCM(blk)
	nonce := make([]byte, 12)
	binary.BigEndian.PutUint64(nonce[3:], chunk)
	nonce[11] = 1
	aad := append(append(append([]byte{}, binding[:]...), dataID[:]...), 0, 0, 0, part)
	aad = binary.BigEndian.AppendUint64(aad, chunk)
	aad = append(aad, 1)
	if want := g.Seal(nil, nonce, pt, aad); !bytes.Equal(got, want) {
		t.Fatalf("sealed %x, independent construction gives %x", got, want)
	}
}

// TestGolden pins the bytes of a small stream so format drift is caught even
// if both sides of TestFormatIndependent changed together.
func TestGolden(t *testing.T) {
	k, _ := NewKey(bytes.Repeat([]byte{7}, KeySize), sha256.Sum256([]byte("golden")))
	s, _ := k.Stream([16]byte{0xaa, 0xbb}, 1)
	h := sha256.New()
	for i := range 5 {
		h.Write(s.Seal(nil, bytes.Repeat([]byte{byte(i)}, 100*i), uint64(i), i == 4))
	}
	const want = "76af06c1fc15948107ce6cea3dffbe26b68f22e4b69c7433bdb82db39273f287"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("golden digest %s, want %s", got, want)
	}
}

func TestKeyErrors(t *testing.T) {
	if _, err := NewKey(make([]byte, 31), [32]byte{}); err == nil {
		t.Fatal("NewKey accepted a 31-byte secret")
	}
	k := testKey(t, 3)
	s := testStream(t, k, 1, 0)
	k.Destroy()
	if _, err := k.Stream([16]byte{1}, 0); err == nil {
		t.Fatal("Stream after Destroy succeeded")
	}
	if k.secret != [KeySize]byte{} {
		t.Fatal("Destroy left the secret in memory")
	}
	// Streams derived before Destroy still work.
	if _, err := s.Open(nil, s.Seal(nil, []byte("x"), 0, true), 0, true); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentSeal(t *testing.T) {
	s := testStream(t, testKey(t, 4), 1, 0)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pt := bytes.Repeat([]byte{byte(w)}, 1000)
			for i := range 50 {
				idx := uint64(w*1000 + i)
				ct := s.Seal(nil, pt, idx, false)
				if got, err := s.Open(nil, ct, idx, false); err != nil || !bytes.Equal(got, pt) {
					t.Errorf("worker %d chunk %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSealOpenDoNotAllocate(t *testing.T) {
	s := testStream(t, testKey(t, 5), 1, 0)
	pt := make([]byte, 64<<10)
	dst := make([]byte, 0, len(pt)+Overhead)
	s.Seal(dst, pt, 0, false) // warm the scratch pool
	if a := testing.AllocsPerRun(50, func() { s.Seal(dst[:0], pt, 1, false) }); a > 0.1 {
		t.Fatalf("Seal allocates %.2f per call", a)
	}
	ct := s.Seal(nil, pt, 1, false)
	out := make([]byte, 0, len(pt))
	if a := testing.AllocsPerRun(50, func() {
		if _, err := s.Open(out[:0], ct, 1, false); err != nil {
			t.Fatal(err)
		}
	}); a > 0.1 {
		t.Fatalf("Open allocates %.2f per call", a)
	}
}

func FuzzOpen(f *testing.F) {
	k, _ := NewKey(bytes.Repeat([]byte{9}, KeySize), [32]byte{})
	s, _ := k.Stream([16]byte{1}, 0)
	f.Add([]byte{}, uint64(0), false)
	f.Add(make([]byte, Overhead), uint64(1), true)
	f.Add(s.Seal(nil, []byte("seed"), 0, true), uint64(0), true)
	f.Add(s.Seal(nil, []byte("seed"), 3, false), uint64(4), false)
	f.Fuzz(func(t *testing.T, ct []byte, chunk uint64, final bool) {
		// Random bytes must never open (forgery chance 2^-128) nor panic;
		// in-place opening must not panic either.
		if pt, err := s.Open(nil, ct, chunk, final); err == nil {
			// Only a genuine seed may open; it must round-trip.
			if !bytes.Equal(s.Seal(nil, pt, chunk, final), ct) {
				t.Fatalf("opened a forged chunk")
			}
		}
		c := bytes.Clone(ct)
		_, _ = s.Open(c[:0], c, chunk, final)
	})
}
