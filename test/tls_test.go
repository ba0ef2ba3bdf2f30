package test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// TestTLSPostQuantum checks that a Go client negotiates TLS 1.3 with the
// hybrid post-quantum group X25519MLKEM768, that the certificate verifies
// against the CA, and that a TLS 1.2-only client is refused.
func TestTLSPostQuantum(t *testing.T) {
	t.Parallel()
	dialer := &net.Dialer{Timeout: 10 * time.Second}

	cfg := fx.ca.clientTLS()
	cfg.ServerName = "127.0.0.1"
	conn, err := tls.DialWithDialer(dialer, "tcp", fx.gw.Addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	st := conn.ConnectionState()
	conn.Close()
	if st.Version != tls.VersionTLS13 {
		t.Errorf("negotiated %s, want TLS 1.3", tls.VersionName(st.Version))
	}
	if st.CurveID != tls.X25519MLKEM768 {
		t.Errorf("key exchange %v, want X25519MLKEM768", st.CurveID)
	}
	if len(st.VerifiedChains) == 0 {
		t.Errorf("no verified chain")
	}

	// A client that offers only classical groups still gets TLS 1.3.
	cfg = fx.ca.clientTLS()
	cfg.CurvePreferences = []tls.CurveID{tls.X25519}
	conn, err = tls.DialWithDialer(dialer, "tcp", fx.gw.Addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with X25519 only: %v", err)
	}
	if st := conn.ConnectionState(); st.CurveID != tls.X25519 || st.Version != tls.VersionTLS13 {
		t.Errorf("X25519-only client: %v %s", st.CurveID, tls.VersionName(st.Version))
	}
	conn.Close()

	// TLS 1.2 is refused.
	cfg = fx.ca.clientTLS()
	cfg.MaxVersion = tls.VersionTLS12
	conn, err = tls.DialWithDialer(dialer, "tcp", fx.gw.Addr, cfg)
	if err == nil {
		v := conn.ConnectionState().Version
		conn.Close()
		t.Fatalf("TLS 1.2-only client connected (%s)", tls.VersionName(v))
	}

	// A client that does not trust the CA fails verification.
	conn, err = tls.DialWithDialer(dialer, "tcp", fx.gw.Addr, &tls.Config{MinVersion: tls.VersionTLS13})
	if err == nil {
		conn.Close()
		t.Fatal("a client without the CA accepted the server certificate")
	}
}
