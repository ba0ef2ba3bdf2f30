package test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKVersionAttributes: GetObjectAttributes with a VersionId describes
// that version (its id, size and ETag); a delete marker by id is 405.
func TestSDKVersionAttributes(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := versionedBucket(t, c, "sdk-vattr", false)
	v1 := put(t, c, bucket, "k", []byte("first"))
	put(t, c, bucket, "k", []byte("the second"))
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		VersionId: v1.VersionId, ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize, types.ObjectAttributesEtag}})
	if err != nil || aws.ToString(out.VersionId) != aws.ToString(v1.VersionId) || aws.ToInt64(out.ObjectSize) != 5 ||
		unquote(out.ETag) != unquote(v1.ETag) {
		t.Fatalf("attributes of v1: %+v %v", out, err)
	}
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || !aws.ToBool(d.DeleteMarker) {
		t.Fatalf("DELETE: %+v %v", d, err)
	}
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		VersionId: d.VersionId, ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	requireCode(t, err, http.StatusMethodNotAllowed, "MethodNotAllowed")
}

// TestSDKLockedMultipart: Object Lock settings on CreateMultipartUpload
// become the completed version's, which then survives root's DELETE.
func TestSDKLockedMultipart(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := versionedBucket(t, c, "sdk-lockmpu", true)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("m"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload with lock settings: %v", err)
	}
	part := []byte("one locked part")
	up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("m"), UploadId: cu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(part)})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	co, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("m"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("m")})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(until) {
		t.Fatalf("HEAD of the completed upload: %v %v %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate, err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("m"), VersionId: co.VersionId})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
}
