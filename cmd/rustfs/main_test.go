package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseServerFlagsAndEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := parseServer([]string{
		"--address", "0.0.0.0:9443", "--domain", "s3.a.test", "--domain", "s3.b.test,s3.c.test",
		"--chunk-size", "4MiB", "--ec", "8+3", "--insecure-plaintext", "--max-skew", "2m",
		"--multipart-expiry", "24h", "--signing-key-version", "3", "--auth-fail-burst", "50",
	}, env(map[string]string{
		"RUSTFS_AUTH_FAIL_BURST": "7", // the flag wins
		"RUSTFS_AUTH_FAIL_RATE":  "0.5",
		"RUSTFS_ADDRESS":         "ignored:1", // the flag wins
		"RUSTFS_DATA":            "/srv/rustfs",
		"RUSTFS_WORKERS":         "6",
		"RUSTFS_FSYNC":           "never",
		"RUSTFS_ACCESS_KEY":      "AKIAENV",
		"RUSTFS_SECRET_KEY":      "envsecret",
		"RUSTFS_PKCS11_PIN":      "1234",
		"RUSTFS_KEYRING":         "pkcs11",
	}), fs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Address": "0.0.0.0:9443", "DataDir": "/srv/rustfs", "Workers": 6, "Fsync": "never",
		"ChunkSize": 4 << 20, "EC": "8+3", "InsecurePlaintext": true, "MaxSkew": 2 * time.Minute,
		"MultipartExpiry": 24 * time.Hour, "SigningKeyVersion": uint32(3), "AccessKey": "AKIAENV",
		"SecretKey": "envsecret", "PKCS11PIN": "1234", "Keyring": "pkcs11", "Region": "us-east-1",
		"Domains": []string{"s3.a.test", "s3.b.test", "s3.c.test"}, "Backend": "local",
		"AuthFailBurst": 50, "AuthFailRate": 0.5,
	}
	v := reflect.ValueOf(cfg)
	for name, w := range want {
		if got := v.FieldByName(name).Interface(); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", name, got, w)
		}
	}
	if cfg.OpenBackend == nil {
		t.Error("backend not bound")
	}
}

func TestParseServerErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--chunk-size", "lots"}, nil},
		{[]string{"--backend", "nosuch"}, nil},
		{nil, map[string]string{"RUSTFS_BACKEND": "nosuch"}},
		{[]string{"extra"}, nil},
		{nil, map[string]string{"RUSTFS_WORKERS": "many"}},
		{[]string{"--signing-key-version", "-1"}, nil},
		{[]string{"--auth-fail-burst", "lots"}, nil},
		{nil, map[string]string{"RUSTFS_AUTH_FAIL_RATE": "fast"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := parseServer(c.args, env(c.env), fs); err == nil {
			t.Errorf("%v %v: accepted", c.args, c.env)
		}
	}
}

// TestParseServerRadosBackend: --backend rados is accepted and bound only
// in builds with the ceph tag; without it the error says how to get one.
func TestParseServerRadosBackend(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := parseServer([]string{"--backend", "rados"}, env(nil), fs)
	if radosBuilt {
		if err != nil || cfg.Backend != "rados" || cfg.OpenBackend == nil {
			t.Fatalf("ceph build: --backend rados: backend %q, bound %v, err %v", cfg.Backend, cfg.OpenBackend != nil, err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "-tags ceph") {
		t.Fatalf("build without ceph: --backend rados: err %v, want a hint at -tags ceph", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"65536": 65536, "64K": 64 << 10, "64KiB": 64 << 10, "1M": 1 << 20, "16MB": 16 << 20, "1g": 1 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "x", "-1", "3T", "99999999G"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"cpu"}, &out, &errb, env(nil)); code != 0 || !strings.Contains(out.String(), "kernels:") {
		t.Errorf("cpu: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"version"}, &out, &errb, env(nil)); code != 0 || !strings.HasPrefix(out.String(), "rustfs ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	for _, args := range [][]string{nil, {"bogus"}, {"keys"}, {"keys", "spin"}, {"server", "--nope"}} {
		if code := run(ctx, args, io.Discard, io.Discard, env(nil)); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := run(ctx, []string{"server", "-h"}, io.Discard, io.Discard, env(nil)); code != 0 {
		t.Errorf("server -h: exit %d", code)
	}
}

// TestServerAndRotateCommands runs the real subcommands end to end: a
// server that stops on context cancellation, then a key rotation dry run
// over its data directory.
func TestServerAndRotateCommands(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"RUSTFS_LOG_LEVEL": "error"})
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--data", dir, "--address", "127.0.0.1:0", "--fsync", "never"}, &out, io.Discard, e)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "credentials")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not create its credentials")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("server exit %d", code)
	}
	var rot bytes.Buffer
	if code := run(context.Background(), []string{"keys", "rotate", "--data", dir, "--dry-run"}, &rot, io.Discard, e); code != 0 {
		t.Fatalf("keys rotate exit %d: %s", code, rot.String())
	}
	if !strings.Contains(rot.String(), "scanned=0") {
		t.Errorf("rotate report %q", rot.String())
	}
}

// TestCephFlagsInEveryBuild: `rustfs server -h` lists the rados flags in
// every build, and a build without Ceph says so; the flags (and their
// RUSTFS_CEPH_* variables) are accepted with the local backend.
func TestCephFlagsInEveryBuild(t *testing.T) {
	var help strings.Builder
	fs := flag.NewFlagSet("rustfs server", flag.ContinueOnError)
	fs.SetOutput(&help)
	if _, err := parseServer([]string{"-h"}, env(nil), fs); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, name := range cephFlagNames {
		if !strings.Contains(help.String(), "-"+name+" ") {
			t.Errorf("help lacks -%s:\n%s", name, help.String())
		}
	}
	if without := strings.Contains(help.String(), "built without Ceph"); without == radosBuilt {
		t.Errorf("ceph build %v, help says built without Ceph %v", radosBuilt, without)
	}
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := parseServer([]string{"--ceph-conf", "/etc/ceph/ceph.conf", "--ceph-user", "rustfs"},
		env(map[string]string{"RUSTFS_CEPH_KEYRING": "/etc/ceph/k"}), fs)
	if err != nil || cfg.Backend != "local" {
		t.Fatalf("ceph flags with the local backend: %v (backend %q)", err, cfg.Backend)
	}
}

// TestKeysKMSCreate: `rustfs keys kms-create` prints a stable id per
// (keyring, account, name) and refuses a bad name.
func TestKeysKMSCreate(t *testing.T) {
	dir := t.TempDir()
	e := func(string) string { return "" }
	var id1, id2 bytes.Buffer
	if code := run(context.Background(), []string{"keys", "kms-create", "--data", dir, "team"}, &id1, io.Discard, e); code != 0 {
		t.Fatalf("keys kms-create exit %d", code)
	}
	run(context.Background(), []string{"keys", "kms-create", "--data", dir, "team"}, &id2, io.Discard, e)
	if got := strings.TrimSpace(id1.String()); !strings.HasPrefix(got, "team-") || len(got) != len("team-")+16 || id2.String() != id1.String() {
		t.Errorf("kms-create printed %q then %q", id1.String(), id2.String())
	}
	if code := run(context.Background(), []string{"keys", "kms-create", "--data", dir, "bad/name"}, io.Discard, io.Discard, e); code != 1 {
		t.Errorf("bad name: exit %d", code)
	}
}

// TestParseMemoryFlags: heap pacing is on by default (16 MiB headroom, no
// fixed limit); both take 64-bit sizes, "off" turns the headroom off, and
// the environment works as for every flag.
func TestParseMemoryFlags(t *testing.T) {
	for _, c := range []struct {
		args            []string
		env             map[string]string
		headroom, limit int64
	}{
		{nil, nil, 16 << 20, 0},
		{[]string{"--gc-headroom", "32M", "--memory-limit", "6G"}, nil, 32 << 20, 6 << 30},
		{[]string{"--gc-headroom", "off"}, map[string]string{"RUSTFS_MEMORY_LIMIT": "1T"}, -1, 1 << 40},
		{nil, map[string]string{"RUSTFS_GC_HEADROOM": "OFF"}, -1, 0},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := parseServer(c.args, env(c.env), fs)
		if err != nil || cfg.GCHeadroom != c.headroom || cfg.MemoryLimit != c.limit {
			t.Errorf("%v %v: headroom %d, limit %d, %v; want %d, %d", c.args, c.env, cfg.GCHeadroom, cfg.MemoryLimit, err, c.headroom, c.limit)
		}
	}
	for _, bad := range []string{"lots", "-5", "99999999T"} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := parseServer([]string{"--memory-limit", bad}, env(nil), fs); err == nil {
			t.Errorf("--memory-limit %q accepted", bad)
		}
	}
}
