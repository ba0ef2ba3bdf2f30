package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/kdf"
)

// TestKeysResplitAndLogCommands: keys init 2-of-3; resplit with one share,
// a forged share, or nothing is refused; two shares resplit to 3-of-4; the
// old shares then cannot resplit again, the new ones can; keys log checks
// the chain and fails once a line is edited.
func TestKeysResplitAndLogCommands(t *testing.T) {
	ctx := context.Background()
	dir, oldDir := t.TempDir(), filepath.Join(t.TempDir(), "old")
	env := func(string) string { return "" }
	keys := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(ctx, append([]string{"keys"}, args...), &o, &e, env)
		return code, o.String(), e.String()
	}
	if code, _, e := keys("init", "--data", dir, "--shares", "3", "--threshold", "2", "--out", oldDir); code != 0 {
		t.Fatalf("keys init: exit %d: %s", code, e)
	}
	old := func(i int) string { return filepath.Join(oldDir, kdf.ShareFileName(i, 3)) }
	resplit := func(out string, files ...string) (int, string, string) {
		return keys(append([]string{"resplit", "--data", dir, "--shares", "4", "--threshold", "3", "--out", out}, files...)...)
	}
	if code, _, _ := resplit(t.TempDir()); code != 2 {
		t.Fatalf("resplit without shares: exit %d", code)
	}
	if code, _, e := resplit(t.TempDir(), old(1)); code != 1 || !strings.Contains(e, "more valid shares") {
		t.Fatalf("resplit with one share: exit %d %q", code, e)
	}
	raw, _ := os.ReadFile(old(2))
	var sh kdf.Share
	if err := json.Unmarshal(raw, &sh); err != nil {
		t.Fatal(err)
	}
	sh.Share[7] ^= 1
	forged := filepath.Join(t.TempDir(), "forged.json")
	raw, _ = json.Marshal(sh)
	if err := os.WriteFile(forged, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, e := resplit(t.TempDir(), old(1), forged); code != 1 || !strings.Contains(e, "does not verify") {
		t.Fatalf("resplit with a forged share: exit %d %q", code, e)
	}
	newDir := filepath.Join(t.TempDir(), "new")
	code, o, e := resplit(newDir, old(1), old(3))
	if code != 0 || !strings.Contains(o, "epoch 2") || !strings.Contains(o, "any 3 unseal it") {
		t.Fatalf("resplit: exit %d %q %q", code, o, e)
	}
	// Refused by shape here (2 of 3 against 3 of 4); kdf's test re-labels
	// an old share to show its signature fails too.
	if code, _, e := resplit(t.TempDir(), old(2), old(3)); code != 1 || !strings.Contains(e, "the ceremony 3 of 4") {
		t.Fatalf("old shares after resplit: exit %d %q", code, e)
	}
	newShare := func(i int) string { return filepath.Join(newDir, "share-"+string(rune('0'+i))+"-of-4-epoch2.json") }
	if code, o, e := keys("resplit", "--data", dir, "--shares", "2", "--threshold", "2", "--out", t.TempDir(), newShare(4), newShare(2), newShare(1)); code != 0 || !strings.Contains(o, "epoch 3") {
		t.Fatalf("resplit with new shares: exit %d %q %q", code, o, e)
	}

	code, o, e = keys("log", "--data", dir)
	if code != 0 || !strings.Contains(o, "3 events, hash chain intact") || strings.Count(o, "resplit") != 2 {
		t.Fatalf("keys log: exit %d %q %q", code, o, e)
	}
	logPath := filepath.Join(dir, "keys", kdf.CeremonyLogFile)
	raw, _ = os.ReadFile(logPath)
	if err := os.WriteFile(logPath, bytes.Replace(raw, []byte(`"threshold":3`), []byte(`"threshold":1`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, e := keys("log", "--data", dir); code != 1 || !strings.Contains(e, "line 3: hash chain broken: it does not follow line 2") {
		t.Fatalf("keys log of an edited log: exit %d %q", code, e)
	}
}
