package object

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

const testBucketPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",` +
	`"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/public/*"}]}`

func TestBucketPolicyLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).s
	wantErr(t, s.PutBucketPolicy(ctx, "pol", []byte(testBucketPolicy)), ErrNoSuchBucket)
	_, err := s.GetBucketPolicy(ctx, "pol")
	wantErr(t, err, ErrNoSuchBucket)
	wantErr(t, s.DeleteBucketPolicy(ctx, "pol"), ErrNoSuchBucket)

	if err := s.CreateBucket(ctx, "pol", "root", ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketPolicy(ctx, "pol")
	wantErr(t, err, ErrNoSuchBucketPolicy)
	// Deleting a policy that is not there succeeds, as in S3.
	if err := s.DeleteBucketPolicy(ctx, "pol"); err != nil {
		t.Fatal(err)
	}

	doc := []byte("  " + testBucketPolicy + "\n") // stored verbatim, whitespace included
	if err := s.PutBucketPolicy(ctx, "pol", doc); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBucketPolicy(ctx, "pol")
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("GetBucketPolicy = %q, %v; want %q", got, err, doc)
	}

	// A malformed document changes nothing.
	for _, bad := range []string{
		`{`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:Run","Resource":"arn:aws:s3:::pol/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*","Condition":{"NoSuchOp":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		"{" + strings.Repeat(" ", MaxBucketPolicySize) + "}",
	} {
		wantErr(t, s.PutBucketPolicy(ctx, "pol", []byte(bad)), ErrMalformedPolicy)
	}
	if got, err := s.GetBucketPolicy(ctx, "pol"); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("after malformed PUTs: %q, %v", got, err)
	}

	if err := s.DeleteBucketPolicy(ctx, "pol"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketPolicy(ctx, "pol")
	wantErr(t, err, ErrNoSuchBucketPolicy)
}

func TestDeleteBucketDropsPolicy(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).s
	if err := s.CreateBucket(ctx, "pol", "root", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketPolicy(ctx, "pol", []byte(testBucketPolicy)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "pol"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.meta.Get(ctx, nsBucketPolicy, "pol"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("policy record after DeleteBucket: %v", err)
	}
}

// A policy record left behind by a deleted bucket (a crash between the two
// deletes) must never apply to a new bucket of the same name.
func TestStalePolicyNotInherited(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).s
	if err := s.CreateBucket(ctx, "pol", "root", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketPolicy(ctx, "pol", []byte(testBucketPolicy)); err != nil {
		t.Fatal(err)
	}
	// Remove only the bucket record, as a crash after it would.
	if err := s.meta.Delete(ctx, nsBuckets, "pol", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "pol", "mallory", ""); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetBucketPolicy(ctx, "pol")
	wantErr(t, err, ErrNoSuchBucketPolicy)
}
