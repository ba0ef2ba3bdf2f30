package kdf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/kdf/shamir"
)

// initTestCeremony runs a 3-of-2 ceremony in a temporary directory.
func initTestCeremony(t *testing.T) (keyDir string, rec *Ceremony, shares []*Share) {
	t.Helper()
	dir := t.TempDir()
	keyDir = filepath.Join(dir, "keys")
	rec, paths, err := InitCeremony(CeremonyOptions{KeyringDir: keyDir, RootFile: filepath.Join(keyDir, "root.key"),
		OutDir: filepath.Join(dir, "shares"), Shares: 3, Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("%d share files", len(paths))
	}
	for i, p := range paths {
		if filepath.Base(p) != ShareFileName(i+1, 3) {
			t.Errorf("share file %s", p)
		}
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("share file %s: %v %v", p, st.Mode(), err)
		}
		raw, _ := os.ReadFile(p)
		sh, err := ParseShare(raw)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	return keyDir, rec, shares
}

func TestCeremonyInitAndUnseal(t *testing.T) {
	keyDir, rec, shares := initTestCeremony(t)
	if _, err := os.Stat(filepath.Join(keyDir, "root.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("root secret written to disk in sealed mode: %v", err)
	}
	loaded, err := LoadCeremony(keyDir)
	if err != nil || !loaded.Sealed || loaded.KeyringID != rec.KeyringID || loaded.Threshold != 2 || loaded.Shares != 3 {
		t.Fatalf("record %+v, %v", loaded, err)
	}
	st, _ := os.Stat(filepath.Join(keyDir, CeremonyFile))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v", st.Mode())
	}
	u := NewUnsealer(loaded)
	if need, err := u.Add(shares[2]); err != nil || need != 1 || u.Keyring() != nil {
		t.Fatalf("one share: need %d, %v", need, err)
	}
	if need, err := u.Add(shares[2]); err != nil || need != 1 {
		t.Fatalf("the same share twice counted: need %d, %v", need, err)
	}
	if need, err := u.Add(shares[0]); err != nil || need != 0 {
		t.Fatalf("two shares: need %d, %v", need, err)
	}
	kr := u.Keyring()
	if kr == nil || kr.ID() != rec.KeyringID {
		t.Fatalf("keyring %v, want id %s", kr, rec.KeyringID)
	}
	defer kr.Close()

	// The unsealed keyring derives exactly what a local root file holding
	// the same secret does.
	secret, err := shamir.Combine([][]byte{shares[0].Share, shares[1].Share})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "root.key")
	if err := os.WriteFile(path, encodeRootFile(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	local, err := OpenLocal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	a, _ := kr.HMAC(context.Background(), []byte("msg"))
	b, _ := local.HMAC(context.Background(), []byte("msg"))
	if local.ID() != kr.ID() || a != b {
		t.Fatal("unsealed keyring differs from the local keyring over the same secret")
	}
}

func TestCeremonyForgedSharesRefused(t *testing.T) {
	keyDir, _, shares := initTestCeremony(t)
	rec, err := LoadCeremony(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, other := initTestCeremony(t)
	clone := func(s *Share) *Share {
		c := *s
		c.Share = append([]byte(nil), s.Share...)
		c.Signature = append([]byte(nil), s.Signature...)
		return &c
	}
	flipShare, flipSig, reindex, foreign := clone(shares[1]), clone(shares[1]), clone(shares[1]), clone(other[1])
	flipShare.Share[5] ^= 1
	flipSig.Signature[100] ^= 1
	reindex.Index, reindex.Share[0] = 3, 3
	foreign.KeyringID = rec.KeyringID // claims this keyring, signed by another key
	u := NewUnsealer(rec)
	if _, err := u.Add(shares[0]); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Share{"share byte": flipShare, "signature": flipSig, "index": reindex, "foreign": foreign} {
		need, err := u.Add(s)
		if !errors.Is(err, ErrForgedShare) || need != 1 || u.Keyring() != nil {
			t.Errorf("%s: need %d, err %v; want ErrForgedShare and still sealed", name, need, err)
		}
	}
	wrong := clone(other[1])
	if _, err := u.Add(wrong); err == nil || !strings.Contains(err.Error(), "keyring") {
		t.Errorf("a share of another keyring: %v", err)
	}
	if need, err := u.Add(shares[1]); err != nil || need != 0 || u.Keyring() == nil {
		t.Fatalf("valid second share: need %d, %v", need, err)
	}
	u.Keyring().Close()
}

func TestCeremonyRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	o := CeremonyOptions{KeyringDir: dir, RootFile: filepath.Join(dir, "root.key"), OutDir: filepath.Join(dir, "s1"), Shares: 3, Threshold: 2}
	k, err := OpenLocal(o.RootFile)
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	if _, _, err := InitCeremony(o); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("init over a root file: %v", err)
	}
	o.RootFile = filepath.Join(dir, "other.key")
	if _, _, err := InitCeremony(o); err != nil {
		t.Fatal(err)
	}
	o.OutDir = filepath.Join(dir, "s2")
	if _, _, err := InitCeremony(o); err == nil || !strings.Contains(err.Error(), "already split") {
		t.Fatalf("second init: %v", err)
	}
	for _, bad := range [][2]int{{3, 1}, {2, 3}, {256, 2}} {
		o := CeremonyOptions{KeyringDir: t.TempDir(), OutDir: t.TempDir(), Shares: bad[0], Threshold: bad[1]}
		if _, _, err := InitCeremony(o); err == nil {
			t.Errorf("%d of %d accepted", bad[1], bad[0])
		}
	}
}

func TestParseShareRejectsJunk(t *testing.T) {
	for _, raw := range []string{"", "{", "[1]", strings.Repeat(" ", maxShareFile+1)} {
		if _, err := ParseShare([]byte(raw)); err == nil {
			t.Errorf("ParseShare(%.10q) accepted", raw)
		}
	}
}

// FuzzParseShare: share files arrive over the admin API; parsing and
// verifying arbitrary bytes must never panic nor verify.
func FuzzParseShare(f *testing.F) {
	dir := f.TempDir()
	rec, paths, err := InitCeremony(CeremonyOptions{KeyringDir: dir, OutDir: dir, Shares: 2, Threshold: 2})
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := os.ReadFile(paths[0])
	f.Add(raw)
	f.Add([]byte(`{"version":1,"index":1,"share":"AQ=="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseShare(b)
		if err != nil {
			return
		}
		if rec.Verify(s) == nil && string(b) != string(raw) {
			// Only a byte-identical or semantically equal copy may verify.
			orig, _ := ParseShare(raw)
			if string(s.signingBytes()) != string(orig.signingBytes()) {
				t.Fatal("a different share verified")
			}
		}
	})
}
