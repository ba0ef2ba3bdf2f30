package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// Sealed start (docs/SECURITY.md, "Root-key ceremony"). When the local
// keyring directory holds a ceremony record, the root secret exists only as
// shares: before anything else is built, the server answers on its address
// with a small sealed listener (health, the unseal admin request, 503 for
// everything else) until enough shares arrive, either from --unseal-share
// files or from `rustfs unseal`. It then closes that listener and RunWith
// builds the normal stack over the in-memory keyring, binding the same
// address again. The sealed listener is its own net/http server so that
// the S3 server and the stack need no sealed state at all.

// UnsealPath is the admin path that takes shares while the server is sealed.
const UnsealPath = "/rustfs/admin/v1/unseal"

// UnsealRequest is the body of POST UnsealPath: one or more share files.
type UnsealRequest struct {
	Shares []json.RawMessage `json:"shares"`
}

// UnsealResponse answers POST UnsealPath.
type UnsealResponse struct {
	// Sealed is false once the root is rebuilt.
	Sealed bool `json:"sealed"`
	// Need is how many more distinct valid shares unseal.
	Need int `json:"need"`
	// Threshold is how many shares the ceremony needs in all.
	Threshold int `json:"threshold"`
	// Accepted lists the indices of shares taken from this request.
	Accepted []int `json:"accepted"`
	// Refused explains every share that was not taken.
	Refused []string `json:"refused,omitempty"`
}

// errStopped means the server was stopped while still sealed.
var errStopped = errors.New("server: stopped while sealed")

// ceremonyDir is the directory whose CeremonyFile seals the local keyring.
func ceremonyDir(cfg Config) string { return filepath.Dir(localKeyPath(cfg)) }

// unsealKeyring returns nil when cfg's keyring is not sealed. Otherwise it
// applies cfg.UnsealShares, serves the sealed listener while more shares
// are needed, and returns the rebuilt in-memory keyring. It rewrites
// cfg.Address to the bound address so that the real listener takes the
// same port.
func unsealKeyring(ctx context.Context, cfg *Config, creds *iam.Store, log *slog.Logger) (kdf.Keyring, error) {
	if cfg.Keyring != "local" {
		if len(cfg.UnsealShares) > 0 {
			return nil, errors.New("server: --unseal-share needs --keyring local")
		}
		return nil, nil
	}
	u, err := unsealFromFiles(*cfg, log)
	if u == nil || err != nil {
		return nil, err
	}
	if k := u.Keyring(); k != nil {
		return k, nil
	}
	rec := u.Ceremony()

	var tlsConf *tls.Config
	if !cfg.InsecurePlaintext {
		var scratch Started
		if tlsConf, err = serverTLS(*cfg, &scratch); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("server: listen: %w", err)
	}
	cfg.Address = ln.Addr().String()
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	unsealed := make(chan struct{})
	h := &sealedHandler{u: u, log: log, unsealed: unsealed, limit: newFailLimiter(cfg.AuthFailBurst, time.Minute),
		verifier: sigv4.NewVerifier(sigv4.Options{Region: cfg.Region, MaxSkew: cfg.MaxSkew, Creds: creds})}
	// The sealed listener is small but faces the same clients: slow or
	// idle connections are bounded by the same timeouts as the S3 server.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: cmp.Or(cfg.HeaderTimeout, 30*time.Second),
		IdleTimeout: cmp.Or(cfg.IdleTimeout, time.Minute), ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	endpoint := endpointURL(cfg.Address, cfg.InsecurePlaintext)
	log.Warn("rustfs: SEALED: serving only health and unseal until enough key shares arrive",
		"endpoint", endpoint, "need", u.Need())
	if cfg.Out != nil {
		fmt.Fprintf(cfg.Out, "Sealed at %s: %d key shares of %d needed. Unseal with: rustfs unseal --endpoint %s --ca-cert <cert> share-N-of-%d.json ...\n",
			endpoint, rec.Threshold, rec.Shares, endpoint, rec.Shares)
	}

	var result error
	select {
	case <-unsealed:
	case err := <-serveErr:
		result = fmt.Errorf("server: sealed listener: %w", err)
	case <-ctx.Done():
		result = errStopped
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx) // lets the unseal answer reach its client
	if result != nil {
		if k := u.Keyring(); k != nil {
			k.Close()
		}
		return nil, result
	}
	return u.Keyring(), nil
}

// unsealFromFiles returns nil when cfg's local keyring is not sealed, else
// an unsealer fed with cfg.UnsealShares (unsealed when they were enough).
func unsealFromFiles(cfg Config, log *slog.Logger) (*kdf.Unsealer, error) {
	rec, err := kdf.LoadCeremony(ceremonyDir(cfg))
	if errors.Is(err, fs.ErrNotExist) {
		if len(cfg.UnsealShares) > 0 {
			return nil, fmt.Errorf("server: --unseal-share given but %s has no %s (the keyring is not sealed)", ceremonyDir(cfg), kdf.CeremonyFile)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u := kdf.NewUnsealer(rec)
	log.Warn("rustfs: the root key is sealed; waiting for key shares", "keyring", rec.KeyringID,
		"threshold", rec.Threshold, "shares", rec.Shares)
	for _, p := range cfg.UnsealShares {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("server: --unseal-share: %w", err)
		}
		addShare(u, raw, "file "+p, log)
		clear(raw)
	}
	return u, nil
}

// addShare parses one share and offers it; every attempt is audited.
func addShare(u *kdf.Unsealer, raw []byte, from string, log *slog.Logger) (index int, err error) {
	sh, err := kdf.ParseShare(raw)
	if err == nil {
		index = sh.Index
		_, err = u.Add(sh)
		clear(sh.Share) // the unsealer keeps its own copy
	}
	if err != nil {
		log.Warn("rustfs: unseal: key share refused", "from", from, "index", index, "err", err)
		return index, err
	}
	if need := u.Need(); need > 0 {
		log.Warn("rustfs: unseal: key share accepted; still sealed", "from", from, "index", index, "need", need)
	} else {
		log.Warn("rustfs: unseal: root key rebuilt in memory; unsealed", "from", from, "index", index,
			"keyring", u.Ceremony().KeyringID)
	}
	return index, nil
}

// sealedHandler answers every request while sealed.
type sealedHandler struct {
	u        *kdf.Unsealer
	verifier *sigv4.Verifier
	log      *slog.Logger
	unsealed chan struct{}
	once     sync.Once // closes unsealed
	limit    *failLimiter
}

// maxUnsealBody bounds an unseal request: a share file is about 5 KiB.
const maxUnsealBody = 1 << 20

func (h *sealedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/health/live":
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "ok\n")
	case r.URL.Path == "/health/ready":
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "sealed: %d more key shares needed\n", h.u.Need())
	case r.URL.Path == UnsealPath && r.Method == http.MethodPost:
		h.unseal(w, r)
	default:
		h.s3Error(w, http.StatusServiceUnavailable, "ServiceUnavailable",
			fmt.Sprintf("The server is sealed: %d more key shares are needed (rustfs unseal).", h.u.Need()))
	}
}

// s3Error writes an S3-style XML error.
func (h *sealedHandler) s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// unseal authenticates a root-signed request and offers its shares.
func (h *sealedHandler) unseal(w http.ResponseWriter, r *http.Request) {
	if h.limit.blocked(r.RemoteAddr) {
		h.log.Warn("rustfs: unseal: client over its failed-authentication limit", "remote", r.RemoteAddr)
		h.s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Too many failed authentications; retry later.")
		return
	}
	id, err := h.verifier.Verify(sigRequest(r))
	if err == nil && id.Account != iam.RootAccount {
		err = errors.New("the unseal request needs the root credentials")
	}
	var body []byte
	if err == nil {
		var b io.Reader
		if b, err = h.verifier.Body(id, io.LimitReader(r.Body, maxUnsealBody)); err == nil {
			body, err = io.ReadAll(b)
		}
	}
	if err != nil {
		h.limit.fail(r.RemoteAddr)
		h.log.Warn("rustfs: unseal: request refused", "remote", r.RemoteAddr, "err", err)
		h.s3Error(w, http.StatusForbidden, "AccessDenied", "Unseal needs a request signed with the root credentials.")
		return
	}
	defer clear(body)
	var req UnsealRequest
	defer func() {
		for _, raw := range req.Shares {
			clear(raw)
		}
	}()
	if err := json.Unmarshal(body, &req); err != nil || len(req.Shares) == 0 {
		h.s3Error(w, http.StatusBadRequest, "MalformedJSON", "Send {\"shares\": [share file, ...]}.")
		return
	}
	resp := UnsealResponse{Threshold: h.u.Ceremony().Threshold, Accepted: []int{}}
	for i, raw := range req.Shares {
		idx, err := addShare(h.u, raw, "admin request from "+r.RemoteAddr, h.log)
		if err != nil {
			resp.Refused = append(resp.Refused, fmt.Sprintf("share %d (index %d): %v", i+1, idx, err))
			continue
		}
		resp.Accepted = append(resp.Accepted, idx)
	}
	resp.Need = h.u.Need()
	resp.Sealed = resp.Need > 0
	status := http.StatusOK
	if len(resp.Refused) > 0 && resp.Sealed {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
	if !resp.Sealed {
		h.once.Do(func() { close(h.unsealed) })
	}
}

// sigRequest adapts a net/http request for SigV4 verification.
func sigRequest(r *http.Request) *sigv4.Request {
	path, query, _ := strings.Cut(r.RequestURI, "?")
	names := make([]string, 0, len(r.Header)+1)
	for k := range r.Header {
		names = append(names, strings.ToLower(k))
	}
	names = append(names, "host")
	return &sigv4.Request{
		Method: r.Method, RawPath: path, RawQuery: query, Host: r.Host,
		HeaderNames: names,
		Header: func(name string) (string, bool) {
			if name == "host" {
				return r.Host, true
			}
			v, ok := r.Header[http.CanonicalHeaderKey(name)]
			return strings.Join(v, ","), ok
		},
	}
}

// refuseSealed keeps anything but the unseal path (`rustfs keys rotate`,
// a server whose unseal was skipped) from opening a sealed local keyring,
// where OpenLocal would otherwise create a fresh, wrong root secret.
func refuseSealed(cfg Config) error {
	path := filepath.Join(ceremonyDir(cfg), kdf.CeremonyFile)
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("server: the local keyring is sealed (%s); unseal it with key shares first", path)
	}
	return nil
}

// InitCeremony runs `rustfs keys init` for cfg's local keyring: a new root
// secret split into shares signed for this ceremony, written under outDir;
// the keyring directory then holds only the public record, and the next
// server start is sealed. It refuses when cfg already has a root secret
// or a ceremony record. The event is audited on log and in ceremony.log.
func InitCeremony(cfg Config, outDir string, shares, threshold int, log *slog.Logger) (*kdf.Ceremony, []string, error) {
	cfg = cfg.withDefaults()
	if cfg.Keyring != "local" {
		return nil, nil, fmt.Errorf("server: keys init splits a local keyring, not %q", cfg.Keyring)
	}
	rec, paths, err := kdf.InitCeremony(kdf.CeremonyOptions{
		KeyringDir: ceremonyDir(cfg), RootFile: localKeyPath(cfg), OutDir: outDir,
		Shares: shares, Threshold: threshold,
	})
	if err != nil {
		log.Warn("rustfs: keys init refused", "keyring_dir", ceremonyDir(cfg), "err", err)
		return nil, nil, err
	}
	log.Warn("rustfs: keys init: new root key split into signed shares; the server starts sealed",
		"keyring", rec.KeyringID, "shares", rec.Shares, "threshold", rec.Threshold,
		"record", filepath.Join(ceremonyDir(cfg), kdf.CeremonyFile), "out", outDir)
	if err := auditCeremony(ceremonyDir(cfg), kdf.CeremonyEvent{Event: "init", KeyringID: rec.KeyringID,
		Shares: rec.Shares, Threshold: rec.Threshold, NewEpoch: rec.CurrentEpoch()}); err != nil {
		log.Error("rustfs: keys init: ceremony log not written", "err", err)
		return rec, paths, fmt.Errorf("server: keys init succeeded (shares in %s) but %w", outDir, err)
	}
	return rec, paths, nil
}
