package users

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Errors the admin API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("users: not found")
	ErrExists   = errors.New("users: already exists")
	ErrInvalid  = errors.New("users: invalid")
	ErrInUse    = errors.New("users: in use")
)

// maxKeysPerUser bounds a user's keys, as AWS does (2); we allow a few
// more so a rotation can overlap.
const maxKeysPerUser = 4

// Created is the answer of CreateUser and CreateKey: the only time the
// secret is ever shown.
type Created struct {
	User      string `json:"user"`
	ARN       string `json:"arn"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
}

// CreateUser creates user name and its first access key.
func (s *Store) CreateUser(ctx context.Context, name string) (Created, error) {
	if err := validName("user", name, 64); err != nil {
		return Created{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	id, err := s.newUserID()
	if err != nil {
		return Created{}, err
	}
	rec := userRecord{Name: name, ID: id, Created: s.o.Now().UTC(), Policies: []string{}}
	if err := s.put(ctx, userPrefix+name, rec, storage.Cond{IfAbsent: true}); err != nil {
		if errors.Is(err, storage.ErrPrecondition) {
			return Created{}, fmt.Errorf("%w: user %q", ErrExists, name)
		}
		return Created{}, err
	}
	return s.CreateKey(ctx, name)
}

// CreateKey adds an access key to user and returns it with its secret.
func (s *Store) CreateKey(ctx context.Context, user string) (Created, error) {
	if err := s.Reload(ctx); err != nil {
		return Created{}, err
	}
	sn := s.snap.Load()
	if sn.users[user] == nil {
		return Created{}, fmt.Errorf("%w: user %q", ErrNotFound, user)
	}
	n := 0
	for _, k := range sn.keys {
		if k.rec.User == user {
			n++
		}
	}
	if n >= maxKeysPerUser {
		return Created{}, fmt.Errorf("%w: user %q already has %d access keys", ErrInvalid, user, n)
	}
	ak, sk, err := s.newKeyPair()
	if err != nil {
		return Created{}, err
	}
	sealed, root, err := seal(ctx, s.o.Keys, s.o.Rand, ak, sk)
	if err != nil {
		return Created{}, err
	}
	rec := keyRecord{Key: Key{AccessKey: ak, User: user, Status: StatusActive, Created: s.o.Now().UTC()}, Sealed: sealed, Root: root}
	if err := s.put(ctx, keyPrefix+ak, rec, storage.Cond{IfAbsent: true}); err != nil {
		return Created{}, err
	}
	return Created{User: user, ARN: s.ARN(user), AccessKey: ak, SecretKey: sk}, s.Reload(ctx)
}

// newKeyPair draws an access key id ("RF" and 18 base32 characters, 20 in
// all like AWS's) and a 40-character secret.
func (s *Store) newKeyPair() (ak, sk string, err error) {
	var b [41]byte
	if _, err := io.ReadFull(s.o.Rand, b[:]); err != nil {
		return "", "", fmt.Errorf("users: random: %w", err)
	}
	ak = "RF" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:11])[:18]
	sk = base64.RawURLEncoding.EncodeToString(b[11:])
	if err := iam.ValidateKeys(ak, sk); err != nil {
		return "", "", err
	}
	return ak, sk, nil
}

// newUserID draws a user's unique id: "AIDA" and 17 base32 characters.
func (s *Store) newUserID() (string, error) {
	var b [11]byte
	if _, err := io.ReadFull(s.o.Rand, b[:]); err != nil {
		return "", fmt.Errorf("users: random: %w", err)
	}
	return "AIDA" + userIDEncoding.EncodeToString(b[:])[:17], nil
}

// SetKeyStatus enables (active) or disables a key; a disabled key is
// refused at authentication on every gateway within Options.Refresh.
func (s *Store) SetKeyStatus(ctx context.Context, accessKey string, active bool) error {
	status := StatusInactive
	if active {
		status = StatusActive
	}
	return s.update(ctx, keyPrefix+accessKey, func(raw []byte) (any, error) {
		var r keyRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		r.Status = status
		return r, nil
	})
}

// DeleteKey removes an access key.
func (s *Store) DeleteKey(ctx context.Context, accessKey string) error {
	if err := s.o.Meta.Delete(ctx, metaNS, keyPrefix+accessKey, storage.Cond{}); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: access key %q", ErrNotFound, accessKey)
		}
		return fmt.Errorf("users: delete key: %w", err)
	}
	return s.Reload(ctx)
}

// DeleteUser removes user, its group memberships and all its keys (the
// keys first, so a failure half way leaves a user without keys, never keys
// without their user; memberships before the user, so a user re-created
// under the name does not inherit them).
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	sn := s.snap.Load()
	if sn.users[name] == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	for _, g := range sn.memberOf[name] {
		if err := s.RemoveMember(ctx, g, name); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("users: delete user %q: %w", name, err)
		}
	}
	for ak, k := range sn.keys {
		if k.rec.User == name {
			if err := s.o.Meta.Delete(ctx, metaNS, keyPrefix+ak, storage.Cond{}); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("users: delete key of %q: %w", name, err)
			}
		}
	}
	if err := s.o.Meta.Delete(ctx, metaNS, userPrefix+name, storage.Cond{}); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("users: delete user %q: %w", name, err)
	}
	return s.Reload(ctx)
}

// List returns every user with its keys, by name.
func (s *Store) List() []User {
	sn := s.snap.Load()
	out := make([]User, 0, len(sn.users))
	for _, u := range sn.users {
		out = append(out, s.user(sn, u))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns one user with its keys.
func (s *Store) Get(name string) (User, error) {
	sn := s.snap.Load()
	u := sn.users[name]
	if u == nil {
		return User{}, fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	return s.user(sn, u), nil
}

func (s *Store) user(sn *snapshot, u *liveUser) User {
	out := User{Name: u.rec.Name, ARN: s.ARN(u.rec.Name), ID: s.userID(&u.rec), Created: u.rec.Created,
		Policies: slices.Clone(u.rec.Policies), Groups: slices.Clone(sn.memberOf[u.rec.Name])}
	if out.Groups == nil {
		out.Groups = []string{}
	}
	for _, k := range sn.keys {
		if k.rec.User == u.rec.Name {
			out.Keys = append(out.Keys, k.rec.Key)
		}
	}
	sort.Slice(out.Keys, func(i, j int) bool { return out.Keys[i].Created.Before(out.Keys[j].Created) })
	if out.Policies == nil {
		out.Policies = []string{}
	}
	return out
}

// PutPolicy creates or replaces the named identity policy; a document that
// policy.ParseIdentity refuses is ErrInvalid and stores nothing.
func (s *Store) PutPolicy(ctx context.Context, name string, doc []byte) error {
	if err := validName("policy", name, 128); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := policy.ParseIdentity(name, doc); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rec := policyRecord{Name: name, Document: json.RawMessage(doc), Updated: s.o.Now().UTC()}
	if err := s.put(ctx, policyPrefix+name, rec, storage.Cond{}); err != nil {
		return err
	}
	return s.Reload(ctx)
}

// Policies returns the named policies' documents, by name.
func (s *Store) Policies() map[string]json.RawMessage {
	sn := s.snap.Load()
	out := make(map[string]json.RawMessage, len(sn.policies))
	for n, p := range sn.policies {
		out[n] = p.rec.Document
	}
	return out
}

// DeletePolicy removes a named policy; one still attached to a user is
// ErrInUse, as AWS's DeleteConflict.
func (s *Store) DeletePolicy(ctx context.Context, name string) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	sn := s.snap.Load()
	for _, u := range sn.users {
		if slices.Contains(u.rec.Policies, name) {
			return fmt.Errorf("%w: policy %q is attached to user %q", ErrInUse, name, u.rec.Name)
		}
	}
	for _, g := range sn.groups {
		if slices.Contains(g.rec.Policies, name) {
			return fmt.Errorf("%w: policy %q is attached to group %q", ErrInUse, name, g.rec.Name)
		}
	}
	if err := s.o.Meta.Delete(ctx, metaNS, policyPrefix+name, storage.Cond{}); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: policy %q", ErrNotFound, name)
		}
		return fmt.Errorf("users: delete policy: %w", err)
	}
	return s.Reload(ctx)
}

// Attach attaches the named policy to user (idempotent).
func (s *Store) Attach(ctx context.Context, user, name string) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if s.snap.Load().policies[name] == nil {
		return fmt.Errorf("%w: policy %q", ErrNotFound, name)
	}
	return s.update(ctx, userPrefix+user, func(raw []byte) (any, error) {
		var r userRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		if !slices.Contains(r.Policies, name) {
			r.Policies = append(r.Policies, name)
		}
		return r, nil
	})
}

// Detach removes the named policy from user.
func (s *Store) Detach(ctx context.Context, user, name string) error {
	return s.update(ctx, userPrefix+user, func(raw []byte) (any, error) {
		var r userRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		i := slices.Index(r.Policies, name)
		if i < 0 {
			return nil, fmt.Errorf("%w: policy %q is not attached to user %q", ErrNotFound, name, user)
		}
		r.Policies = slices.Delete(r.Policies, i, i+1)
		return r, nil
	})
}

// put writes one record.
func (s *Store) put(ctx context.Context, key string, v any, cond storage.Cond) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := s.o.Meta.Put(ctx, metaNS, key, b, cond); err != nil {
		return fmt.Errorf("users: write %s: %w", key, err)
	}
	return nil
}

// update read-modify-writes a record guarded by its version, retrying when
// another gateway wrote it in between, then refreshes the snapshot.
func (s *Store) update(ctx context.Context, key string, change func([]byte) (any, error)) error {
	for range 8 {
		raw, ver, err := s.o.Meta.Get(ctx, metaNS, key)
		if errors.Is(err, storage.ErrNotFound) {
			what, name, _ := strings.Cut(key, "/")
			return fmt.Errorf("%w: %s %q", ErrNotFound, what, name)
		}
		if err != nil {
			return fmt.Errorf("users: read %s: %w", key, err)
		}
		v, err := change(raw)
		if err != nil {
			return err
		}
		err = s.put(ctx, key, v, storage.Cond{IfVersion: ver})
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		if err != nil {
			return err
		}
		return s.Reload(ctx)
	}
	return fmt.Errorf("users: %s changed under us too often", key)
}

// touch notes that accessKey authenticated a request, when its stored
// last-used time is more than a minute old.
func (s *Store) touch(accessKey string) {
	k := s.snap.Load().keys[accessKey]
	if k == nil {
		return
	}
	now := s.o.Now()
	if now.Sub(k.rec.LastUsed) < lastUsedEvery {
		return
	}
	s.usedMu.Lock()
	if _, pending := s.used[accessKey]; !pending && len(s.used) < 4096 {
		s.used[accessKey] = now
	}
	s.usedMu.Unlock()
}

// flushUsed writes pending last-used times, best effort: a failure only
// delays the record, and never blocks authentication.
func (s *Store) flushUsed(ctx context.Context) {
	s.usedMu.Lock()
	pending := s.used
	s.used = make(map[string]time.Time)
	s.usedMu.Unlock()
	for ak, t := range pending {
		err := s.update(ctx, keyPrefix+ak, func(raw []byte) (any, error) {
			var r keyRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return nil, err
			}
			if t.Sub(r.LastUsed) < lastUsedEvery {
				return nil, errSkip
			}
			r.LastUsed = t.UTC()
			return r, nil
		})
		if err != nil && !errors.Is(err, errSkip) && !errors.Is(err, ErrNotFound) {
			s.o.Logger.Debug("users: last-used time not recorded", "access_key", ak, "err", err)
		}
	}
}

var errSkip = errors.New("users: nothing to write")

// FlushUsed writes pending last-used times now (Run does it every refresh).
func (s *Store) FlushUsed(ctx context.Context) { s.flushUsed(ctx) }
