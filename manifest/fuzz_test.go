package manifest

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzUnmarshal checks that Unmarshal never panics, fails only with the
// package's sentinel errors, and accepts only canonical encodings:
// Marshal(Unmarshal(b)) == b. Seeds live in testdata/fuzz/FuzzUnmarshal.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range []*Manifest{{}, sample(), single(), partsOf(1, 0, 2)} {
		b, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(cat(baseSegs()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			if m != nil {
				t.Fatal("Unmarshal returned a manifest with an error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		again, err := m.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an accepted manifest: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("non-canonical input accepted:\n in  %x\n out %x", b, again)
		}
		if _, err := m.SigningBytes(); err != nil {
			t.Fatalf("SigningBytes of an accepted manifest: %v", err)
		}
		// The helpers must cope with anything Unmarshal accepts.
		_ = m.Validate()
		if n, err := m.PartsSize(); err == nil && n > 0 {
			if idx, off := m.PartFor(n - 1); idx < 0 || off < 0 || off >= m.Parts[idx].Size {
				t.Fatalf("PartFor(last byte) = %d, %d", idx, off)
			}
		}
	})
}
