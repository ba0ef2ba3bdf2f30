package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tasmaniancloud/rustfs/kdf"
)

// TestResplitCeremony: init 2-of-3, resplit to 3-of-4 with two old shares;
// a keys rotate then needs the new shares (the old ones are refused), and
// ceremony.log holds init, resplit and rotate, chained.
func TestResplitCeremony(t *testing.T) {
	cfg := testConfig(t)
	oldDir, newDir := t.TempDir(), filepath.Join(t.TempDir(), "new")
	rec, oldPaths, err := InitCeremony(cfg, oldDir, 3, 2, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ResplitCeremony(cfg, newDir, 4, 3, oldPaths[:1], quietLogger()); err == nil {
		t.Fatal("resplit with 1 of 2 shares accepted")
	}
	next, newPaths, err := ResplitCeremony(cfg, newDir, 4, 3, oldPaths[1:], quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if next.KeyringID != rec.KeyringID || next.CurrentEpoch() != 2 || len(newPaths) != 4 {
		t.Fatalf("resplit record %+v, %d shares", next, len(newPaths))
	}
	if _, err := os.Stat(localKeyPath(cfg)); !os.IsNotExist(err) {
		t.Fatalf("root file written by resplit: %v", err)
	}
	cfg.UnsealShares = oldPaths
	if _, err := RotateKeys(context.Background(), cfg, RotateOptions{}); err == nil {
		t.Fatal("old shares opened the keyring after resplit")
	}
	cfg.UnsealShares = newPaths[1:]
	if _, err := RotateKeys(context.Background(), cfg, RotateOptions{}); err != nil {
		t.Fatalf("rotate with 3 new shares: %v", err)
	}
	evs, path, err := VerifyCeremonyLog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Event != "init" || evs[1].Event != "resplit" || evs[2].Event != "rotate" {
		t.Fatalf("%s: %+v", path, evs)
	}
	if r := evs[1]; r.OldEpoch != 1 || r.NewEpoch != 2 || r.Shares != 4 || r.Threshold != 3 || r.KeyringID != rec.KeyringID || r.Host == "" {
		t.Fatalf("resplit event %+v", r)
	}
	if evs[2].KeyringID != rec.KeyringID {
		t.Fatalf("rotate event %+v", evs[2])
	}
	if _, err := os.Stat(filepath.Join(ceremonyDir(cfg), kdf.CeremonyLogFile)); err != nil {
		t.Fatal(err)
	}
}
