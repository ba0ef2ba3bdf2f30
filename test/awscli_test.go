package test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awsCLI runs the aws CLI against the shared gateway with a private config.
type awsCLI struct {
	t    *testing.T
	bin  string
	env  []string
	args []string // endpoint and CA arguments appended to every command
}

// newAWSCLI writes a config that selects SigV4 (aws CLI v1 presigns with
// SigV2 otherwise), path-style addressing and an 8 MiB multipart threshold.
func newAWSCLI(t *testing.T, gw *gateway) *awsCLI {
	bin := needTool(t, "aws")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	err := os.WriteFile(cfg, []byte(`[default]
region = us-east-1
s3 =
  signature_version = s3v4
  addressing_style = path
  multipart_threshold = 8MB
  multipart_chunksize = 8MB
  max_concurrent_requests = 4
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &awsCLI{
		t:   t,
		bin: bin,
		env: toolEnv("AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+creds,
			"AWS_ACCESS_KEY_ID="+testAccessKey, "AWS_SECRET_ACCESS_KEY="+testSecretKey,
			"AWS_DEFAULT_REGION="+testRegion, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="),
		args: []string{"--endpoint-url", gw.Endpoint, "--ca-bundle", fx.ca.CAFile},
	}
}

// run runs `aws args...` and returns stdout.
func (a *awsCLI) run(args ...string) string {
	a.t.Helper()
	return runTool(a.t, a.env, "", a.bin, append(args, a.args...)...)
}

// json runs an s3api command with JSON output and decodes it into v.
func (a *awsCLI) json(v any, args ...string) {
	a.t.Helper()
	out := a.run(append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		a.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, tail(out))
	}
}

// TestAWSCLI drives the aws CLI: cp (single and multipart), ls, sync both
// ways, presign, s3api listings of objects, uploads and parts, rm and rb.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	a := newAWSCLI(t, fx.gw)
	c := fx.gw.sdk()
	bucket := bucketName("awscli")
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	work := t.TempDir()

	a.run("s3", "mb", "s3://"+bucket)
	small := filepath.Join(work, "small.txt")
	big := filepath.Join(work, "big.bin")
	if err := os.WriteFile(small, []byte("hello from the aws cli\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bigData := randData(81, 20<<20+5)
	if err := os.WriteFile(big, bigData, 0o644); err != nil {
		t.Fatal(err)
	}

	a.run("s3", "cp", small, "s3://"+bucket+"/small.txt")
	a.run("s3", "cp", big, "s3://"+bucket+"/big.bin")
	// 20 MiB with 8 MiB parts: a three-part upload.
	h, err := c.HeadObject(testCtx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(unquote(h.ETag), "-3") || aws.ToInt64(h.ContentLength) != int64(len(bigData)) {
		t.Errorf("big.bin: ETag %s size %d; want a 3-part upload of %d bytes", unquote(h.ETag), aws.ToInt64(h.ContentLength), len(bigData))
	}

	ls := a.run("s3", "ls", "s3://"+bucket+"/")
	for _, want := range []string{"small.txt", "big.bin", "20971525"} {
		if !strings.Contains(ls, want) {
			t.Errorf("aws s3 ls output lacks %q:\n%s", want, ls)
		}
	}
	if buckets := a.run("s3", "ls"); !strings.Contains(buckets, bucket) {
		t.Errorf("aws s3 ls (buckets) lacks %s:\n%s", bucket, buckets)
	}

	down := filepath.Join(work, "down")
	a.run("s3", "cp", "s3://"+bucket+"/big.bin", filepath.Join(down, "big.bin"))
	a.run("s3", "cp", "s3://"+bucket+"/small.txt", filepath.Join(down, "small.txt"))
	if fileSHA256(t, filepath.Join(down, "big.bin")) != sha256Hex(bigData) || fileSHA256(t, filepath.Join(down, "small.txt")) != fileSHA256(t, small) {
		t.Fatal("aws s3 cp down: contents differ")
	}

	t.Run("sync", func(t *testing.T) {
		src := filepath.Join(work, "tree")
		want := writeTree(t, src, 50, 900)
		out := a.run("s3", "sync", src, "s3://"+bucket+"/tree/")
		if n := strings.Count(out, "upload:"); n != 50 {
			t.Errorf("sync up: %d uploads, want 50", n)
		}
		// Nothing changed: a second sync uploads nothing.
		if out := a.run("s3", "sync", src, "s3://"+bucket+"/tree/"); strings.Contains(out, "upload:") {
			t.Errorf("second sync uploaded again:\n%s", out)
		}
		dst := filepath.Join(work, "tree-down")
		a.run("s3", "sync", "s3://"+bucket+"/tree/", dst)
		requireSameTree(t, want, hashTree(t, dst))

		// list-objects-v2 in pages of 7 (the CLI follows the tokens).
		var lo struct {
			Contents []struct {
				Key  string
				Size int64
				ETag string
			}
		}
		a.json(&lo, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "tree/", "--page-size", "7")
		if len(lo.Contents) != 50 {
			t.Fatalf("list-objects-v2: %d keys, want 50", len(lo.Contents))
		}
		for _, o := range lo.Contents {
			rel := strings.TrimPrefix(o.Key, "tree/")
			if _, ok := want[rel]; !ok {
				t.Errorf("list-objects-v2: unexpected key %s", o.Key)
			}
		}
	})

	t.Run("presign", func(t *testing.T) {
		url := strings.TrimSpace(a.run("s3", "presign", "s3://"+bucket+"/small.txt", "--expires-in", "300"))
		if !strings.Contains(url, "X-Amz-Signature=") {
			t.Fatalf("presigned URL is not SigV4: %s", url)
		}
		resp, err := fx.ca.httpClient().Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "hello from the aws cli\n" {
			t.Fatalf("GET presigned URL: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("open-upload", func(t *testing.T) {
		var cu struct{ UploadId string }
		a.json(&cu, "s3api", "create-multipart-upload", "--bucket", bucket, "--key", "open/upload")
		if cu.UploadId == "" {
			t.Fatal("create-multipart-upload: no UploadId")
		}
		var up struct{ ETag string }
		a.json(&up, "s3api", "upload-part", "--bucket", bucket, "--key", "open/upload", "--upload-id", cu.UploadId,
			"--part-number", "1", "--body", small)
		var lu struct {
			Uploads []struct{ Key, UploadId string }
		}
		a.json(&lu, "s3api", "list-multipart-uploads", "--bucket", bucket)
		if len(lu.Uploads) != 1 || lu.Uploads[0].Key != "open/upload" || lu.Uploads[0].UploadId != cu.UploadId {
			t.Fatalf("list-multipart-uploads: %+v", lu.Uploads)
		}
		var lp struct {
			Parts []struct {
				PartNumber int
				ETag       string
				Size       int64
			}
		}
		a.json(&lp, "s3api", "list-parts", "--bucket", bucket, "--key", "open/upload", "--upload-id", cu.UploadId)
		if len(lp.Parts) != 1 || lp.Parts[0].PartNumber != 1 || lp.Parts[0].ETag != up.ETag ||
			strings.Trim(up.ETag, `"`) != md5Hex([]byte("hello from the aws cli\n")) || lp.Parts[0].Size != 23 {
			t.Fatalf("list-parts: %+v (upload-part ETag %s)", lp.Parts, up.ETag)
		}
		a.run("s3api", "abort-multipart-upload", "--bucket", bucket, "--key", "open/upload", "--upload-id", cu.UploadId)
		lu.Uploads = nil
		a.json(&lu, "s3api", "list-multipart-uploads", "--bucket", bucket)
		if len(lu.Uploads) != 0 {
			t.Fatalf("after abort: %+v", lu.Uploads)
		}
	})

	a.run("s3", "rm", "s3://"+bucket, "--recursive")
	if keys := listAllV2(t, c, bucket, ""); len(keys) != 0 {
		t.Fatalf("after rm --recursive: %d keys left: %v", len(keys), keys)
	}
	a.run("s3", "rb", "s3://"+bucket)
	if _, err := c.HeadBucket(testCtx(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); httpStatus(err) != http.StatusNotFound {
		t.Fatalf("after rb: HeadBucket %v", err)
	}
}
