package iam

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/sigv4"
)

func TestRootLookup(t *testing.T) {
	s := NewRoot("AKIAROOT", "secretsecret")
	secret, account, ok := s.Lookup("AKIAROOT")
	if !ok || secret != "secretsecret" || account != RootAccount {
		t.Fatalf("Lookup = %q %q %v", secret, account, ok)
	}
	if _, _, ok := s.Lookup("akiaroot"); ok {
		t.Error("access keys are case-sensitive")
	}
	if _, _, ok := s.Lookup(""); ok {
		t.Error("empty access key found")
	}
}

func TestAdd(t *testing.T) {
	s := NewRoot("AKIAROOT", "secretsecret")
	if err := s.Add("AKIAUSER", "usersecret", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, acct, ok := s.Lookup("AKIAUSER"); !ok || acct != "alice" {
		t.Errorf("user lookup = %q %v", acct, ok)
	}
	if err := s.Add("AKIAROOT", "othersecret", "mallory"); err == nil {
		t.Error("re-pointing the root access key must fail")
	}
	if _, acct, _ := s.Lookup("AKIAROOT"); acct != RootAccount {
		t.Errorf("root account changed to %q", acct)
	}
	if err := s.Add("AKIAX", "usersecret", ""); err == nil {
		t.Error("empty account accepted")
	}
}

func TestValidateKeys(t *testing.T) {
	cases := []struct {
		ak, sk string
		ok     bool
	}{
		{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"abc", "12345678", true},
		{"ab", "12345678", false},
		{strings.Repeat("a", 129), "12345678", false},
		{"abc", "1234567", false},
		{"ab/c", "12345678", false},
		{"ab=c", "12345678", false},
		{"ab,c", "12345678", false},
		{"ab c", "12345678", false},
		{"abc", "1234 5678", false},
		{"abc", "12345678\n", false},
		{"abcé", "12345678", false},
	}
	for _, c := range cases {
		if err := ValidateKeys(c.ak, c.sk); (err == nil) != c.ok {
			t.Errorf("ValidateKeys(%q, %q) = %v, want ok=%v", c.ak, c.sk, err, c.ok)
		}
	}
}

func TestGenerateKeys(t *testing.T) {
	ak, sk, err := GenerateKeys(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(ak) != generatedAccessLen || len(sk) != generatedSecretLen {
		t.Fatalf("lengths %d/%d", len(ak), len(sk))
	}
	if err := ValidateKeys(ak, sk); err != nil {
		t.Fatal(err)
	}
	for _, c := range ak {
		if !strings.ContainsRune(accessAlphabet, c) {
			t.Fatalf("access key char %q", c)
		}
	}
	ak2, sk2, _ := GenerateKeys(rand.Reader)
	if ak == ak2 || sk == sk2 {
		t.Error("two generations collided")
	}
	// A source that runs dry fails instead of returning a short key.
	if _, _, err := GenerateKeys(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("short random source accepted")
	}
}

func TestLoadOrCreateRoot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "credentials")
	ak, sk, created, err := LoadOrCreateRoot(path, rand.Reader)
	if err != nil || !created {
		t.Fatalf("first start: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %#o, want 0600", st.Mode().Perm())
	}
	ak2, sk2, created, err := LoadOrCreateRoot(path, rand.Reader)
	if err != nil || created || ak2 != ak || sk2 != sk {
		t.Fatalf("second start: %q %q created=%v err=%v", ak2, sk2, created, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := LoadOrCreateRoot(path, rand.Reader); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable file accepted: %v", err)
	}
	if err := WriteCredentials(path, "AKIAOTHER", "othersecret"); err == nil {
		t.Error("WriteCredentials overwrote an existing file")
	}
}

func TestParseCredentials(t *testing.T) {
	cases := []struct {
		in     string
		ak, sk string
		ok     bool
	}{
		{"RUSTFS_ACCESS_KEY=AKIA1\nRUSTFS_SECRET_KEY=secret12\n", "AKIA1", "secret12", true},
		{"# c\n\nexport RUSTFS_ACCESS_KEY=\"AKIA1\"\nexport RUSTFS_SECRET_KEY='secret12'", "AKIA1", "secret12", true},
		{"RUSTFS_ACCESS_KEY=AKIA1\n", "", "", false},
		{"RUSTFS_ACCESS_KEY=AKIA1\nRUSTFS_SECRET_KEY=short\n", "", "", false},
		{"RUSTFS_ACCESS_KEY=AKIA1\nRUSTFS_SECRET_KEY=secret12\nOTHER=1\n", "", "", false},
		{"garbage\n", "", "", false},
		{"", "", "", false},
	}
	for _, c := range cases {
		ak, sk, err := parseCredentials([]byte(c.in))
		if (err == nil) != c.ok || ak != c.ak || sk != c.sk {
			t.Errorf("parse(%q) = %q %q %v", c.in, ak, sk, err)
		}
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte("RUSTFS_ACCESS_KEY=AKIA1\nRUSTFS_SECRET_KEY=secret12\n"))
	f.Add([]byte("export RUSTFS_ACCESS_KEY='a b'\n#x\n"))
	f.Add([]byte("=\n=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ak, sk, err := parseCredentials(data)
		if err == nil {
			if verr := ValidateKeys(ak, sk); verr != nil {
				t.Fatalf("accepted invalid keys %q %q: %v", ak, sk, verr)
			}
		}
	})
}

func TestRootOnly(t *testing.T) {
	var a Authorizer = RootOnly{}
	ctx := context.Background()
	cases := []struct {
		p     Principal
		allow bool
	}{
		{Principal{Account: RootAccount, AccessKey: "AK"}, true},
		{Principal{Anonymous: true}, false},
		{Principal{Account: RootAccount, Anonymous: true}, false},
		{Principal{Account: "alice", AccessKey: "AK2"}, false},
		{Principal{}, false},
	}
	for _, c := range cases {
		for _, act := range []Action{ListAllMyBuckets, GetObject, PutObject, DeleteBucket} {
			err := a.Authorize(ctx, Request{Principal: c.p, Action: act, Bucket: "b"})
			if (err == nil) != c.allow {
				t.Errorf("%+v %s: err=%v, want allow=%v", c.p, act, err, c.allow)
			}
			if err != nil && !errors.Is(err, ErrAccessDenied) {
				t.Errorf("denial does not wrap ErrAccessDenied: %v", err)
			}
		}
	}
}

// Store is what the SigV4 verifier resolves access keys with.
var _ sigv4.Credentials = (*Store)(nil)
