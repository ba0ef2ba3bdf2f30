package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestPutGetRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.bucket("data")
	meta := ObjectMeta{
		ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "inline",
		ContentLanguage: "en", CacheControl: "no-cache", Expires: "Wed, 21 Oct 2026 07:28:00 GMT",
		User: map[string]string{"color": "blue", "x": ""},
	}
	for i, n := range []int{0, 1, testChunk - 1, testChunk, testChunk + 1, 3*testChunk + 5} {
		key := fmt.Sprintf("obj/%d", n)
		data := randBytes(uint64(i), n)
		info, err := e.s.PutObject(context.Background(), PutInput{
			Bucket: "data", Key: key, Body: bytes.NewReader(data), Size: int64(n), Meta: meta, Owner: "bob",
		})
		if err != nil {
			t.Fatalf("put %d: %v", n, err)
		}
		sum := md5.Sum(data)
		if info.ETag != hex.EncodeToString(sum[:]) || info.Size != int64(n) || info.PartsCount != 0 {
			t.Fatalf("put %d: info %+v", n, info)
		}
		// Bucket owner owns the object (BucketOwnerEnforced), whoever wrote it.
		if info.Owner != "alice" {
			t.Fatalf("owner %q, want the bucket owner", info.Owner)
		}
		got, obj, err := read(t, e.s, GetInput{Bucket: "data", Key: key})
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get %d: %v (%d bytes)", n, err, len(got))
		}
		if obj.Partial || obj.Info.ETag != info.ETag || obj.Info.Meta.ContentType != "text/plain" ||
			obj.Info.Meta.User["color"] != "blue" || obj.Info.Meta.Expires != meta.Expires ||
			!obj.Info.LastModified.Equal(info.LastModified) {
			t.Fatalf("get %d: info %+v", n, obj.Info)
		}
		head, err := e.s.HeadObject(context.Background(), GetInput{Bucket: "data", Key: key})
		if err != nil || head.ETag != info.ETag || head.Size != int64(n) || head.Meta.CacheControl != "no-cache" {
			t.Fatalf("head %d: %+v %v", n, head, err)
		}
	}
}

func TestPutValidation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	in := func(key string, meta ObjectMeta) PutInput {
		return PutInput{Bucket: "data", Key: key, Body: strings.NewReader("x"), Size: 1, Meta: meta}
	}
	_, err := e.s.PutObject(ctx, in("", ObjectMeta{}))
	wantErr(t, err, ErrInvalidKey)
	_, err = e.s.PutObject(ctx, in(strings.Repeat("k", 1025), ObjectMeta{}))
	wantErr(t, err, ErrKeyTooLong)
	_, err = e.s.PutObject(ctx, in("bad\xff", ObjectMeta{}))
	wantErr(t, err, ErrInvalidKey)
	_, err = e.s.PutObject(ctx, in("k", ObjectMeta{User: map[string]string{"big": strings.Repeat("v", 2048)}}))
	wantErr(t, err, ErrMetadataTooLarge)
	_, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: ""})
	wantErr(t, err, ErrInvalidKey)
	_, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "missing"})
	wantErr(t, err, ErrNoSuchKey)
	e.wantShards(0)
}

// checksumOf returns the base64 flexible checksum of data.
func checksumOf(algo string, data []byte) string {
	h := newChecksumHash(algo)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestPutDigests(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	data := randBytes(7, 2*testChunk+100)
	md := md5.Sum(data)
	sh := sha256.Sum256(data)
	bad := func(b []byte) []byte { c := bytes.Clone(b); c[0] ^= 1; return c }
	try := func(mod func(*PutInput)) (ObjectInfo, error) {
		in := PutInput{Bucket: "data", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data))}
		mod(&in)
		return e.s.PutObject(ctx, in)
	}
	failing := []struct {
		name string
		mod  func(*PutInput)
		want error
	}{
		{"bad md5", func(in *PutInput) { in.ContentMD5 = bad(md[:]) }, ErrBadDigest},
		{"bad sha256", func(in *PutInput) { in.ContentSHA256 = bad(sh[:]) }, ErrSHA256Mismatch},
		{"md5 length", func(in *PutInput) { in.ContentMD5 = md[:8] }, ErrInvalidArgument},
		{"unknown algorithm", func(in *PutInput) { in.ChecksumAlgorithm = "MD5" }, ErrInvalidArgument},
		{"unknown checksum header", func(in *PutInput) { in.Checksums = map[string]string{"sha512": "AAAA"} }, ErrInvalidArgument},
		{"two algorithms", func(in *PutInput) {
			in.Checksums = map[string]string{"crc32": checksumOf("crc32", data), "crc32c": checksumOf("crc32c", data)}
		}, ErrInvalidArgument},
		{"bad base64", func(in *PutInput) { in.Checksums = map[string]string{"crc32": "!!!"} }, ErrInvalidArgument},
		{"wrong length", func(in *PutInput) {
			in.Checksums = map[string]string{"crc32": base64.StdEncoding.EncodeToString(make([]byte, 5))}
		}, ErrInvalidArgument},
		{"unannounced trailer", func(in *PutInput) {
			in.TrailerChecksums = func() map[string]string { return map[string]string{"crc32": checksumOf("crc32", data)} }
		}, ErrInvalidArgument},
	}
	for _, algo := range []string{"crc32", "crc32c", "crc64nvme", "sha1", "sha256"} {
		wrong := checksumOf(algo, data[1:])
		failing = append(failing,
			struct {
				name string
				mod  func(*PutInput)
				want error
			}{"bad header " + algo, func(in *PutInput) { in.Checksums = map[string]string{algo: wrong} }, ErrChecksumMismatch},
			struct {
				name string
				mod  func(*PutInput)
				want error
			}{"bad trailer " + algo, func(in *PutInput) {
				in.ChecksumAlgorithm = strings.ToUpper(algo)
				in.TrailerChecksums = func() map[string]string { return map[string]string{algo: wrong} }
			}, ErrChecksumMismatch})
	}
	for _, tt := range failing {
		_, err := try(tt.mod)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		// Nothing of a rejected upload remains.
		if _, err := e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "k"}); !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("%s: object visible after rejection: %v", tt.name, err)
		}
		e.wantShards(0)
	}

	// Good digests of every kind are accepted and checksums stored.
	info, err := try(func(in *PutInput) { in.ContentMD5 = md[:]; in.ContentSHA256 = sh[:] })
	if err != nil || info.ETag != hex.EncodeToString(md[:]) || len(info.Checksums.Values) != 0 {
		t.Fatalf("good md5+sha256: %+v %v", info, err)
	}
	for _, algo := range []string{"crc32", "crc32c", "crc64nvme", "sha1", "sha256"} {
		want := checksumOf(algo, data)
		for _, mode := range []string{"header", "trailer", "requested"} {
			info, err := try(func(in *PutInput) {
				switch mode {
				case "header":
					in.Checksums = map[string]string{strings.ToUpper(algo): want}
				case "trailer":
					in.ChecksumAlgorithm = algo
					in.TrailerChecksums = func() map[string]string { return map[string]string{algo: want} }
				case "requested":
					in.ChecksumAlgorithm = strings.ToUpper(algo)
				}
				if algo == "sha256" {
					in.ContentSHA256 = sh[:] // shares the one SHA-256 pass
				}
			})
			if err != nil || info.Checksums.Values[algo] != want || info.Checksums.Type != ChecksumFullObject {
				t.Fatalf("%s %s: %+v %v", algo, mode, info.Checksums, err)
			}
			head, err := e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "k"})
			if err != nil || head.Checksums.Values[algo] != want {
				t.Fatalf("%s %s: head %+v %v", algo, mode, head.Checksums, err)
			}
		}
	}
	// Overwrites removed every earlier version's shards.
	e.wantShards(6)
}

func TestPutShortAndLongBody(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	_, err := e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: bytes.NewReader(make([]byte, 50)), Size: 100})
	wantErr(t, err, ErrIncompleteBody)
	// A body that fails is never committed, whatever its error — including
	// io.ErrUnexpectedEOF, which HTTP servers return for a cut connection.
	for _, bodyErr := range []error{io.ErrUnexpectedEOF, errors.New("connection reset")} {
		for _, size := range []int64{-1, 1000} {
			_, err = e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: &errReader{r: strings.NewReader("abc"), err: bodyErr}, Size: size})
			if err == nil {
				t.Fatalf("a body failing with %v (size %d) was accepted", bodyErr, size)
			}
		}
	}
	_, err = e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: &errReader{r: strings.NewReader("abc"), err: io.ErrUnexpectedEOF}, Size: -1})
	wantErr(t, err, ErrIncompleteBody)
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "k"})
	wantErr(t, err, ErrNoSuchKey)
	e.wantShards(0)
	// A declared size over 5 GiB is refused before any byte is read.
	_, err = e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: strings.NewReader("x"), Size: 5<<30 + 1})
	wantErr(t, err, ErrEntityTooLarge)
	e.wantShards(0)
	// Unknown size streams fine.
	data := randBytes(3, testChunk*2+17)
	info, err := e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: bytes.NewReader(data), Size: -1})
	if err != nil || info.Size != int64(len(data)) {
		t.Fatalf("unknown size: %+v %v", info, err)
	}
	if got := mustRead(t, e.s, "data", "k"); !bytes.Equal(got, data) {
		t.Fatal("unknown-size object reads back wrong")
	}
}

// blockingReader yields some bytes, then blocks until released.
type blockingReader struct {
	first   []byte
	started chan struct{}
	release chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	select {
	case <-b.started:
	default:
		close(b.started)
	}
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

func TestPutCancelledLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.bucket("data")
	ctx, cancel := context.WithCancel(context.Background())
	body := &blockingReader{first: randBytes(1, 3*testChunk), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: body, Size: 10 * testChunk})
		done <- err
	}()
	<-body.started
	cancel()
	close(body.release)
	if err := <-done; err == nil {
		t.Fatal("cancelled PUT succeeded")
	}
	_, err := e.s.HeadObject(context.Background(), GetInput{Bucket: "data", Key: "k"})
	wantErr(t, err, ErrNoSuchKey)
	e.wantShards(0)
}

func TestETagFastMode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(o *Options) { o.ETag = ETagFast })
	e.bucket("data")
	data := []byte("fast etag body")
	info := put(t, e.s, "data", "k", data)
	md := md5.Sum(data)
	if len(info.ETag) != 32 || info.ETag == hex.EncodeToString(md[:]) {
		t.Fatalf("fast ETag %q", info.ETag)
	}
	if _, err := hex.DecodeString(info.ETag); err != nil {
		t.Fatalf("fast ETag %q is not hex", info.ETag)
	}
	// Content-MD5 is still verified in fast mode.
	_, err := e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k2", Body: bytes.NewReader(data), Size: int64(len(data)), ContentMD5: make([]byte, 16)})
	wantErr(t, err, ErrBadDigest)
	// Multipart parts keep MD5 ETags.
	up, err := e.s.CreateMultipartUpload(ctx, "data", "mp", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "data", Key: "mp", Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil || p.ETag != hex.EncodeToString(md[:]) {
		t.Fatalf("part in fast mode: %+v %v", p, err)
	}
	if _, err := New(Options{ETag: "sha3"}); err == nil {
		t.Fatal("unknown ETag mode accepted")
	}
}

func TestDeleteObject(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	put(t, e.s, "data", "k", randBytes(1, 1000))
	e.wantShards(6)
	if err := e.s.DeleteObject(ctx, "data", "k"); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
	wantErr(t, err, ErrNoSuchKey)
	e.wantShards(0)
	// Idempotent.
	if err := e.s.DeleteObject(ctx, "data", "k"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestGetConditions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(o *Options) {
		o.Now = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
	})
	e.bucket("data")
	info := put(t, e.s, "data", "k", []byte("conditional"))
	mod := info.LastModified
	quoted := `"` + info.ETag + `"`
	cases := []struct {
		c    Conditions
		want error
	}{
		{Conditions{IfMatch: quoted}, nil},
		{Conditions{IfMatch: info.ETag}, nil},
		{Conditions{IfMatch: `"nope"`}, ErrPreconditionFailed},
		{Conditions{IfNoneMatch: quoted}, ErrNotModified},
		{Conditions{IfNoneMatch: "*"}, ErrNotModified},
		{Conditions{IfNoneMatch: `"nope"`}, nil},
		{Conditions{IfModifiedSince: mod}, ErrNotModified},
		{Conditions{IfModifiedSince: mod.Add(-time.Second)}, nil},
		{Conditions{IfUnmodifiedSince: mod.Add(-time.Second)}, ErrPreconditionFailed},
		{Conditions{IfMatch: quoted, IfUnmodifiedSince: mod.Add(-time.Hour)}, nil},
		{Conditions{IfNoneMatch: quoted, IfModifiedSince: mod.Add(-time.Hour)}, ErrNotModified},
	}
	for i, c := range cases {
		_, err := e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k", Cond: c.c})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("case %d GET: %v, want %v", i, err, c.want)
		}
		_, err = e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "k", Cond: c.c})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("case %d HEAD: %v, want %v", i, err, c.want)
		}
	}
}
