package test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Regression tests for the compatibility bugs of issue 14, through real
// clients (and raw HTTP where no client can send the request).

// TestSDKCompleteRepeated: a retried CompleteMultipartUpload with the same
// part list (the client lost the first answer) answers 200 and the
// completed object's ETag, not NoSuchUpload.
func TestSDKCompleteRepeated(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("sdk-complete-again")
	createBucket(t, c, bucket)
	u := newUpload(t, c, bucket, "obj", nil)
	p1 := randData(71, minPart)
	p2 := randData(72, 1000)
	parts := []string{u.part(1, p1), u.part(2, p2)}
	first, err := u.complete(cp(1, parts[0]), cp(2, parts[1]))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	for i := range 2 {
		again, err := u.complete(cp(1, parts[0]), cp(2, parts[1]))
		if err != nil {
			t.Fatalf("repeated Complete %d: %v", i+1, err)
		}
		if aws.ToString(again.ETag) != aws.ToString(first.ETag) || aws.ToString(again.Key) != "obj" {
			t.Fatalf("repeated Complete answered ETag %s key %s, want %s obj", aws.ToString(again.ETag), aws.ToString(again.Key), aws.ToString(first.ETag))
		}
	}
	_, data := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if len(data) != len(p1)+len(p2) {
		t.Fatalf("object of %d bytes after repeated Complete, want %d", len(data), len(p1)+len(p2))
	}
}

// TestSDKListBucketsPagination: max-buckets, continuation-token and
// prefix, as S3 answers them (ContinuationToken only while more follow).
func TestSDKListBucketsPagination(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	prefix := bucketName("sdk-lb") + "-"
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("%s%d", prefix, i)
		createBucket(t, c, name)
		want = append(want, name)
	}
	var got []string
	var token *string
	pages := 0
	for {
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String(prefix), ContinuationToken: token})
		if err != nil {
			t.Fatalf("ListBuckets: %v", err)
		}
		pages++
		if len(out.Buckets) > 2 || aws.ToString(out.Prefix) != prefix {
			t.Fatalf("page %d: %d buckets, prefix %q", pages, len(out.Buckets), aws.ToString(out.Prefix))
		}
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
		if token = out.ContinuationToken; token == nil {
			break
		}
		if pages > 5 {
			t.Fatal("ListBuckets does not end")
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("%d pages %v, want 3 pages %v", pages, got, want)
	}
	_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
	requireCode(t, err, http.StatusBadRequest, "InvalidArgument")
	_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: aws.String("!not a token!")})
	requireCode(t, err, http.StatusBadRequest, "InvalidArgument")
}

// TestSDKSHA256ChecksumMismatch: an x-amz-checksum-sha256 that does not
// match the body is 400 BadDigest, as S3 answers, and stores nothing.
func TestSDKSHA256ChecksumMismatch(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk(checksumsOff)
	bucket := bucketName("sdk-sha256-mismatch")
	createBucket(t, c, bucket)
	data := []byte("the body that was sent")
	wrong := sha256.Sum256([]byte("some other body"))
	_, err := c.PutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"),
		Body: bytes.NewReader(data), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	requireCode(t, err, http.StatusBadRequest, "BadDigest")
	requireAbsent(t, c, bucket, "obj")
	right := sha256.Sum256(data)
	if _, err := c.PutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"),
		Body: bytes.NewReader(data), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(right[:]))}); err != nil {
		t.Fatalf("PutObject with the right SHA-256: %v", err)
	}
}

// rawExchange sends one request exactly as written over TLS and returns
// the response status and body.
func rawExchange(t *testing.T, raw string) (int, string) {
	t.Helper()
	conn, err := tls.Dial("tcp", fx.gw.Addr, fx.ca.clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signedHead returns the request line and signed headers of a PUT with an
// unsigned payload and no Content-Length, ready for the test to add its
// own framing headers.
func signedHead(t *testing.T, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, fx.gw.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\n", path, req.URL.Host)
	for name, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	b.WriteString("Connection: close\r\n")
	return b.String()
}

// TestContentLengthRequired: a PUT without Content-Length (and not
// chunked) is 411 MissingContentLength; an empty or malformed one is 400;
// nothing is stored.
func TestContentLengthRequired(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("raw-length")
	createBucket(t, c, bucket)
	path := "/" + bucket + "/obj"
	for _, tc := range []struct {
		name, framing string
		status        int
		code          string
	}{
		{"missing", "", http.StatusLengthRequired, "MissingContentLength"},
		{"empty", "Content-Length: \r\n", http.StatusBadRequest, ""},
		{"not a number", "Content-Length: abc\r\n", http.StatusBadRequest, ""},
		{"negative", "Content-Length: -1\r\n", http.StatusBadRequest, ""},
	} {
		status, body := rawExchange(t, signedHead(t, path)+tc.framing+"\r\n")
		if status != tc.status || !strings.Contains(body, "<Code>"+tc.code) {
			t.Errorf("%s Content-Length: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	requireAbsent(t, c, bucket, "obj")
	// The same request with a length stores the object.
	if status, body := rawExchange(t, signedHead(t, path)+"Content-Length: 3\r\n\r\nabc"); status != http.StatusOK {
		t.Fatalf("PUT with Content-Length: %d %s", status, body)
	}
}
