package kdf

import (
	"context"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

func TestSignMessageVerifiesUnderItsContextOnly(t *testing.T) {
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	ctx := context.Background()
	msg := []byte("checkpoint 42")
	sig, id, err := s.SignMessage(ctx, "rustfs/v1/audit", msg)
	if err != nil {
		t.Fatal(err)
	}
	if id != s.CurrentSigKeyID() {
		t.Fatalf("key id %q, want %q", id, s.CurrentSigKeyID())
	}
	raw, id2, err := s.SigningPublicKey(ctx)
	if err != nil || id2 != id {
		t.Fatalf("SigningPublicKey: %q %v", id2, err)
	}
	var pk mldsa65.PublicKey
	if err := pk.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if !mldsa65.Verify(&pk, msg, []byte("rustfs/v1/audit"), sig) {
		t.Fatal("signature does not verify under its context")
	}
	if mldsa65.Verify(&pk, msg, []byte(SignatureContext), sig) {
		t.Fatal("signature verifies under the manifest context")
	}
	for _, c := range []string{"", SignatureContext} {
		if _, _, err := s.SignMessage(ctx, c, msg); err == nil {
			t.Fatalf("context %q accepted", c)
		}
	}
}
