package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/tasmaniancloud/rustfs/audit"
)

// writeAuditLog writes a small signed audit log and returns its path and
// the signer's public key.
func writeAuditLog(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	_, sk, err := mldsa65.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer := audit.KeySigner(sk, "test/sig/1")
	path := filepath.Join(dir, "audit.log")
	fs, err := audit.OpenFile(audit.FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Options{Signer: signer, Sinks: []audit.Sink{fs}, CheckpointEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		l.Log(audit.Record{Operation: "PutObject", Bucket: "bkt", Key: k, Status: 200})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path, signer.PublicKey
}

func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, pub := writeAuditLog(t, dir)
	pubFile := filepath.Join(dir, "audit.pub")
	os.WriteFile(pubFile, []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o600)
	verify := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(ctx, append([]string{"audit", "verify"}, args...), &out, io.Discard, env(nil))
		return code, out.String()
	}
	if code, out := verify("--pubkey", pubFile, path); code != 0 || !strings.HasPrefix(out, "OK 4 records") {
		t.Fatalf("intact: %d %q", code, out)
	}
	if code, out := verify("--data", dir, path); code != 0 {
		t.Fatalf("--data: %d %q", code, out)
	}
	// Another key pinned: refused.
	other := filepath.Join(dir, "other.pub")
	os.WriteFile(other, []byte(strings.Repeat("ab", 32)), 0o600)
	if code, out := verify("--pubkey", other, path); code != 1 || !strings.Contains(out, "pinned key") {
		t.Fatalf("other key: %d %q", code, out)
	}
	// An edited record is named.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte(`"key":"b"`), []byte(`"key":"x"`), 1), 0o600)
	if code, out := verify(path); code != 1 || !strings.Contains(out, "audit.log:2: record seq 2: hash mismatch") {
		t.Fatalf("edited: %d %q", code, out)
	}
	for _, args := range [][]string{{}, {"--nope", path}, {filepath.Join(dir, "missing.log")}, {"--pubkey", filepath.Join(dir, "none"), path}} {
		if code, _ := verify(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := run(ctx, []string{"audit"}, io.Discard, io.Discard, env(nil)); code != 2 {
		t.Errorf("bare audit: exit %d", code)
	}
}
