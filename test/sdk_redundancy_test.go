package test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// withHeader adds one request header to every call of an SDK operation.
func withHeader(name, value string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(name, value))
	}
}

// responseHeader reads a header of the raw HTTP response behind an SDK
// result.
func responseHeader(md middleware.Metadata, name string) string {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return r.Header.Get(name)
	}
	return ""
}

// TestSDKBucketRedundancy: a bucket created with x-rustfs-redundancy: 3x
// reports it on HEAD and stores and serves objects (single and multipart);
// a layout below the two-OSD promise is InvalidArgument and creates
// nothing; a bucket created without the header reports the default.
func TestSDKBucketRedundancy(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)

	rep := bucketName("sdk-3x")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(rep)}, withHeader("x-rustfs-redundancy", "3x")); err != nil {
		t.Fatalf("CreateBucket with 3x: %v", err)
	}
	t.Cleanup(func() { removeBucket(t, c, rep) })
	hb, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(rep)})
	if err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	if got := responseHeader(hb.ResultMetadata, "x-rustfs-redundancy"); got != "3x" {
		t.Fatalf("HeadBucket x-rustfs-redundancy = %q, want 3x", got)
	}

	dflt := bucketName("sdk-dflt")
	createBucket(t, c, dflt)
	hb, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(dflt)})
	if err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	if got := responseHeader(hb.ResultMetadata, "x-rustfs-redundancy"); got != "4+2" {
		t.Fatalf("default bucket x-rustfs-redundancy = %q, want 4+2", got)
	}

	for _, bad := range []string{"2x", "4+1", "bogus", "9+2"} {
		name := bucketName("sdk-bad")
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}, withHeader("x-rustfs-redundancy", bad))
		requireCode(t, err, http.StatusBadRequest, "InvalidArgument")
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
		if httpStatus(err) != http.StatusNotFound {
			t.Fatalf("bucket refused with %q exists: %v", bad, err)
		}
	}

	data := randData(77, 3<<20+11)
	put(t, c, rep, "single", data)
	if _, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(rep), Key: aws.String("single")}); !bytes.Equal(got, data) {
		t.Fatal("3x object reads other bytes")
	}
	part1, part2 := randData(78, 5<<20), randData(79, 1234)
	u := newUpload(t, c, rep, "mpu", nil)
	if _, err := u.complete(cp(1, u.part(1, part1)), cp(2, u.part(2, part2))); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if _, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(rep), Key: aws.String("mpu")}); !bytes.Equal(got, append(part1, part2...)) {
		t.Fatal("3x multipart object reads other bytes")
	}
}
