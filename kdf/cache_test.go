package kdf

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingKeyring counts HMAC calls and can hold them at a gate.
type countingKeyring struct {
	Keyring
	calls atomic.Int64
	gate  chan struct{} // nil: no gate
}

func (k *countingKeyring) HMAC(ctx context.Context, msg []byte) ([32]byte, error) {
	k.calls.Add(1)
	if k.gate != nil {
		<-k.gate
	}
	if err := ctx.Err(); err != nil { // like a PKCS#11 keyring waiting for a session
		return [32]byte{}, err
	}
	return k.Keyring.HMAC(ctx, msg)
}

func TestCustomerKeyCached(t *testing.T) {
	ctx := context.Background()
	base, _ := openTestLocal(t)
	for _, tc := range []struct {
		cacheBytes int64
		want       int64
	}{{0, 1}, {-1, 5}} {
		kr := &countingKeyring{Keyring: base}
		s := newTestService(t, kr, func(o *Options) { o.CacheBytes = tc.cacheBytes })
		for range 5 {
			k, _, err := s.NewObjectKey(ctx, testCtx)
			if err != nil {
				t.Fatal(err)
			}
			k.Destroy()
			s.cache.wait()
		}
		if got := kr.calls.Load(); got != tc.want {
			t.Errorf("cache %d: %d keyring calls for 5 keys of one customer, want %d", tc.cacheBytes, got, tc.want)
		}
		// 5 lookups of the customer key: one miss, then hits (none when off).
		hits, misses := s.CacheStats()
		if tc.cacheBytes >= 0 && (misses < 1 || hits < 4) || tc.cacheBytes < 0 && hits+misses != 0 {
			t.Errorf("cache %d: CacheStats hits %d misses %d", tc.cacheBytes, hits, misses)
		}
	}
}

func TestCacheHitsSkipWork(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	k, m := newSignedObject(t, s, testCtx)
	k.Destroy()
	s.cache.wait()
	binding := testCtx.Binding()
	id := dataKeyID(&binding, &m.Envelope)
	if s.cache.get(&id, kindDataKey) == nil {
		t.Fatal("NewObjectKey did not cache the data key")
	}
	msg, _ := m.SigningBytes()
	vid := verifiedID(msg, m.Signature)
	if s.cache.get(&vid, kindVerified) == nil {
		t.Fatal("SignManifest did not cache the verified digest")
	}
	// A hit under another kind or another id is a miss.
	if s.cache.get(&id, kindVerified) != nil || s.cache.get(&vid, kindDataKey) != nil {
		t.Fatal("cache entries leak across kinds")
	}
	other := id
	other[31] ^= 1 // same 64-bit ristretto key, different full id
	if s.cache.get(&other, kindDataKey) != nil {
		t.Fatal("a different id with the same 64-bit key hit")
	}
	if err := s.VerifyManifest(ctx, m); err != nil {
		t.Fatal(err)
	}
}

func TestCacheZeroisesOnEvictionAndClose(t *testing.T) {
	kc, err := newKeyCache(16*entryCost, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var entries []*cacheEntry
	for i := range 400 {
		e := &cacheEntry{kind: kindDataKey}
		e.id[0], e.id[1] = byte(i), byte(i>>8)
		for j := range e.secret {
			e.secret[j] = 0xa5
		}
		entries = append(entries, e)
		kc.put(e, entryCost)
		kc.wait()
	}
	dead := 0
	for _, e := range entries {
		e.mu.RLock()
		if e.dead {
			dead++
			if e.secret != [64]byte{} {
				t.Fatal("evicted entry still holds its secret")
			}
		}
		e.mu.RUnlock()
	}
	if dead < len(entries)-16 {
		t.Fatalf("only %d of %d entries left a 16-entry cache", dead, len(entries))
	}
	kc.close()
	for i, e := range entries {
		if !e.dead || e.secret != [64]byte{} {
			t.Fatalf("entry %d survived close", i)
		}
	}
	if e := kc.get(&entries[0].id, kindDataKey); e != nil {
		t.Fatal("closed cache returned an entry")
	}
}

func TestCacheTTL(t *testing.T) {
	kc, err := newKeyCache(1<<20, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer kc.close()
	e := &cacheEntry{kind: kindVerified}
	e.id[0] = 1
	kc.put(e, entryCost)
	kc.wait()
	if kc.get(&e.id, kindVerified) == nil {
		t.Fatal("fresh entry missing")
	}
	time.Sleep(50 * time.Millisecond)
	if kc.get(&e.id, kindVerified) != nil {
		t.Fatal("entry outlived its TTL")
	}
}

func TestServiceCloseZeroisesCache(t *testing.T) {
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	k, m := newSignedObject(t, s, testCtx)
	k.Destroy()
	s.cache.wait()
	binding := testCtx.Binding()
	id := dataKeyID(&binding, &m.Envelope)
	e := s.cache.get(&id, kindDataKey)
	if e == nil {
		t.Fatal("data key not cached")
	}
	sk := s.sigKeys[s.CurrentSigKeyID()]
	s.Close()
	if !e.dead || e.secret != [64]byte{} {
		t.Fatal("Close left a cached data key")
	}
	if sk.sk != nil {
		t.Fatal("Close left the signing key")
	}
}

func TestFlightCollapsesConcurrentDerivations(t *testing.T) {
	ctx := context.Background()
	base, _ := openTestLocal(t)
	kr := &countingKeyring{Keyring: base, gate: make(chan struct{})}
	s := newTestService(t, kr, nil)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			k, _, err := s.NewObjectKey(ctx, testCtx)
			if err != nil {
				errs <- err
				return
			}
			k.Destroy()
		})
	}
	waitJoined(s, n-1)
	close(kr.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := kr.calls.Load(); got != 1 {
		t.Fatalf("%d keyring calls for %d concurrent cold requests, want 1", got, n)
	}
}

// waitJoined waits until one derivation is in flight with n joiners.
func waitJoined(s *Service, n int) {
	for {
		s.flights.mu.Lock()
		joined := -1
		for _, f := range s.flights.m {
			joined = f.waiters
		}
		s.flights.mu.Unlock()
		if joined == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFlightLeaderCancelled: a joiner whose own context is live does not
// inherit the leader's cancellation.
func TestFlightLeaderCancelled(t *testing.T) {
	base, _ := openTestLocal(t)
	kr := &countingKeyring{Keyring: base, gate: make(chan struct{})}
	s := newTestService(t, kr, nil)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := s.NewObjectKey(leaderCtx, testCtx)
		leaderErr <- err
	}()
	waitJoined(s, 0)
	joinerErr := make(chan error, 1)
	go func() {
		k, _, err := s.NewObjectKey(context.Background(), testCtx)
		if err == nil {
			k.Destroy()
		}
		joinerErr <- err
	}()
	waitJoined(s, 1)
	cancel()
	close(kr.gate)
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v, want context.Canceled", err)
	}
	if err := <-joinerErr; err != nil {
		t.Fatalf("joiner inherited the leader's cancellation: %v", err)
	}
}
