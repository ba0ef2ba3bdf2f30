package test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// versionedBucket creates a bucket with versioning Enabled (or Object
// Lock) and a cleanup that removes every version (with the governance
// bypass) and the bucket. Versions under unexpired COMPLIANCE retention
// cannot be removed by anyone, so such a bucket is left behind.
func versionedBucket(t *testing.T, c *s3.Client, prefix string, lock bool) string {
	t.Helper()
	ctx := testCtx(t)
	bucket := bucketName(prefix)
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := c.CreateBucket(ctx, in); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if !lock {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		if err != nil {
			t.Fatalf("PutBucketVersioning: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return
			}
			for _, v := range page.Versions {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId, BypassGovernanceRetention: aws.Bool(true)})
			}
			for _, m := range page.DeleteMarkers {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: m.Key, VersionId: m.VersionId})
			}
		}
		_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})
	return bucket
}

// TestSDKVersioning: overwrite keeps the old version, DELETE adds a delete
// marker (GET 404 with x-amz-delete-marker), old versions stay readable by
// id, copying an old version over the key restores it, and deleting a
// version by id removes it for good.
func TestSDKVersioning(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	plain := bucketName("sdk-vplain")
	createBucket(t, c, plain)
	st, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(plain)})
	if err != nil || st.Status != "" {
		t.Fatalf("never-versioned bucket: %q %v", st.Status, err)
	}
	bucket := versionedBucket(t, c, "sdk-versioning", false)
	st, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || st.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning status %q %v", st.Status, err)
	}
	v1 := put(t, c, bucket, "doc", []byte("first"))
	v2 := put(t, c, bucket, "doc", []byte("second"))
	if aws.ToString(v1.VersionId) == "" || aws.ToString(v1.VersionId) == aws.ToString(v2.VersionId) {
		t.Fatalf("version ids %q %q", aws.ToString(v1.VersionId), aws.ToString(v2.VersionId))
	}
	out, data := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: v1.VersionId})
	if string(data) != "first" || aws.ToString(out.VersionId) != aws.ToString(v1.VersionId) {
		t.Fatalf("GET v1: %q version %q", data, aws.ToString(out.VersionId))
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DELETE: %+v %v", del, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	requireCode(t, err, http.StatusNotFound, "")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: del.VersionId})
	requireCode(t, err, http.StatusMethodNotAllowed, "MethodNotAllowed")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String("00000000000000000000000000000000")})
	requireCode(t, err, http.StatusNotFound, "NoSuchVersion")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String("bogus")})
	requireCode(t, err, http.StatusBadRequest, "InvalidArgument")

	// Restore: copy v1 over the key.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"),
		CopySource: aws.String(bucket + "/doc?versionId=" + aws.ToString(v1.VersionId))})
	if err != nil {
		t.Fatalf("restore copy: %v", err)
	}
	if aws.ToString(cp.CopySourceVersionId) != aws.ToString(v1.VersionId) || aws.ToString(cp.VersionId) == "" {
		t.Fatalf("copy versions: source %q new %q", aws.ToString(cp.CopySourceVersionId), aws.ToString(cp.VersionId))
	}
	if _, data := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")}); string(data) != "first" {
		t.Fatalf("restored latest %q", data)
	}
	lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil || len(lv.Versions) != 3 || len(lv.DeleteMarkers) != 1 {
		t.Fatalf("versions: %d versions %d markers %v", len(lv.Versions), len(lv.DeleteMarkers), err)
	}
	if !aws.ToBool(lv.Versions[0].IsLatest) || aws.ToString(lv.Versions[0].VersionId) != aws.ToString(cp.VersionId) {
		t.Fatalf("latest listed %q, want %q", aws.ToString(lv.Versions[0].VersionId), aws.ToString(cp.VersionId))
	}
	// ListObjectsV2 shows the key once.
	if keys := listAllV2(t, c, bucket, ""); len(keys) != 1 {
		t.Fatalf("ListObjectsV2: %v", keys)
	}
	// Delete v2 permanently; it is gone, the others stay.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: v2.VersionId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: v2.VersionId})
	requireCode(t, err, http.StatusNotFound, "NoSuchVersion")
	// Deleting it again succeeds (idempotent, as S3); a malformed id does not.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: v2.VersionId}); err != nil {
		t.Fatalf("repeated version delete: %v", err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String("bogus")})
	requireCode(t, err, http.StatusBadRequest, "InvalidArgument")
	// DeleteObjects by version id, including the delete marker.
	objs := []types.ObjectIdentifier{{Key: aws.String("doc"), VersionId: v1.VersionId}, {Key: aws.String("doc"), VersionId: del.VersionId}}
	dout, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: objs}})
	if err != nil || len(dout.Errors) != 0 || len(dout.Deleted) != 2 {
		t.Fatalf("DeleteObjects: %+v %v", dout, err)
	}
}

// TestSDKListObjectVersionsPaging: the SDK paginator walks many versions
// of several keys two at a time, in order, newest first per key.
func TestSDKListObjectVersionsPaging(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := versionedBucket(t, c, "sdk-vpaging", false)
	var want []string
	for _, k := range []string{"a", "b", "c"} {
		var ids []string
		for i := 0; i < 3; i++ {
			ids = append([]string{aws.ToString(put(t, c, bucket, k, []byte(k)).VersionId)}, ids...)
		}
		for _, id := range ids {
			want = append(want, k+"@"+id)
		}
	}
	var got []string
	pages := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range page.Versions {
			got = append(got, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
		}
	}
	if !equalStrings(got, want) || pages != 5 {
		t.Fatalf("paged %v in %d pages, want %v in 5", got, pages, want)
	}
}

// TestSDKObjectLock: a locked version survives root's DELETE by version
// id: GOVERNANCE yields only to x-amz-bypass-governance-retention,
// COMPLIANCE and legal hold to nothing. A plain DELETE adds a marker.
func TestSDKObjectLock(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := versionedBucket(t, c, "sdk-lock", true)
	cfg, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil || cfg.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		t.Fatalf("lock configuration: %+v %v", cfg, err)
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	lockedPut := func(key string, mode types.ObjectLockMode) *s3.PutObjectOutput {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader([]byte(key)), ObjectLockMode: mode, ObjectLockRetainUntilDate: aws.Time(until),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatalf("locked PUT %s: %v", key, err)
		}
		return out
	}
	gov := lockedPut("gov", types.ObjectLockModeGovernance)
	comp := lockedPut("comp", types.ObjectLockModeCompliance)
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("comp")})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeCompliance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(until) {
		t.Fatalf("HEAD lock headers: %v %v %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate, err)
	}
	// Root's DELETE by version id is refused for both without bypass.
	for _, v := range []struct{ key, id string }{{"gov", aws.ToString(gov.VersionId)}, {"comp", aws.ToString(comp.VersionId)}} {
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(v.key), VersionId: aws.String(v.id)})
		requireCode(t, err, http.StatusForbidden, "AccessDenied")
	}
	// With bypass: COMPLIANCE still refused, GOVERNANCE removed.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("comp"), VersionId: comp.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("gov"), VersionId: gov.VersionId, BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("bypass delete of GOVERNANCE: %v", err)
	}
	// Shortening COMPLIANCE is refused; extending works.
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("comp"), VersionId: comp.VersionId,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(-time.Minute))}, BypassGovernanceRetention: aws.Bool(true)})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	if _, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("comp"), VersionId: comp.VersionId,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(time.Hour))}}); err != nil {
		t.Fatalf("extend retention: %v", err)
	}
	r, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("comp")})
	if err != nil || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until.Add(time.Hour)) {
		t.Fatalf("retention after extension: %+v %v", r, err)
	}
	// A plain DELETE of the locked key only adds a delete marker.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("comp")})
	if err != nil || !aws.ToBool(d.DeleteMarker) {
		t.Fatalf("plain DELETE: %+v %v", d, err)
	}
	if _, data := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("comp"), VersionId: comp.VersionId}); string(data) != "comp" {
		t.Fatalf("locked version after delete: %q", data)
	}
	// Legal hold: on blocks even a bypassing delete, off releases it.
	hold := put(t, c, bucket, "hold", []byte("h"))
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("hold"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatalf("legal hold on: %v", err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("hold"), VersionId: hold.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	lh, err := c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("hold")})
	if err != nil || lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("legal hold: %+v %v", lh, err)
	}
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("hold"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatalf("legal hold off: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("hold"), VersionId: hold.VersionId}); err != nil {
		t.Fatalf("delete after hold released: %v", err)
	}
	// Suspending versioning on a lock bucket is refused.
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	requireCode(t, err, http.StatusConflict, "InvalidBucketState")
}

// TestSDKVersionTagging: tags belong to one version: tagging an old version
// by id leaves the current one's tags alone.
func TestSDKVersionTagging(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := versionedBucket(t, c, "sdk-vtags", false)
	v1 := put(t, c, bucket, "k", []byte("1"))
	put(t, c, bucket, "k", []byte("2"))
	_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId,
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("old"), Value: aws.String("yes")}}}})
	if err != nil {
		t.Fatalf("PutObjectTagging of v1: %v", err)
	}
	old, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId})
	if err != nil || len(old.TagSet) != 1 || aws.ToString(old.VersionId) != aws.ToString(v1.VersionId) {
		t.Fatalf("tags of v1: %+v %v", old, err)
	}
	cur, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || len(cur.TagSet) != 0 {
		t.Fatalf("tags of the current version: %+v %v", cur, err)
	}
}
