package dataplane

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/tasmaniancloud/rustfs/storage"
)

// cancelAfter is a body that cancels its context once n bytes were read,
// then keeps serving data.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// expectNothingLeft checks that a failed Put left no committed shard and no
// open writer.
func expectNothingLeft(t *testing.T, b *memBackend) {
	t.Helper()
	if n := b.committed(); n != 0 {
		t.Fatalf("%d shards committed after a failed Put", n)
	}
	if n := b.open(); n != 0 {
		t.Fatalf("%d shard writers neither committed nor aborted", n)
	}
}

func TestPutCancel(t *testing.T) {
	base := runtime.NumGoroutine()
	for _, at := range []int{0, 1, testChunk, 5*testChunk + 3} {
		b := newMemBackend(6)
		e := mustEngine(t, b, Options{Workers: 2, InFlight: 3})
		ctx, cancel := context.WithCancel(context.Background())
		body := &cancelAfter{r: bytes.NewReader(randBytes(1, 20*testChunk)), n: at, cancel: cancel}
		if at == 0 {
			cancel()
		}
		_, err := e.Put(ctx, PutRequest{Key: newKey(t), Body: body, Size: 20 * testChunk})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel after %d bytes: err = %v, want context.Canceled", at, err)
		}
		expectNothingLeft(t, b)
	}
	settleGoroutines(t, base)
}

// TestPutCancelBlockedWriter cancels while every OSD write is stuck (a
// backend that honours the context it was created with).
func TestPutCancelBlockedWriter(t *testing.T) {
	base := runtime.NumGoroutine()
	b := newMemBackend(6)
	for _, o := range b.osds {
		o.block = make(chan struct{})
	}
	e := mustEngine(t, b, Options{Workers: 1, InFlight: 2})
	ctx, cancel := context.WithCancel(context.Background())
	body := &cancelAfter{r: bytes.NewReader(randBytes(1, 10*testChunk)), n: 2 * testChunk, cancel: cancel}
	_, err := e.Put(ctx, PutRequest{Key: newKey(t), Body: body, Size: -1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	expectNothingLeft(t, b)
	settleGoroutines(t, base)
}

func TestPutSizeMismatch(t *testing.T) {
	base := runtime.NumGoroutine()
	tests := []struct {
		name       string
		body, size int
		max        int64
		want       error
	}{
		{"short", 3*testChunk + 1, 3*testChunk + 2, 0, ErrShortBody},
		{"short at boundary", 2 * testChunk, 3 * testChunk, 0, ErrShortBody},
		{"empty but declared", 0, 1, 0, ErrShortBody},
		{"long", 3*testChunk + 2, 3*testChunk + 1, 0, ErrTooLarge},
		{"long at boundary", 2*testChunk + 1, 2 * testChunk, 0, ErrTooLarge},
		{"declared over max", 10, 10, 5, ErrTooLarge},
		{"unknown over max", 3 * testChunk, -1, 2*testChunk + 1, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newMemBackend(6)
			e := mustEngine(t, b, Options{})
			_, err := e.Put(context.Background(), PutRequest{Key: newKey(t),
				Body: bytes.NewReader(randBytes(2, tc.body)), Size: int64(tc.size), MaxSize: tc.max})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			expectNothingLeft(t, b)
		})
	}
	// Exactly at the limit is fine.
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	if _, err := e.Put(context.Background(), PutRequest{Key: newKey(t),
		Body: bytes.NewReader(make([]byte, 2*testChunk)), Size: -1, MaxSize: 2 * testChunk}); err != nil {
		t.Fatalf("body of exactly MaxSize: %v", err)
	}
	settleGoroutines(t, base)
}

func TestPutBodyError(t *testing.T) {
	for _, boom := range []error{errors.New("client went away"), io.ErrUnexpectedEOF} {
		b := newMemBackend(6)
		e := mustEngine(t, b, Options{})
		body := io.MultiReader(bytes.NewReader(make([]byte, 3*testChunk+5)), iotest.ErrReader(boom))
		if _, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: body, Size: -1}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the body's error %v", err, boom)
		}
		expectNothingLeft(t, b)
	}
}

func TestWriteQuorum(t *testing.T) {
	data := randBytes(5, 4*testChunk+9)
	t.Run("one write fails", func(t *testing.T) {
		b := newMemBackend(6)
		b.osds[2].failWriteAt = testChunk / 2 // about two frames in
		e := mustEngine(t, b, Options{})
		k := newKey(t)
		l := put(t, e, k, data).Layout
		dropped := 0
		for j, id := range l.OSDs {
			if id == "" {
				dropped++
				continue
			}
			if id == "osd2" {
				t.Fatalf("shard %d recorded on the failing OSD", j)
			}
		}
		if dropped != 1 || b.committed() != 5 || b.open() != 0 {
			t.Fatalf("dropped %d, committed %d, open %d; want 1, 5, 0", dropped, b.committed(), b.open())
		}
		if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
			t.Fatal("GET after a dropped shard differs")
		}
	})
	t.Run("two writes fail", func(t *testing.T) {
		base := runtime.NumGoroutine()
		b := newMemBackend(6)
		b.osds[1].failWriteAt = 0
		b.osds[4].failWriteAt = testChunk / 2
		e := mustEngine(t, b, Options{})
		_, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(data), Size: -1})
		if !errors.Is(err, ErrWriteQuorum) || !errors.Is(err, errInjected) {
			t.Fatalf("err = %v, want ErrWriteQuorum wrapping the OSD errors", err)
		}
		expectNothingLeft(t, b)
		settleGoroutines(t, base)
	})
	t.Run("quorum K allows two", func(t *testing.T) {
		b := newMemBackend(6)
		b.osds[1].failWriteAt = 0
		b.osds[4].failWriteAt = 0
		e := mustEngine(t, b, Options{WriteQuorum: 4})
		k := newKey(t)
		if got := get(t, e, put(t, e, k, data).Layout, k, 0, -1); !bytes.Equal(got, data) {
			t.Fatal("GET differs")
		}
	})
	t.Run("create fails", func(t *testing.T) {
		b := newMemBackend(6)
		b.osds[0].failCreate = errInjected
		b.osds[3].failCreate = errInjected
		e := mustEngine(t, b, Options{})
		_, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(data), Size: -1})
		if !errors.Is(err, ErrWriteQuorum) {
			t.Fatalf("err = %v, want ErrWriteQuorum", err)
		}
		expectNothingLeft(t, b)
	})
	t.Run("commit fails", func(t *testing.T) {
		b := newMemBackend(6)
		b.osds[0].failCommit = errInjected
		b.osds[5].failCommit = errInjected
		e := mustEngine(t, b, Options{})
		_, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(data), Size: -1})
		if !errors.Is(err, ErrWriteQuorum) {
			t.Fatalf("err = %v, want ErrWriteQuorum", err)
		}
		expectNothingLeft(t, b)
	})
}

// TestGetCancelAndWriterError stops a multi-stripe GET midway both ways and
// checks the pipeline winds down.
func TestGetCancelAndWriterError(t *testing.T) {
	base := runtime.NumGoroutine()
	f := newFixture(t, 12*testChunk)
	ctx, cancel := context.WithCancel(context.Background())
	w := &cancelWriter{cancel: cancel, after: 3 * testChunk}
	n, err := f.e.Get(ctx, f.l, f.k, 0, -1, w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !bytes.Equal(w.buf.Bytes(), f.data[:n]) {
		t.Fatal("bytes before cancellation are wrong")
	}
	boom := errors.New("client closed")
	if _, err := f.e.Get(context.Background(), f.l, f.k, 0, -1, errWriter{boom}); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the writer's error", err)
	}
	settleGoroutines(t, base)
}

type cancelWriter struct {
	buf    bytes.Buffer
	cancel context.CancelFunc
	after  int
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	if w.buf.Len() >= w.after {
		w.cancel()
	}
	return w.buf.Write(p)
}

type errWriter struct{ err error }

func (w errWriter) Write(p []byte) (int, error) { return 0, w.err }

// cancelOnCommit is a backend whose first Commit cancels the Put's context.
type cancelOnCommit struct {
	*memBackend
	cancel context.CancelFunc
}

func (b cancelOnCommit) OSDs() []storage.OSD {
	out := make([]storage.OSD, len(b.osds))
	for i, o := range b.osds {
		out[i] = cancelOSD{o, b.cancel}
	}
	return out
}

type cancelOSD struct {
	*memOSD
	cancel context.CancelFunc
}

func (o cancelOSD) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	w, err := o.memOSD.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	return cancelWriterOnCommit{w, o.cancel}, nil
}

type cancelWriterOnCommit struct {
	storage.ShardWriter
	cancel context.CancelFunc
}

func (w cancelWriterOnCommit) Commit() error {
	w.cancel()
	return w.ShardWriter.Commit()
}

func TestPutCancelDuringCommit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	mb := newMemBackend(6)
	e := mustEngine(t, cancelOnCommit{mb, cancel}, Options{})
	_, err := e.Put(ctx, PutRequest{Key: newKey(t), Body: bytes.NewReader(randBytes(1, 1000)), Size: 1000})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	expectNothingLeft(t, mb)
}
