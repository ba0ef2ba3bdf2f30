package s3api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
)

// hangLayer's long operations (listing, GET, copy, Complete) run until
// their context ends or release is closed, and report when that was.
type hangLayer struct {
	*memLayer
	started chan string
	ended   chan error
	release chan struct{}
}

func newHangLayer() *hangLayer {
	return &hangLayer{memLayer: newMemLayer(), started: make(chan string, 4), ended: make(chan error, 4), release: make(chan struct{})}
}

// work stands for a long operation named op.
func (h *hangLayer) work(ctx context.Context, op string) error {
	h.started <- op
	select {
	case <-ctx.Done():
		h.ended <- ctx.Err()
		return ctx.Err()
	case <-h.release:
		h.ended <- nil
		return nil
	case <-time.After(10 * time.Second):
		h.ended <- errors.New("never cancelled")
		return nil
	}
}

func (h *hangLayer) ListObjects(ctx context.Context, in object.ListInput) (object.ListResult, error) {
	return object.ListResult{}, h.work(ctx, "list")
}

func (h *hangLayer) GetObject(ctx context.Context, in object.GetInput) (*object.Object, error) {
	return &object.Object{
		Info:  object.ObjectInfo{Size: 10, ETag: "e", LastModified: testNow},
		Range: object.Range{Length: 10},
		WriteTo: func(ctx context.Context, w io.Writer) (int64, error) {
			if err := h.work(ctx, "get"); err != nil {
				return 0, err
			}
			n, err := io.WriteString(w, "0123456789")
			return int64(n), err
		},
	}, nil
}

func (h *hangLayer) CopyObject(ctx context.Context, src object.CopyInput, dstBucket, dstKey string) (object.ObjectInfo, error) {
	return object.ObjectInfo{ETag: "e", LastModified: testNow}, h.work(ctx, "copy")
}

func (h *hangLayer) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart, opts object.CompleteOptions) (object.ObjectInfo, error) {
	return object.ObjectInfo{ETag: "e-1"}, h.work(ctx, "complete")
}

// serveTCP serves e's server on a loopback TCP listener as well and
// returns its address.
func serveTCP(t *testing.T, e *testEnv) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.s.Serve(ln) }()
	return ln.Addr().String()
}

// TestDisconnectCancelsWork: a client that hangs up during a listing, a
// GET, a copy or a multipart Complete has the request's context cancelled
// within a second, so the object layer stops; a client that stays gets its
// answer.
func TestDisconnectCancelsWork(t *testing.T) {
	if !peerWatchSupported {
		t.Skip("disconnect detection needs Linux TCP_INFO")
	}
	h := newHangLayer()
	e := newTestEnv(t, func(o *Options) { o.Layer = h; o.CompleteKeepAlive = 50 * time.Millisecond })
	e.mkBucket("bkt")
	addr := serveTCP(t, e)
	cases := []struct {
		op string
		r  req
	}{
		{"list", req{path: "/bkt", query: "delimiter=%2F&list-type=2"}},
		{"get", req{path: "/bkt/k"}},
		{"copy", req{method: http.MethodPut, path: "/bkt/dst", hdr: [][2]string{{"x-amz-copy-source", "/bkt/src"}}}},
		{"complete", req{method: http.MethodPost, path: "/bkt/k", query: "uploadId=u1", body: completeXML([2]string{"1", `"e"`})}},
	}
	for _, tc := range cases {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(e.build(tc.r)); err != nil {
			t.Fatal(err)
		}
		select {
		case op := <-h.started:
			if op != tc.op {
				t.Fatalf("%s: layer started %s", tc.op, op)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the layer was never called", tc.op)
		}
		hungUp := time.Now()
		_ = c.Close()
		select {
		case err := <-h.ended:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: work ended with %v, want context.Canceled", tc.op, err)
			}
			if d := time.Since(hungUp); d > time.Second {
				t.Errorf("%s: work stopped %v after the client left, want < 1s", tc.op, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: work still running 5 s after the client left", tc.op)
		}
	}

	// A client that waits is not mistaken for one that left: its listing
	// runs past several polls and answers.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(e.build(cases[0].r)); err != nil {
		t.Fatal(err)
	}
	<-h.started
	time.Sleep(3 * DefaultDisconnectPoll)
	close(h.release)
	if err := <-h.ended; err != nil {
		t.Fatalf("work of a waiting client ended with %v", err)
	}
	buf := make([]byte, 12)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "HTTP/1.1 200" {
		t.Fatalf("waiting client got %q, %v", buf, err)
	}

	// Every request, streamed responses included, ended its context and
	// left the watch list.
	deadline := time.Now().Add(2 * time.Second)
	for {
		e.s.watch.mu.Lock()
		n := len(e.s.watch.reqs)
		e.s.watch.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d finished requests still watched", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
