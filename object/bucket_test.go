package object

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func TestBuckets(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.s
	wantErr(t, s.CreateBucket(ctx, "Bad_Name", "alice", ""), ErrInvalidBucketName)
	if err := s.CreateBucket(ctx, "alpha", "alice", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "beta", "bob", ""); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.CreateBucket(ctx, "alpha", "alice", ""), ErrBucketAlreadyOwned)
	wantErr(t, s.CreateBucket(ctx, "alpha", "bob", ""), ErrBucketExists)

	info, err := s.HeadBucket(ctx, "alpha")
	if err != nil || info.Name != "alpha" || info.Owner != "alice" || info.Region != "eu-west-1" || info.Created.IsZero() {
		t.Fatalf("HeadBucket = %+v, %v", info, err)
	}
	_, err = s.HeadBucket(ctx, "missing")
	wantErr(t, err, ErrNoSuchBucket)
	_, err = s.HeadBucket(ctx, "NOT-VALID")
	wantErr(t, err, ErrNoSuchBucket)

	all, err := s.ListBuckets(ctx, "")
	if err != nil || len(all) != 2 || all[0].Name != "alpha" || all[1].Name != "beta" {
		t.Fatalf("ListBuckets all = %+v, %v", all, err)
	}
	bobs, err := s.ListBuckets(ctx, "bob")
	if err != nil || len(bobs) != 1 || bobs[0].Name != "beta" {
		t.Fatalf("ListBuckets bob = %+v, %v", bobs, err)
	}

	// Not empty: an object.
	put(t, s, "alpha", "k", []byte("v"))
	wantErr(t, s.DeleteBucket(ctx, "alpha"), ErrBucketNotEmpty)
	if err := s.DeleteObject(ctx, "alpha", "k"); err != nil {
		t.Fatal(err)
	}
	// Multipart uploads in progress do not keep a bucket alive: S3 aborts
	// them, parts and all.
	smallParts(s)
	up, err := s.CreateMultipartUpload(ctx, "alpha", "mpu", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, s, "alpha", "mpu", up.UploadID, 1, []byte("part"))
	if err := s.DeleteBucket(ctx, "alpha"); err != nil {
		t.Fatalf("DeleteBucket with only an upload in progress: %v", err)
	}
	_, _, _, err = s.ListParts(ctx, "alpha", "mpu", up.UploadID, 0, -1)
	if !errors.Is(err, ErrNoSuchUpload) && !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("the upload outlived its bucket: %v", err)
	}

	wantErr(t, s.DeleteBucket(ctx, "alpha"), ErrNoSuchBucket)
	_, err = s.HeadBucket(ctx, "alpha")
	wantErr(t, err, ErrNoSuchBucket)
	// The name is free again, for anyone.
	if err := s.CreateBucket(ctx, "alpha", "bob", ""); err != nil {
		t.Fatal(err)
	}
	e.wantShards(0)
}

func TestObjectsNeedBucket(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).s
	_, err := s.PutObject(ctx, PutInput{Bucket: "nobucket", Key: "k", Body: bytes.NewReader(nil)})
	wantErr(t, err, ErrNoSuchBucket)
	_, err = s.GetObject(ctx, GetInput{Bucket: "nobucket", Key: "k"})
	wantErr(t, err, ErrNoSuchBucket)
	wantErr(t, s.DeleteObject(ctx, "nobucket", "k"), ErrNoSuchBucket)
	_, err = s.ListObjects(ctx, ListInput{Bucket: "nobucket", MaxKeys: -1})
	wantErr(t, err, ErrNoSuchBucket)
	_, err = s.CreateMultipartUpload(ctx, "nobucket", "k", ObjectMeta{}, "", "alice")
	wantErr(t, err, ErrNoSuchBucket)
	_, _, _, err = s.ListMultipartUploads(ctx, "nobucket", "", "", "", "", -1)
	wantErr(t, err, ErrNoSuchBucket)
}

// deleteHookMeta runs a callback before Meta.Delete of one key.
type deleteHookMeta struct {
	storage.Meta
	ns, key string
	hook    func()
}

func (d *deleteHookMeta) Delete(ctx context.Context, ns, key string, c storage.Cond) error {
	if ns == d.ns && key == d.key && d.hook != nil {
		h := d.hook
		d.hook = nil
		h()
	}
	return d.Meta.Delete(ctx, ns, key, c)
}

// TestDeleteBucketRaces checks both halves of the bucket-delete fence: a
// writer whose commit lands after the bucket record is gone withdraws it,
// and a delete that finds the bucket filled after removing the record puts
// the record back.
func TestDeleteBucketRaces(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	real := e.s.meta

	// PUT: the bucket vanishes between the start of the PUT and its
	// post-commit check (Get #2 of the bucket record).
	e.s.meta = &hookMeta{Meta: real, ns: nsBuckets, key: "data", skip: 1, hook: func() {
		if err := real.Delete(ctx, nsBuckets, "data", storage.Cond{}); err != nil {
			t.Error(err)
		}
	}}
	_, err := e.s.PutObject(ctx, PutInput{Bucket: "data", Key: "k", Body: bytes.NewReader([]byte("late")), Size: 4})
	wantErr(t, err, ErrNoSuchBucket)
	if left, _ := real.List(ctx, nsObjects("data"), "", "", 1); len(left) != 0 {
		t.Fatal("object outlived its bucket")
	}
	e.wantShards(0)

	// Multipart: same for a new upload.
	e.s.meta = real
	e.bucket("data")
	e.s.meta = &hookMeta{Meta: real, ns: nsBuckets, key: "data", skip: 1, hook: func() {
		if err := real.Delete(ctx, nsBuckets, "data", storage.Cond{}); err != nil {
			t.Error(err)
		}
	}}
	_, err = e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
	wantErr(t, err, ErrNoSuchBucket)
	if left, _ := real.List(ctx, nsUploads("data"), "", "", 1); len(left) != 0 {
		t.Fatal("upload outlived its bucket")
	}

	// DeleteBucket: an object commits between the emptiness check and the
	// record's removal.
	e.s.meta = real
	e.bucket("data")
	other := e.open()
	e.s.meta = &deleteHookMeta{Meta: real, ns: nsBuckets, key: "data", hook: func() {
		put(t, other, "data", "sneaky", []byte("x"))
	}}
	wantErr(t, e.s.DeleteBucket(ctx, "data"), ErrBucketNotEmpty)
	e.s.meta = real
	if _, err := e.s.HeadBucket(ctx, "data"); err != nil {
		t.Fatalf("bucket not restored: %v", err)
	}
	if got := mustRead(t, e.s, "data", "sneaky"); string(got) != "x" {
		t.Fatalf("object %q", got)
	}
}
