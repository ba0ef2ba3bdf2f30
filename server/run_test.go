package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// quietLogger keeps test output clean.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer runs a complete gateway on a random port and returns its
// description and a stop function that waits for Run to return.
func startServer(t *testing.T, cfg Config) (Started, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Started, 1)
	done := make(chan error, 1)
	go func() { done <- RunWith(ctx, cfg, func(s Started) { ready <- s }) }()
	select {
	case s := <-ready:
		stopped := false
		var stopErr error
		stop := func() error {
			if !stopped {
				stopped = true
				cancel()
				stopErr = <-done
			}
			return stopErr
		}
		t.Cleanup(func() { _ = stop() })
		return s, stop
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	return Started{}, nil
}

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Fsync = "never"
	cfg.Logger = quietLogger()
	return cfg
}

func client(t *testing.T, s Started) *s3.Client {
	t.Helper()
	tr := &http.Transport{}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		HTTPClient:   &http.Client{Transport: tr, Timeout: time.Minute},
	})
}

// TestRunFullStack runs the real gateway (local backend, local keyring,
// erasure coding, encryption, TLS) and drives it with the AWS SDK.
func TestRunFullStack(t *testing.T) {
	cfg := testConfig(t)
	var banner bytes.Buffer
	cfg.Out = &banner
	s, stop := startServer(t, cfg)
	if !s.CreatedCredentials || !strings.HasPrefix(s.Endpoint, "https://127.0.0.1:") || s.Pin == "" {
		t.Fatalf("started: %+v", s)
	}
	for _, want := range []string{"export AWS_SECRET_ACCESS_KEY=" + s.SecretKey, "aws --endpoint-url " + s.Endpoint + " --ca-bundle " + s.CAFile + " s3 ls", s.Pin} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}
	envFile := filepath.Join(cfg.DataDir, "aws.env")
	for _, want := range []string{". " + envFile, "Root of trust: the local secret " + localKeyPath(cfg), "curl --cacert " + s.CAFile + " " + s.Endpoint + "/health/ready", "signature_version s3v4"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}
	// The env file works as printed: a shell that sources it has what the
	// aws CLI and boto3 read.
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s|%s|%s|%s|%s' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_DEFAULT_REGION" "$AWS_ENDPOINT_URL" "$AWS_CA_BUNDLE"`, "sh", envFile).Output()
	if want := strings.Join([]string{s.AccessKey, s.SecretKey, cfg.Region, s.Endpoint, s.CAFile}, "|"); err != nil || string(out) != want {
		t.Errorf("sourcing %s gave %q (%v), want %q", envFile, out, err, want)
	}
	for _, f := range []string{"credentials", "aws.env", "tls/key.pem", "keys/root.key"} {
		st, err := os.Stat(filepath.Join(cfg.DataDir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, st.Mode(), err)
		}
	}

	c := client(t, s)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("full")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("rustfs!"), 300000) // 2.1 MB: several chunks
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("obj"),
		Body: bytes.NewReader(body), Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("full"), Key: aws.String("obj"), Range: aws.String("bytes=1048570-1048589")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(part, body[1048570:1048590]) {
		t.Fatalf("range across a chunk boundary: %q", part)
	}
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	big := bytes.Repeat([]byte{0xab}, 11<<20)
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("big"), Body: bytes.NewReader(big),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatal(err)
	}
	g2, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("full"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(g2.Body)
	g2.Body.Close()
	if !bytes.Equal(all, big) {
		t.Fatal("multipart object differs")
	}
	hd, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("full"), Key: aws.String("big"), PartNumber: aws.Int32(3)})
	if err != nil || aws.ToInt64(hd.ContentLength) != 1<<20 || aws.ToInt32(hd.PartsCount) != 3 {
		t.Fatalf("HEAD partNumber=3: %v %+v", err, hd)
	}
	hr, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("full"), Key: aws.String("obj"), Range: aws.String("bytes=10-19")})
	if err != nil || aws.ToInt64(hr.ContentLength) != 10 || aws.ToString(hr.ContentRange) != "bytes 10-19/2100000" {
		t.Fatalf("HEAD range: %v %+v", err, hr)
	}
	lst, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("full")})
	if err != nil || len(lst.Contents) != 2 {
		t.Fatalf("list: %v %+v", err, lst)
	}
	// Health probes need no credentials.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, p := range []string{"/health/live", "/health/ready"} {
		resp, err := hc.Get(s.Endpoint + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp, err)
		}
		resp.Body.Close()
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	// Restart: same credentials, not printed again; data still there.
	banner.Reset()
	s2, stop2 := startServer(t, cfg)
	if s2.CreatedCredentials || s2.AccessKey != s.AccessKey || s2.SecretKey != s.SecretKey || s2.Pin != s.Pin {
		t.Fatalf("restart changed identity: %+v", s2)
	}
	if strings.Contains(banner.String(), s.SecretKey) {
		t.Fatal("secret printed again on restart")
	}
	g3, err := client(t, s2).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("full"), Key: aws.String("obj")})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := io.ReadAll(g3.Body)
	g3.Body.Close()
	if !bytes.Equal(again, body) {
		t.Fatal("object changed across restart")
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}

	// Key rotation: a new signing key version re-signs every manifest.
	rep, err := RotateKeys(ctx, cfg, RotateOptions{})
	if err != nil || rep.Scanned != 2 || rep.Current != 2 {
		t.Fatalf("rotate (no change): %v %v", rep, err)
	}
	cfg.SigningKeyVersion = 2
	if rep, err = RotateKeys(ctx, cfg, RotateOptions{}); err != nil || rep.Resigned != 2 {
		t.Fatalf("rotate to v2: %v %v", rep, err)
	}
	cfg.MinSigningKeyVersion = 2
	s3srv, _ := startServer(t, cfg)
	if _, err := client(t, s3srv).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("full"), Key: aws.String("big")}); err != nil {
		t.Fatalf("read after rotation with v1 retired: %v", err)
	}
}

func TestRunPlaintextAndEnvCredentials(t *testing.T) {
	cfg := testConfig(t)
	cfg.InsecurePlaintext = true
	cfg.AccessKey, cfg.SecretKey = "AKIAENVKEY000000", "env-secret-key-000000"
	s, stop := startServer(t, cfg)
	if !strings.HasPrefix(s.Endpoint, "http://") || s.CAFile != "" || s.Pin != "" || s.AccessKey != cfg.AccessKey {
		t.Fatalf("started: %+v", s)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "credentials")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("credentials file written despite env keys: %v", err)
	}
	c := client(t, s)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestRunLimitsFailedAuth: the auth-fail settings reach the S3 server:
// after AuthFailBurst anonymous (failed) requests from one address the next
// is answered 503 SlowDown. The rate is so low nothing refills meanwhile.
func TestRunLimitsFailedAuth(t *testing.T) {
	cfg := testConfig(t)
	cfg.InsecurePlaintext = true
	cfg.AuthFailBurst, cfg.AuthFailRate = 3, 1e-6
	s, _ := startServer(t, cfg)
	hc := &http.Client{Timeout: 30 * time.Second}
	for i, want := range []int{403, 403, 403, 503} {
		resp, err := hc.Get(s.Endpoint + "/some-bucket")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s, want %d", i+1, resp.StatusCode, body, want)
		}
		if want == 503 && (!strings.Contains(string(body), "<Code>SlowDown</Code>") || resp.Header.Get("Retry-After") == "") {
			t.Fatalf("throttled answer: %v %s", resp.Header, body)
		}
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"half credentials":        func(c *Config) { c.AccessKey = "AKIAONLY0000" },
		"bad ec":                  func(c *Config) { c.EC = "4-2" },
		"unknown backend":         func(c *Config) { c.Backend = "s3fs" },
		"unknown keyring":         func(c *Config) { c.Keyring = "vault" },
		"bad etag":                func(c *Config) { c.ETag = "sha1" },
		"bad md5":                 func(c *Config) { c.MD5 = "avx" },
		"half tls":                func(c *Config) { c.TLSCert = "/nonexistent.pem" },
		"bad log level":           func(c *Config) { c.Logger = nil; c.LogLevel = "loud" },
		"busy address":            func(c *Config) { c.Address = "256.0.0.1:1" },
		"negative auth-fail rate": func(c *Config) { c.AuthFailRate = -1 },
		"NaN auth-fail rate":      func(c *Config) { c.AuthFailRate = math.NaN() },
	} {
		cfg := testConfig(t)
		mod(&cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := Run(ctx, cfg, func(string) { t.Errorf("%s: server started", name) })
		cancel()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseEC(t *testing.T) {
	for in, ok := range map[string]bool{"4+2": true, "8+3": true, " 2+1 ": true, "4": false, "0+2": false, "4+0": false, "a+b": false, "40+40": false} {
		_, _, err := ParseEC(in)
		if (err == nil) != ok {
			t.Errorf("ParseEC(%q) = %v", in, err)
		}
	}
}

// TestLocalKeyringWarns checks that the operator is told, through the
// server's logger, that a local root secret file is for development only.
func TestLocalKeyringWarns(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	cfg := testConfig(t)
	k, err := openKeyring(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "development only") || !strings.Contains(out, k.ID()) {
		t.Fatalf("no development warning naming the keyring in the log: %q", out)
	}
}
