package object

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// storedManifest reads and parses the committed manifest of bucket/key.
func storedManifest(t testing.TB, s *Store, bucket, key string) *manifest.Manifest {
	t.Helper()
	raw, _, err := s.meta.Get(context.Background(), nsObjects(bucket), key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCopyObject(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("src")
	e.bucket("dst")
	data := randBytes(9, 2*testChunk+11)
	src, err := e.s.PutObject(ctx, PutInput{
		Bucket: "src", Key: "a", Body: bytes.NewReader(data), Size: int64(len(data)),
		Meta:              ObjectMeta{ContentType: "image/png", User: map[string]string{"k": "v"}},
		ChecksumAlgorithm: "CRC32C",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Metadata COPY.
	info, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a", Owner: "bob"}, "dst", "b")
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != src.ETag || info.Meta.ContentType != "image/png" || info.Meta.User["k"] != "v" ||
		info.Checksums.Values["crc32c"] != src.Checksums.Values["crc32c"] {
		t.Fatalf("copy info %+v (source %+v)", info, src)
	}
	if got := mustRead(t, e.s, "dst", "b"); !bytes.Equal(got, data) {
		t.Fatal("copy reads back wrong")
	}
	// Re-encrypted: a new envelope and new data, not shared ciphertext.
	ms, md := storedManifest(t, e.s, "src", "a"), storedManifest(t, e.s, "dst", "b")
	if bytes.Equal(ms.Envelope.KEMCiphertext, md.Envelope.KEMCiphertext) || bytes.Equal(ms.Envelope.Salt, md.Envelope.Salt) ||
		ms.Parts[0].DataID == md.Parts[0].DataID {
		t.Fatal("copy shares the source's envelope or data")
	}
	// Metadata REPLACE.
	info, err = e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a", ReplaceMeta: true,
		Meta: ObjectMeta{ContentType: "text/plain"}}, "dst", "c")
	if err != nil || info.Meta.ContentType != "text/plain" || len(info.Meta.User) != 0 {
		t.Fatalf("replace: %+v %v", info.Meta, err)
	}

	// Self-copy without REPLACE is illegal; with REPLACE it re-encrypts.
	_, err = e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a"}, "src", "a")
	wantErr(t, err, ErrInvalidArgument)
	before := storedManifest(t, e.s, "src", "a")
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a", ReplaceMeta: true,
		Meta: ObjectMeta{ContentType: "x/y"}}, "src", "a"); err != nil {
		t.Fatal(err)
	}
	after := storedManifest(t, e.s, "src", "a")
	if bytes.Equal(before.Envelope.Salt, after.Envelope.Salt) || after.ContentType != "x/y" {
		t.Fatal("self-copy with REPLACE did not re-encrypt")
	}
	if got := mustRead(t, e.s, "src", "a"); !bytes.Equal(got, data) {
		t.Fatal("self-copy reads back wrong")
	}
	e.wantShards(3 * 6) // src/a, dst/b, dst/c — and no leftovers from the self-copy

	// Conditions on the source: every failure is 412.
	etag := after.ETag
	for _, c := range []Conditions{{IfMatch: `"nope"`}, {IfNoneMatch: etag}, {IfModifiedSince: time.Unix(0, after.Modified).Add(time.Hour)}} {
		_, err = e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a", Cond: c}, "dst", "d")
		wantErr(t, err, ErrPreconditionFailed)
	}
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a", Cond: Conditions{IfMatch: etag}}, "dst", "d"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "missing"}, "dst", "e")
	wantErr(t, err, ErrNoSuchKey)
	_, err = e.s.CopyObject(ctx, CopyInput{SrcBucket: "src", SrcKey: "a"}, "nobucket", "e")
	wantErr(t, err, ErrNoSuchBucket)
}

func TestCopyMultipartSource(t *testing.T) {
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	data, src := mpuObject(t, e.s, "data", "mp", 30, []int{testChunk + 1, 500}, "crc32:FULL_OBJECT")
	info, err := e.s.CopyObject(context.Background(), CopyInput{SrcBucket: "data", SrcKey: "mp"}, "data", "flat")
	if err != nil {
		t.Fatal(err)
	}
	if info.PartsCount != 0 || info.Size != src.Size || info.Checksums.Values["crc32"] != src.Checksums.Values["crc32"] {
		t.Fatalf("copy of multipart: %+v (source %+v)", info, src)
	}
	if got := mustRead(t, e.s, "data", "flat"); !bytes.Equal(got, data) {
		t.Fatal("copy of multipart reads back wrong")
	}
}
