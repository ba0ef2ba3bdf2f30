//go:build cgo

package kdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
)

// Test token created by setupSoftHSM.
const (
	testToken = "rustfs-kdf"
	testPIN   = "1234"
	testSOPIN = "5678"
)

// setupSoftHSM creates a private SoftHSM2 token for this test process with
// testdata/softhsm-setup.sh when RUSTFS_TEST_SOFTHSM is set. Stale token
// dirs from crashed runs (older than an hour) are removed first.
func setupSoftHSM() (func() error, error) {
	noop := func() error { return nil }
	if os.Getenv("RUSTFS_TEST_SOFTHSM") == "" {
		return noop, nil
	}
	stale, _ := filepath.Glob(filepath.Join(os.TempDir(), "rustfs-kdf-softhsm-*"))
	for _, d := range stale {
		if st, err := os.Stat(d); err == nil && time.Since(st.ModTime()) > time.Hour {
			os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp("", "rustfs-kdf-softhsm-")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command("bash", "testdata/softhsm-setup.sh", dir, testToken, testPIN, testSOPIN).CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("softhsm-setup.sh: %v: %s", err, out)
	}
	if len(out) != 0 {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("softhsm-setup.sh printed output: %q", out)
	}
	os.Setenv("SOFTHSM2_CONF", filepath.Join(dir, "softhsm2.conf"))
	return func() error {
		defer os.RemoveAll(dir)
		p11Modules.mu.Lock()
		defer p11Modules.mu.Unlock()
		if n := len(p11Modules.m); n != 0 {
			return fmt.Errorf("%d PKCS#11 modules still loaded after the tests: a keyring was not closed", n)
		}
		return nil
	}, nil
}

// requireSoftHSM skips only when the SoftHSM environment was not requested.
func requireSoftHSM(t testing.TB) {
	t.Helper()
	if os.Getenv("RUSTFS_TEST_SOFTHSM") == "" {
		t.Skip("RUSTFS_TEST_SOFTHSM is empty")
	}
}

// testP11Options returns options for the test token with key label.
func testP11Options(label string) PKCS11Options {
	return PKCS11Options{TokenLabel: testToken, PIN: testPIN, KeyLabel: label, CreateIfMissing: true}
}

// openTestP11 opens a PKCS#11 keyring closed at test end.
func openTestP11(t testing.TB, o PKCS11Options) Keyring {
	t.Helper()
	kr, err := OpenPKCS11(o)
	if err != nil {
		t.Fatalf("OpenPKCS11: %v", err)
	}
	t.Cleanup(func() {
		if err := kr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return kr
}

// withTokenSession runs fn on a fresh logged-in RW session of the test
// token, as an administrator would with other tools.
func withTokenSession(t testing.TB, fn func(c *pkcs11.Ctx, sh pkcs11.SessionHandle)) {
	t.Helper()
	o, err := testP11Options("x").withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := acquireModule(o.ModulePath)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.release()
	slot, err := findSlot(mod.ctx, testToken)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := mod.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.ctx.CloseSession(sh)
	if err := mod.ctx.Login(sh, pkcs11.CKU_USER, testPIN); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		t.Fatal(err)
	}
	fn(mod.ctx, sh)
}

// importKey stores a known secret in the token under label.
func importKey(t testing.TB, label string, secret []byte, extractable bool) {
	t.Helper()
	withTokenSession(t, func(c *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		_, err := c.CreateObject(sh, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, !extractable),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, extractable),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, secret),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		})
		if err != nil {
			t.Fatalf("import key %q: %v", label, err)
		}
	})
}

func TestPKCS11Conformance(t *testing.T) {
	requireSoftHSM(t)
	testKeyringConformance(t, func(t *testing.T) Keyring {
		return openTestP11(t, testP11Options("conformance"))
	})
}

func TestPKCS11MatchesLocalHMAC(t *testing.T) {
	requireSoftHSM(t)
	secret := bytes.Repeat([]byte{0x5c}, 32)
	importKey(t, "known", secret, false)
	o := testP11Options("known")
	o.CreateIfMissing = false
	p := openTestP11(t, o)
	l := &localKeyring{}
	copy(l.secret[:], secret)
	for _, msg := range []string{"", "a", labelCustomer, strings.Repeat("z", 1000)} {
		want, _ := l.HMAC(context.Background(), []byte(msg))
		got, err := p.HMAC(context.Background(), []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("HMAC(%q): token and local disagree", msg)
		}
	}
	if strings.TrimPrefix(p.ID(), "pkcs11-") != strings.TrimPrefix(fingerprintID("local", hmacSHA256(secret, []byte(keyringIDLabel))), "local-") {
		t.Fatalf("fingerprint of the same secret differs: %s", p.ID())
	}
}

func TestPKCS11GeneratedKeyNeverLeaves(t *testing.T) {
	requireSoftHSM(t)
	openTestP11(t, testP11Options("generated"))
	withTokenSession(t, func(c *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		if err := c.FindObjectsInit(sh, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, "generated"), pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true)}); err != nil {
			t.Fatal(err)
		}
		objs, _, err := c.FindObjects(sh, 4)
		c.FindObjectsFinal(sh)
		if err != nil || len(objs) != 1 {
			t.Fatalf("found %d keys (%v), want 1", len(objs), err)
		}
		_, err = c.GetAttributeValue(sh, objs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if !isCKR(err, pkcs11.CKR_ATTRIBUTE_SENSITIVE) {
			t.Fatalf("reading CKA_VALUE: %v, want CKR_ATTRIBUTE_SENSITIVE", err)
		}
		attrs, err := c.GetAttributeValue(sh, objs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_NEVER_EXTRACTABLE, nil),
			pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_SENSITIVE, nil),
			pkcs11.NewAttribute(pkcs11.CKA_LOCAL, nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range attrs {
			if !attrBool(a.Value) {
				t.Fatalf("attribute 0x%x is false on a generated root key", a.Type)
			}
		}
	})
}

func TestPKCS11Refusals(t *testing.T) {
	requireSoftHSM(t)
	importKey(t, "extractable", bytes.Repeat([]byte{1}, 32), true)
	importKey(t, "twice", bytes.Repeat([]byte{2}, 32), false)
	importKey(t, "twice", bytes.Repeat([]byte{3}, 32), false)
	noCreate := func(label string) PKCS11Options {
		o := testP11Options(label)
		o.CreateIfMissing = false
		return o
	}
	cases := []struct {
		name string
		o    PKCS11Options
		want string
	}{
		{"extractable key", noCreate("extractable"), "extractable"},
		{"duplicate label", noCreate("twice"), "refusing to guess"},
		{"missing key", noCreate("absent"), "no secret key"},
		{"unknown token", PKCS11Options{TokenLabel: "nope", PIN: testPIN, KeyLabel: "k"}, "no token"},
		{"wrong PIN", PKCS11Options{TokenLabel: testToken, PIN: "9999", KeyLabel: "k"}, "login"},
		{"bad module", PKCS11Options{ModulePath: "/nonexistent/lib.so", TokenLabel: testToken, PIN: testPIN, KeyLabel: "k"}, "module"},
		{"not a module", PKCS11Options{ModulePath: "/bin/sh", TokenLabel: testToken, PIN: testPIN, KeyLabel: "k"}, "could not be loaded"},
		{"no key label", PKCS11Options{TokenLabel: testToken, PIN: testPIN}, "KeyLabel"},
		{"no token label", PKCS11Options{PIN: testPIN, KeyLabel: "k"}, "TokenLabel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := OpenPKCS11(tc.o)
			if err == nil {
				kr.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	if _, err := OpenPKCS11(PKCS11Options{TokenLabel: testToken, PIN: "9999", KeyLabel: "k"}); !isCKR(err, pkcs11.CKR_PIN_INCORRECT) {
		t.Fatalf("wrong PIN error %v does not wrap CKR_PIN_INCORRECT", err)
	}
}

func TestPKCS11ModuleSharedAndReinitialised(t *testing.T) {
	requireSoftHSM(t)
	ctx := context.Background()
	a, err := OpenPKCS11(testP11Options("share-a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenPKCS11(testP11Options("share-b"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID() == b.ID() {
		t.Fatal("two different keys share an id")
	}
	wantB, _ := b.HMAC(ctx, []byte("m"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := b.HMAC(ctx, []byte("m")); err != nil || got != wantB {
		t.Fatalf("closing one keyring broke the other: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The module was finalised with the last keyring; opening again
	// initialises it afresh and finds the same persistent key.
	b2 := openTestP11(t, testP11Options("share-b"))
	if got, err := b2.HMAC(ctx, []byte("m")); err != nil || got != wantB {
		t.Fatalf("after re-initialisation: %v", err)
	}
}

func TestPKCS11WaitsForSessionWithContext(t *testing.T) {
	requireSoftHSM(t)
	o := testP11Options("one-session")
	o.Sessions = 1
	kr := openTestP11(t, o).(*p11Keyring)
	sh := <-kr.pool // hold the only session
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kr.HMAC(ctx, []byte("m")); !errors.Is(err, context.Canceled) {
		t.Fatalf("HMAC with no free session and a cancelled context: %v", err)
	}
	kr.pool <- sh
	// Many goroutines over one session still all succeed, one at a time.
	var wg sync.WaitGroup
	var failed sync.Map
	for i := range 8 {
		wg.Go(func() {
			if _, err := kr.HMAC(context.Background(), []byte{byte(i)}); err != nil {
				failed.Store(i, err)
			}
		})
	}
	wg.Wait()
	failed.Range(func(k, v any) bool { t.Errorf("goroutine %v: %v", k, v); return true })
}

// TestPKCS11KnownAnswers: with the KAT root secret imported into the token,
// CK and every derived value computed through the HSM match the vectors.
func TestPKCS11KnownAnswers(t *testing.T) {
	requireSoftHSM(t)
	root, _ := katInputs()
	importKey(t, "kat-root", root, false)
	o := testP11Options("kat-root")
	o.CreateIfMissing = false
	kr := openTestP11(t, o)
	checkKAT(t, computeKAT(t, kr))
}

// openPKCS11Bench opens a token keyring for benchmarks.
func openPKCS11Bench(b *testing.B) Keyring {
	return openTestP11(b, testP11Options("bench"))
}
