package test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKBuckets covers the bucket operations and their errors.
func TestSDKBuckets(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-buckets")

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	t.Cleanup(func() { removeBucket(t, c, bucket) })

	// Creating it again: the caller already owns it, and S3's us-east-1
	// (this server's region here) answers that with 200.
	if _, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("the owner's re-create in us-east-1: %v", err)
	}

	// Names S3 refuses: too short, upper case, underscore, IP address, '..',
	// and a dash next to a dot (issue 14: foo-.bar, foo.-bar).
	for _, name := range []string{"ab", "Upper-" + fx.runID, "under_score-" + fx.runID, "192.168.1.1", "a..b-" + fx.runID, "-lead-" + fx.runID,
		"foo-.bar-" + fx.runID, "foo.-bar-" + fx.runID} {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		requireCode(t, err, http.StatusBadRequest, "InvalidBucketName")
	}

	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range lb.Buckets {
		names = append(names, aws.ToString(b.Name))
		if aws.ToString(b.Name) == bucket && (b.CreationDate == nil || b.CreationDate.IsZero()) {
			t.Errorf("ListBuckets: %s has no creation date", bucket)
		}
	}
	if !slices.Contains(names, bucket) {
		t.Fatalf("ListBuckets %v does not contain %s", names, bucket)
	}
	if !slices.IsSorted(names) {
		t.Errorf("ListBuckets not sorted: %v", names)
	}
	if lb.Owner == nil || aws.ToString(lb.Owner.ID) == "" {
		t.Errorf("ListBuckets: no owner")
	}

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	// us-east-1 is reported as the empty constraint, as AWS does.
	if lc := string(loc.LocationConstraint); lc != "" && lc != testRegion {
		t.Errorf("GetBucketLocation = %q, want empty or %s", lc, testRegion)
	}

	put(t, c, bucket, "keep", []byte("x"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusConflict, "BucketNotEmpty")
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket after refused delete: %v", err)
	}
	// Once empty, the bucket can go; afterwards every bucket operation
	// reports it missing.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("keep")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucket")
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucket")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucket")
	_, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucket")
}

// TestSDKDeleteBucketWithUploads: a bucket holding only multipart uploads
// in progress is deleted (they are aborted), as S3 does.
func TestSDKDeleteBucketWithUploads(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-del-mpu")
	createBucket(t, c, bucket)
	u := newUpload(t, c, bucket, "big", nil)
	u.part(1, randData(3, 1<<20))
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket with an upload in progress: %v", err)
	}
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "")
}
