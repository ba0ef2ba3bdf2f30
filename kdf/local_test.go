package kdf

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare/circl/kem/xwing"
)

func TestLocalConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	testKeyringConformance(t, func(t *testing.T) Keyring {
		kr, err := OpenLocal(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kr.Close() })
		return kr
	})
}

func TestLocalCreatesPrivateFile(t *testing.T) {
	kr, path := openTestLocal(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != rootFileSize {
		t.Fatalf("root file mode %v size %d, want 0600 and %d", st.Mode().Perm(), st.Size(), rootFileSize)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != rootCopies {
		t.Fatalf("directory holds %d entries, want only the %d root file copies", len(entries), rootCopies)
	}
	for _, p := range rootCopyPaths(path) {
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, mustRead(t, path)) {
			t.Fatalf("copy %s differs from the root file: %v", p, err)
		}
	}
	if !strings.HasPrefix(kr.ID(), "local-") || len(kr.ID()) != len("local-")+16 {
		t.Fatalf("ID %q", kr.ID())
	}
	// The HMAC is plain HMAC-SHA256 under the secret stored in the file.
	raw, _ := os.ReadFile(path)
	m := hmac.New(sha256.New, raw[rootSecretOff:rootCRCOff])
	m.Write([]byte("x"))
	got, _ := kr.HMAC(context.Background(), []byte("x"))
	if !bytes.Equal(got[:], m.Sum(nil)) {
		t.Fatal("HMAC is not HMAC-SHA256 under the file's secret")
	}
}

func TestLocalRefusesBadFiles(t *testing.T) {
	good := encodeRootFile(bytes.Repeat([]byte{7}, 32))
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	cases := []struct {
		name string
		data []byte
		mode fs.FileMode
		want string
	}{
		{"world readable", good, 0o644, "mode 0644"},
		{"group readable", good, 0o640, "mode 0640"},
		{"group writable", good, 0o620, "mode 0620"},
		{"truncated", good[:47], 0o600, "size 47"},
		{"too long", append(bytes.Clone(good), 0), 0o600, "size 49"},
		{"empty", nil, 0o600, "size 0"},
		{"bad magic", flip(0), 0o600, "bad magic"},
		{"future version", flip(8), 0o600, "version"},
		{"unknown algorithm", flip(9), 0o600, "algorithm"},
		{"reserved set", flip(10), 0o600, "reserved"},
		{"flipped secret", flip(20), 0o600, "checksum"},
		{"flipped crc", flip(45), 0o600, "checksum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "root.key")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			kr, err := OpenLocal(path)
			if err == nil {
				kr.Close()
				t.Fatal("bad root file accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tc.data) {
				t.Fatal("a refused root file was modified")
			}
		})
	}
}

func TestLocalRefusesSymlinkAndDirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.key")
	if err := os.WriteFile(target, encodeRootFile(make([]byte, 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.key")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLocal(link); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlink: %v", err)
	}
	if _, err := OpenLocal(dir); err == nil {
		t.Fatal("directory accepted as root file")
	}
	if _, err := OpenLocal(filepath.Join(dir, "missing-dir", "root.key")); err == nil {
		t.Fatal("root file in a missing directory accepted")
	}
}

func TestLocalConcurrentFirstOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			kr, err := OpenLocal(path)
			if err != nil {
				ids[i] = "error: " + err.Error()
				return
			}
			ids[i] = kr.ID()
			kr.Close()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || strings.HasPrefix(id, "error") {
			t.Fatalf("concurrent first opens disagree: %q", ids)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != rootCopies {
		t.Fatalf("%d directory entries after concurrent creation, want %d", len(entries), rootCopies)
	}
}

// TestLocalSecretsStayInRootFile runs a full write/read cycle and checks
// that neither the root secret nor any derived secret (CK, OEK, K_data)
// appears in any file the keyring or service left behind, other than the
// root secret inside the root file itself.
func TestLocalSecretsStayInRootFile(t *testing.T) {
	ctx := context.Background()
	kr, path := openTestLocal(t)
	s := newTestService(t, kr, nil)
	k, m := newSignedObject(t, s, testCtx)
	k.Destroy()
	if err := s.VerifyManifest(ctx, m); err != nil {
		t.Fatal(err)
	}
	k2, err := s.OpenObjectKey(ctx, testCtx, m.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	k2.Destroy()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kr.Close(); err != nil {
		t.Fatal(err)
	}

	raw, _ := os.ReadFile(path)
	root := raw[rootSecretOff:rootCRCOff]
	lk := &localKeyring{}
	copy(lk.secret[:], root)
	cust, err := deriveCustomer(ctx, lk, testCtx.Account, 1, SuiteXWing)
	if err != nil {
		t.Fatal(err)
	}
	binding := testCtx.Binding()
	ss := xwing.Decapsulate(m.Envelope.KEMCiphertext, cust.seed[:])
	oek, err := deriveOEK(ss, &cust.ck, m.Envelope.Salt, SuiteXWing, &binding)
	if err != nil {
		t.Fatal(err)
	}
	kdata, _, _ := deriveObjectSecrets(ss, &cust.ck, m.Envelope.Salt, SuiteXWing, &binding)
	secrets := map[string][]byte{"root": root, "CK": cust.ck[:], "KEM seed": cust.seed[:], "OEK": oek, "K_data": kdata[:], "ss": ss}

	err = filepath.WalkDir(filepath.Dir(path), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for name, sec := range secrets {
			if slices.Contains(rootCopyPaths(path), p) && name == "root" {
				continue
			}
			if bytes.Contains(b, sec) {
				t.Errorf("%s found in %s", name, p)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, root) {
		t.Fatal("sanity: root not in root file")
	}
	// Nothing secret is written into the manifest either.
	mb, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for name, sec := range secrets {
		if bytes.Contains(mb, sec) {
			t.Errorf("%s found in the marshaled manifest", name)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLocalRootCopiesRepaired damages, truncates and removes copies of the
// root secret: each open finds a good copy, keeps the same key and rewrites
// the bad ones.
func TestLocalRootCopiesRepaired(t *testing.T) {
	kr, path := openTestLocal(t)
	id := kr.ID()
	good := mustRead(t, path)
	paths := rootCopyPaths(path)
	flipped := bytes.Clone(good)
	flipped[20] ^= 1
	for _, damage := range []map[int][]byte{
		{0: flipped},
		{0: good[:30], 2: nil},
		{1: flipped, 2: good[:47]},
		{0: nil, 1: nil},
	} {
		for i, img := range damage {
			if img == nil {
				os.Remove(paths[i])
				continue
			}
			if err := os.WriteFile(paths[i], img, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		k, err := OpenLocal(path)
		if err != nil {
			t.Fatalf("damage %v: %v", damage, err)
		}
		if k.ID() != id {
			t.Fatalf("damage %v: key changed", damage)
		}
		k.Close()
		for _, p := range paths {
			if !bytes.Equal(mustRead(t, p), good) {
				t.Fatalf("damage %v: %s not repaired", damage, p)
			}
		}
	}
}

func TestLocalRootAllCopiesBad(t *testing.T) {
	kr, path := openTestLocal(t)
	kr.Close()
	good := mustRead(t, path)
	for i, p := range rootCopyPaths(path) {
		b := bytes.Clone(good)
		b[13+i] ^= 1
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenLocal(path); err == nil || !strings.Contains(err.Error(), "no valid copy") {
		t.Fatalf("all copies damaged: %v", err)
	}
	// Two good copies with different secrets: refused, not guessed.
	other := encodeRootFile(bytes.Repeat([]byte{9}, 32))
	os.WriteFile(rootCopyPaths(path)[0], good, 0o600)
	os.WriteFile(rootCopyPaths(path)[1], other, 0o600)
	if _, err := OpenLocal(path); err == nil || !strings.Contains(err.Error(), "different secrets") {
		t.Fatalf("conflicting copies: %v", err)
	}
}
