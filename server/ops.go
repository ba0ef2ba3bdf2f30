package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/pkg/profile"
	"github.com/tasmaniancloud/rustfs/metrics"
)

// Profiles are the --profile modes.
var Profiles = []string{"cpu", "mem", "mutex", "block", "trace"}

// profiling guards pkg/profile, which allows one profile per process and
// exits the process on a second Start: a second in-process server (tests)
// asking for one gets an error instead.
var profiling atomic.Bool

// startProfile starts the profile cfg.Profile names, written into
// cfg.ProfileDir when stop runs (at shutdown). An empty Profile is a no-op.
func startProfile(cfg Config, log *slog.Logger) (stop func(), err error) {
	if cfg.Profile == "" {
		return func() {}, nil
	}
	var mode func(*profile.Profile)
	switch cfg.Profile {
	case "cpu":
		mode = profile.CPUProfile
	case "mem":
		mode = profile.MemProfile
	case "mutex":
		mode = profile.MutexProfile
	case "block":
		mode = profile.BlockProfile
	case "trace":
		mode = profile.TraceProfile
	default:
		return nil, fmt.Errorf("server: profile %q: want one of cpu, mem, mutex, block, trace", cfg.Profile)
	}
	dir := cfg.ProfileDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "profiles")
	}
	// pkg/profile exits the process when it cannot write: check first.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("server: profile directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, fmt.Errorf("server: profile directory: %w", err)
	}
	probe.Close()
	os.Remove(probe.Name())
	if !profiling.CompareAndSwap(false, true) {
		return nil, errors.New("server: a profile is already running in this process")
	}
	p := profile.Start(mode, profile.ProfilePath(dir), profile.NoShutdownHook, profile.Quiet)
	log.Info("rustfs: profiling", "profile", cfg.Profile, "dir", dir)
	return func() {
		p.Stop()
		profiling.Store(false)
		log.Info("rustfs: profile written", "profile", cfg.Profile, "dir", dir)
	}, nil
}

// adminListenAddress binds a bare port (":6060") to loopback: pprof and
// metrics are for the operator on this machine unless they name a host.
func adminListenAddress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// adminServer is the admin listener: /metrics and /debug/pprof/.
type adminServer struct {
	srv  *http.Server
	addr string
	done chan error
}

// startAdmin serves /metrics and pprof on cfg.AdminAddress; nil when the
// address is empty (the default: off). A non-nil traceErr (traceCheck)
// answers /debug/pprof/trace with 409 Conflict instead of a trace.
func startAdmin(cfg Config, m *metrics.Metrics, traceErr error, log *slog.Logger) (*adminServer, error) {
	if cfg.AdminAddress == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", adminListenAddress(cfg.AdminAddress))
	if err != nil {
		return nil, fmt.Errorf("server: admin listener: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		log.Warn("rustfs: admin listener (pprof, metrics) is reachable beyond this machine; it has no authentication", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		if traceErr != nil {
			http.Error(w, traceErr.Error(), http.StatusConflict)
			return
		}
		pprof.Trace(w, r)
	})
	a := &adminServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		addr: ln.Addr().String(),
		done: make(chan error, 1),
	}
	go func() { a.done <- a.srv.Serve(ln) }()
	log.Info("rustfs: admin listener", "addr", a.addr, "paths", "/metrics /debug/pprof/")
	return a, nil
}

// stop closes the admin listener (pprof CPU profiles in progress are cut).
func (a *adminServer) stop() {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		a.srv.Close()
	}
	<-a.done
}

// registerMetrics exports the stack's engine and key-cache counters.
func (st *stack) registerMetrics() error {
	if err := st.metrics.RegisterPipeline(st.stats); err != nil {
		return err
	}
	return st.metrics.RegisterKeyCache(st.keys.CacheStats)
}

// startOps registers the metrics, starts the profile and the admin
// listener; the returned stop ends them in reverse (the profile is written
// then).
func startOps(cfg Config, st *stack, log *slog.Logger, info *Started) (stop func(), err error) {
	if err := st.registerMetrics(); err != nil {
		return nil, err
	}
	traceErr := traceCheck(st.md5.Impl(), os.Getenv("GODEBUG"))
	if cfg.Profile == "trace" && traceErr != nil {
		return nil, traceErr
	}
	stopProfile, err := startProfile(cfg, log)
	if err != nil {
		return nil, err
	}
	admin, err := startAdmin(cfg, st.metrics, traceErr, log)
	if err != nil {
		stopProfile()
		return nil, err
	}
	if admin != nil {
		info.AdminAddr = admin.addr
	}
	return func() {
		admin.stop()
		stopProfile()
	}, nil
}
