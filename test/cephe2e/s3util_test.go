//go:build ceph

package cephe2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// body returns n deterministic pseudo-random bytes for seed.
func body(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for k := range 8 {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// md5Hex is the single-PUT ETag of b.
func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// multipartETag is the S3 ETag of an object completed from parts.
func multipartETag(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		s := md5.Sum(p)
		all = append(all, s[:]...)
	}
	s := md5.Sum(all)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), len(parts))
}

// unquote strips the quotes of an ETag header.
func unquote(s *string) string {
	return strings.Trim(aws.ToString(s), `"`)
}

// httpStatus returns the HTTP status of an S3 error response, 0 when err
// is not one (transport failure, timeout, nil).
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errCode returns the S3 error code of err, "" when there is none.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isNotFound reports a 404 answer (NoSuchKey, or HEAD's bare 404).
func isNotFound(err error) bool { return httpStatus(err) == http.StatusNotFound }

// putObject stores b under bucket/key and returns the ETag the gateway
// acknowledged.
func putObject(ctx context.Context, c *s3.Client, bucket, key string, b []byte) (string, error) {
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))),
	})
	if err != nil {
		return "", err
	}
	return unquote(out.ETag), nil
}

// mustPut stores b and checks the acknowledged ETag.
func mustPut(t *testing.T, c *s3.Client, bucket, key string, b []byte) {
	t.Helper()
	ctx, cancel := reqCtx(t)
	defer cancel()
	etag, err := putObject(ctx, c, bucket, key, b)
	if err != nil {
		t.Fatalf("PUT %s/%s: %v", bucket, key, err)
	}
	if etag != md5Hex(b) {
		t.Fatalf("PUT %s/%s: ETag %s, want %s", bucket, key, etag, md5Hex(b))
	}
}

// getObject reads bucket/key (or a range of it) whole and returns the body
// and the ETag. A body cut short is an error, never a short result.
func getObject(ctx context.Context, c *s3.Client, bucket, key, rng string) ([]byte, string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return nil, "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return b, "", fmt.Errorf("read body: %w", err)
	}
	if out.ContentLength != nil && *out.ContentLength != int64(len(b)) {
		return b, "", fmt.Errorf("body of %d bytes, Content-Length %d", len(b), *out.ContentLength)
	}
	return b, unquote(out.ETag), nil
}

// mustGet reads bucket/key and checks bytes and ETag.
func mustGet(t *testing.T, c *s3.Client, bucket, key string, want []byte, wantETag string) {
	t.Helper()
	ctx, cancel := reqCtx(t)
	defer cancel()
	got, etag, err := getObject(ctx, c, bucket, key, "")
	if err != nil {
		t.Fatalf("GET %s/%s: %v", bucket, key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("GET %s/%s: %d bytes (md5 %s), want %d bytes (md5 %s)", bucket, key, len(got), md5Hex(got), len(want), md5Hex(want))
	}
	if etag != wantETag {
		t.Fatalf("GET %s/%s: ETag %s, want %s", bucket, key, etag, wantETag)
	}
}

// listEntry is one key of a listing.
type listEntry struct {
	Key  string
	ETag string
	Size int64
}

// listAll lists every key under prefix with ListObjectsV2, page by page.
func listAll(t *testing.T, c *s3.Client, bucket, prefix string) []listEntry {
	t.Helper()
	ctx, cancel := reqCtx(t)
	defer cancel()
	var out []listEntry
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(7),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 %s prefix %q: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, listEntry{Key: aws.ToString(o.Key), ETag: unquote(o.ETag), Size: aws.ToInt64(o.Size)})
		}
	}
	return out
}

// createBucket creates bucket through c.
func createBucket(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	ctx, cancel := reqCtx(t)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
}

// emptyAndDelete deletes every object and upload of bucket, then the
// bucket, failing the test on any error.
func emptyAndDelete(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	ctx, cancel := reqCtx(t)
	defer cancel()
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads %s: %v", bucket, err)
	}
	for _, u := range ups.Uploads {
		if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId}); err != nil {
			t.Fatalf("AbortMultipartUpload %s/%s: %v", bucket, aws.ToString(u.Key), err)
		}
	}
	for _, e := range listAll(t, c, bucket, "") {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(e.Key)}); err != nil {
			t.Fatalf("DeleteObject %s/%s: %v", bucket, e.Key, err)
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket %s: %v", bucket, err)
	}
}
