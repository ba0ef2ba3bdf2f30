package object

import (
	"context"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// TestDamagedManifestAffectsOneKey: a manifest that does not decode (or
// verify) fails GET/HEAD of that key with ErrDamagedMetadata, is skipped by
// listings, and can be deleted and overwritten.
func TestDamagedManifestAffectsOneKey(t *testing.T) {
	e := newEnv(t, withWalker)
	e.bucket("dmg")
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		put(t, e.s, "dmg", k, randBytes(1, 1000))
	}
	damage := func(key string, flip bool) {
		t.Helper()
		raw, _, err := e.s.meta.Get(ctx, nsObjects("dmg"), key)
		if err != nil {
			t.Fatal(err)
		}
		if flip {
			raw[len(raw)/2] ^= 0x40 // decodes, fails the signature
		} else {
			raw = raw[:len(raw)/3] // does not decode
		}
		if _, err := e.s.meta.Put(ctx, nsObjects("dmg"), key, raw, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	damage("b", false)
	damage("c", true)

	for _, k := range []string{"b", "c"} {
		_, _, err := read(t, e.s, GetInput{Bucket: "dmg", Key: k})
		wantErr(t, err, ErrDamagedMetadata)
		_, err = e.s.HeadObject(ctx, GetInput{Bucket: "dmg", Key: k})
		wantErr(t, err, ErrDamagedMetadata)
	}
	res, err := e.s.ListObjects(ctx, ListInput{Bucket: "dmg", MaxKeys: -1})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	// "c" still decodes (listing does not verify signatures); "b" is skipped.
	if len(keys) != 2 || keys[0] != "a" || keys[1] != "c" {
		t.Fatalf("listed %q, want [a c]", keys)
	}
	if err := e.s.DeleteObject(ctx, "dmg", "b"); err != nil {
		t.Fatalf("delete of a damaged key: %v", err)
	}
	want := randBytes(9, 700)
	put(t, e.s, "dmg", "c", want)
	if got := mustRead(t, e.s, "dmg", "c"); string(got) != string(want) {
		t.Fatal("overwrite of a damaged key reads other bytes")
	}
	// The damaged manifests' data is unreferenced now: orphan GC takes it.
	gcAll(t, e.s)
	e.wantShards(2 * 6)
}

// TestDamagedUploadRecordCanBeAborted: an upload record that does not
// decode is listed by name and can be aborted.
func TestDamagedUploadRecordCanBeAborted(t *testing.T) {
	e := newEnv(t)
	e.bucket("dmu")
	ctx := context.Background()
	up, err := e.s.CreateMultipartUpload(ctx, "dmu", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.meta.Put(ctx, nsUploads("dmu"), uploadKey("k", up.UploadID), []byte("{garbage"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	ups, _, _, err := e.s.ListMultipartUploads(ctx, "dmu", "", "", "", "", 100)
	if err != nil || len(ups) != 1 || ups[0].UploadID != up.UploadID {
		t.Fatalf("listing with a damaged upload record: %v, %v", ups, err)
	}
	if err := e.s.AbortMultipartUpload(ctx, "dmu", "k", up.UploadID); err != nil {
		t.Fatalf("abort of a damaged upload: %v", err)
	}
	if _, _, err := e.s.meta.Get(ctx, nsUploads("dmu"), uploadKey("k", up.UploadID)); err == nil {
		t.Fatal("damaged upload record survived the abort")
	}
}
