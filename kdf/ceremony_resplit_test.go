package kdf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readShares parses share files.
func readShares(t *testing.T, paths []string) []*Share {
	t.Helper()
	var out []*Share
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := ParseShare(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sh)
	}
	return out
}

// unsealWith reports whether shares unseal the keyring in keyDir, and the
// keyring id they rebuild.
func unsealWith(t *testing.T, keyDir string, shares []*Share) (string, error) {
	t.Helper()
	rec, err := LoadCeremony(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	u := NewUnsealer(rec)
	for _, s := range shares {
		if _, err := u.Add(s); err != nil {
			return "", err
		}
	}
	k := u.Keyring()
	if k == nil {
		return "", errors.New("still sealed")
	}
	defer k.Close()
	return k.ID(), nil
}

func TestResplitCeremony(t *testing.T) {
	keyDir, rec, old := initTestCeremony(t)
	out := filepath.Join(t.TempDir(), "new")
	o := CeremonyOptions{KeyringDir: keyDir, OutDir: out, Shares: 5, Threshold: 3}

	// Below the threshold: refused, record unchanged, no share written.
	if _, _, _, err := ResplitCeremony(o, old[:1]); err == nil || !strings.Contains(err.Error(), "more valid shares") {
		t.Fatalf("resplit with 1 of 2 shares: %v", err)
	}
	// A forged share (one flipped byte) is refused as unseal refuses it.
	forged := *old[0]
	forged.Share = append([]byte(nil), old[0].Share...)
	forged.Share[5] ^= 1
	if _, _, _, err := ResplitCeremony(o, []*Share{&forged, old[1]}); !errors.Is(err, ErrForgedShare) {
		t.Fatalf("resplit with a forged share: %v", err)
	}
	if got, _ := LoadCeremony(keyDir); got.CurrentEpoch() != 1 || got.Shares != 3 {
		t.Fatalf("refused resplit changed the record: %+v", got)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("refused resplit wrote %d files", len(ents))
	}

	prev, next, paths, err := ResplitCeremony(o, []*Share{old[2], old[0]})
	if err != nil {
		t.Fatal(err)
	}
	if prev.CurrentEpoch() != 1 || next.Epoch != 2 || next.KeyringID != rec.KeyringID || next.Shares != 5 || next.Threshold != 3 || len(paths) != 5 {
		t.Fatalf("resplit: prev %+v next %+v, %d paths", prev, next, len(paths))
	}
	if filepath.Base(paths[0]) != "share-1-of-5-epoch2.json" {
		t.Errorf("new share file %s", paths[0])
	}
	fresh := readShares(t, paths)
	if id, err := unsealWith(t, keyDir, fresh[2:]); err != nil || id != rec.KeyringID {
		t.Fatalf("new shares (3 of 5) unseal to %q, %v; want %q", id, err, rec.KeyringID)
	}
	if _, err := unsealWith(t, keyDir, fresh[:2]); err == nil {
		t.Fatal("2 of the new 3-threshold shares unsealed")
	}
	// The old split is dead: its shares neither verify nor unseal nor resplit.
	loaded, _ := LoadCeremony(keyDir)
	for _, s := range old {
		s.Shares, s.Threshold = 5, 3 // even re-labelled to match, the signature fails
		if err := loaded.Verify(s); !errors.Is(err, ErrForgedShare) {
			t.Fatalf("old share %d after resplit: %v", s.Index, err)
		}
	}
	if _, err := unsealWith(t, keyDir, old); err == nil {
		t.Fatal("old shares unsealed after resplit")
	}
	o.OutDir = t.TempDir()
	if _, _, _, err := ResplitCeremony(o, old); err == nil {
		t.Fatal("old shares re-split the keyring")
	}
}

func TestCeremonyLogChain(t *testing.T) {
	dir := t.TempDir()
	if evs, err := VerifyCeremonyLog(dir); err != nil || len(evs) != 0 {
		t.Fatalf("missing log: %v %v", evs, err)
	}
	for i, e := range []string{"init", "resplit", "rotate", "resplit"} {
		if err := AppendCeremonyLog(dir, CeremonyEvent{Event: e, KeyringID: "local-x", Shares: 3, Threshold: 2, OldEpoch: i, NewEpoch: i + 1, Host: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := VerifyCeremonyLog(dir)
	if err != nil || len(evs) != 4 || evs[1].Event != "resplit" || evs[0].Prev != genesisHash || evs[3].NewEpoch != 4 {
		t.Fatalf("verify: %d events, %v", len(evs), err)
	}
	path := filepath.Join(dir, CeremonyLogFile)
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")[:4]

	edited := strings.Replace(lines[1], `"threshold":2`, `"threshold":1`, 1)
	deleted := lines[0] + lines[2] + lines[3]
	for name, content := range map[string]string{
		"edited line 2":  lines[0] + edited + lines[2] + lines[3],
		"deleted line 2": deleted,
		"deleted line 1": lines[1] + lines[2] + lines[3],
		"swapped lines":  lines[0] + lines[2] + lines[1] + lines[3],
	} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyCeremonyLog(dir); err == nil || !strings.Contains(err.Error(), "hash chain broken") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An incomplete last line is not extended.
	if err := os.WriteFile(path, orig[:len(orig)-1], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AppendCeremonyLog(dir, CeremonyEvent{Event: "init"}); err == nil {
		t.Error("appended after an incomplete line")
	}
}
