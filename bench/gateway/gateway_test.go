package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// gatewaySizes are the object sizes of BenchmarkGateway.
var gatewaySizes = []int64{4 << 10, 1 << 20, 256 << 20}

// BenchmarkGateway measures single-PUT and GET throughput through the
// complete gateway over loopback, with TLS 1.3 and with plaintext HTTP, for
// 4 KiB, 1 MiB and 256 MiB objects at 1 and 4 concurrent clients. The
// server runs in this process (-gateway.binary runs the rustfs binary
// instead and separates server from client CPU). MB/s is the aggregate
// over all clients; req/s is requests per second.
//
//	go test -run '^$' -bench 'Gateway/.*/.*/(4KiB|1MiB)' -benchtime 2s ./bench/gateway
//	go test -run '^$' -bench 'Gateway/.*/.*/256MiB' -benchtime 8x ./bench/gateway
func BenchmarkGateway(b *testing.B) {
	for _, mode := range []struct {
		name  string
		plain bool
	}{{"tls", false}, {"plain", true}} {
		b.Run(mode.name, func(b *testing.B) {
			o := options(mode.plain)
			var g *Gateway
			if *flagBinary {
				g = startProcess(b, o).Gateway
			} else {
				g = startInProcess(b, o)
			}
			c := clientFor(b, g, 8)
			ctx := context.Background()
			const bucket = "bench"
			if err := c.CreateBucket(ctx, bucket); err != nil {
				b.Fatal(err)
			}
			block := NewBlock(1<<20+4093, 1)
			for _, size := range gatewaySizes {
				benchPut(b, c, g, bucket, block, size)
				benchGet(b, c, g, bucket, block, size)
			}
		})
	}
}

// benchPut runs the PUT cells of one size; every worker overwrites its
// own key, and the keys are deleted afterwards.
func benchPut(b *testing.B, c *Client, g *Gateway, bucket string, block Block, size int64) {
	for _, conc := range []int{1, 4} {
		b.Run(fmt.Sprintf("PUT/%s/c%d", sizeName(size), conc), func(b *testing.B) {
			ctx := context.Background()
			key := func(w int) string { return fmt.Sprintf("put-%s-c%d-w%d", sizeName(size), conc, w) }
			b.SetBytes(size)
			b.ReportAllocs()
			ms := startSampler(g)
			st := runOps(b, conc, g.Pid, func(w, i int) error {
				_, err := c.Put(ctx, bucket, key(w), block.Body(size, int64(i)), size)
				return err
			})
			reportCPU(b, st, size)
			reportSampler(b, ms)
			for w := range conc {
				if err := c.Delete(ctx, bucket, key(w)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchGet runs the GET cells of one size over a working set of 4
// objects (worker w reads object w), uploaded first and deleted after.
func benchGet(b *testing.B, c *Client, g *Gateway, bucket string, block Block, size int64) {
	const objects = 4
	ctx := context.Background()
	key := func(w int) string { return fmt.Sprintf("get-%s-%d", sizeName(size), w) }
	prepared := false
	prepare := func(b *testing.B) {
		if prepared {
			return
		}
		for w := range objects {
			if _, err := c.Put(ctx, bucket, key(w), block.Body(size, 0), size); err != nil {
				b.Fatal(err)
			}
		}
		prepared = true
	}
	for _, conc := range []int{1, 4} {
		b.Run(fmt.Sprintf("GET/%s/c%d", sizeName(size), conc), func(b *testing.B) {
			prepare(b)
			b.SetBytes(size)
			b.ReportAllocs()
			ms := startSampler(g)
			st := runOps(b, conc, g.Pid, func(w, _ int) error {
				n, err := c.Get(ctx, bucket, key(w%objects), 0, -1, discard{})
				if err == nil && n != size {
					err = fmt.Errorf("GET %s: %d of %d bytes", key(w), n, size)
				}
				return err
			})
			reportCPU(b, st, size)
			reportSampler(b, ms)
		})
	}
	if prepared {
		for w := range objects {
			if err := c.Delete(ctx, bucket, key(w)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// discard is io.Discard without its ReaderFrom, so the client's own
// buffer is used.
type discard struct{}

// Write implements io.Writer.
func (discard) Write(p []byte) (int, error) { return len(p), nil }

// startSampler samples this process's heap when the server runs in it.
func startSampler(g *Gateway) *MemSampler {
	if g.Pid != 0 {
		return nil
	}
	return StartMemSampler(5 * time.Millisecond)
}

// reportSampler reports the peak heap+stacks in use during the run
// (client and server: they share the process).
func reportSampler(b *testing.B, ms *MemSampler) {
	if ms != nil {
		b.ReportMetric(float64(ms.Stop())/(1<<20), "peak-heap-MiB")
	}
}

// TestGatewayHarness starts the in-process gateway once per transport and
// checks that the benchmark client round-trips objects, whole and ranged,
// single and multipart, byte for byte.
func TestGatewayHarness(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plaintext=%v", plain), func(t *testing.T) {
			g := startInProcess(t, Options{Parent: t.TempDir(), Plaintext: plain})
			if plain != (g.CAFile == "") || g.Pid != 0 {
				t.Fatalf("gateway %+v", g)
			}
			c := clientFor(t, g, 4)
			ctx := context.Background()
			if err := c.CreateBucket(ctx, "harness"); err != nil {
				t.Fatal(err)
			}
			if err := c.CreateBucket(ctx, "harness"); err != nil {
				t.Fatalf("second CreateBucket: %v", err)
			}
			block := NewBlock(64<<10+13, 7)
			const size = 1<<20 + 5 // two chunks
			etag, err := c.Put(ctx, "harness", "obj", block.Body(size, 0), size)
			if err != nil || len(etag) != 34 {
				t.Fatalf("PUT: etag %q, %v", etag, err)
			}
			v := &verifyWriter{block: block}
			if n, err := c.Get(ctx, "harness", "obj", 0, -1, v); err != nil || n != size || v.bad != 0 {
				t.Fatalf("GET: %d bytes, mismatch at %d, %v", n, v.bad-1, err)
			}
			v = &verifyWriter{block: block, pos: 1<<20 - 10}
			if n, err := c.Get(ctx, "harness", "obj", 1<<20-10, 13, v); err != nil || n != 13 || v.bad != 0 {
				t.Fatalf("ranged GET: %d bytes, mismatch at %d, %v", n, v.bad-1, err)
			}

			const mpSize, part = 11 << 20, 5 << 20
			if err := c.Upload(ctx, "harness", "mp", block, mpSize, part, 2); err != nil {
				t.Fatal(err)
			}
			sinks := make([]*verifyWriter, 3)
			err = c.Download(ctx, "harness", "mp", mpSize, part, 2, func(i int) io.Writer {
				sinks[i] = &verifyWriter{block: block, pos: int64(i) * part}
				return sinks[i]
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range sinks {
				if s == nil || s.bad != 0 || s.pos != min(int64(i+1)*part, mpSize) {
					t.Fatalf("range %d: %+v", i, s)
				}
			}

			for _, k := range []string{"obj", "mp"} {
				if err := c.Delete(ctx, "harness", k); err != nil {
					t.Fatal(err)
				}
			}
			_, err = c.Get(ctx, "harness", "obj", 0, -1, discard{})
			var se *StatusError
			if !errors.As(err, &se) || se.Status != http.StatusNotFound {
				t.Fatalf("GET after DELETE: %v", err)
			}
			if err := c.DeleteBucket(ctx, "harness"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
