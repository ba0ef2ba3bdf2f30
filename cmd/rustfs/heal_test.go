package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/server"
)

func TestHealAndStatusAgainstServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.Address, cfg.Fsync = dir, "127.0.0.1:0", "never"
	cfg.Maint.ScrubInterval = 0
	cfg.LogLevel = "error"
	started := make(chan server.Started, 1)
	done := make(chan error, 1)
	go func() { done <- server.RunWith(ctx, cfg, func(s server.Started) { started <- s }) }()
	var info server.Started
	select {
	case info = <-started:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	env := func(k string) string { return "" }
	args := []string{"--endpoint", info.Endpoint, "--data", dir}
	var out, errb bytes.Buffer
	code := run(ctx, append([]string{"heal", "--poll", "20ms"}, args...), &out, &errb, env)
	line := strings.TrimSpace(out.String())
	if !strings.HasPrefix(line, "heal: ") || !strings.Contains(line, "objects checked") || !strings.HasSuffix(line, "unrecoverable") {
		t.Fatalf("heal printed %q (stderr %q, exit %d)", out.String(), errb.String(), code)
	}
	// Until the object layer's walk exists the pass reports its error and
	// the command fails; afterwards an empty store heals cleanly.
	if code != 0 && !strings.Contains(errb.String(), "pass failed") {
		t.Fatalf("heal exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, append([]string{"status"}, args...), &out, &errb, env); code != 0 {
		t.Fatalf("status exit %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), " up"); n != 6 || !strings.Contains(out.String(), "gc: ") {
		t.Fatalf("status shows %d up OSDs:\n%s", n, out.String())
	}
	// Wrong credentials are refused.
	bad := func(k string) string {
		return map[string]string{"RUSTFS_ACCESS_KEY": "AKIAWRONGWRONG00", "RUSTFS_SECRET_KEY": "wrong-secret-0123456789abc"}[k]
	}
	errb.Reset()
	if code := run(ctx, append([]string{"status"}, args...), &out, &errb, bad); code != 1 || !strings.Contains(errb.String(), "403") {
		t.Fatalf("wrong key: exit %d, %s", code, errb.String())
	}
	cancel()
	<-done
}
