package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"testing"
	"time"
)

// TestLockedMultipart: ObjectMeta.Lock on CreateMultipartUpload is checked
// at create as PUT's lock is, survives in the upload record, and is the
// lock state of the version Complete writes, which then cannot be deleted.
// The bucket's default retention applies only to an upload without one.
func TestLockedMultipart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.versioned("vbk")
	e.lockedBucket("lbk")
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	lock := &LockInput{Mode: LockGovernance, RetainUntil: until, LegalHold: true}

	_, err := e.s.CreateMultipartUpload(ctx, "vbk", "k", ObjectMeta{Lock: lock}, "", "alice")
	wantErr(t, err, ErrInvalidRequest)
	_, err = e.s.CreateMultipartUpload(ctx, "lbk", "k", ObjectMeta{Lock: &LockInput{Mode: LockCompliance, RetainUntil: time.Now().Add(-time.Hour)}}, "", "alice")
	wantErr(t, err, ErrInvalidArgument)

	complete := func(meta ObjectMeta, data string) ObjectInfo {
		t.Helper()
		up, err := e.s.CreateMultipartUpload(ctx, "lbk", "k", meta, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		// A part of a locked upload carries an integrity check (S3's rule).
		sum := md5.Sum([]byte(data))
		p, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "lbk", Key: "k", Body: bytes.NewReader([]byte(data)), Size: int64(len(data)), ContentMD5: sum[:]})
		if err != nil {
			t.Fatal(err)
		}
		info, err := e.s.CompleteMultipartUpload(ctx, "lbk", "k", up.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	info := complete(ObjectMeta{Lock: lock}, "locked")
	want := LockState{Mode: LockGovernance, RetainUntil: until, LegalHold: true}
	if !info.Lock.RetainUntil.Equal(want.RetainUntil) || info.Lock.Mode != want.Mode || !info.Lock.LegalHold {
		t.Fatalf("completed version lock %+v, want %+v", info.Lock, want)
	}
	got, err := e.s.GetObjectRetention(ctx, "lbk", "k", info.VersionID)
	if err != nil || got.Mode != LockGovernance || !got.RetainUntil.Equal(until) {
		t.Fatalf("retention of the completed version: %+v %v", got, err)
	}
	_, err = e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "lbk", Key: "k", VersionID: info.VersionID, BypassGovernance: true})
	wantErr(t, err, ErrObjectLocked) // legal hold binds even with bypass

	if err := e.s.PutObjectLockConfiguration(ctx, "lbk", LockConfig{Enabled: true, Mode: LockCompliance, Days: 1}); err != nil {
		t.Fatal(err)
	}
	plain := complete(ObjectMeta{}, "default")
	if plain.Lock.Mode != LockCompliance || plain.Lock.LegalHold || plain.Lock.RetainUntil.Sub(plain.LastModified) != 24*time.Hour {
		t.Fatalf("upload without lock state: %+v, want the bucket's default retention", plain.Lock)
	}
}

// TestLockedPartNeedsIntegrity: a part of an upload created with Object
// Lock parameters and no Content-MD5 or checksum is refused
// (ErrLockChecksumRequired, an ErrInvalidRequest) and stores nothing; a
// checksum algorithm alone (the SDKs' trailer) is enough.
func TestLockedPartNeedsIntegrity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.CreateBucketWith(ctx, CreateBucketInput{Bucket: "lbk", Owner: "alice", ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	up, err := e.s.CreateMultipartUpload(ctx, "lbk", "k", ObjectMeta{Lock: &LockInput{LegalHold: true}}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	part := func(in PutInput) error {
		in.Bucket, in.Key, in.Body, in.Size = "lbk", "k", bytes.NewReader([]byte("x")), 1
		_, err := e.s.UploadPart(ctx, up.UploadID, 1, in)
		return err
	}
	err = part(PutInput{})
	wantErr(t, err, ErrLockChecksumRequired)
	wantErr(t, err, ErrInvalidRequest)
	if parts, _, _, err := e.s.ListParts(ctx, "lbk", "k", up.UploadID, 0, 10); err != nil || len(parts) != 0 {
		t.Fatalf("a refused part was stored: %v %v", parts, err)
	}
	if err := part(PutInput{ChecksumAlgorithm: "crc32"}); err != nil {
		t.Fatalf("part with a checksum algorithm: %v", err)
	}
}
