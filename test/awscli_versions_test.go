package test

import (
	"testing"
)

// TestAWSCLIListObjectVersions: `aws s3api list-object-versions` (which
// pages itself with key and version-id markers) lists every version and
// delete marker of a versioned bucket, newest first per key.
func TestAWSCLIListObjectVersions(t *testing.T) {
	t.Parallel()
	a := newAWSCLI(t, fx.gw)
	c := fx.gw.sdk()
	bucket := versionedBucket(t, c, "awscli-versions", false)
	var ids []string
	for _, body := range []string{"one", "two", "three"} {
		out := put(t, c, bucket, "k", []byte(body))
		ids = append([]string{*out.VersionId}, ids...)
	}
	put(t, c, bucket, "other", []byte("x"))
	a.run("s3api", "delete-object", "--bucket", bucket, "--key", "other")
	var res struct {
		Versions []struct {
			Key, VersionId string
			IsLatest       bool
			Size           int64
		}
		DeleteMarkers []struct {
			Key, VersionId string
			IsLatest       bool
		}
	}
	// --page-size 2 makes the CLI page through the markers itself.
	a.json(&res, "s3api", "list-object-versions", "--bucket", bucket, "--page-size", "2")
	if len(res.Versions) != 4 || len(res.DeleteMarkers) != 1 {
		t.Fatalf("listed %d versions and %d markers, want 4 and 1: %+v", len(res.Versions), len(res.DeleteMarkers), res)
	}
	for i, id := range ids {
		v := res.Versions[i]
		if v.Key != "k" || v.VersionId != id || v.IsLatest != (i == 0) {
			t.Fatalf("version %d: %+v, want k@%s", i, v, id)
		}
	}
	if m := res.DeleteMarkers[0]; m.Key != "other" || !m.IsLatest || res.Versions[3].Key != "other" || res.Versions[3].IsLatest {
		t.Fatalf("other: marker %+v, version %+v", m, res.Versions[3])
	}
	// Reading an old version by id through the CLI.
	var head struct{ VersionId string }
	a.json(&head, "s3api", "head-object", "--bucket", bucket, "--key", "k", "--version-id", ids[2])
	if head.VersionId != ids[2] {
		t.Fatalf("head-object --version-id: %+v", head)
	}
}
