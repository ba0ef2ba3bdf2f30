package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// freeAddr returns a loopback address nobody listens on right now: the
// sealed listener's address must be known before the ready callback.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// sealedClient talks raw HTTPS to a sealed server, trusting its CA file
// once the sealed listener has created it.
type sealedClient struct {
	t        *testing.T
	base     string
	http     *http.Client
	signer   *sigv4.Signer
	shareDir string
}

func newSealedClient(t *testing.T, cfg Config, shareDir string) *sealedClient {
	t.Helper()
	ca := filepath.Join(cfg.DataDir, "tls", "cert.pem")
	deadline := time.Now().Add(20 * time.Second)
	c := &sealedClient{t: t, base: "https://" + cfg.Address, shareDir: shareDir,
		signer: sigv4.NewSigner(sigv4.ClientCredentials{AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, Region: cfg.Region})}
	for {
		if pem, err := os.ReadFile(ca); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			c.http = &http.Client{Timeout: 10 * time.Second,
				Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			if res, err := c.http.Get(c.base + "/health/live"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return c
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the sealed listener did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get returns the status and body of an unsigned GET.
func (c *sealedClient) get(path string) (int, string) {
	res, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// share reads share i of 3, optionally altered by edit.
func (c *sealedClient) share(i int, edit func(*kdf.Share)) json.RawMessage {
	raw, err := os.ReadFile(filepath.Join(c.shareDir, kdf.ShareFileName(i, 3)))
	if err != nil {
		c.t.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	sh, err := kdf.ParseShare(raw)
	if err != nil {
		c.t.Fatal(err)
	}
	edit(sh)
	raw, _ = json.Marshal(sh)
	return raw
}

// unseal posts shares, signed as root when sign is set.
func (c *sealedClient) unseal(sign bool, shares ...json.RawMessage) (int, UnsealResponse) {
	body, _ := json.Marshal(UnsealRequest{Shares: shares})
	req, _ := http.NewRequest(http.MethodPost, c.base+UnsealPath, bytes.NewReader(body))
	if sign {
		sum := sha256.Sum256(body)
		if err := c.signer.Sign(req, hex.EncodeToString(sum[:]), time.Now()); err != nil {
			c.t.Fatal(err)
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var out UnsealResponse
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusForbidden {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("unseal answer %d %q: %v", res.StatusCode, raw, err)
		}
	}
	return res.StatusCode, out
}

// TestSealedCeremony: init 2-of-3, start sealed (S3 answers 503), one share
// leaves it sealed, forged shares and unsigned requests are refused, the
// second share unseals and objects work; a restart is sealed again and
// unseals from --unseal-share files with the object intact.
func TestSealedCeremony(t *testing.T) {
	cfg := testConfig(t)
	cfg.AccessKey, cfg.SecretKey = "ceremonyadmin", "ceremony-secret-key-0123456789"
	cfg.KeyringDir = filepath.Join(t.TempDir(), "keyring")
	shareDir := filepath.Join(t.TempDir(), "shares")
	_, _, err := InitCeremony(cfg, shareDir, 3, 2, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := InitCeremony(cfg, filepath.Join(t.TempDir(), "again"), 3, 2, quietLogger()); err == nil {
		t.Fatal("a second keys init was accepted")
	}
	cfg.Address = freeAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Started, 1)
	done := make(chan error, 1)
	go func() { done <- RunWith(ctx, cfg, func(s Started) { ready <- s }) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	defer stop()

	c := newSealedClient(t, cfg, shareDir)
	if code, body := c.get("/health/ready"); code != 503 || !strings.Contains(body, "sealed: 2 more") {
		t.Fatalf("ready while sealed: %d %q", code, body)
	}
	if code, body := c.get("/bucket/key"); code != 503 || !strings.Contains(body, "<Code>ServiceUnavailable</Code>") || !strings.Contains(body, "sealed") {
		t.Fatalf("S3 request while sealed: %d %q", code, body)
	}
	if code, _ := c.unseal(false, c.share(1, nil)); code != http.StatusForbidden {
		t.Fatalf("unsigned unseal: %d, want 403", code)
	}
	code, resp := c.unseal(true, c.share(1, nil))
	if code != 200 || !resp.Sealed || resp.Need != 1 || len(resp.Accepted) != 1 {
		t.Fatalf("one share: %d %+v", code, resp)
	}
	forgedShare := c.share(2, func(s *kdf.Share) { s.Share[7] ^= 0x40 })
	forgedSig := c.share(2, func(s *kdf.Share) { s.Signature[11] ^= 1 })
	code, resp = c.unseal(true, forgedShare, forgedSig)
	if code != 400 || !resp.Sealed || resp.Need != 1 || len(resp.Refused) != 2 || !strings.Contains(resp.Refused[0], "does not verify") {
		t.Fatalf("forged shares: %d %+v", code, resp)
	}
	if code, _ := c.get("/bucket/key"); code != 503 {
		t.Fatalf("after forged shares: %d, want still sealed", code)
	}
	select {
	case s := <-ready:
		t.Fatalf("served before unsealing: %+v", s)
	default:
	}
	code, resp = c.unseal(true, c.share(2, nil))
	if code != 200 || resp.Sealed || resp.Need != 0 {
		t.Fatalf("second share: %d %+v", code, resp)
	}
	var s Started
	select {
	case s = <-ready:
	case err := <-done:
		t.Fatalf("Run after unseal: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not serving after unseal")
	}
	if s.Addr != cfg.Address {
		t.Errorf("serving on %s, sealed on %s", s.Addr, cfg.Address)
	}
	cl := client(t, s)
	bg := context.Background()
	if _, err := cl.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("sealed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("sealed"), Key: aws.String("k"),
		Body: strings.NewReader("behind shares")}); err != nil {
		t.Fatal(err)
	}
	stop()
	if _, err := os.Stat(filepath.Join(cfg.KeyringDir, "root.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("root secret on disk after a sealed run: %v", err)
	}

	// Restart: sealed again; shares given at start unseal it.
	cfg.UnsealShares = []string{filepath.Join(shareDir, kdf.ShareFileName(3, 3)), filepath.Join(shareDir, kdf.ShareFileName(1, 3))}
	s, _ = startServer(t, cfg)
	out, err := client(t, s).GetObject(bg, &s3.GetObjectInput{Bucket: aws.String("sealed"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "behind shares" {
		t.Fatalf("read back %q", body)
	}
}

// TestSealedRefusesOtherOpeners: `rustfs keys rotate` (openKeys without
// shares) must not create a new root beside a sealed keyring.
func TestSealedRefusesOtherOpeners(t *testing.T) {
	cfg := testConfig(t)
	if _, _, err := InitCeremony(cfg, t.TempDir(), 2, 2, quietLogger()); err != nil {
		t.Fatal(err)
	}
	if _, err := openKeyring(cfg.withDefaults(), quietLogger()); err == nil || !strings.Contains(err.Error(), "sealed") {
		t.Fatalf("openKeyring on a sealed keyring: %v", err)
	}
	if _, err := os.Stat(localKeyPath(cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("root file created: %v", err)
	}
}

// TestRotateKeysSealed: `rustfs keys rotate` on a sealed keyring needs its
// shares, and runs with them.
func TestRotateKeysSealed(t *testing.T) {
	cfg := testConfig(t)
	shareDir := t.TempDir()
	if _, _, err := InitCeremony(cfg, shareDir, 3, 2, quietLogger()); err != nil {
		t.Fatal(err)
	}
	cfg.UnsealShares = []string{filepath.Join(shareDir, kdf.ShareFileName(2, 3))}
	if _, err := RotateKeys(context.Background(), cfg, RotateOptions{DryRun: true}); err == nil || !strings.Contains(err.Error(), "1 more key shares") {
		t.Fatalf("rotate with one share: %v", err)
	}
	cfg.UnsealShares = append(cfg.UnsealShares, filepath.Join(shareDir, kdf.ShareFileName(3, 3)))
	if _, err := RotateKeys(context.Background(), cfg, RotateOptions{DryRun: true}); err != nil {
		t.Fatalf("rotate with two shares: %v", err)
	}
	if _, err := os.Stat(localKeyPath(cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("root file created: %v", err)
	}
}
