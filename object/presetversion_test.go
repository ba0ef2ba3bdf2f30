package object

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestCompletePresetVersion: CompleteOptions.VersionID names the version
// a completion makes in a versioning-enabled bucket (asked once), is not
// asked in an unversioned bucket, and an id of the wrong shape is refused.
func TestCompletePresetVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("vbk")
	e.bucket("plain")
	if err := e.s.PutBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	complete := func(bucket string, preset func() (string, error)) (ObjectInfo, error) {
		t.Helper()
		up, err := e.s.CreateMultipartUpload(ctx, bucket, "k", ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: bucket, Key: "k", Body: bytes.NewReader([]byte("data")), Size: 4})
		if err != nil {
			t.Fatal(err)
		}
		if enc, err := e.s.UploadEncryption(ctx, bucket, "k", up.UploadID); err != nil || enc != up.Encryption {
			t.Fatalf("UploadEncryption: %+v %v, want %+v", enc, err, up.Encryption)
		}
		return e.s.CompleteMultipartUpload(ctx, bucket, "k", up.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{VersionID: preset})
	}
	id, err := NewVersionID(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	preset := func() (string, error) { calls++; return id, nil }
	info, err := complete("vbk", preset)
	if err != nil || info.VersionID != id || calls != 1 {
		t.Fatalf("versioned completion: %q %v (%d calls), want %q", info.VersionID, err, calls, id)
	}
	if got, err := e.s.HeadObject(ctx, GetInput{Bucket: "vbk", Key: "k", VersionID: id}); err != nil || got.VersionID != id {
		t.Fatalf("HEAD of the preset version: %+v %v", got, err)
	}
	calls = 0
	if info, err := complete("plain", preset); err != nil || info.VersionID != "" || calls != 0 {
		t.Fatalf("unversioned completion: %q %v (%d calls)", info.VersionID, err, calls)
	}
	_, err = complete("vbk", func() (string, error) { return "../x", nil })
	wantErr(t, err, ErrInvalidArgument)
}
