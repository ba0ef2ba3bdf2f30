package kdf

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/aead"
)

func TestObjectKeyRoundTrip(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	for _, cacheBytes := range []int64{0, -1} { // default cache, cache off
		s := newTestService(t, kr, func(o *Options) { o.CacheBytes = cacheBytes })
		for _, c := range []Context{testCtx, {Account: "a", Bucket: "b", Key: "k", UploadID: "u-1"}, {}} {
			k, env, err := s.NewObjectKey(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if env.Suite != SuiteXWing || env.RootKeyID != kr.ID() || env.CustomerKeyID != "customer/1" ||
				len(env.KEMCiphertext) != KEMCiphertextSize || len(env.Salt) != SaltSize || len(env.Commitment) != CommitmentSize {
				t.Fatalf("envelope shape: suite %d root %q cust %q ct %d salt %d commit %d", env.Suite, env.RootKeyID,
					env.CustomerKeyID, len(env.KEMCiphertext), len(env.Salt), len(env.Commitment))
			}
			if k.Binding() != c.Binding() {
				t.Fatal("aead key binding is not the context binding")
			}
			s.cache.wait()
			k2, err := s.OpenObjectKey(ctx, c, env)
			if err != nil {
				t.Fatalf("cache %d: OpenObjectKey: %v", cacheBytes, err)
			}
			if !sameKey(t, k, k2) {
				t.Fatal("opened key differs from the created key")
			}
			k.Destroy()
			k2.Destroy()
		}
	}
}

func TestKeysForIdenticalContextsDiffer(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	k1, e1, err := s.NewObjectKey(ctx, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	k2, e2, err := s.NewObjectKey(ctx, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	if sameKey(t, k1, k2) {
		t.Fatal("two objects with the same context got the same data key")
	}
	if bytes.Equal(e1.Salt, e2.Salt) || bytes.Equal(e1.KEMCiphertext, e2.KEMCiphertext) || bytes.Equal(e1.Commitment, e2.Commitment) {
		t.Fatal("two envelopes share a salt, ciphertext or commitment")
	}
	// Each envelope still opens to its own key.
	for i, p := range []struct {
		k   *aead.Key
		env Envelope
	}{{k1, e1}, {k2, e2}} {
		k, err := s.OpenObjectKey(ctx, testCtx, p.env)
		if err != nil {
			t.Fatal(err)
		}
		if !sameKey(t, k, p.k) {
			t.Fatalf("envelope %d opened to the wrong key", i)
		}
	}
}

// TestConcurrentUse exercises one Service from many goroutines (run with
// -race): key creation, opening, signing and verification share caches and
// the derived signing key.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			c := Context{Account: fmt.Sprint("acct-", g%3), Bucket: "b", Key: fmt.Sprint("k", g)}
			for range 4 {
				k, env, err := s.NewObjectKey(ctx, c)
				if err != nil {
					errs <- err
					return
				}
				k.Destroy()
				m := testManifest(c, env)
				if err := s.SignManifest(ctx, m); err != nil {
					errs <- err
					return
				}
				if err := s.VerifyManifest(ctx, m); err != nil {
					errs <- err
					return
				}
				k2, err := s.OpenObjectKey(ctx, c, env)
				if err != nil {
					errs <- err
					return
				}
				k2.Destroy()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
