package s3api

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/tasmaniancloud/rustfs/object"
)

// nullLayer serves one fixed object and discards uploads, so benchmarks
// measure the HTTP layer: parsing, SigV4, limits, framing, streaming.
type nullLayer struct {
	*memLayer
	data []byte
}

func (n *nullLayer) PutObject(ctx context.Context, in object.PutInput) (object.ObjectInfo, error) {
	_, err := io.Copy(io.Discard, in.Body)
	return object.ObjectInfo{ETag: "d41d8cd98f00b204e9800998ecf8427e", Size: in.Size}, err
}

func (n *nullLayer) GetObject(ctx context.Context, in object.GetInput) (*object.Object, error) {
	return &object.Object{
		Info:  object.ObjectInfo{Size: int64(len(n.data)), ETag: "x", LastModified: testNow},
		Range: object.Range{Length: int64(len(n.data))},
		WriteTo: func(ctx context.Context, w io.Writer) (int64, error) {
			k, err := w.Write(n.data)
			return int64(k), err
		},
	}, nil
}

func (n *nullLayer) HeadObject(ctx context.Context, in object.GetInput) (object.ObjectInfo, error) {
	return object.ObjectInfo{Size: int64(len(n.data)), ETag: "x", LastModified: testNow}, nil
}

// benchEnv starts a server over a nullLayer and returns one keep-alive
// connection's reader and writer.
func benchEnv(b *testing.B, size int) (*testEnv, io.Writer, *bufio.Reader) {
	nl := &nullLayer{memLayer: newMemLayer(), data: bytes.Repeat([]byte("b"), size)}
	e := newTestEnv(b, func(o *Options) { o.Layer = nl })
	c, err := e.ln.Dial()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return e, c, bufio.NewReaderSize(c, 64<<10)
}

// drainResponse reads one response with a Content-Length body.
func drainResponse(b *testing.B, br *bufio.Reader, head bool) {
	var n int64 = -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(line) <= 2 {
			break
		}
		if bytes.HasPrefix(line, []byte("Content-Length: ")) {
			n = 0
			for _, c := range bytes.TrimSpace(line[len("Content-Length: "):]) {
				n = n*10 + int64(c-'0')
			}
		}
	}
	if !head && n > 0 {
		if _, err := io.CopyN(io.Discard, br, n); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGet(b *testing.B, size int) {
	e, w, br := benchEnv(b, size)
	raw := e.build(req{path: "/bkt/k"})
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Write(raw); err != nil {
			b.Fatal(err)
		}
		drainResponse(b, br, false)
	}
}

func BenchmarkGetObject4KiB(b *testing.B) { benchGet(b, 4<<10) }
func BenchmarkGetObject1MiB(b *testing.B) { benchGet(b, 1<<20) }

func benchPut(b *testing.B, size int, auth authKind) {
	e, w, br := benchEnv(b, 0)
	raw := e.build(req{method: http.MethodPut, path: "/bkt/k", body: bytes.Repeat([]byte("p"), size), auth: auth})
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		go func() { _, _ = w.Write(raw) }()
		drainResponse(b, br, false)
	}
}

func BenchmarkPutObject1MiBSignedPayload(b *testing.B) { benchPut(b, 1<<20, authHeader) }
func BenchmarkPutObject1MiBStreamingSigned(b *testing.B) {
	benchPut(b, 1<<20, authStreamSigned)
}
func BenchmarkPutObject1MiBUnsignedTrailer(b *testing.B) {
	benchPut(b, 1<<20, authStreamUnsignedTrailer)
}

// BenchmarkHeadObject measures the fixed per-request cost (parse, SigV4,
// route, headers).
func BenchmarkHeadObject(b *testing.B) {
	e, w, br := benchEnv(b, 1)
	raw := e.build(req{method: http.MethodHead, path: "/bkt/k"})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Write(raw); err != nil {
			b.Fatal(err)
		}
		drainResponse(b, br, true)
	}
}
