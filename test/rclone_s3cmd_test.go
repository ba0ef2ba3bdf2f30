package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBigFile adds a file to dir that is large enough to go multipart
// with a 5 MiB part size, and returns its SHA-256.
func writeBigFile(t *testing.T, dir string, seed uint64) (string, string) {
	t.Helper()
	data := randData(seed, 12<<20+77)
	p := filepath.Join(dir, "large.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return "large.bin", sha256Hex(data)
}

// TestRclone copies a directory up with rclone (small files as single PUTs,
// a 12 MiB file as a multipart upload), lists it, verifies it with
// `rclone check` (which compares MD5s) and copies it back down.
func TestRclone(t *testing.T) {
	t.Parallel()
	bin := needTool(t, "rclone")
	c := fx.gw.sdk()
	bucket := bucketName("rclone")
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	work := t.TempDir()
	cfg := filepath.Join(work, "rclone.conf")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[rfs]
type = s3
provider = Other
env_auth = false
access_key_id = %s
secret_access_key = %s
endpoint = %s
region = us-east-1
force_path_style = true
`, testAccessKey, testSecretKey, fx.gw.Endpoint)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(work, "src")
	want := writeTree(t, src, 30, 1000)
	name, sum := writeBigFile(t, src, 1001)
	want[name] = sum

	env := toolEnv()
	rc := func(args ...string) string {
		t.Helper()
		base := []string{"--config", cfg, "--ca-cert", fx.ca.CAFile, "--retries", "1", "--low-level-retries", "1",
			"--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", "--transfers", "4", "-q"}
		return runTool(t, env, work, bin, append(base, args...)...)
	}
	rc("mkdir", "rfs:"+bucket)
	rc("copy", src, "rfs:"+bucket+"/tree")
	listed := strings.Fields(rc("lsf", "-R", "--files-only", "rfs:"+bucket+"/tree"))
	if len(listed) != len(want) {
		t.Fatalf("rclone lsf: %d files, want %d: %v", len(listed), len(want), listed)
	}
	for _, f := range listed {
		if _, ok := want[f]; !ok {
			t.Errorf("rclone lsf: unexpected %s", f)
		}
	}
	// check compares sizes and MD5 hashes (ETags, or rclone's own metadata
	// for the multipart file) of every file.
	rc("check", src, "rfs:"+bucket+"/tree")
	dst := filepath.Join(work, "dst")
	rc("copy", "rfs:"+bucket+"/tree", dst)
	requireSameTree(t, want, hashTree(t, dst))
}

// TestS3cmd syncs a directory up with s3cmd (SigV4, path-style, https with
// the CA), lists it and syncs it back down.
func TestS3cmd(t *testing.T) {
	t.Parallel()
	bin := needTool(t, "s3cmd")
	c := fx.gw.sdk()
	bucket := bucketName("s3cmd")
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	work := t.TempDir()
	cfg := filepath.Join(work, "s3cfg")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
use_https = True
ca_certs_file = %s
check_ssl_certificate = True
check_ssl_hostname = True
signature_v2 = False
bucket_location = us-east-1
multipart_chunk_size_mb = 5
progress_meter = False
`, testAccessKey, testSecretKey, fx.gw.Addr, fx.gw.Addr, fx.ca.CAFile)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(work, "src")
	want := writeTree(t, src, 30, 1100)
	name, sum := writeBigFile(t, src, 1101)
	want[name] = sum

	env := toolEnv("HOME=" + work)
	s3c := func(args ...string) string {
		t.Helper()
		return runTool(t, env, work, bin, append([]string{"-c", cfg, "--no-progress"}, args...)...)
	}
	s3c("mb", "s3://"+bucket)
	if out := s3c("sync", src+"/", "s3://"+bucket+"/tree/"); strings.Count(out, "upload:") != len(want) {
		t.Errorf("s3cmd sync up: %d uploads reported, want %d:\n%s", strings.Count(out, "upload:"), len(want), tail(out))
	}
	ls := s3c("ls", "-r", "s3://"+bucket+"/tree/")
	var listed int
	for _, line := range strings.Split(ls, "\n") {
		if i := strings.Index(line, "s3://"+bucket+"/tree/"); i >= 0 {
			rel := strings.TrimPrefix(line[i:], "s3://"+bucket+"/tree/")
			if _, ok := want[rel]; !ok {
				t.Errorf("s3cmd ls: unexpected %q", rel)
			}
			listed++
		}
	}
	if listed != len(want) {
		t.Fatalf("s3cmd ls -r: %d files, want %d:\n%s", listed, len(want), ls)
	}
	// A second sync finds nothing to do (it compares sizes and MD5 ETags).
	if out := s3c("sync", src+"/", "s3://"+bucket+"/tree/"); strings.Contains(out, "upload:") {
		t.Errorf("second s3cmd sync uploaded again:\n%s", out)
	}
	dst := filepath.Join(work, "dst")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	s3c("sync", "s3://"+bucket+"/tree/", dst+"/")
	requireSameTree(t, want, hashTree(t, dst))
}
