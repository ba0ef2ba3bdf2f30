package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/audit"
)

// TestRunAuditOutputs: with --audit-log and --audit-siem-url the file and
// the SIEM both get every request, SlowDown included, in chain order; the
// file verifies against <data>/audit.pub; a restart continues the chain.
// The SIEM speaks HTTPS with its own CA and wants a bearer token.
func TestRunAuditOutputs(t *testing.T) {
	var mu sync.Mutex
	var siem [][]byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer siem-token" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		siem = append(siem, bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))...)
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := testConfig(t)
	cfg.InsecurePlaintext = true
	cfg.AuthFailBurst, cfg.AuthFailRate = 2, 1e-6
	cfg.AuditLog = filepath.Join(t.TempDir(), "audit.log")
	cfg.AuditSIEMURL = srv.URL
	cfg.AuditSIEMAuth = "Bearer siem-token"
	cfg.AuditSIEMCA = filepath.Join(t.TempDir(), "siem-ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(cfg.AuditSIEMCA, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.GatewayID = "gw-test"
	hc := &http.Client{Timeout: 30 * time.Second}
	get := func(s Started, n int) {
		for range n {
			resp, err := hc.Get(s.Endpoint + "/some-bucket")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	s, stop := startServer(t, cfg)
	get(s, 3) // 403, 403, 503 SlowDown
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	cfg.AuthFailBurst = 100
	s, stop = startServer(t, cfg)
	get(s, 2)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	pub, err := os.ReadFile(filepath.Join(cfg.DataDir, AuditPubFile))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(pub)))
	if err != nil {
		t.Fatal(err)
	}
	fp := audit.Fingerprint(raw)
	rep, err := audit.Verify([]string{cfg.AuditLog}, audit.VerifyOptions{PubFP: fp})
	if err != nil || rep.Records != 5 || !rep.Final {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	var ops []string
	mu.Lock()
	defer mu.Unlock()
	for _, l := range siem {
		var r audit.Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		if r.Type == audit.TypeRequest {
			ops = append(ops, r.Operation+"/"+r.Decision)
			if r.GatewayID != "gw-test" || r.Seq != uint64(len(ops)) {
				t.Errorf("SIEM record %d: %+v", len(ops), r)
			}
		}
	}
	want := []string{"Anonymous/deny:anonymous", "Anonymous/deny:anonymous", "SlowDown/deny:throttled",
		"Anonymous/deny:anonymous", "Anonymous/deny:anonymous"}
	if len(ops) != len(want) {
		t.Fatalf("SIEM got %v, want %v", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("SIEM got %v, want %v", ops, want)
		}
	}
}
