package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/tasmaniancloud/rustfs/server"
	"github.com/tasmaniancloud/rustfs/storage"
)

// gatewayConfig is the server configuration every in-process gateway of
// the package uses: 127.0.0.1 on a free port, TLS with the test CA's
// certificate, the fixed root credentials, the selected backend and a
// logger that stays quiet.
func gatewayConfig(f *fixtures, dataDir string) server.Config {
	cfg := server.DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.DataDir = dataDir
	cfg.TLSCert, cfg.TLSKey = f.ca.CertFile, f.ca.KeyFile
	cfg.AccessKey, cfg.SecretKey = testAccessKey, testSecretKey
	cfg.Region = testRegion
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// The suite deliberately fails many authentications from one address; the
	// failed-login limiter has its own tests in s3api and server.
	cfg.AuthFailBurst = 10000
	if f.backend == backendRados {
		cfg.Backend = string(backendRados)
		cfg.OpenBackend = func(context.Context, server.Config) (storage.Backend, error) {
			return openRados(radosNamespace(dataDir))
		}
	}
	return cfg
}

// startInProcess runs server.RunWith in this process and waits until the
// gateway answers /health/ready. stop shuts it down and returns Run's
// error.
func startInProcess(ctx context.Context, f *fixtures, dataDir string) (*gateway, func() error, error) {
	cfg := gatewayConfig(f, dataDir)
	ctx, cancel := context.WithCancel(ctx)
	started := make(chan server.Started, 1)
	done := make(chan error, 1)
	go func() { done <- server.RunWith(ctx, cfg, func(s server.Started) { started <- s }) }()
	var gw *gateway
	select {
	case s := <-started:
		gw = &gateway{Addr: s.Addr, Endpoint: s.Endpoint}
	case err := <-done:
		cancel()
		return nil, nil, fmt.Errorf("server.Run returned before serving: %v", err)
	case <-time.After(2 * time.Minute):
		cancel()
		return nil, nil, fmt.Errorf("server did not start within 2 minutes")
	}
	stop := func() error {
		cancel()
		return <-done
	}
	if err := waitReady(ctx, f, gw); err != nil {
		_ = stop()
		return nil, nil, err
	}
	return gw, stop, nil
}

// waitReady polls /health/ready until it answers 200 or a minute passes.
func waitReady(ctx context.Context, f *fixtures, gw *gateway) error {
	hc := f.ca.httpClient()
	hc.Timeout = 2 * time.Second
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.Endpoint+"/health/ready", nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("gateway %s not ready: %w", gw.Addr, last)
}
