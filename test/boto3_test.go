package test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestBoto3 runs clients/boto3_roundtrip.py (upload_file/download_file of a
// multipart-sized and a small file, head_object, listing, delete_objects)
// with boto3's default flexible checksums on (aws-chunked trailers over
// https) and off.
func TestBoto3(t *testing.T) {
	t.Parallel()
	py := needTool(t, "python3")
	if _, errOut, err := execTool(t, toolEnv(), "", py, "-c", "import boto3"); err != nil {
		missingTool(t, "boto3", errors.New(strings.TrimSpace(errOut)))
	}
	script, err := filepath.Abs(filepath.Join("clients", "boto3_roundtrip.py"))
	if err != nil {
		t.Fatal(err)
	}
	c := fx.gw.sdk()
	for _, mode := range []string{"on", "off"} {
		t.Run("checksums-"+mode, func(t *testing.T) {
			bucket := bucketName("boto3-" + mode)
			t.Cleanup(func() { removeBucket(t, c, bucket) })
			env := toolEnv("RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
			out := runTool(t, env, "", py, script, fx.gw.Endpoint, fx.ca.CAFile, bucket, t.TempDir(), mode)
			if strings.TrimSpace(out) != "ok" {
				t.Fatalf("boto3_roundtrip.py printed %q, want ok", out)
			}
		})
	}
}

// TestBoto3BucketPolicy runs clients/boto3_bpolicy.py: a bucket policy put
// with boto3 grants an unsigned boto3 client reads of one prefix and
// denies root's deletes until root removes it.
func TestBoto3BucketPolicy(t *testing.T) {
	t.Parallel()
	py := needTool(t, "python3")
	if _, errOut, err := execTool(t, toolEnv(), "", py, "-c", "import boto3"); err != nil {
		missingTool(t, "boto3", errors.New(strings.TrimSpace(errOut)))
	}
	script, err := filepath.Abs(filepath.Join("clients", "boto3_bpolicy.py"))
	if err != nil {
		t.Fatal(err)
	}
	c := fx.gw.sdk()
	bucket := bucketName("boto3-bpolicy")
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	env := toolEnv("RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
	out := runTool(t, env, "", py, script, fx.gw.Endpoint, fx.ca.CAFile, bucket)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3_bpolicy.py printed %q, want ok", out)
	}
}

// TestBoto3Compat runs clients/boto3_compat.py: the compatibility bugs of
// issue 14 as botocore meets them (requests signed with Date instead of
// X-Amz-Date, a repeated CompleteMultipartUpload, ListBuckets pagination,
// RFC 2047 metadata) and every tagging call.
func TestBoto3Compat(t *testing.T) {
	t.Parallel()
	py := needTool(t, "python3")
	if _, errOut, err := execTool(t, toolEnv(), "", py, "-c", "import boto3"); err != nil {
		missingTool(t, "boto3", errors.New(strings.TrimSpace(errOut)))
	}
	script, err := filepath.Abs(filepath.Join("clients", "boto3_compat.py"))
	if err != nil {
		t.Fatal(err)
	}
	c := fx.gw.sdk()
	bucket := bucketName("boto3-compat")
	t.Cleanup(func() {
		for i := range 3 {
			removeBucket(t, c, fmt.Sprintf("%s-lb%d", bucket, i))
		}
		removeBucket(t, c, bucket)
	})
	env := toolEnv("RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
	out := runTool(t, env, "", py, script, fx.gw.Endpoint, fx.ca.CAFile, bucket)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3_compat.py printed %q, want ok", out)
	}
}
