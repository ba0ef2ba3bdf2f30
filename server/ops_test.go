package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/s3api"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// get fetches url with c and returns the status and body.
func get(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOpsMetricsPprofProfile runs a server with the admin listener and a
// CPU profile: /metrics and pprof answer there, the S3 port serves the
// metrics to root only, and the profile is written at shutdown.
func TestOpsMetricsPprofProfile(t *testing.T) {
	cfg := testConfig(t)
	cfg.InsecurePlaintext = true
	cfg.AdminAddress = "127.0.0.1:0"
	cfg.Profile = "cpu"
	cfg.ProfileDir = filepath.Join(t.TempDir(), "prof")
	s, stop := startServer(t, cfg)
	if s.AdminAddr == "" {
		t.Fatal("admin listener not reported")
	}
	hc := &http.Client{Timeout: 10 * time.Second}

	// One signed S3 request, so the request metrics have something to say.
	signer := sigv4.NewSigner(sigv4.ClientCredentials{AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: cfg.Region})
	signed := func(method, path string) *http.Request {
		req, _ := http.NewRequest(method, s.Endpoint+path, nil)
		if err := signer.Sign(req, "UNSIGNED-PAYLOAD", time.Now()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	if code, body := get(t, hc, signed(http.MethodPut, "/opsbucket")); code != 200 {
		t.Fatalf("create bucket: %d %s", code, body)
	}

	req, _ := http.NewRequest(http.MethodGet, "http://"+s.AdminAddr+"/metrics", nil)
	code, body := get(t, hc, req)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`rustfs_s3_requests_total{op="CreateBucket",status="200"} 1`,
		`rustfs_pipeline_stripes_in_flight 0`,
		`rustfs_keycache_hit_ratio`,
		`rustfs_pipeline_busy_seconds_total{stage="seal"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	req, _ = http.NewRequest(http.MethodGet, "http://"+s.AdminAddr+"/debug/pprof/goroutine?debug=1", nil)
	if code, body := get(t, hc, req); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("pprof: %d %.100s", code, body)
	}

	// The S3 port: root gets the metrics, an anonymous client does not.
	if code, body := get(t, hc, signed(http.MethodGet, s3api.MetricsPath)); code != 200 || !strings.Contains(body, "rustfs_s3_requests_total") {
		t.Fatalf("S3-port metrics as root: %d %.200s", code, body)
	}
	req, _ = http.NewRequest(http.MethodGet, s.Endpoint+s3api.MetricsPath, nil)
	if code, _ := get(t, hc, req); code != http.StatusForbidden {
		t.Fatalf("S3-port metrics anonymous: %d, want 403", code)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(cfg.ProfileDir, "cpu.pprof")); err != nil || st.Size() == 0 {
		t.Fatalf("cpu profile: %v", err)
	}
}

func TestOpsFlagsChecked(t *testing.T) {
	cfg := testConfig(t)
	cfg.InsecurePlaintext = true
	cfg.Profile = "heap-please"
	if err := Run(t.Context(), cfg, nil); err == nil || !strings.Contains(err.Error(), "profile") {
		t.Fatalf("bad profile: %v", err)
	}
	if got := adminListenAddress(":6060"); got != "127.0.0.1:6060" {
		t.Fatalf("bare port binds %q", got)
	}
	if got := adminListenAddress("[::1]:6060"); got != "[::1]:6060" {
		t.Fatalf("explicit host became %q", got)
	}
}
