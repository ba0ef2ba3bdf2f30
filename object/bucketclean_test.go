package object

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// TestDeleteBucketStartsClean: a bucket deleted and created again under
// the same name carries nothing of the old one — no CORS, tags, policy,
// versioning or Object Lock configuration — and the records of the old
// configuration are gone from Meta, not merely ignored.
func TestDeleteBucketStartsClean(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.s
	if err := s.CreateBucketWith(ctx, CreateBucketInput{Bucket: "cfg", Owner: "o", ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("cors", s.PutBucketCors(ctx, "cfg", []byte("<CORSConfiguration/>")))
	must("tags", s.PutBucketTagging(ctx, "cfg", []Tag{{Key: "k", Value: "v"}}))
	must("policy", s.PutBucketPolicy(ctx, "cfg", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::cfg/*"}]}`)))
	must("lock", s.PutObjectLockConfiguration(ctx, "cfg", LockConfig{Enabled: true, Mode: LockGovernance, Days: 1}))
	must("delete", s.DeleteBucket(ctx, "cfg"))

	for _, ns := range []string{nsBucketCors, nsBucketTags, nsBucketPolicy} {
		if _, _, err := s.meta.Get(ctx, ns, "cfg"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("record %s/cfg after DeleteBucket: %v, want not found", ns, err)
		}
	}

	must("re-create", s.CreateBucket(ctx, "cfg", "o", ""))
	if _, err := s.GetBucketCors(ctx, "cfg"); !errors.Is(err, ErrNoSuchCORSConfiguration) {
		t.Errorf("CORS of the new bucket: %v, want ErrNoSuchCORSConfiguration", err)
	}
	if tags, err := s.GetBucketTagging(ctx, "cfg"); err == nil && len(tags) > 0 {
		t.Errorf("tags of the new bucket: %v", tags)
	}
	if _, err := s.GetBucketPolicy(ctx, "cfg"); !errors.Is(err, ErrNoSuchBucketPolicy) {
		t.Errorf("policy of the new bucket: %v, want ErrNoSuchBucketPolicy", err)
	}
	if v, err := s.GetBucketVersioning(ctx, "cfg"); err != nil || v != "" {
		t.Errorf("versioning of the new bucket: %q, %v; want never configured", v, err)
	}
	if _, err := s.GetObjectLockConfiguration(ctx, "cfg"); !errors.Is(err, ErrNoSuchObjectLockConfiguration) {
		t.Errorf("lock configuration of the new bucket: %v", err)
	}
	if bi, err := s.HeadBucket(ctx, "cfg"); err != nil || bi.KMSKeyID != "" {
		t.Errorf("default encryption of the new bucket: %+v, %v", bi, err)
	}
}

// TestDeleteNullVersionWrittenBeforeVersioning: an object written before
// versioning was configured is the key's null version once it is; deleting
// versionId=null removes it for good (GET and the version listing no
// longer find it), as S3 does. It used to answer 204 and stay readable.
func TestDeleteNullVersionWrittenBeforeVersioning(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("nul")
	if _, err := e.s.PutObject(ctx, PutInput{Bucket: "nul", Key: "k", Body: bytes.NewReader([]byte("old")), Size: 3}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutBucketVersioning(ctx, "nul", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	res, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "nul", Key: "k", VersionID: NullVersion})
	if err != nil || res.VersionID != NullVersion {
		t.Fatalf("delete null version: %+v %v", res, err)
	}
	if _, err := e.s.HeadObject(ctx, GetInput{Bucket: "nul", Key: "k"}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("HEAD after deleting the null version: %v, want ErrNoSuchKey", err)
	}
	list, err := e.s.ListObjectVersions(ctx, VersionListInput{Bucket: "nul", MaxKeys: 10})
	if err != nil || len(list.Versions) != 0 {
		t.Fatalf("versions left: %+v %v", list.Versions, err)
	}
	if err := e.s.DeleteBucket(ctx, "nul"); err != nil {
		t.Fatalf("DeleteBucket of the emptied bucket: %v", err)
	}
}
