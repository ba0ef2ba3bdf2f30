package test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// runBoto3 runs the python script clients/<script> with the test
// credentials in its environment as
//
//	python3 clients/<script> ENDPOINT CA_BUNDLE args...
//
// and fails the test unless it prints "ok". The python modules named in
// imports ("boto3", "boto3, requests") must be importable: without them
// the test skips, or fails where clients are required (missingTool).
func runBoto3(t *testing.T, imports, script string, args ...string) {
	t.Helper()
	py := needTool(t, "python3")
	if _, errOut, err := execTool(t, toolEnv(), "", py, "-c", "import "+imports); err != nil {
		missingTool(t, imports, errors.New(strings.TrimSpace(errOut)))
	}
	path, err := filepath.Abs(filepath.Join("clients", script))
	if err != nil {
		t.Fatal(err)
	}
	env := toolEnv("RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
	out := runTool(t, env, "", py, append([]string{path, fx.gw.Endpoint, fx.ca.CAFile}, args...)...)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("%s printed %q, want ok", script, out)
	}
}

// TestBoto3 runs clients/boto3_roundtrip.py (upload_file/download_file of a
// multipart-sized and a small file, head_object, listing, delete_objects)
// with boto3's default flexible checksums on (aws-chunked trailers over
// https) and off.
func TestBoto3(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	for _, mode := range []string{"on", "off"} {
		t.Run("checksums-"+mode, func(t *testing.T) {
			bucket := bucketName("boto3-" + mode)
			t.Cleanup(func() { removeBucket(t, c, bucket) })
			runBoto3(t, "boto3", "boto3_roundtrip.py", bucket, t.TempDir(), mode)
		})
	}
}

// TestBoto3BucketPolicy runs clients/boto3_bpolicy.py: a bucket policy put
// with boto3 grants an unsigned boto3 client reads of one prefix and
// denies root's deletes until root removes it.
func TestBoto3BucketPolicy(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("boto3-bpolicy")
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	runBoto3(t, "boto3", "boto3_bpolicy.py", bucket)
}

// TestBoto3Compat runs clients/boto3_compat.py: the compatibility bugs of
// issue 14 as botocore meets them (requests signed with Date instead of
// X-Amz-Date, a repeated CompleteMultipartUpload, ListBuckets pagination,
// RFC 2047 metadata, DeleteBucket with an upload, bucket names, an owned
// re-create, Content-Encoding, BadDigest, an empty continuation token) and
// every tagging call.
func TestBoto3Compat(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("boto3-compat")
	t.Cleanup(func() {
		for i := range 3 {
			removeBucket(t, c, fmt.Sprintf("%s-lb%d", bucket, i))
		}
		removeBucket(t, c, bucket)
	})
	runBoto3(t, "boto3", "boto3_compat.py", bucket)
}

// TestBoto3PostAndSSEC runs clients/boto3_post_ssec.py: browser-style POST
// uploads from boto3's generate_presigned_post (accepted, and refused for
// each violated condition, an expired policy and a forged signature),
// forms with a tagging field and with the Object Lock fields (stored, and
// read back), and an SSE-C round trip with a wrong key refused and a copy
// between keys.
func TestBoto3PostAndSSEC(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("boto3-post")
	t.Cleanup(func() {
		removeBucket(t, c, bucket+"-l")
		removeBucket(t, c, bucket)
	})
	runBoto3(t, "boto3, requests", "boto3_post_ssec.py", bucket)
}

// TestBoto3VersionsLock runs clients/boto3_versions_lock.py: versioning
// (overwrite, delete marker, restore, listing pages, delete by version),
// Object Lock (retention, legal hold, a locked version surviving root's
// delete, the checksum S3 demands on lock writes), conditional writes,
// GetObjectAttributes and partNumber, bucket encryption, CORS with a
// preflight, MfaDelete refused, and a re-created bucket starting clean.
func TestBoto3VersionsLock(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("boto3-vl")
	t.Cleanup(func() {
		for _, s := range []string{"-v", "-l", "-c"} {
			removeBucket(t, c, bucket+s)
		}
	})
	runBoto3(t, "boto3, requests", "boto3_versions_lock.py", bucket)
}
