package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/tasmaniancloud/rustfs/audit"
	"github.com/tasmaniancloud/rustfs/s3api"
)

// AuditPubFile is where the server writes the audit checkpoint public key
// (base64 of the packed ML-DSA-65 key) under DataDir, for `rustfs audit
// verify --pubkey`. Copy it off the host to pin the key.
const AuditPubFile = "audit.pub"

// DefaultAuditLogMaxSize rotates the audit log file at 100 MiB.
const DefaultAuditLogMaxSize = 100 << 20

// auditEnabled reports whether cfg asks for any audit output.
func (c Config) auditEnabled() bool {
	return c.AuditLog != "" || c.AuditSIEMURL != "" || c.AuditStdout
}

// openAudit builds the audit logger cfg describes, signing checkpoints
// with the key service's current signing key. It returns a nil logger
// when auditing is off; close flushes, signs the final checkpoint and
// closes the sinks (call it after the S3 server has drained).
func openAudit(ctx context.Context, cfg Config, st *stack, log *slog.Logger) (s3api.AuditLogger, func(), error) {
	if !cfg.auditEnabled() {
		return nil, func() {}, nil
	}
	pub, keyID, err := st.keys.SigningPublicKey(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("server: audit signing key: %w", err)
	}
	pubFile := filepath.Join(cfg.DataDir, AuditPubFile)
	if err := os.WriteFile(pubFile, []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return nil, nil, fmt.Errorf("server: audit public key: %w", err)
	}
	signer := &audit.Signer{KeyID: keyID, PublicKey: pub, Sign: func(msg []byte) ([]byte, error) {
		sig, _, err := st.keys.SignMessage(context.Background(), audit.SignatureContext, msg)
		return sig, err
	}}
	var sinks []audit.Sink
	closeSinks := func() {
		for _, s := range sinks {
			s.Close()
		}
	}
	var start audit.Head
	if cfg.AuditLog != "" {
		fs, err := audit.OpenFile(audit.FileOptions{Path: cfg.AuditLog, MaxSize: int64(max(cfg.AuditLogMaxSize, 0))})
		if err != nil {
			return nil, nil, fmt.Errorf("server: %w", err)
		}
		if fs.Repaired > 0 {
			log.Warn("audit: cut an incomplete last line (crash mid-write) from the audit log", "path", cfg.AuditLog, "bytes", fs.Repaired)
		}
		start = fs.Head()
		sinks = append(sinks, fs)
	}
	if cfg.AuditStdout {
		sinks = append(sinks, audit.NewLogSink(log))
	}
	if cfg.AuditSIEMURL != "" {
		spool := cfg.AuditSpoolDir
		if spool == "" {
			spool = filepath.Join(cfg.DataDir, "audit-spool")
		}
		o := audit.SIEMOptions{URL: cfg.AuditSIEMURL, SpoolDir: spool, Logger: log}
		if o.Client, err = siemClient(cfg); err == nil {
			if cfg.AuditSIEMAuth != "" {
				o.Header = http.Header{"Authorization": {cfg.AuditSIEMAuth}}
			}
			var siem *audit.SIEMSink
			if siem, err = audit.NewSIEM(o); err == nil {
				sinks = append(sinks, siem)
			}
		}
		if err != nil {
			closeSinks()
			return nil, nil, fmt.Errorf("server: audit SIEM: %w", err)
		}
	}
	l, err := audit.New(audit.Options{
		GatewayID:          cfg.GatewayID,
		Signer:             signer,
		Sinks:              sinks,
		Start:              start,
		CheckpointInterval: cfg.AuditCheckpointInterval,
		OnDrop:             st.metrics.AuditDropped,
		Logger:             log,
	})
	if err != nil {
		closeSinks()
		return nil, nil, fmt.Errorf("server: %w", err)
	}
	log.Info("audit: logging", "file", cfg.AuditLog, "siem", cfg.AuditSIEMURL, "stdout", cfg.AuditStdout,
		"continues_at_seq", start.Seq+1, "key", keyID, "pub_fp", audit.Fingerprint(pub), "pub_file", pubFile, "gateway", cfg.GatewayID)
	return l, func() {
		if err := l.Close(); err != nil {
			log.Warn("audit: close", "err", err)
		}
		if n := l.Dropped(); n > 0 {
			log.Warn("audit: records dropped during this run", "count", n)
		}
	}, nil
}

// siemClient is the HTTP client of the SIEM sink: cfg's timeout, and
// cfg.AuditSIEMCA as the only trusted roots when set.
func siemClient(cfg Config) (*http.Client, error) {
	c := &http.Client{Timeout: cfg.AuditSIEMTimeout}
	if cfg.AuditSIEMCA == "" {
		return c, nil
	}
	pem, err := os.ReadFile(cfg.AuditSIEMCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", cfg.AuditSIEMCA)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Transport = tr
	return c, nil
}
