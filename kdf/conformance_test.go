package kdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// testKeyringConformance is the contract every Keyring meets. open returns a
// fresh handle on the same root each time it is called.
func testKeyringConformance(t *testing.T, open func(t *testing.T) Keyring) {
	ctx := context.Background()
	kr := open(t)

	t.Run("ID", func(t *testing.T) {
		if !validKeyringID(kr.ID()) {
			t.Fatalf("ID %q is not a valid key id", kr.ID())
		}
		if kr2 := open(t); kr2.ID() != kr.ID() {
			t.Fatalf("ID changed across opens: %q vs %q", kr.ID(), kr2.ID())
		}
	})

	t.Run("HMAC", func(t *testing.T) {
		a1, err := kr.HMAC(ctx, []byte("a"))
		if err != nil {
			t.Fatal(err)
		}
		a2, _ := kr.HMAC(ctx, []byte("a"))
		b, _ := kr.HMAC(ctx, []byte("b"))
		empty, err := kr.HMAC(ctx, nil)
		if err != nil {
			t.Fatalf("empty message: %v", err)
		}
		big, err := kr.HMAC(ctx, bytes.Repeat([]byte{0xa5}, 64<<10))
		if err != nil {
			t.Fatalf("64 KiB message: %v", err)
		}
		if a1 != a2 {
			t.Fatal("HMAC is not deterministic")
		}
		if a1 == b || a1 == empty || a1 == big || a1 == [32]byte{} {
			t.Fatal("HMAC outputs collide or are zero")
		}
		other, _ := open(t).HMAC(ctx, []byte("a"))
		if other != a1 {
			t.Fatal("HMAC differs across opens of the same root")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		want := make([][32]byte, 8)
		for i := range want {
			want[i], _ = kr.HMAC(ctx, []byte(fmt.Sprint("msg-", i)))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Go(func() {
				for j := range 40 {
					i := (g + j) % len(want)
					got, err := kr.HMAC(ctx, []byte(fmt.Sprint("msg-", i)))
					if err != nil {
						errs <- err
						return
					}
					if got != want[i] {
						errs <- fmt.Errorf("goroutine %d: HMAC %d mismatch", g, i)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	})

	t.Run("Service", func(t *testing.T) {
		writer := newTestService(t, kr, nil)
		reader := newTestService(t, open(t), nil) // another process, same root
		k, m := newSignedObject(t, writer, testCtx)
		defer k.Destroy()
		if err := reader.VerifyManifest(ctx, m); err != nil {
			t.Fatalf("VerifyManifest on another handle: %v", err)
		}
		k2, err := reader.OpenObjectKey(ctx, testCtx, m.Envelope)
		if err != nil {
			t.Fatalf("OpenObjectKey on another handle: %v", err)
		}
		defer k2.Destroy()
		if !sameKey(t, k, k2) {
			t.Fatal("reopened data key differs")
		}
		if m.Envelope.RootKeyID != kr.ID() {
			t.Fatalf("RootKeyID %q, want %q", m.Envelope.RootKeyID, kr.ID())
		}
	})

	t.Run("Close", func(t *testing.T) {
		k := open(t)
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := k.HMAC(ctx, []byte("a")); !errors.Is(err, ErrClosed) {
			t.Fatalf("HMAC after Close: %v, want ErrClosed", err)
		}
		if err := k.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}
