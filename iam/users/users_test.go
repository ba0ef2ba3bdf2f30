package users

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// testKeys is a KeySource with two roots, "r1" (current) and "r0".
func testKeys(_ context.Context, root string) ([32]byte, string, error) {
	switch root {
	case "", "r1":
		return sha256.Sum256([]byte("root one")), "r1", nil
	case "r0":
		return sha256.Sum256([]byte("root zero")), "r0", nil
	}
	return [32]byte{}, "", errors.New("no such root")
}

func openMeta(t *testing.T) storage.Meta {
	t.Helper()
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Meta()
}

func newStore(t *testing.T, m storage.Meta, now func() time.Time) *Store {
	t.Helper()
	s, err := New(t.Context(), Options{Meta: m, Keys: testKeys, Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const readB1 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b1","arn:aws:s3:::b1/*"]}]}`

func TestUserLifecycle(t *testing.T) {
	ctx := t.Context()
	m := openMeta(t)
	s := newStore(t, m, nil)
	c, err := s.CreateUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if c.ARN != "arn:aws:iam::root:user/alice" || len(c.AccessKey) != 20 || len(c.SecretKey) != 40 {
		t.Fatalf("created %+v", c)
	}
	if _, err := s.CreateUser(ctx, "alice"); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := s.CreateUser(ctx, "bad/name"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	sec, acct, ok := s.Lookup(c.AccessKey)
	if !ok || sec != c.SecretKey || acct != "root/alice" {
		t.Fatalf("Lookup = %q %q %v", sec, acct, ok)
	}
	if a, u := iam.SplitAccount(acct); a != iam.RootAccount || u != "alice" {
		t.Fatalf("SplitAccount(%q) = %q %q", acct, a, u)
	}

	// The secret is never stored in clear.
	raw, _, err := m.Get(ctx, metaNS, keyPrefix+c.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(c.SecretKey)) {
		t.Fatal("secret stored in clear")
	}

	// A second gateway on the same Meta sees the key; disabling on one is
	// seen by the other after a reload.
	other := newStore(t, m, nil)
	if _, _, ok := other.Lookup(c.AccessKey); !ok {
		t.Fatal("second gateway does not know the key")
	}
	if err := s.SetKeyStatus(ctx, c.AccessKey, false); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Lookup(c.AccessKey); ok {
		t.Fatal("disabled key still authenticates")
	}
	if err := other.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := other.Lookup(c.AccessKey); ok {
		t.Fatal("disabled key still authenticates on the other gateway")
	}
	if err := s.SetKeyStatus(ctx, c.AccessKey, true); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Lookup(c.AccessKey); !ok {
		t.Fatal("re-enabled key refused")
	}

	k2, err := s.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Get("alice")
	if err != nil || len(u.Keys) != 2 {
		t.Fatalf("Get = %+v, %v", u, err)
	}
	if err := s.DeleteKey(ctx, k2.AccessKey); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Lookup(k2.AccessKey); ok {
		t.Fatal("deleted key authenticates")
	}
	if err := s.DeleteKey(ctx, k2.AccessKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.CreateKey(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key for missing user: %v", err)
	}

	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Lookup(c.AccessKey); ok {
		t.Fatal("key of a deleted user authenticates")
	}
	if len(s.List()) != 0 {
		t.Fatalf("List after delete: %+v", s.List())
	}
}

func TestPoliciesAttached(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, openMeta(t), nil)
	if _, err := s.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPolicy(ctx, "ro", []byte(`{"Statement":[{"Effect":"Maybe","Action":"s3:GetObject","Resource":"*"}]}`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown action accepted: %v", err)
	}
	if err := s.Attach(ctx, "alice", "ro"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("attach missing policy: %v", err)
	}
	if err := s.PutPolicy(ctx, "ro", []byte(readB1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(ctx, "alice", "ro"); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(ctx, "alice", "ro"); err != nil {
		t.Fatal(err) // idempotent
	}
	if u, _ := s.Get("alice"); len(u.Policies) != 1 {
		t.Fatalf("policies %v", u.Policies)
	}
	a := &policy.Authorizer{Principal: s.Principal, Identity: s.Identity}
	alice := iam.Principal{Account: iam.RootAccount, User: "alice", AccessKey: "x"}
	if err := a.Authorize(ctx, iam.Request{Principal: alice, Action: iam.GetObject, Bucket: "b1", Key: "k"}); err != nil {
		t.Fatalf("alice GET b1: %v", err)
	}
	for _, r := range []iam.Request{
		{Principal: alice, Action: iam.PutObject, Bucket: "b1", Key: "k"},
		{Principal: alice, Action: iam.GetObject, Bucket: "b2", Key: "k"},
		{Principal: iam.Principal{Account: iam.RootAccount, User: "bob"}, Action: iam.GetObject, Bucket: "b1", Key: "k"},
	} {
		if err := a.Authorize(ctx, r); !errors.Is(err, iam.ErrAccessDenied) {
			t.Errorf("%+v: %v, want access denied", r, err)
		}
	}
	if err := (iam.RootOnly{}).Authorize(ctx, iam.Request{Principal: alice, Action: iam.GetObject}); err == nil {
		t.Error("RootOnly allows a user of the root account")
	}
	if err := s.DeletePolicy(ctx, "ro"); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete attached policy: %v", err)
	}
	if err := s.Detach(ctx, "alice", "ro"); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, iam.Request{Principal: alice, Action: iam.GetObject, Bucket: "b1", Key: "k"}); err == nil {
		t.Fatal("detached policy still allows")
	}
	if err := s.DeletePolicy(ctx, "ro"); err != nil {
		t.Fatal(err)
	}
}

func TestSealBindsKeyAndRoot(t *testing.T) {
	ctx := t.Context()
	sealed, root, err := seal(ctx, testKeys, strings.NewReader(strings.Repeat("n", 12)), "AK1", "secret-value")
	if err != nil || root != "r1" {
		t.Fatal(root, err)
	}
	if got, err := open(ctx, testKeys, "AK1", sealed, root); err != nil || got != "secret-value" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := open(ctx, testKeys, "AK2", sealed, root); err == nil {
		t.Fatal("sealed secret opened under another access key")
	}
	if _, err := open(ctx, testKeys, "AK1", sealed, "r0"); err == nil {
		t.Fatal("sealed secret opened under another root")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := open(ctx, testKeys, "AK1", sealed, root); err == nil {
		t.Fatal("tampered seal opened")
	}
}

func TestLastUsedAtMostOncePerMinute(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m := openMeta(t)
	s := newStore(t, m, clock)
	c, err := s.CreateUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	p := iam.Principal{Account: iam.RootAccount, User: "alice", AccessKey: c.AccessKey}
	if got := s.Principal(p); got.ARN != "arn:aws:iam::root:user/alice" {
		t.Fatalf("principal %+v", got)
	}
	s.FlushUsed(ctx)
	lastUsed := func() time.Time {
		u, _ := s.Get("alice")
		return u.Keys[0].LastUsed
	}
	if !lastUsed().Equal(now) {
		t.Fatalf("last used %v, want %v", lastUsed(), now)
	}
	_, v1, _ := m.Get(ctx, metaNS, keyPrefix+c.AccessKey)
	now = now.Add(30 * time.Second)
	s.Principal(p)
	s.FlushUsed(ctx)
	if _, v2, _ := m.Get(ctx, metaNS, keyPrefix+c.AccessKey); v2 != v1 {
		t.Fatal("last-used written twice within a minute")
	}
	now = now.Add(time.Minute)
	s.Principal(p)
	s.FlushUsed(ctx)
	if !lastUsed().Equal(now) {
		t.Fatalf("last used %v, want %v", lastUsed(), now)
	}
	if _, _, ok := s.Lookup(c.AccessKey); !ok {
		t.Fatal("key lost its secret after a last-used update")
	}
}

func BenchmarkLookup(b *testing.B) {
	s := &Store{}
	s.snap.Store(&snapshot{
		keys:  map[string]*liveKey{"AK": {rec: keyRecord{Key: Key{User: "u", Status: StatusActive}}, secret: "s", account: "root/u"}},
		users: map[string]*liveUser{"u": {}},
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := s.Lookup("AK"); !ok {
			b.Fatal("miss")
		}
	}
}

// TestRunSeesOtherGateways: a change made through one gateway reaches
// another's Lookup within its refresh interval.
func TestRunSeesOtherGateways(t *testing.T) {
	ctx := t.Context()
	m := openMeta(t)
	a := newStore(t, m, nil)
	b, err := New(ctx, Options{Meta: m, Keys: testKeys, Refresh: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { b.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	c, err := a.CreateUser(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, _, ok := b.Lookup(c.AccessKey); ok == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("other gateway: Lookup never became %v", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(true)
	if err := a.SetKeyStatus(ctx, c.AccessKey, false); err != nil {
		t.Fatal(err)
	}
	waitFor(false)
}

// TestResealAfterRotation: a secret sealed under an older root still
// opens, and is re-sealed under the current root, after which the old root
// is no longer needed.
func TestResealAfterRotation(t *testing.T) {
	ctx := t.Context()
	m := openMeta(t)
	current := "r0"
	keys := func(ctx context.Context, root string) ([32]byte, string, error) {
		if root == "" {
			root = current
		}
		return testKeys(ctx, root)
	}
	opts := Options{Meta: m, Keys: keys, Logger: slog.New(slog.DiscardHandler)}
	s, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateUser(ctx, "dave")
	if err != nil {
		t.Fatal(err)
	}
	current = "r1" // the keyring was rotated
	s.resealStale(ctx)
	raw, _, err := m.Get(ctx, metaNS, keyPrefix+c.AccessKey)
	if err != nil || !bytes.Contains(raw, []byte(`"root":"r1"`)) {
		t.Fatalf("not re-sealed under r1: %s %v", raw, err)
	}
	// Only r1 is configured now: a fresh gateway still opens the secret.
	opts.Keys = func(ctx context.Context, root string) ([32]byte, string, error) {
		if root == "r0" {
			return [32]byte{}, "", errors.New("r0 retired")
		}
		return testKeys(ctx, "r1")
	}
	fresh, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sec, _, ok := fresh.Lookup(c.AccessKey); !ok || sec != c.SecretKey {
		t.Fatal("re-sealed secret does not open under the new root")
	}
}
