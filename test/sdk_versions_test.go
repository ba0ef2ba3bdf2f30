package test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKListObjectVersions: the SDK's ListObjectVersions pages through an
// unversioned bucket (every object one null version), and deleting what it
// lists by version id empties the bucket — the cleanup many tools run.
func TestSDKListObjectVersions(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-versions")
	createBucket(t, c, bucket)
	want := []string{"v/a", "v/b", "v/c", "v/d", "w"}
	for _, k := range want {
		put(t, c, bucket, k, []byte(k))
	}
	var got []types.ObjectIdentifier
	var pages int
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(2)}
	for {
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		pages++
		if len(out.DeleteMarkers) != 0 {
			t.Fatalf("delete markers in an unversioned bucket: %+v", out.DeleteMarkers)
		}
		for _, v := range out.Versions {
			if aws.ToString(v.VersionId) != "null" || !aws.ToBool(v.IsLatest) {
				t.Fatalf("version %+v", v)
			}
			got = append(got, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	var keys []string
	for _, o := range got {
		keys = append(keys, aws.ToString(o.Key))
	}
	if !slices.Equal(keys, want) || pages != 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3", keys, pages, want)
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: got}})
	if err != nil || len(out.Errors) != 0 || len(out.Deleted) != len(want) {
		t.Fatalf("DeleteObjects by version: %+v %v", out, err)
	}
	if l := listAllV2(t, c, bucket, ""); len(l) != 0 {
		t.Fatalf("left after cleanup: %v", l)
	}
}
