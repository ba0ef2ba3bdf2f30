package test

import (
	"bytes"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestMultiGateway runs two rustfs processes on one data directory (or one
// Ceph cluster) and checks that they serve one namespace: a multipart
// upload fed through both, completed through one and read through the
// other; objects written through one listed, read and deleted through the
// other.
func TestMultiGateway(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "shared")
	a := startBinary(t, data)
	b := startBinary(t, data)
	ca, cb := a.sdk(), b.sdk()
	ctx := testCtx(t)
	bucket := bucketName("multi-gw")
	createBucket(t, ca, bucket)
	if _, err := cb.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("bucket created through A, HeadBucket through B: %v", err)
	}

	t.Run("multipart-across-gateways", func(t *testing.T) {
		parts := [][]byte{randData(201, minPart), randData(202, minPart), randData(203, 777777)}
		u := newUpload(t, ca, bucket, "shared/mpu", nil)
		ub := &mpu{t: t, c: cb, bucket: bucket, key: u.key, id: u.id}
		etags := make([]string, 3)
		var wg sync.WaitGroup
		wg.Go(func() { etags[0] = u.part(1, parts[0]) })
		wg.Go(func() { etags[1] = ub.part(2, parts[1]) })
		wg.Go(func() { etags[2] = ub.part(3, parts[2]) })
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		// Both gateways see all three parts.
		for name, c := range map[string]*s3.Client{"A": ca, "B": cb} {
			lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(u.key), UploadId: aws.String(u.id)})
			if err != nil || len(lp.Parts) != 3 {
				t.Fatalf("ListParts through %s: %v, %d parts", name, err, len(lp.Parts))
			}
		}
		out, err := u.complete(cp(1, etags[0]), cp(2, etags[1]), cp(3, etags[2]))
		if err != nil {
			t.Fatalf("Complete through A: %v", err)
		}
		if unquote(out.ETag) != multipartETag(parts...) {
			t.Errorf("ETag %s, want %s", unquote(out.ETag), multipartETag(parts...))
		}
		whole := slices.Concat(parts...)
		g, got := getBytes(t, cb, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key)})
		if sha256Hex(got) != sha256Hex(whole) || unquote(g.ETag) != multipartETag(parts...) {
			t.Fatalf("read through B: %d bytes (SHA-256 equal %v), ETag %s", len(got), sha256Hex(got) == sha256Hex(whole), unquote(g.ETag))
		}
		_, got = getBytes(t, cb, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key),
			Range: aws.String("bytes=5242800-5242999")})
		if !bytes.Equal(got, whole[5242800:5243000]) {
			t.Fatal("range across the part boundary read through B differs")
		}
		_, err = cb.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(u.key), UploadId: aws.String(u.id)})
		requireCode(t, err, http.StatusNotFound, "NoSuchUpload")
	})

	t.Run("objects-across-gateways", func(t *testing.T) {
		data := randData(204, 3<<20+1)
		put(t, cb, bucket, "shared/from-b", data)
		put(t, ca, bucket, "shared/from-a", []byte("written through A"))
		for name, c := range map[string]*s3.Client{"A": ca, "B": cb} {
			keys := listAllV2(t, c, bucket, "shared/from-")
			if !equalStrings(keys, []string{"shared/from-a", "shared/from-b"}) {
				t.Fatalf("listing through %s: %q", name, keys)
			}
		}
		_, got := getBytes(t, ca, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared/from-b")})
		if !bytes.Equal(got, data) {
			t.Fatal("object written through B, read through A: bytes differ")
		}
		// Overwrite through A, read the new version through B.
		put(t, ca, bucket, "shared/from-b", []byte("overwritten through A"))
		_, got = getBytes(t, cb, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared/from-b")})
		if string(got) != "overwritten through A" {
			t.Fatalf("after overwrite through A, B reads %q", got)
		}
		if _, err := ca.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared/from-b")}); err != nil {
			t.Fatal(err)
		}
		requireAbsent(t, cb, bucket, "shared/from-b")
	})

	t.Run("bucket-policy-across-gateways", func(t *testing.T) { policyAcrossGateways(t, a.gateway, b.gateway, bucket) })
}
