package test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKConditionalWrites: If-None-Match: * and If-Match on PutObject and
// CompleteMultipartUpload answer as S3 does (412 PreconditionFailed, 404
// for If-Match on a missing key) and change nothing when refused.
func TestSDKConditionalWrites(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-condwrite")
	createBucket(t, c, bucket)

	putIf := func(key, body string, noneMatch, match *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader([]byte(body)), IfNoneMatch: noneMatch, IfMatch: match})
	}
	first, err := putIf("k", "one", aws.String("*"), nil)
	if err != nil {
		t.Fatalf("create-only PUT: %v", err)
	}
	_, err = putIf("k", "two", aws.String("*"), nil)
	requireCode(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	_, err = putIf("k", "two", nil, aws.String(`"0123456789abcdef0123456789abcdef"`))
	requireCode(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	_, err = putIf("missing", "x", nil, aws.String("*"))
	requireCode(t, err, http.StatusNotFound, "NoSuchKey")
	if _, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); string(got) != "one" {
		t.Fatalf("refused writes changed the object to %q", got)
	}
	if _, err := putIf("k", "two", nil, first.ETag); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}

	u := newUpload(t, c, bucket, "k", nil)
	etag := u.part(1, []byte("three"))
	done := &types.CompletedMultipartUpload{Parts: []types.CompletedPart{cp(1, etag)}}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		UploadId: aws.String(u.id), MultipartUpload: done, IfNoneMatch: aws.String("*")})
	requireCode(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	if _, err := u.complete(cp(1, etag)); err != nil {
		t.Fatalf("Complete after a refused conditional one: %v", err)
	}
	if _, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); string(got) != "three" {
		t.Fatalf("completed object reads %q", got)
	}
}
