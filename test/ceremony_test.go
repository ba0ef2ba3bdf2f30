package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tasmaniancloud/rustfs/internal/testproc"
	"github.com/tasmaniancloud/rustfs/kdf"
)

// TestRootKeyCeremony runs the ceremony with the real binary as an
// operator would: keys init 2-of-3, a sealed start (S3 answers 503), one
// share (still sealed), a forged share (refused), the second share
// (serving), PUT; then a restart unsealed by --unseal-share files, GET.
func TestRootKeyCeremony(t *testing.T) {
	bin := rustfsBinary(t)
	data, shares := t.TempDir(), filepath.Join(t.TempDir(), "shares")
	cli := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return out.String(), errb.String(), ee.ExitCode()
		case err != nil:
			t.Fatal(err)
		}
		return out.String(), errb.String(), 0
	}
	if out, errs, code := cli("keys", "init", "--data", data, "--shares", "3", "--threshold", "2", "--out", shares); code != 0 {
		t.Fatalf("keys init: exit %d\n%s%s", code, out, errs)
	}
	share := func(i int) string { return filepath.Join(shares, kdf.ShareFileName(i, 3)) }

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"server", "--address", addr, "--data", data,
		"--tls-cert", fx.ca.CertFile, "--tls-key", fx.ca.KeyFile, "--log-level", "warn"}
	if fx.backend == backendRados {
		args = append(args, "--backend", string(backendRados), "--ceph-namespace", radosNamespace(data))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
	proc, err := testproc.Start(cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{proc: proc}
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("rustfs stderr:\n%s", tail(proc.Stderr()))
		}
	})
	unseal := func(files ...string) (string, string, int) {
		return cli(append([]string{"unseal", "--endpoint", "https://" + addr, "--ca-cert", fx.ca.CertFile}, files...)...)
	}

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: fx.ca.clientTLS()}}
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := hc.Get("https://" + addr + "/health/live")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sealed server never answered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := hc.Get("https://" + addr + "/some-bucket/some-key")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !bytes.Contains(body, []byte("sealed")) {
		t.Fatalf("S3 request while sealed: %d %s", res.StatusCode, body)
	}

	if out, errs, code := unseal(share(1)); code != 0 || !strings.Contains(out, "still sealed: 1 more of 2") {
		t.Fatalf("one share: exit %d %q %q", code, out, errs)
	}
	raw, _ := os.ReadFile(share(3))
	var sh kdf.Share
	if err := json.Unmarshal(raw, &sh); err != nil {
		t.Fatal(err)
	}
	sh.Signature[0] ^= 0x80
	forged := filepath.Join(t.TempDir(), "forged.json")
	raw, _ = json.Marshal(sh)
	if err := os.WriteFile(forged, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := unseal(forged); code != 1 || !strings.Contains(errs, "does not verify") || !strings.Contains(out, "still sealed") {
		t.Fatalf("forged share: exit %d %q %q", code, out, errs)
	}
	if out, errs, code := unseal(share(2)); code != 0 || !strings.Contains(out, "serving") {
		t.Fatalf("second share: exit %d %q %q", code, out, errs)
	}
	ep, err := proc.WaitEndpoint(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p.gateway = &gateway{Addr: addr, Endpoint: ep}
	c := p.sdk()
	bucket := bucketName("sealed")
	if _, err := c.CreateBucket(testCtx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	want := randData(12, 100_000)
	put(t, c, bucket, "k", want)
	p.stop(t)

	if _, err := os.Stat(filepath.Join(data, "keys", "root.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("root secret on disk: %v", err)
	}
	p2 := startBinary(t, data, "--unseal-share", share(3), "--unseal-share", share(1))
	_, got := getBytes(t, p2.sdk(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if !bytes.Equal(got, want) {
		t.Fatal("object changed across a sealed restart")
	}
	removeBucket(t, p2.sdk(), bucket)
}
