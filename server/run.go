package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/tasmaniancloud/rustfs/cpu"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/metrics"
	"github.com/tasmaniancloud/rustfs/s3api"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// Started describes a running server: what RunWith passes to its ready
// callback and what the banner prints.
type Started struct {
	// Addr is the address the listener is bound to ("127.0.0.1:9000").
	Addr string
	// Endpoint is the URL clients use ("https://127.0.0.1:9000").
	Endpoint string
	// CAFile is the certificate clients should trust ("" for plaintext or
	// operator-supplied certificates).
	CAFile string
	// AccessKey and SecretKey are the root credentials in use.
	AccessKey, SecretKey string
	// CreatedCredentials is true when the keys were generated on this start.
	CreatedCredentials bool
	// Pin is the base64 SHA-256 SPKI pin of the served certificate.
	Pin string
	// AdminAddr is the admin listener's address (/metrics, /debug/pprof/),
	// "" when it is off.
	AdminAddr string
}

// Run builds the gateway described by cfg, serves until ctx is cancelled,
// then shuts down gracefully: it stops accepting connections and lets
// in-flight requests finish for up to cfg.ShutdownTimeout; requests still
// running then are cancelled, and their uploads never become visible.
// ready, when not nil, is called with the bound address once the server
// accepts connections. Run returns nil after a clean shutdown.
func Run(ctx context.Context, cfg Config, ready func(addr string)) error {
	return RunWith(ctx, cfg, func(s Started) {
		if ready != nil {
			ready(s.Addr)
		}
	})
}

// RunWith is Run with the full start-up description (credentials,
// endpoint, CA file) passed to ready, for tests and tools that need to
// connect as root.
func RunWith(ctx context.Context, cfg Config, ready func(Started)) error {
	cfg = cfg.withDefaults()
	log, err := newLogger(cfg)
	if err != nil {
		return err
	}
	if err := cfg.checkAuthFail(); err != nil {
		return err
	}
	log.Info("rustfs: cpu kernels", "paths", cpu.Paths())
	nofile, err := raiseFileLimit()
	if err != nil {
		log.Warn("rustfs: could not raise the open-file limit", "limit", nofile, "err", err)
	}
	maxConns := maxConnsFor(cfg.MaxConns, nofile)
	log.Info("rustfs: connection limits", "open_files", nofile, "max_conns", maxConns,
		"max_conns_per_ip", cfg.MaxConnsPerIP)

	var info Started
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("server: data directory: %w", err)
	}
	creds, err := rootCredentials(cfg, &info)
	if err != nil {
		return err
	}
	// A sealed keyring (sealed.go) waits here for its key shares.
	if cfg.unsealed, err = unsealKeyring(ctx, &cfg, creds, log); err != nil {
		if errors.Is(err, errStopped) {
			return nil
		}
		return err
	}
	st, err := openStack(ctx, cfg, log)
	if err != nil {
		if cfg.unsealed != nil {
			cfg.unsealed.Close()
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// Stopped while opening (SIGTERM during start-up): a clean exit.
			return nil
		}
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("rustfs: close", "err", err)
		}
	}()
	stopOps, err := startOps(cfg, st, log, &info)
	if err != nil {
		return err
	}
	defer stopOps()

	var tlsConf *tls.Config
	if cfg.InsecurePlaintext {
		log.Warn("rustfs: SERVING PLAIN HTTP (--insecure-plaintext): credentials, signatures and object data cross the network unencrypted. Use only on a trusted loopback for testing.")
	} else {
		if tlsConf, err = serverTLS(cfg, &info); err != nil {
			return err
		}
	}

	sched, err := st.startMaint(ctx, cfg.Maint, log)
	if err != nil {
		return err
	}
	defer sched.Stop()
	if err := st.metrics.RegisterMaint(func() metrics.MaintProgress { return maintProgress(sched) }); err != nil {
		return fmt.Errorf("server: metrics: %w", err)
	}
	auditLog, closeAudit, err := openAudit(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	defer closeAudit() // after the server drained: every request is in the log
	userStore, err := st.openUsers(ctx, log)
	if err != nil {
		return err
	}
	pabFloor, pabNew, err := cfg.publicAccess()
	if err != nil {
		return err
	}
	api := s3api.NewServer(s3api.Options{
		Layer:    st.store,
		Verifier: sigv4.NewVerifier(sigv4.Options{Region: cfg.Region, MaxSkew: cfg.MaxSkew, Creds: chainCreds{creds, userStore}}),
		Users:    userStore,
		Region:   cfg.Region,
		Domains:  cfg.Domains,
		TLS:      tlsConf,
		Ready:    st.ready,
		Maint:    sched,
		Logger:   log,
		// Brute force and bucket enumeration: failed authentications per
		// client are limited; successful requests never are.
		AuthFailBurst: cfg.AuthFailBurst,
		AuthFailRate:  cfg.AuthFailRate,
		Observer:      st.metrics,
		// A flood of idle or slow connections must not exhaust
		// descriptors or crowd out other clients.
		MaxConns:            maxConns,
		MaxConnsPerIP:       cfg.MaxConnsPerIP,
		HeaderTimeout:       cfg.HeaderTimeout,
		TLSHandshakeTimeout: cfg.TLSHandshakeTimeout,
		IdleTimeout:         cfg.IdleTimeout,
		Audit:               auditLog,
		Metrics:             st.metrics.Handler(),

		// Public access blocks: S3's defaults (docs/SECURITY.md).
		PublicAccessFloor: pabFloor, NewBucketPublicAccessBlock: pabNew,
		ReplayCacheSize: cfg.ReplayCacheSize,
	})
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	info.Addr = ln.Addr().String()
	info.Endpoint = endpointURL(info.Addr, cfg.InsecurePlaintext)

	serveErr := make(chan error, 1)
	go func() { serveErr <- api.Serve(ln) }()
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go userStore.Run(bg) // other gateways' user changes, last-used times
	if cfg.MultipartExpiry > 0 {
		go st.store.RunUploadExpiry(bg, expiryInterval(cfg.MultipartExpiry))
	}
	log.Info("rustfs: serving", "endpoint", info.Endpoint, "backend", cfg.Backend, "ec", cfg.EC,
		"region", cfg.Region, "tls", !cfg.InsecurePlaintext)
	envFile, err := writeAWSEnv(cfg, info)
	if err != nil {
		log.Warn("rustfs: could not write the shell credentials file", "err", err)
	}
	if cfg.Out != nil {
		printBanner(cfg.Out, cfg, info, envFile)
	}
	if ready != nil {
		ready(info)
	}

	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, s3api.ErrServerClosed) {
			return fmt.Errorf("server: serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("rustfs: shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	stopBG()
	if err := api.Shutdown(sctx); err != nil {
		log.Warn("rustfs: in-flight requests cancelled at shutdown timeout", "err", err)
	}
	<-serveErr
	log.Info("rustfs: stopped")
	return nil
}

// rootCredentials resolves the root key pair: from cfg (the environment)
// when given, else from DataDir/credentials, generated on first start.
func rootCredentials(cfg Config, info *Started) (*iam.Store, error) {
	switch {
	case cfg.AccessKey != "" && cfg.SecretKey != "":
		if err := iam.ValidateKeys(cfg.AccessKey, cfg.SecretKey); err != nil {
			return nil, fmt.Errorf("server: root credentials: %w", err)
		}
		info.AccessKey, info.SecretKey = cfg.AccessKey, cfg.SecretKey
	case cfg.AccessKey != "" || cfg.SecretKey != "":
		return nil, fmt.Errorf("server: set both %s and %s, or neither", iam.EnvAccessKey, iam.EnvSecretKey)
	default:
		ak, sk, created, err := iam.LoadOrCreateRoot(filepath.Join(cfg.DataDir, "credentials"), rand.Reader)
		if err != nil {
			return nil, err
		}
		info.AccessKey, info.SecretKey, info.CreatedCredentials = ak, sk, created
	}
	return iam.NewRoot(info.AccessKey, info.SecretKey), nil
}

// serverTLS loads the operator's certificate or the self-signed one.
func serverTLS(cfg Config, info *Started) (*tls.Config, error) {
	certFile, keyFile := cfg.TLSCert, cfg.TLSKey
	switch {
	case certFile != "" && keyFile != "":
	case certFile != "" || keyFile != "":
		return nil, errors.New("server: --tls-cert and --tls-key go together")
	default:
		var err error
		var created bool
		hosts := append([]string{}, cfg.Domains...)
		for _, d := range cfg.Domains {
			hosts = append(hosts, "*."+d)
		}
		if h, _, err := net.SplitHostPort(cfg.Address); err == nil && h != "" && !net.ParseIP(h).IsUnspecified() {
			hosts = append(hosts, h)
		}
		certFile, keyFile, created, err = s3api.EnsureSelfSigned(filepath.Join(cfg.DataDir, "tls"), hosts)
		if err != nil {
			return nil, err
		}
		if info.CAFile, err = filepath.Abs(certFile); err != nil {
			info.CAFile = certFile
		}
		if created {
			cfg.logCreated(certFile)
		}
	}
	cert, err := s3api.LoadCertificate(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	info.Pin = s3api.SPKIPin(cert.Leaf)
	return s3api.TLSConfig(cert), nil
}

// logCreated notes a freshly generated file on the banner writer.
func (cfg Config) logCreated(path string) {
	if cfg.Out != nil {
		fmt.Fprintf(cfg.Out, "Created %s\n", path)
	}
}

// endpointURL turns a bound address into the URL a local client uses: a
// wildcard host becomes 127.0.0.1.
func endpointURL(addr string, plaintext bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "https"
	if plaintext {
		scheme = "http"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// expiryInterval is how often stale uploads are looked for: a tenth of the
// expiry, between one minute and one hour.
func expiryInterval(expiry time.Duration) time.Duration {
	return min(max(expiry/10, time.Minute), time.Hour)
}

// ready reports whether the metadata store answers, for /health/ready.
func (st *stack) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := st.backend.Meta().List(ctx, "buckets", "", "", 1)
	return err
}
