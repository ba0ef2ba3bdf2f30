package object

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// rewriteManifest replaces the stored manifest bytes of bucket/key.
func rewriteManifest(t *testing.T, s *Store, bucket, key string, edit func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	raw, _, err := s.meta.Get(ctx, nsObjects(bucket), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.meta.Put(ctx, nsObjects(bucket), key, edit(bytes.Clone(raw)), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedManifest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	e.bucket("other")
	data := randBytes(4, 5000)
	put(t, e.s, "data", "k", data)
	orig, _, err := e.s.meta.Get(ctx, nsObjects("data"), "k")
	if err != nil {
		t.Fatal(err)
	}
	// Flip one byte at many positions: header, body, envelope, signature.
	step := max(1, len(orig)/40)
	for pos := 0; pos < len(orig); pos += step {
		rewriteManifest(t, e.s, "data", "k", func(b []byte) []byte { b[pos] ^= 0x40; return b })
		_, err := e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("byte %d of %d flipped: GET %v, want ErrTampered", pos, len(orig), err)
		}
		_, err = e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "k"})
		wantErr(t, err, ErrTampered)
		rewriteManifest(t, e.s, "data", "k", func([]byte) []byte { return orig })
	}
	// Truncated and extended manifests.
	for _, edit := range []func([]byte) []byte{
		func(b []byte) []byte { return b[:len(b)-1] },
		func(b []byte) []byte { return append(b, 0) },
		func([]byte) []byte { return nil },
	} {
		rewriteManifest(t, e.s, "data", "k", edit)
		_, err := e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
		wantErr(t, err, ErrTampered)
	}
	rewriteManifest(t, e.s, "data", "k", func([]byte) []byte { return orig })
	if got := mustRead(t, e.s, "data", "k"); !bytes.Equal(got, data) {
		t.Fatal("restored manifest reads back wrong")
	}

	// A validly signed manifest moved to another key or bucket is refused.
	put(t, e.s, "data", "victim", []byte("victim data"))
	for _, dst := range []struct{ bucket, key string }{{"data", "victim"}, {"other", "k"}} {
		if _, err := e.s.meta.Put(ctx, nsObjects(dst.bucket), dst.key, orig, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.GetObject(ctx, GetInput{Bucket: dst.bucket, Key: dst.key})
		wantErr(t, err, ErrTampered)
	}

	// Re-encoded with changed metadata but the old signature: refused.
	m := storedManifest(t, e.s, "data", "k")
	m.ContentType = "text/evil"
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rewriteManifest(t, e.s, "data", "k", func([]byte) []byte { return raw })
	_, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
	wantErr(t, err, ErrTampered)
}

func TestDamagedShards(t *testing.T) {
	e := newEnv(t)
	e.bucket("data")
	data := randBytes(8, 3*testChunk+99)
	put(t, e.s, "data", "k", data)
	files := e.shardFiles()
	if len(files) != 6 {
		t.Fatalf("%d shard files", len(files))
	}
	damage := func(p string) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(b); i += 97 {
			b[i] ^= 0xA5
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Up to m=2 damaged shards are rebuilt transparently.
	damage(files[0])
	damage(files[3])
	if got := mustRead(t, e.s, "data", "k"); !bytes.Equal(got, data) {
		t.Fatal("two damaged shards: wrong data")
	}
	// A third one makes the object unavailable — never wrong data.
	damage(files[5])
	_, _, err := read(t, e.s, GetInput{Bucket: "data", Key: "k"})
	if !errors.Is(err, ErrDataUnavailable) && !errors.Is(err, ErrTampered) {
		t.Fatalf("three damaged shards: %v", err)
	}
}

// TestStorageMediaTheft writes objects full of a marker string through every
// write path and then scans every file under the data directory (OSDs and
// metadata): the plaintext must never appear at rest.
func TestStorageMediaTheft(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("vault")
	marker := []byte("TOP-SECRET-MARKER-7f3a9c")
	body := bytes.Repeat(marker, (2*testChunk)/len(marker)+3)
	put(t, e.s, "vault", "plain", body)
	put(t, e.s, "vault", "tiny", marker)
	up, err := e.s.CreateMultipartUpload(ctx, "vault", "multi", ObjectMeta{}, "crc64nvme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	var parts []CompletePart
	for i := 1; i <= 2; i++ {
		p, err := e.s.UploadPart(ctx, up.UploadID, i, PutInput{Bucket: "vault", Key: "multi", Body: bytes.NewReader(body), Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, CompletePart{PartNumber: i, ETag: p.ETag})
	}
	if _, err := e.s.CompleteMultipartUpload(ctx, "vault", "multi", up.UploadID, parts, CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "vault", SrcKey: "plain"}, "vault", "copy"); err != nil {
		t.Fatal(err)
	}
	// An upload still in progress holds parts at rest too.
	up2, err := e.s.CreateMultipartUpload(ctx, "vault", "pending", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.UploadPart(ctx, up2.UploadID, 1, PutInput{Bucket: "vault", Key: "pending", Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}

	probes := [][]byte{marker, marker[:12], marker[12:]}
	scanned, total := 0, 0
	err = filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		scanned++
		total += len(b)
		for _, probe := range probes {
			if bytes.Contains(b, probe) {
				t.Errorf("plaintext %q found at rest in %s", probe, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sanity: the scan saw the shards of every stream written above.
	if scanned < 5*6 || total < 5*len(body) {
		t.Fatalf("scanned only %d files, %d bytes", scanned, total)
	}
	// And the data is still readable through the layer.
	if got := mustRead(t, e.s, "vault", "multi"); !bytes.Equal(got, append(bytes.Clone(body), body...)) {
		t.Fatal("multipart object reads back wrong")
	}
}
