package s3api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
)

// blockingLayer's GetObject streams "part1", then waits for release or for
// its context to end before sending "part2".
type blockingLayer struct {
	*memLayer
	started  chan struct{}
	release  chan struct{}
	ctxEnded chan error
}

func (b *blockingLayer) GetObject(ctx context.Context, in object.GetInput) (*object.Object, error) {
	return &object.Object{
		Info:  object.ObjectInfo{Size: 10, ETag: "e", LastModified: testNow},
		Range: object.Range{Length: 10},
		WriteTo: func(ctx context.Context, w io.Writer) (int64, error) {
			n, _ := io.WriteString(w, "part1")
			close(b.started)
			select {
			case <-b.release:
				m, err := io.WriteString(w, "part2")
				return int64(n + m), err
			case <-ctx.Done():
				b.ctxEnded <- ctx.Err()
				return int64(n), ctx.Err()
			}
		},
	}, nil
}

func newBlocking() *blockingLayer {
	return &blockingLayer{memLayer: newMemLayer(), started: make(chan struct{}), release: make(chan struct{}), ctxEnded: make(chan error, 1)}
}

// TestShutdownWaitsForInflight: a graceful shutdown lets a running
// download finish.
func TestShutdownWaitsForInflight(t *testing.T) {
	bl := newBlocking()
	e := newTestEnv(t, func(o *Options) { o.Layer = bl })
	c, br := e.dial()
	go func() { _, _ = c.Write(e.build(req{path: "/bkt/k"})) }()
	<-bl.started
	done := make(chan error, 1)
	go func() { done <- e.s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(bl.release)
	got := e.read(br, false)
	if got.status != 200 || string(got.body) != "part1part2" {
		t.Fatalf("in-flight download: %d %q", got.status, got.body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestShutdownTimeoutCancels: when the drain deadline passes, in-flight
// object-layer calls see their context cancelled.
func TestShutdownTimeoutCancels(t *testing.T) {
	bl := newBlocking()
	e := newTestEnv(t, func(o *Options) { o.Layer = bl })
	c, _ := e.dial()
	go func() { _, _ = c.Write(e.build(req{method: http.MethodGet, path: "/bkt/k"})) }()
	<-bl.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := e.s.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want deadline exceeded", err)
	}
	select {
	case cerr := <-bl.ctxEnded:
		if !errors.Is(cerr, context.Canceled) {
			t.Errorf("layer context ended with %v", cerr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the object layer's context was never cancelled")
	}
	c.Close()
}

func TestServeNeedsLayerAndVerifier(t *testing.T) {
	for _, o := range []Options{{}, {Layer: newMemLayer()}} {
		if err := NewServer(o).Serve(nil); err == nil {
			t.Errorf("%+v: Serve accepted incomplete options", o)
		}
	}
}
