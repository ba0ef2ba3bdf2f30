package test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKGetObjectAttributes: ETag, Checksum, ObjectParts (paged),
// StorageClass and ObjectSize of a single-PUT and a multipart object, as
// the SDK parses them.
func TestSDKGetObjectAttributes(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-attrs")
	createBucket(t, c, bucket)
	all := []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum,
		types.ObjectAttributesObjectParts, types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}

	single := put(t, c, bucket, "single", []byte("hello attributes"))
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("single"), ObjectAttributes: all})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
	if aws.ToString(out.ETag) != unquote(single.ETag) || aws.ToInt64(out.ObjectSize) != 16 || out.StorageClass != types.StorageClassStandard || out.ObjectParts != nil {
		t.Fatalf("single: %+v", out)
	}
	if out.LastModified == nil || out.LastModified.IsZero() {
		t.Error("single: no Last-Modified")
	}

	p1, p2 := randData(61, 5<<20), randData(62, 1000)
	u := newUpload(t, c, bucket, "multi", &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	e1, e2 := u.part(1, p1), u.part(2, p2)
	if _, err := u.complete(cp(1, e1), cp(2, e2)); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	out, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("multi"),
		ObjectAttributes: all, MaxParts: aws.Int32(1)})
	if err != nil {
		t.Fatalf("GetObjectAttributes multipart: %v", err)
	}
	op := out.ObjectParts
	if op == nil || aws.ToInt32(op.TotalPartsCount) != 2 || len(op.Parts) != 1 || !aws.ToBool(op.IsTruncated) ||
		aws.ToInt64(op.Parts[0].Size) != 5<<20 || aws.ToInt32(op.Parts[0].PartNumber) != 1 || aws.ToString(op.NextPartNumberMarker) != "1" {
		t.Fatalf("multipart parts page 1: %+v", op)
	}
	if aws.ToInt64(out.ObjectSize) != 5<<20+1000 || out.Checksum == nil || aws.ToString(out.Checksum.ChecksumCRC32) == "" {
		t.Fatalf("multipart: size %d checksum %+v", aws.ToInt64(out.ObjectSize), out.Checksum)
	}
	if aws.ToString(op.Parts[0].ChecksumCRC32) == "" {
		t.Errorf("part 1 has no CRC32: %+v", op.Parts[0])
	}
	out, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("multi"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}, PartNumberMarker: aws.String("1")})
	if err != nil || out.ObjectParts == nil || len(out.ObjectParts.Parts) != 1 || aws.ToInt32(out.ObjectParts.Parts[0].PartNumber) != 2 || aws.ToBool(out.ObjectParts.IsTruncated) {
		t.Fatalf("multipart parts after marker 1: %+v %v", out.ObjectParts, err)
	}
	if out.ETag != nil || out.ObjectSize != nil {
		t.Errorf("attributes not asked for were sent: %+v", out)
	}

	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("missing"), ObjectAttributes: all})
	requireCode(t, err, http.StatusNotFound, "NoSuchKey")
}
