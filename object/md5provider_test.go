package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/md5x"
)

// md5Env is a test env whose Store takes its MD5 hashers from a provider in
// mode (md5x.SIMD: multi-buffer for every stream, where the CPU allows).
func md5Env(t *testing.T, mode string) (*testEnv, *md5x.Provider) {
	t.Helper()
	p, err := md5x.New(mode)
	if err != nil {
		t.Skipf("md5 mode %s: %v", mode, err)
	}
	t.Cleanup(func() { p.Close() })
	return newEnv(t, func(o *Options) { o.MD5 = p }), p
}

// failingReader yields n bytes of data, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestMD5ProviderETags puts, uploads parts and copies concurrently through
// a multi-buffer MD5 provider and checks every ETag against crypto/md5;
// then checks that failed uploads (bad Content-MD5, truncated and failing
// bodies) hand their hashers back: the provider ends with none active.
func TestMD5ProviderETags(t *testing.T) {
	for _, mode := range []string{md5x.SIMD, md5x.Auto, md5x.Scalar} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			e, p := md5Env(t, mode)
			smallParts(e.s)
			e.bucket("data")

			const streams = 8
			var wg sync.WaitGroup
			errs := make([]error, streams)
			for i := range streams {
				wg.Go(func() {
					data := randBytes(uint64(100+i), i*testChunk/3+i)
					info, err := e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k" + strconv.Itoa(i),
						Body: bytes.NewReader(data), Size: int64(len(data)), Owner: "alice"})
					if err != nil {
						errs[i] = err
						return
					}
					if sum := md5.Sum(data); info.ETag != hex.EncodeToString(sum[:]) {
						errs[i] = errors.New("PUT ETag " + info.ETag + " is not the MD5 of the data")
					}
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("stream %d: %v", i, err)
				}
			}

			up, err := e.s.CreateMultipartUpload(ctx, "data", "mp", ObjectMeta{}, "", "alice")
			if err != nil {
				t.Fatal(err)
			}
			parts := make([]CompletePart, 4)
			for i := range parts {
				wg.Go(func() {
					data := randBytes(uint64(200+i), 2*testChunk+i*7)
					pi, err := e.s.UploadPart(ctx, up.UploadID, i+1, PutInput{Bucket: "data", Key: "mp",
						Body: bytes.NewReader(data), Size: int64(len(data))})
					if err != nil {
						errs[i] = err
						return
					}
					if sum := md5.Sum(data); pi.ETag != hex.EncodeToString(sum[:]) {
						errs[i] = errors.New("part ETag " + pi.ETag + " is not the MD5 of the part")
					}
					parts[i] = CompletePart{PartNumber: i + 1, ETag: pi.ETag}
				})
			}
			wg.Wait()
			for i, err := range errs[:len(parts)] {
				if err != nil {
					t.Fatalf("part %d: %v", i+1, err)
				}
			}
			if _, err := e.s.CompleteMultipartUpload(ctx, "data", "mp", up.UploadID, parts, CompleteOptions{}); err != nil {
				t.Fatal(err)
			}

			src := randBytes(3, testChunk+1)
			put(t, e.s, "data", "src", src)
			info, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "data", SrcKey: "src", ReplaceMeta: true}, "data", "copy")
			if sum := md5.Sum(src); err != nil || info.ETag != hex.EncodeToString(sum[:]) {
				t.Fatalf("copy: ETag %q, err %v", info.ETag, err)
			}

			// Failed uploads.
			data := randBytes(4, 3*testChunk)
			bad := md5.Sum(data[1:])
			_, err = e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "bad", Body: bytes.NewReader(data),
				Size: int64(len(data)), ContentMD5: bad[:]})
			wantErr(t, err, ErrBadDigest)
			_, err = e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "short", Body: bytes.NewReader(data),
				Size: int64(len(data)) + 10})
			wantErr(t, err, ErrIncompleteBody)
			boom := errors.New("client went away")
			_, err = e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "fail", Size: -1,
				Body: &failingReader{r: bytes.NewReader(data), err: boom}})
			if !errors.Is(err, boom) {
				t.Fatalf("failing body: %v, want %v", err, boom)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err = e.s.UploadPart(cctx, up.UploadID, 1, PutInput{Bucket: "data", Key: "mp", Body: bytes.NewReader(data), Size: int64(len(data))})
			if err == nil {
				t.Fatal("upload with a cancelled context succeeded")
			}
			if n := p.Active(); n != 0 {
				t.Fatalf("%d MD5 hashers still active after every request ended", n)
			}
		})
	}
}
