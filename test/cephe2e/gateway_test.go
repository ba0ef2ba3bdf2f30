//go:build ceph

package cephe2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tasmaniancloud/rustfs/internal/testproc"
)

// Root credentials every gateway is started with (RUSTFS_ACCESS_KEY and
// RUSTFS_SECRET_KEY), and the region.
const (
	rootAccessKey = "CEPHE2EROOTKEY01"
	rootSecretKey = "cephe2e-root-secret-key-0123456789"
	region        = "us-east-1"
)

// binary is the rustfs binary of this checkout, built once per test run.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the binary's scratch directory after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// rustfsBinary builds ./cmd/rustfs with -tags ceph on first use, or
// returns $RUSTFS_E2E_BINARY when set (a binary built beforehand).
func rustfsBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if p := os.Getenv("RUSTFS_E2E_BINARY"); p != "" {
			binary.path = p
			return
		}
		dir, err := os.MkdirTemp("", "rustfs-cephe2e-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.dir = dir
		out := filepath.Join(dir, "rustfs")
		cmd := exec.Command("go", "build", "-tags", "ceph", "-o", out, "./cmd/rustfs")
		cmd.Dir = filepath.Join("..", "..") // the module root
		if b, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build -tags ceph ./cmd/rustfs: %v\n%s", err, b)
			return
		}
		binary.path = out
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// gatewayOptions describes one `rustfs server` process on the cluster.
type gatewayOptions struct {
	name      string        // for messages
	namespace string        // --ceph-namespace
	dataDir   string        // --data (credentials, TLS, root key default)
	opTimeout time.Duration // --ceph-op-timeout (0 = the binary's default)
	// keyringFile, tlsCert and tlsKey, when set, point at another
	// gateway's files: gateways of one deployment must share the root
	// secret (objects are encrypted under keys derived from it) and the
	// clients trust one certificate.
	keyringFile, tlsCert, tlsKey string
}

// gateway is a running rustfs server process.
type gateway struct {
	name     string
	endpoint string
	caFile   string // the certificate the clients trust
	keyring  string // the local root secret file it uses
	tlsKey   string
	proc     *testproc.Process
	client   *s3.Client
}

// startGateway starts `rustfs server` on 127.0.0.1:0 with the rados backend
// and waits until /health/ready answers. The process gets SIGTERM when the
// test ends; its log is shown when the test failed.
func startGateway(t *testing.T, c *cluster, o gatewayOptions) *gateway {
	t.Helper()
	bin := rustfsBinary(t)
	g := &gateway{
		name:    o.name,
		caFile:  o.tlsCert,
		keyring: o.keyringFile,
		tlsKey:  o.tlsKey,
	}
	if g.caFile == "" {
		g.caFile = filepath.Join(o.dataDir, "tls", "cert.pem")
		g.tlsKey = filepath.Join(o.dataDir, "tls", "key.pem")
	}
	if g.keyring == "" {
		g.keyring = filepath.Join(o.dataDir, "keys", "root.key")
	}
	args := []string{"server",
		"--address", "127.0.0.1:0",
		"--data", o.dataDir,
		"--keyring-file", g.keyring,
		"--backend", "rados",
		"--ceph-conf", c.conf,
		"--ceph-user", c.user,
		"--ceph-namespace", o.namespace,
		"--multipart-expiry", "0",
		"--shutdown-timeout", "20s",
		"--log-level", "warn",
		// The suites check for leaked shards right after deleting; data of
		// overwritten or deleted objects must go at once, not after a grace.
		"--read-grace", "0",
	}
	if c.keyring != "" {
		args = append(args, "--ceph-keyring", c.keyring)
	}
	if o.opTimeout > 0 {
		args = append(args, "--ceph-op-timeout", o.opTimeout.String())
	}
	if o.tlsCert != "" {
		args = append(args, "--tls-cert", o.tlsCert, "--tls-key", o.tlsKey)
	}
	cmd := exec.Command(bin, args...)
	// Only the settings above count: RUSTFS_* variables of the caller's
	// environment would silently change the gateway (env wins over defaults).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUSTFS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "RUSTFS_ACCESS_KEY="+rootAccessKey, "RUSTFS_SECRET_KEY="+rootSecretKey)
	proc, err := testproc.Start(cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	g.proc = proc
	t.Cleanup(func() {
		g.stop(t)
		if t.Failed() || os.Getenv("RUSTFS_E2E_LOGS") != "" {
			t.Logf("gateway %s (pid %d) log:\n%s", g.name, proc.Pid(), tail(proc.Stderr(), 400))
		}
	})

	if g.endpoint, err = proc.WaitEndpoint(60 * time.Second); err != nil {
		t.Fatalf("gateway %s %v\n%s", g.name, err, tail(proc.Stderr(), 60))
	}
	hc := g.httpClient(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(g.endpoint + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway %s not ready after 30 s: %v", g.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	g.client = newClient(g.endpoint, hc)
	return g
}

// httpClient returns an HTTP client trusting the gateway's certificate.
func (g *gateway) httpClient(t *testing.T) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(g.caFile)
	if err != nil {
		t.Fatalf("gateway %s certificate: %v", g.name, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("gateway %s certificate %s: no PEM certificate", g.name, g.caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}

// newClient returns an aws-sdk-go-v2 client for endpoint: path-style, root
// credentials, checksums only where an operation requires them, and no
// retries, so every server error reaches the test.
func newClient(endpoint string, hc *http.Client) *s3.Client {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		HTTPClient:  hc,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// stop sends SIGTERM and waits for a clean exit (killing after 40 s).
func (g *gateway) stop(t *testing.T) {
	t.Helper()
	sent, err := g.proc.Stop(40 * time.Second)
	switch {
	case !sent:
		// already gone; the exit status was reported elsewhere
	case errors.Is(err, testproc.ErrKilled):
		t.Errorf("gateway %s (pid %d) did not stop within 40 s of SIGTERM", g.name, g.proc.Pid())
	case err != nil:
		t.Errorf("gateway %s (pid %d) exited with %v after SIGTERM", g.name, g.proc.Pid(), err)
	}
}

// startGateways starts n gateways on namespace ns that form one
// deployment: the first creates the root secret and the TLS pair in its
// data directory, the others are pointed at those files (started after
// the first is ready, so nobody races to create them).
func startGateways(t *testing.T, c *cluster, ns string, n int, opTimeout time.Duration) []*gateway {
	t.Helper()
	dir := t.TempDir()
	first := startGateway(t, c, gatewayOptions{name: "gw0", namespace: ns, opTimeout: opTimeout,
		dataDir: filepath.Join(dir, "gw0")})
	gws := []*gateway{first}
	for i := 1; i < n; i++ {
		gws = append(gws, startGateway(t, c, gatewayOptions{
			name: fmt.Sprintf("gw%d", i), namespace: ns, opTimeout: opTimeout,
			dataDir:     filepath.Join(dir, fmt.Sprintf("gw%d", i)),
			keyringFile: first.keyring, tlsCert: first.caFile, tlsKey: first.tlsKey,
		}))
	}
	return gws
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// reqCtx bounds one S3 request: long enough for several rados op timeouts
// in a row, short enough that a hung gateway fails the test.
func reqCtx(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), 90*time.Second)
}
