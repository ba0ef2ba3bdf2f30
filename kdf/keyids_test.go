package kdf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseSigKeyID(t *testing.T) {
	cases := []struct {
		in      string
		ring    string
		version uint32
		ok      bool
	}{
		{"local-0011223344556677/sig/1", "local-0011223344556677", 1, true},
		{"pkcs11-aa/sig/4294967295", "pkcs11-aa", 4294967295, true},
		{"r/sig/12", "r", 12, true},
		{"r/sig/0", "", 0, false},
		{"r/sig/01", "", 0, false},
		{"r/sig/4294967296", "", 0, false},
		{"r/sig/-1", "", 0, false},
		{"r/sig/+1", "", 0, false},
		{"r/sig/1 ", "", 0, false},
		{"r/sig/", "", 0, false},
		{"/sig/1", "", 0, false},
		{"a/b/sig/1", "", 0, false},
		{"r/sig/1/sig/2", "", 0, false},
		{"r sp/sig/1", "", 0, false},
		{"r\x00/sig/1", "", 0, false},
		{"r/SIG/1", "", 0, false},
		{"", "", 0, false},
		{strings.Repeat("r", 129) + "/sig/1", "", 0, false},
		{strings.Repeat("r", 300) + "/sig/1", "", 0, false},
	}
	for _, tc := range cases {
		ring, v, err := parseSigKeyID(tc.in)
		if tc.ok != (err == nil) || ring != tc.ring || v != tc.version {
			t.Errorf("parseSigKeyID(%q) = %q, %d, %v", tc.in, ring, v, err)
		}
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Errorf("parseSigKeyID(%q) error %v is not ErrUnsupported", tc.in, err)
		}
		if err == nil && sigKeyID(ring, v) != tc.in {
			t.Errorf("%q does not round-trip", tc.in)
		}
	}
}

func TestParseCustomerKeyID(t *testing.T) {
	cases := []struct {
		in    string
		epoch uint32
		ok    bool
	}{
		{"customer/1", 1, true},
		{"customer/4294967295", 4294967295, true},
		{"customer/0", 0, false},
		{"customer/007", 0, false},
		{"customer/", 0, false},
		{"customer/1/2", 0, false},
		{"Customer/1", 0, false},
		{" customer/1", 0, false},
		{"customer/1e3", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		e, err := parseCustomerKeyID(tc.in)
		if tc.ok != (err == nil) || e != tc.epoch {
			t.Errorf("parseCustomerKeyID(%q) = %d, %v", tc.in, e, err)
		}
		if err == nil && customerKeyID(e) != tc.in {
			t.Errorf("%q does not round-trip", tc.in)
		}
	}
}

func FuzzParseSigKeyID(f *testing.F) {
	for _, s := range []string{"local-0011223344556677/sig/1", "r/sig/01", "/sig/", "a/sig/4294967296", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ring, v, err := parseSigKeyID(s)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v is not ErrUnsupported", err)
			}
			return
		}
		if sigKeyID(ring, v) != s || !validKeyringID(ring) || v == 0 {
			t.Fatalf("accepted %q but it does not round-trip", s)
		}
	})
}

func FuzzParseCustomerKeyID(f *testing.F) {
	for _, s := range []string{"customer/1", "customer/0", "customer/4294967295", "customer/99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseCustomerKeyID(s)
		if err == nil && (customerKeyID(e) != s || e == 0) {
			t.Fatalf("accepted %q but it does not round-trip", s)
		}
	})
}

func FuzzParseRootFile(f *testing.F) {
	good := encodeRootFile(bytes.Repeat([]byte{9}, 32))
	f.Add(good)
	f.Add(good[:47])
	f.Add([]byte{})
	f.Add(append(bytes.Clone(good), 0))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var secret [32]byte
		if err := parseRootFile(raw, &secret); err != nil {
			return
		}
		if !bytes.Equal(encodeRootFile(secret[:]), raw) {
			t.Fatal("accepted a root file that does not re-encode identically")
		}
	})
}

// FuzzOpenObjectKey feeds mutated envelopes to OpenObjectKey: it must never
// panic, and must never succeed on anything but the genuine envelope.
func FuzzOpenObjectKey(f *testing.F) {
	kr, _ := openTestLocal(f)
	s := newTestService(f, kr, nil)
	k, env, err := s.NewObjectKey(context.Background(), testCtx)
	if err != nil {
		f.Fatal(err)
	}
	k.Destroy()
	f.Add(uint8(1), "customer/1", env.KEMCiphertext, env.Salt, env.Commitment)
	f.Add(uint8(1), "customer/1", env.KEMCiphertext[:10], env.Salt, env.Commitment)
	f.Add(uint8(2), "customer/2", []byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, suite uint8, cust string, ct, salt, commit []byte) {
		e := Envelope{Suite: suite, RootKeyID: env.RootKeyID, CustomerKeyID: cust, KEMCiphertext: ct, Salt: salt, Commitment: commit}
		k, err := s.OpenObjectKey(context.Background(), testCtx, e)
		genuine := suite == env.Suite && cust == env.CustomerKeyID && bytes.Equal(ct, env.KEMCiphertext) &&
			bytes.Equal(salt, env.Salt) && bytes.Equal(commit, env.Commitment)
		if err == nil {
			k.Destroy()
			if !genuine {
				t.Fatal("a modified envelope opened")
			}
			return
		}
		if genuine {
			t.Fatalf("genuine envelope failed: %v", err)
		}
		if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("error %v is neither ErrTampered nor ErrUnsupported", err)
		}
	})
}
