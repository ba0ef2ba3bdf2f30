package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRcloneVersions: rclone --s3-versions (which lists through
// ListObjectVersions and reads old versions by id) shows the current file
// and its older version, and reads the older one's bytes.
func TestRcloneVersions(t *testing.T) {
	t.Parallel()
	bin := needTool(t, "rclone")
	c := fx.gw.sdk()
	bucket := versionedBucket(t, c, "rclone-versions", false)
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
	put(t, c, bucket, "f.txt", []byte("old contents"))
	// rclone names versions by their time to the second.
	time.Sleep(1100 * time.Millisecond)
	put(t, c, bucket, "f.txt", []byte("new contents"))
	rc := func(args ...string) string {
		t.Helper()
		base := []string{"--config", cfg, "--ca-cert", fx.ca.CAFile, "--retries", "1", "--low-level-retries", "1", "-q"}
		return runTool(t, toolEnv(), work, bin, append(base, args...)...)
	}
	files := strings.Fields(rc("lsf", "--s3-versions", "rfs:"+bucket))
	if len(files) != 2 {
		t.Fatalf("rclone lsf --s3-versions: %q, want the file and one older version", files)
	}
	old := ""
	for _, f := range files {
		if f != "f.txt" {
			old = f
		}
	}
	if !strings.HasPrefix(old, "f-v") || !strings.HasSuffix(old, ".txt") {
		t.Fatalf("older version named %q", old)
	}
	if got := rc("cat", "--s3-versions", "rfs:"+bucket+"/"+old); got != "old contents" {
		t.Fatalf("rclone cat of the old version: %q", got)
	}
	if got := rc("cat", "rfs:"+bucket+"/f.txt"); got != "new contents" {
		t.Fatalf("rclone cat of the current version: %q", got)
	}
}
