package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/storage"
)

// DefaultRefresh is how often a gateway re-reads the user store.
const DefaultRefresh = 2 * time.Second

// lastUsedEvery is how often a key's last-used time is written at most.
const lastUsedEvery = time.Minute

// Options configures a Store.
type Options struct {
	// Meta holds the users, keys and policies; required.
	Meta storage.Meta
	// Keys seals and opens secret keys; required.
	Keys KeySource
	// Account is the account every user belongs to (default
	// iam.RootAccount).
	Account string
	// Refresh is how often Run re-reads Meta (default DefaultRefresh).
	Refresh time.Duration
	// Now is the clock (default time.Now); Rand the randomness for keys
	// and nonces (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
	// Logger reports refresh failures (default slog.Default()).
	Logger *slog.Logger
}

// Store is the user store of one gateway. Lookup and Identity serve the
// request path from an in-memory snapshot; the admin methods write Meta
// and refresh the snapshot at once.
type Store struct {
	o    Options
	snap atomic.Pointer[snapshot]
	// mu serialises reloads, so an older List never replaces a newer one.
	mu sync.Mutex
	// used holds last-used times waiting to be written (access key → time).
	usedMu sync.Mutex
	used   map[string]time.Time
}

// snapshot is one consistent read of the namespace.
type snapshot struct {
	keys     map[string]*liveKey
	users    map[string]*liveUser
	policies map[string]*livePolicy
	groups   map[string]*liveGroup
	// memberOf maps a user name to the groups it belongs to, sorted.
	memberOf map[string][]string
}

type liveKey struct {
	rec     keyRecord
	version storage.Version
	secret  string // decrypted; "" when it does not open
	account string // iam.UserAccount(account, user)
}

type liveUser struct {
	rec     userRecord
	version storage.Version
}

type liveGroup struct {
	rec     Group
	version storage.Version
}

type livePolicy struct {
	rec     policyRecord
	version storage.Version
	p       *policy.Policy
}

// New returns a Store and loads it once. A Meta that cannot be read now is
// logged, not fatal: until Run's next refresh succeeds no user key
// authenticates (fail closed) while root still can repair things.
func New(ctx context.Context, o Options) (*Store, error) {
	if o.Meta == nil || o.Keys == nil {
		return nil, errors.New("users: Options.Meta and Options.Keys are required")
	}
	if o.Account == "" {
		o.Account = iam.RootAccount
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Store{o: o, used: make(map[string]time.Time)}
	s.snap.Store(&snapshot{})
	if err := s.Reload(ctx); err != nil {
		o.Logger.Warn("users: first load failed; user keys authenticate once a refresh succeeds", "err", err)
	}
	return s, nil
}

// Run re-reads the store every Options.Refresh, writes pending last-used
// times and re-seals secrets still sealed under a rotated-out root, until
// ctx ends.
func (s *Store) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.flushUsed(ctx)
		s.resealStale(ctx)
		if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("users: refresh failed; serving the last good copy", "err", err)
		}
	}
}

// Reload reads the whole namespace into a new snapshot. Secrets of keys
// whose record is unchanged are reused, not decrypted again.
func (s *Store) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	next := &snapshot{keys: map[string]*liveKey{}, users: map[string]*liveUser{}, policies: map[string]*livePolicy{},
		groups: map[string]*liveGroup{}, memberOf: map[string][]string{}}
	after := ""
	for {
		ents, err := s.o.Meta.List(ctx, metaNS, "", after, 1000)
		if err != nil {
			return fmt.Errorf("users: list: %w", err)
		}
		for _, e := range ents {
			s.loadEntry(ctx, old, next, e)
		}
		if len(ents) < 1000 {
			break
		}
		after = ents[len(ents)-1].Key
	}
	for name, g := range next.groups {
		for _, m := range g.rec.Members {
			next.memberOf[m] = append(next.memberOf[m], name)
		}
	}
	for _, gs := range next.memberOf {
		slices.Sort(gs)
	}
	s.snap.Store(next)
	return nil
}

// loadEntry adds one stored record to next. A record that does not decode
// or a secret that does not open is logged and left out: that key cannot
// authenticate (fail closed), the rest of the store still works.
func (s *Store) loadEntry(ctx context.Context, old, next *snapshot, e storage.Entry) {
	bad := func(err error) { s.o.Logger.Warn("users: unreadable record", "key", e.Key, "err", err) }
	switch {
	case strings.HasPrefix(e.Key, userPrefix):
		var r userRecord
		if err := json.Unmarshal(e.Value, &r); err != nil {
			bad(err)
			return
		}
		next.users[r.Name] = &liveUser{rec: r, version: e.Version}
	case strings.HasPrefix(e.Key, keyPrefix):
		ak := strings.TrimPrefix(e.Key, keyPrefix)
		if k := old.keys[ak]; k != nil && k.version == e.Version {
			next.keys[ak] = k
			return
		}
		var r keyRecord
		if err := json.Unmarshal(e.Value, &r); err != nil {
			bad(err)
			return
		}
		secret, err := open(ctx, s.o.Keys, ak, r.Sealed, r.Root)
		if err != nil {
			bad(err)
		}
		next.keys[ak] = &liveKey{rec: r, version: e.Version, secret: secret, account: iam.UserAccount(s.o.Account, r.User)}
	case strings.HasPrefix(e.Key, policyPrefix):
		name := strings.TrimPrefix(e.Key, policyPrefix)
		if p := old.policies[name]; p != nil && p.version == e.Version {
			next.policies[name] = p
			return
		}
		var r policyRecord
		if err := json.Unmarshal(e.Value, &r); err != nil {
			bad(err)
			return
		}
		p, err := policy.ParseIdentity(r.Name, r.Document)
		if err != nil {
			bad(err)
			return
		}
		next.policies[name] = &livePolicy{rec: r, version: e.Version, p: p}
	case strings.HasPrefix(e.Key, groupPrefix):
		var r Group
		if err := json.Unmarshal(e.Value, &r); err != nil {
			bad(err)
			return
		}
		next.groups[r.Name] = &liveGroup{rec: r, version: e.Version}
	}
}

// Lookup returns the secret and authenticated account string of an active
// user key (sigv4.Credentials); inactive, unknown or unopenable keys, and
// keys of a deleted user, are not found.
func (s *Store) Lookup(accessKey string) (secret, account string, ok bool) {
	sn := s.snap.Load()
	k := sn.keys[accessKey]
	if k == nil || k.secret == "" || k.rec.Status != StatusActive || sn.users[k.rec.User] == nil {
		return "", "", false
	}
	return k.secret, k.account, true
}

// ARN is user's ARN.
func (s *Store) ARN(user string) string { return policy.UserARN(s.o.Account, user) }

// Identity returns the identity policies that apply to the principal
// (policy.Authorizer's Identity callback): the user's own and those of
// every group it is a member of, all evaluated together. None for a
// principal that is not one of this store's users; a policy attached but
// since deleted grants nothing.
func (s *Store) Identity(_ context.Context, p policy.Principal) ([]*policy.Policy, error) {
	name, ok := strings.CutPrefix(p.ARN, "arn:aws:iam::"+s.o.Account+":user/")
	if !ok {
		return nil, nil
	}
	return s.snap.Load().identity(name), nil
}

// identity is Identity on one snapshot, by user name.
func (sn *snapshot) identity(name string) []*policy.Policy {
	u := sn.users[name]
	if u == nil {
		return nil
	}
	out := make([]*policy.Policy, 0, len(u.rec.Policies))
	add := func(names []string) {
		for _, pn := range names {
			if lp := sn.policies[pn]; lp != nil && !slices.Contains(out, lp.p) {
				out = append(out, lp.p)
			}
		}
	}
	add(u.rec.Policies)
	for _, g := range sn.memberOf[name] {
		if lg := sn.groups[g]; lg != nil {
			add(lg.rec.Policies)
		}
	}
	return out
}

// Principal maps an authenticated principal to its policy identity
// (policy.Authorizer's Principal callback) and notes the use of a user's
// key, which Run writes as its last-used time at most once a minute.
func (s *Store) Principal(p iam.Principal) policy.Principal {
	if p.User == "" {
		if p.Account == iam.RootAccount {
			return policy.Principal{ARN: policy.RootARN(p.Account), Account: p.Account}
		}
		return policy.Principal{Account: p.Account}
	}
	s.touch(p.AccessKey)
	pr := policy.Principal{ARN: policy.UserARN(p.Account, p.User), Account: p.Account}
	if u := s.snap.Load().users[p.User]; u != nil {
		pr.UserID = s.userID(&u.rec)
	}
	return pr
}

// userID is a user's aws:userid: the stored id, or for a user made before
// ids were stored one derived from its account, name and creation time,
// so every gateway computes the same.
func (s *Store) userID(r *userRecord) string {
	if r.ID != "" {
		return r.ID
	}
	sum := sha256.Sum256([]byte(s.o.Account + "/" + r.Name + "/" + r.Created.UTC().Format(time.RFC3339Nano)))
	return "AIDA" + userIDEncoding.EncodeToString(sum[:])[:17]
}

// userIDEncoding spells user ids in AWS's alphabet (upper case and
// digits).
var userIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)
