package main

import (
	"flag"
	"io"
	"testing"
	"time"
)

// TestParseConnectionLimits: the connection and timeout flags reach the
// Config, from flags or the environment, with their defaults otherwise.
func TestParseConnectionLimits(t *testing.T) {
	parse := func(args []string, e map[string]string) (int, int, [3]time.Duration) {
		t.Helper()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := parseServer(args, env(e), fs)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.MaxConns, cfg.MaxConnsPerIP, [3]time.Duration{cfg.HeaderTimeout, cfg.TLSHandshakeTimeout, cfg.IdleTimeout}
	}
	mc, perIP, tos := parse(nil, nil)
	if mc != 0 || perIP != 256 || tos != [3]time.Duration{30 * time.Second, 10 * time.Second, time.Minute} {
		t.Errorf("defaults: max-conns %d, per-ip %d, timeouts %v", mc, perIP, tos)
	}
	mc, perIP, tos = parse([]string{"--max-conns", "500", "--max-conns-per-ip", "-1", "--header-timeout", "5s",
		"--tls-handshake-timeout", "2s"}, map[string]string{"RUSTFS_IDLE_TIMEOUT": "15s", "RUSTFS_MAX_CONNS": "9"})
	if mc != 500 || perIP != -1 || tos != [3]time.Duration{5 * time.Second, 2 * time.Second, 15 * time.Second} {
		t.Errorf("set: max-conns %d, per-ip %d, timeouts %v", mc, perIP, tos)
	}
}
