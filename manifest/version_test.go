package manifest

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestVersionLockedRoundTrip checks that the version and lock fields round
// trip in a version-3 encoding and that a manifest without them keeps the
// version-2 bytes.
func TestVersionLockedRoundTrip(t *testing.T) {
	plain := single()
	raw2, err := plain.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if raw2[4] != Version {
		t.Fatalf("plain manifest encoded as version %d, want %d", raw2[4], Version)
	}
	m := single()
	m.VersionID, m.LockMode, m.RetainUntil, m.LegalHold = "0123abcd", LockCompliance, 1_900_000_000_000_000_000, true
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if raw[4] != VersionLocked {
		t.Fatalf("locked manifest encoded as version %d", raw[4])
	}
	got, err := Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
	sb1, _ := m.SigningBytes()
	m.RetainUntil--
	sb2, _ := m.SigningBytes()
	if bytes.Equal(sb1, sb2) {
		t.Fatal("retain-until is not covered by the signing bytes")
	}
}

// TestVersionLockedCanonical refuses a version-3 encoding with no version-3
// field set and a legal-hold byte other than 0 or 1.
func TestVersionLockedCanonical(t *testing.T) {
	m := single()
	m.LegalHold = true
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sigTail, _ := (&Manifest{SigKeyID: m.SigKeyID, Signature: m.Signature}).tailLen()
	hold := len(raw) - sigTail - 1
	if raw[hold] != 1 {
		t.Fatalf("legal-hold byte at %d is %d", hold, raw[hold])
	}
	for _, b := range []byte{0, 2} {
		bad := bytes.Clone(raw)
		bad[hold] = b
		if _, err := Unmarshal(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("legal-hold byte %d: err %v, want ErrMalformed", b, err)
		}
	}
}

// tailLen is the encoded length of sig-key-id and signature (test helper).
func (m *Manifest) tailLen() (int, error) {
	e := encoder{}
	e.str(m.SigKeyID, MaxString, "sig-key-id")
	e.bytes(m.Signature, MaxSignature, "signature")
	return len(e.b), e.err
}
