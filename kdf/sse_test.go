package kdf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestKMSKeyIDIssueAndCheck(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	id, err := s.KMSKeyID(ctx, "acct-1", "backups")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "backups-") || len(id) != len("backups-")+16 {
		t.Fatalf("id %q", id)
	}
	again, _ := s.KMSKeyID(ctx, "acct-1", "backups")
	if again != id {
		t.Fatalf("ids differ: %q %q", id, again)
	}
	if got, err := s.CheckKMSKey(ctx, "acct-1", "arn:aws:kms:us-east-1:123:key/"+id); err != nil || got != id {
		t.Fatalf("arn form: %q %v", got, err)
	}
	other, _ := openTestLocal(t)
	s2 := newTestService(t, other, nil)
	forged := id[:len(id)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", id[len(id)-1])+1)%16])
	for _, tc := range []struct {
		name string
		s    *Service
		acct string
		id   string
	}{
		{"other account", s, "acct-2", id},
		{"other keyring", s2, "acct-1", id},
		{"forged tag", s, "acct-1", forged},
		{"upper-case tag", s, "acct-1", strings.ToUpper(id)},
		{"no tag", s, "acct-1", "backups"},
		{"empty", s, "acct-1", ""},
		{"slash in name", s, "acct-1", "a/b-" + id[len(id)-16:]},
	} {
		if _, err := tc.s.CheckKMSKey(ctx, tc.acct, tc.id); !errors.Is(err, ErrUnknownKMSKey) {
			t.Errorf("%s: err %v, want ErrUnknownKMSKey", tc.name, err)
		}
	}
	for _, bad := range []string{"", "a-b", "a/b", strings.Repeat("x", 65)} {
		if _, err := s.KMSKeyID(ctx, "acct-1", bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

func TestKMSObjectKey(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	id, _ := s.KMSKeyID(ctx, testCtx.Account, "k1")
	key, env, err := s.NewObjectKeyWith(ctx, testCtx, KeyChoice{KMSKeyID: id})
	if err != nil {
		t.Fatal(err)
	}
	if env.CustomerKeyID != "kms/"+id+"/1" {
		t.Fatalf("CustomerKeyID %q", env.CustomerKeyID)
	}
	info, err := DescribeEnvelope(env)
	if err != nil || info.KMSKeyID != id || info.CustomerKey {
		t.Fatalf("describe: %+v %v", info, err)
	}
	// A fresh service (empty cache) opens it: the name alone derives CK.
	s2 := newTestService(t, kr, nil)
	got, err := s2.OpenObjectKey(ctx, testCtx, env)
	if err != nil || !sameKey(t, key, got) {
		t.Fatalf("open: %v", err)
	}
	// The KMS key's CK differs from the account key's: relabelling the
	// envelope as an account-key envelope fails the commitment.
	relabelled := cloneEnvelope(env)
	relabelled.CustomerKeyID = "customer/1"
	if _, err := s2.OpenObjectKey(ctx, testCtx, relabelled); !errors.Is(err, ErrTampered) {
		t.Fatalf("relabelled: %v", err)
	}
	if _, _, err := s.NewObjectKeyWith(ctx, Context{Account: "acct-2", Bucket: "b", Key: "k"}, KeyChoice{KMSKeyID: id}); !errors.Is(err, ErrUnknownKMSKey) {
		t.Fatalf("other account's key used: %v", err)
	}
}

func TestSSECObjectKey(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	ck := bytes.Repeat([]byte{7}, 32)
	wrong := bytes.Repeat([]byte{8}, 32)
	key, env, err := s.NewObjectKeyWith(ctx, testCtx, KeyChoice{CustomerKey: ck})
	if err != nil {
		t.Fatal(err)
	}
	if env.CustomerKeyID != "customer/1/sse-c" {
		t.Fatalf("CustomerKeyID %q", env.CustomerKeyID)
	}
	if got, err := s.OpenObjectKeyWith(ctx, testCtx, env, ck); err != nil || !sameKey(t, key, got) {
		t.Fatalf("open with key: %v", err)
	}
	// Never cached: the wrong key still fails after a successful open.
	if _, err := s.OpenObjectKeyWith(ctx, testCtx, env, wrong); !errors.Is(err, ErrCustomerKeyMismatch) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := s.OpenObjectKeyWith(ctx, testCtx, env, nil); !errors.Is(err, ErrCustomerKeyRequired) {
		t.Fatalf("no key: %v", err)
	}
	if _, err := s.OpenObjectKeyWith(ctx, testCtx, env, ck[:16]); !errors.Is(err, ErrCustomerKey) {
		t.Fatalf("short key: %v", err)
	}
	// The customer key changes the data key: without it the root alone
	// cannot produce it (same envelope randomness, different key).
	_, plainEnv, _ := s.NewObjectKey(ctx, testCtx)
	if _, err := s.OpenObjectKeyWith(ctx, testCtx, plainEnv, ck); !errors.Is(err, ErrCustomerKeyNotApplicable) {
		t.Fatalf("key for plain object: %v", err)
	}
	stripped := cloneEnvelope(env)
	stripped.CustomerKeyID = "customer/1"
	if _, err := s.OpenObjectKey(ctx, testCtx, stripped); !errors.Is(err, ErrTampered) {
		t.Fatalf("SSE-C marker stripped: %v", err)
	}
	// Nothing of the customer key is in the envelope.
	for _, f := range [][]byte{env.KEMCiphertext, env.Salt, env.Commitment, []byte(env.CustomerKeyID)} {
		if bytes.Contains(f, ck) {
			t.Fatal("customer key stored in the envelope")
		}
	}
}

func TestSSECDerivationMatchesSpec(t *testing.T) {
	// deriveOEKWith with a customer key is HKDF over ss ‖ CK ‖ C, which
	// differs from the no-key derivation over ss ‖ CK.
	var ck [32]byte
	ss := bytes.Repeat([]byte{1}, 32)
	salt := bytes.Repeat([]byte{2}, 32)
	var binding [32]byte
	a, _ := deriveOEKWith(ss, &ck, nil, salt, SuiteXWing, &binding)
	b, _ := deriveOEK(ss, &ck, salt, SuiteXWing, &binding)
	c, _ := deriveOEKWith(ss, &ck, bytes.Repeat([]byte{3}, 32), salt, SuiteXWing, &binding)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("SSE-C key must change the OEK and nothing else may")
	}
}

func TestParseEnvelopeKeyID(t *testing.T) {
	good := []envelopeKeyID{
		{epoch: 1},
		{epoch: 7, sseC: true},
		{epoch: 2, kmsKeyID: "backups-0123456789abcdef"},
		{epoch: 3, kmsKeyID: "a.b_c-0123456789abcdef", sseC: true},
	}
	for _, g := range good {
		got, err := parseEnvelopeKeyID(g.String())
		if err != nil || got != g {
			t.Errorf("%q: %+v %v", g.String(), got, err)
		}
	}
	for _, bad := range []string{"", "customer/0", "customer/01", "customer/1/sse", "customer/1/sse-c/sse-c",
		"kms/x/1", "kms/backups-0123456789abcdef", "kms/backups-0123456789ABCDEF/1", "kms//1", "kms/a/b-0123456789abcdef/1",
		"customer/1/", "/sse-c", strings.Repeat("k", 300)} {
		if _, err := parseEnvelopeKeyID(bad); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func FuzzParseEnvelopeKeyID(f *testing.F) {
	for _, s := range []string{"customer/1", "customer/9/sse-c", "kms/k-0123456789abcdef/1", "kms/k-0123456789abcdef/2/sse-c", "kms//", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseEnvelopeKeyID(s)
		if err != nil {
			return
		}
		// Canonical: what parses formats back to the same bytes.
		if id.String() != s {
			t.Fatalf("%q parsed to %+v which formats as %q", s, id, id.String())
		}
	})
}

// TestRewrapSSECAndKMS: rotation re-signs SSE-C and KMS manifests (an SSE-C
// envelope cannot be opened without the client's key, so its signature
// vouches for it) and counts their envelopes as current.
func TestRewrapSSECAndKMS(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s1 := newTestService(t, kr, nil)
	id, _ := s1.KMSKeyID(ctx, testCtx.Account, "k")
	for _, kc := range []KeyChoice{{CustomerKey: bytes.Repeat([]byte{5}, 32)}, {KMSKeyID: id}} {
		_, env, err := s1.NewObjectKeyWith(ctx, testCtx, kc)
		if err != nil {
			t.Fatal(err)
		}
		m := testManifest(testCtx, env)
		if err := s1.SignManifest(ctx, m); err != nil {
			t.Fatal(err)
		}
		s2 := newTestService(t, kr, func(o *Options) { o.SigningKeyVersion = 2 })
		if !s2.EnvelopeCurrent(m.Envelope) {
			t.Errorf("%+v: envelope not current", kc)
		}
		if err := s2.Rewrap(ctx, testCtx, m); err != nil {
			t.Fatalf("%+v: rewrap: %v", kc, err)
		}
		if s2.NeedsResign(m) {
			t.Errorf("%+v: not re-signed", kc)
		}
		// A tampered SSE-C envelope still fails: the signature covers it.
		m.Envelope.Salt[0] ^= 1
		if err := s2.Rewrap(ctx, testCtx, m); !errors.Is(err, ErrTampered) {
			t.Errorf("%+v: tampered envelope re-signed: %v", kc, err)
		}
	}
}
