package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/server"
)

// TestKeysInitAndUnsealCommands drives the ceremony through the commands:
// keys init, a sealed server, rustfs unseal with one share (still sealed),
// a forged share (refused), the second share (unsealed and serving).
func TestKeysInitAndUnsealCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, shares := t.TempDir(), filepath.Join(t.TempDir(), "shares")
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"keys", "init", "--data", dir, "--shares", "3", "--threshold", "2", "--out", shares}, &out, &errb, env); code != 0 {
		t.Fatalf("keys init: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "any 2 unseal it") || !strings.Contains(out.String(), kdf.ShareFileName(3, 3)) {
		t.Fatalf("keys init printed %q", out.String())
	}
	if code := run(ctx, []string{"keys", "init", "--data", dir, "--shares", "3", "--threshold", "2", "--out", t.TempDir()}, &out, &errb, env); code != 1 || !strings.Contains(errb.String(), "already split") {
		t.Fatalf("second keys init: exit %d: %s", code, errb.String())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.Address, cfg.Fsync, cfg.LogLevel = dir, addr, "never", "error"
	cfg.Maint.ScrubInterval = 0
	started := make(chan server.Started, 1)
	done := make(chan error, 1)
	go func() { done <- server.RunWith(ctx, cfg, func(s server.Started) { started <- s }) }()

	unseal := func(files ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(ctx, append([]string{"unseal", "--endpoint", "https://" + addr, "--data", dir}, files...), &o, &e, env)
		return code, o.String(), e.String()
	}
	share := func(i int) string { return filepath.Join(shares, kdf.ShareFileName(i, 3)) }
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, o, e := unseal(share(1))
		if code == 0 {
			if !strings.Contains(o, "still sealed: 1 more of 2") {
				t.Fatalf("one share: %q", o)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unseal never reached the sealed server: exit %d %s", code, e)
		}
		time.Sleep(50 * time.Millisecond)
	}
	raw, _ := os.ReadFile(share(2))
	var sh kdf.Share
	if err := json.Unmarshal(raw, &sh); err != nil {
		t.Fatal(err)
	}
	sh.Share[3] ^= 1
	forged := filepath.Join(t.TempDir(), "forged.json")
	raw, _ = json.Marshal(sh)
	os.WriteFile(forged, raw, 0o600)
	if code, _, e := unseal(forged); code != 1 || !strings.Contains(e, "does not verify") {
		t.Fatalf("forged share: exit %d, %q", code, e)
	}
	if code, o, e := unseal(share(2)); code != 0 || !strings.Contains(o, "unsealed") || !strings.Contains(o, "serving") {
		t.Fatalf("second share: exit %d %q %q", code, o, e)
	}
	select {
	case <-started:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("not serving after unseal")
	}
	if code, _, e := unseal(share(3)); code != 1 || !strings.Contains(e, "not sealed") {
		t.Fatalf("unseal of a serving server: exit %d %q", code, e)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
