package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/server"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Options describes the gateway a benchmark starts, in-process (Start) or
// as the real binary (StartProcess).
type Options struct {
	// Parent is where the data directory is created ("" = /dev/shm when it
	// exists, else the system temporary directory). The directory is
	// removed on Close.
	Parent string
	// Dir, when set, is the data directory to use instead of a fresh one
	// under Parent: a restarted gateway sees what an earlier one stored.
	// The caller owns it; Close leaves it in place.
	Dir string
	// Plaintext serves HTTP (--insecure-plaintext) instead of TLS 1.3.
	Plaintext bool
	// Fsync is the local backend's durability, "never" (default) or
	// "always".
	Fsync string
	// ETag is "md5" (default) or "fast".
	ETag string
	// Workers, InFlight and ChunkSize tune the data plane (0 = defaults).
	Workers, InFlight, ChunkSize int
	// Backend and OpenBackend select a non-local backend (in-process only;
	// the binary takes Args instead).
	Backend     string
	OpenBackend func(ctx context.Context, cfg server.Config) (storage.Backend, error)
	// Args are extra command-line flags for StartProcess.
	Args []string
	// Env is extra environment for StartProcess ("NAME=value").
	Env []string
	// Logger receives the server's logs (default: discarded, warnings and
	// errors of a process go to its stderr buffer).
	Logger *slog.Logger
}

// withDefaults fills empty fields.
func (o Options) withDefaults() Options {
	if o.Parent == "" {
		o.Parent = os.TempDir()
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			o.Parent = "/dev/shm"
		}
	}
	if o.Fsync == "" {
		o.Fsync = "never"
	}
	if o.ETag == "" {
		o.ETag = "md5"
	}
	if o.Backend == "" {
		o.Backend = "local"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Gateway is a running gateway and what a client needs to reach it.
type Gateway struct {
	// Endpoint is the URL to send requests to.
	Endpoint string
	// CAFile is the certificate to trust ("" for plaintext).
	CAFile string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Dir is the data directory.
	Dir string
	// Pid is the server's process id: 0 when it runs in this process.
	Pid int

	ownDir bool // Close removes Dir
	stop   func() error
}

// Client returns a client for g keeping up to maxConns connections.
func (g *Gateway) Client(maxConns int) (*Client, error) {
	return NewClient(ClientOptions{Endpoint: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey,
		CAFile: g.CAFile, MaxConns: maxConns})
}

// Close stops the gateway and removes its data directory.
func (g *Gateway) Close() error {
	err := g.stop()
	if g.ownDir {
		if rerr := os.RemoveAll(g.Dir); err == nil {
			err = rerr
		}
	}
	return err
}

// randomKeys returns fresh root credentials for one run.
func randomKeys() (ak, sk string, err error) {
	var b [30]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("gateway: credentials: %w", err)
	}
	h := hex.EncodeToString(b[:])
	return "BENCH" + h[:15], h[15:], nil
}

// Start runs a complete gateway in this process on a random loopback
// port, exactly as `rustfs server` would (server.RunWith), and returns
// once it accepts connections.
func Start(o Options) (*Gateway, error) {
	o = o.withDefaults()
	dir, own, cleanup, err := dataDir(o)
	if err != nil {
		return nil, err
	}
	ak, sk, err := randomKeys()
	if err != nil {
		cleanup()
		return nil, err
	}
	cfg := server.DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.Fsync = o.Fsync
	cfg.ETag = o.ETag
	cfg.InsecurePlaintext = o.Plaintext
	cfg.Workers, cfg.InFlight, cfg.ChunkSize = o.Workers, o.InFlight, o.ChunkSize
	cfg.Backend, cfg.OpenBackend = o.Backend, o.OpenBackend
	cfg.AccessKey, cfg.SecretKey = ak, sk
	cfg.MultipartExpiry = 0
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.Logger = o.Logger

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Started, 1)
	done := make(chan error, 1)
	go func() { done <- server.RunWith(ctx, cfg, func(s server.Started) { ready <- s }) }()
	select {
	case s := <-ready:
		return &Gateway{
			Endpoint: s.Endpoint, CAFile: s.CAFile, AccessKey: ak, SecretKey: sk, Dir: dir, ownDir: own,
			stop: sync.OnceValue(func() error { cancel(); return <-done }),
		}, nil
	case err := <-done:
		cancel()
		cleanup()
		return nil, fmt.Errorf("gateway: start: %w", err)
	case <-time.After(2 * time.Minute):
		cancel()
		<-done
		cleanup()
		return nil, fmt.Errorf("gateway: start: not ready within 2 minutes")
	}
}

// dataDir returns the data directory of o (a fresh one under o.Parent
// unless o.Dir is set) and a cleanup that removes only a fresh one.
func dataDir(o Options) (dir string, own bool, cleanup func(), err error) {
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return "", false, nil, fmt.Errorf("gateway: data directory: %w", err)
		}
		return filepath.Clean(o.Dir), false, func() {}, nil
	}
	dir, err = os.MkdirTemp(o.Parent, "rustfs-gw-*")
	if err != nil {
		return "", false, nil, fmt.Errorf("gateway: data directory: %w", err)
	}
	return dir, true, func() { os.RemoveAll(dir) }, nil
}
