package dataplane

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/storage"
)

const testChunk = MinChunkSize // 64 KiB keeps -race runs fast

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	p := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for b := range 8 {
			p[i+b] = byte(v >> (8 * b))
		}
	}
	for i := n &^ 7; i < n; i++ {
		p[i] = byte(r.Uint32())
	}
	return p
}

func newKey(t testing.TB) *aead.Key {
	t.Helper()
	k, err := aead.NewKey(bytes.Repeat([]byte{0x5a}, aead.KeySize), sha256.Sum256([]byte("test object")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustEngine builds an engine with test-sized chunks over backend b.
func mustEngine(t testing.TB, b storage.Backend, o Options) *Engine {
	t.Helper()
	if o.ChunkSize == 0 {
		o.ChunkSize = testChunk
	}
	e, err := New(b, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// put writes data and fails the test on error.
func put(t testing.TB, e *Engine, k *aead.Key, data []byte) PutResult {
	t.Helper()
	res, err := e.Put(context.Background(), PutRequest{Key: k, Body: bytes.NewReader(data), Size: int64(len(data)),
		Hashes: map[string]hash.Hash{"md5": md5.New()}, CRC32C: true})
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	return res
}

// get reads [off, off+n) and fails the test on error.
func get(t testing.TB, e *Engine, l Layout, k *aead.Key, off, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := e.Get(context.Background(), l, k, off, n, &buf)
	if err != nil {
		t.Fatalf("Get(%d, %d): %v", off, n, err)
	}
	if w != int64(buf.Len()) {
		t.Fatalf("Get reported %d bytes, wrote %d", w, buf.Len())
	}
	return buf.Bytes()
}

// settleGoroutines waits until the goroutine count drops to base, failing
// the test with a dump if it does not.
func settleGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines leaked: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
