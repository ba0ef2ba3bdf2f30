package s3api

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	certFile, keyFile, created, err := EnsureSelfSigned(dir, []string{"s3.example.test", "10.1.2.3"})
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v %v", st.Mode(), err)
	}
	cert, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v", leaf.PublicKeyAlgorithm)
	}
	wantIPs := map[string]bool{"127.0.0.1": false, "::1": false, "10.1.2.3": false}
	for _, ip := range leaf.IPAddresses {
		wantIPs[ip.String()] = true
	}
	for ip, ok := range wantIPs {
		if !ok {
			t.Errorf("SAN %s missing", ip)
		}
	}
	if err := leaf.VerifyHostname("s3.example.test"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	// The certificate verifies against itself as the trust anchor, as
	// clients given --ca-bundle cert.pem do.
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("self-verification: %v", err)
	}

	// The pin is the base64 SHA-256 of the SubjectPublicKeyInfo.
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if SPKIPin(leaf) != base64.StdEncoding.EncodeToString(sum[:]) || len(SPKIPin(leaf)) != 44 {
		t.Errorf("pin %q", SPKIPin(leaf))
	}

	// A second start reuses the files.
	raw, _ := os.ReadFile(certFile)
	_, _, created, err = EnsureSelfSigned(dir, nil)
	if err != nil || created {
		t.Fatalf("second start: created=%v err=%v", created, err)
	}
	raw2, _ := os.ReadFile(certFile)
	if string(raw) != string(raw2) {
		t.Error("certificate regenerated")
	}
	if b, _ := pem.Decode(raw); b == nil || b.Type != "CERTIFICATE" {
		t.Error("cert.pem is not a PEM certificate")
	}

	// Half a pair is an error, not a silent regeneration.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := EnsureSelfSigned(dir, nil); err == nil {
		t.Error("cert without key accepted")
	}
}

func TestTLSConfig(t *testing.T) {
	cfg := TLSConfig(tlsTestCert(t))
	if cfg.MinVersion != 0x0304 {
		t.Errorf("MinVersion %x", cfg.MinVersion)
	}
	if len(cfg.CurvePreferences) < 2 || cfg.CurvePreferences[0].String() != "X25519MLKEM768" {
		t.Errorf("curves %v", cfg.CurvePreferences)
	}
}

func tlsTestCert(t *testing.T) tls.Certificate {
	t.Helper()
	certFile, keyFile, _, err := EnsureSelfSigned(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
