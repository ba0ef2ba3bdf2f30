package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/bench/loadgen"
	"github.com/tasmaniancloud/rustfs/server"
)

// startPlain runs a plaintext gateway in this process and returns its
// endpoint; it stops when the test ends.
func startPlain(t *testing.T, ak, sk string) string {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Address, cfg.DataDir, cfg.Fsync = "127.0.0.1:0", t.TempDir(), "never"
	cfg.InsecurePlaintext = true
	cfg.AccessKey, cfg.SecretKey = ak, sk
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan server.Started, 1)
	done := make(chan error, 1)
	go func() { done <- server.RunWith(ctx, cfg, func(s server.Started) { started <- s }) }()
	var s server.Started
	select {
	case s = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(func() { cancel(); <-done })
	return s.Endpoint
}

func TestBenchCommand(t *testing.T) {
	a := startPlain(t, "benchaccesskeyA", "bench-secret-key-A-0123")
	b := startPlain(t, "benchaccesskeyB", "bench-secret-key-B-0123")
	e := env(map[string]string{
		"AWS_ACCESS_KEY_ID": "benchaccesskeyA", "AWS_SECRET_ACCESS_KEY": "bench-secret-key-A-0123",
		"RUSTFS_BENCH_B_ACCESS_KEY": "benchaccesskeyB", "RUSTFS_BENCH_B_SECRET_KEY": "bench-secret-key-B-0123",
	})
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"bench", "--endpoint", a, "--mode", "put,get", "--size", "8K:1,32K:1",
		"--concurrency", "1,2", "--count", "4", "--json", "--checksum", "crc32", "--payload", "signed"}, &out, &errOut, e)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var sums []loadgen.Summary
	if err := json.Unmarshal(out.Bytes(), &sums); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(sums) != 4 {
		t.Fatalf("%d cases, want 4 (2 modes × 2 concurrencies)", len(sums))
	}
	for _, s := range sums {
		if s.Ops != 4 || s.Errors != 0 || s.Bytes < 4*8<<10 {
			t.Fatalf("%+v", s)
		}
	}
	out.Reset()
	code = run(context.Background(), []string{"bench", "--endpoint", a, "--endpoint-b", b, "--mode", "put",
		"--size", "16K", "--count", "3", "--rounds", "2", "--quiet"}, &out, &errOut, e)
	if code != 0 {
		t.Fatalf("A/B exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "put 16K c1") || !strings.Contains(out.String(), "B = "+b) {
		t.Fatalf("A/B report:\n%s", out.String())
	}
	if code := run(context.Background(), []string{"bench", "--mode", "nope", "--count", "1"}, &out, io.Discard, e); code == 0 {
		t.Fatal("bad mode accepted")
	}
}
