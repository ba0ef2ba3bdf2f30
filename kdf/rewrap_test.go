package kdf

import (
	"context"
	"errors"
	"testing"
)

func TestSigningKeyRotation(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	v1 := newTestService(t, kr, nil)
	k, m := newSignedObject(t, v1, testCtx)
	k.Destroy()
	if m.SigKeyID != kr.ID()+"/sig/1" {
		t.Fatalf("SigKeyID %q", m.SigKeyID)
	}

	v2 := newTestService(t, kr, func(o *Options) { o.SigningKeyVersion = 2 })
	if err := v2.VerifyManifest(ctx, m); err != nil {
		t.Fatalf("v2 service reading a v1 signature: %v", err)
	}
	if !v2.NeedsResign(m) || v1.NeedsResign(m) {
		t.Fatal("NeedsResign wrong")
	}
	if err := v2.Rewrap(ctx, testCtx, m); err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	if m.SigKeyID != kr.ID()+"/sig/2" {
		t.Fatalf("after Rewrap SigKeyID %q", m.SigKeyID)
	}
	sig := m.Signature
	if err := v2.Rewrap(ctx, testCtx, m); err != nil || &sig[0] != &m.Signature[0] {
		t.Fatalf("Rewrap of a current manifest changed it (err %v)", err)
	}

	strict := newTestService(t, kr, func(o *Options) { o.SigningKeyVersion, o.MinSigningKeyVersion = 2, 2 })
	if err := strict.VerifyManifest(ctx, m); err != nil {
		t.Fatalf("v2-only service on a re-signed manifest: %v", err)
	}
	if err := v1.VerifyManifest(ctx, m); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("v1 service on a v2 signature: %v (a newer key must fail closed)", err)
	}
	_, old := newSignedObject(t, v1, testCtx)
	if err := strict.VerifyManifest(ctx, old); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("retired v1 signature: %v", err)
	}
	if err := strict.Rewrap(ctx, testCtx, old); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Rewrap of a retired signature: %v", err)
	}
}

func TestCustomerEpochRotation(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	e1 := newTestService(t, kr, nil)
	k1, m := newSignedObject(t, e1, testCtx)

	e2 := newTestService(t, kr, func(o *Options) { o.CustomerEpoch = 2 })
	if e2.EnvelopeCurrent(m.Envelope) || !e1.EnvelopeCurrent(m.Envelope) {
		t.Fatal("EnvelopeCurrent wrong")
	}
	k, err := e2.OpenObjectKey(ctx, testCtx, m.Envelope)
	if err != nil {
		t.Fatalf("epoch-2 service reading epoch 1: %v", err)
	}
	if !sameKey(t, k, k1) {
		t.Fatal("old-epoch envelope opened to a different key")
	}
	_, env2, err := e2.NewObjectKey(ctx, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	if env2.CustomerKeyID != "customer/2" {
		t.Fatalf("new envelope CustomerKeyID %q", env2.CustomerKeyID)
	}
	// Rewrap keeps the envelope (data untouched) and the data key.
	before := cloneEnvelope(m.Envelope)
	if err := e2.Rewrap(ctx, testCtx, m); err != nil {
		t.Fatal(err)
	}
	if m.Envelope.CustomerKeyID != before.CustomerKeyID {
		t.Fatal("Rewrap changed the envelope")
	}
	if _, err := e1.OpenObjectKey(ctx, testCtx, env2); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("epoch-1 service on an epoch-2 envelope: %v", err)
	}
	retired := newTestService(t, kr, func(o *Options) { o.CustomerEpoch, o.MinCustomerEpoch = 2, 2 })
	if _, err := retired.OpenObjectKey(ctx, testCtx, m.Envelope); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("retired epoch: %v", err)
	}
}

func TestRootRotation(t *testing.T) {
	ctx := context.Background()
	oldRoot, _ := openTestLocal(t)
	newRoot, _ := openTestLocal(t)
	before := newTestService(t, oldRoot, nil)
	k1, m := newSignedObject(t, before, testCtx)

	after := newTestService(t, newRoot, func(o *Options) { o.OldKeyrings = []Keyring{oldRoot} })
	if err := after.VerifyManifest(ctx, m); err != nil {
		t.Fatalf("old-root signature: %v", err)
	}
	k, err := after.OpenObjectKey(ctx, testCtx, m.Envelope)
	if err != nil || !sameKey(t, k, k1) {
		t.Fatalf("old-root envelope: %v", err)
	}
	if err := after.Rewrap(ctx, testCtx, m); err != nil {
		t.Fatal(err)
	}
	if m.SigKeyID != newRoot.ID()+"/sig/1" || m.Envelope.RootKeyID != oldRoot.ID() {
		t.Fatalf("after Rewrap: SigKeyID %q, RootKeyID %q", m.SigKeyID, m.Envelope.RootKeyID)
	}
	if after.EnvelopeCurrent(m.Envelope) {
		t.Fatal("old-root envelope reported current")
	}
	// Without the old root configured, the re-signed manifest verifies but
	// its envelope (still under the old root) does not open.
	only := newTestService(t, newRoot, nil)
	if err := only.VerifyManifest(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := only.OpenObjectKey(ctx, testCtx, m.Envelope); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("envelope under an unconfigured root: %v", err)
	}
	if err := only.Rewrap(ctx, testCtx, m); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Rewrap without the envelope's root: %v", err)
	}
}

func TestRewrapRefusesTampered(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	v1 := newTestService(t, kr, nil)
	v2 := newTestService(t, kr, func(o *Options) { o.SigningKeyVersion = 2 })
	_, m := newSignedObject(t, v1, testCtx)
	m.Size++
	if err := v2.Rewrap(ctx, testCtx, m); !errors.Is(err, ErrTampered) {
		t.Fatalf("Rewrap of a tampered manifest: %v", err)
	}
	if m.SigKeyID != kr.ID()+"/sig/1" {
		t.Fatal("a tampered manifest was re-signed")
	}
	// A genuine manifest presented under the wrong context is not re-blessed.
	_, m2 := newSignedObject(t, v1, testCtx)
	if err := v2.Rewrap(ctx, Context{Account: "acct-9", Bucket: "photos", Key: testCtx.Key}, m2); !errors.Is(err, ErrTampered) {
		t.Fatalf("Rewrap under a wrong context: %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	kr, _ := openTestLocal(t)
	bad := []Options{
		{},
		{Keyring: kr, CustomerEpoch: 1, MinCustomerEpoch: 2},
		{Keyring: kr, SigningKeyVersion: 3, MinSigningKeyVersion: 4},
		{Keyring: kr, OldKeyrings: []Keyring{kr}},
		{Keyring: kr, OldKeyrings: []Keyring{nil}},
	}
	for i, o := range bad {
		if s, err := New(o); err == nil {
			s.Close()
			t.Errorf("options %d accepted", i)
		}
	}
	s := newTestService(t, kr, nil)
	ids := s.Current()
	if ids.Root != kr.ID() || ids.Customer != "customer/1" || ids.Signature != kr.ID()+"/sig/1" {
		t.Fatalf("Current() = %+v", ids)
	}
	s.Close()
	if _, _, err := s.NewObjectKey(context.Background(), testCtx); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewObjectKey after Close: %v", err)
	}
	if err := s.VerifyManifest(context.Background(), testManifest(testCtx, Envelope{})); !errors.Is(err, ErrClosed) {
		t.Fatalf("VerifyManifest after Close: %v", err)
	}
}
