package users

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/tasmaniancloud/rustfs/storage"
)

// GroupARN is the ARN of group name in the store's account.
func (s *Store) GroupARN(name string) string {
	return "arn:aws:iam::" + s.o.Account + ":group/" + name
}

// CreateGroup creates an empty group.
func (s *Store) CreateGroup(ctx context.Context, name string) (Group, error) {
	if err := validName("group", name, 128); err != nil {
		return Group{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	g := Group{Name: name, ARN: s.GroupARN(name), Created: s.o.Now().UTC(), Members: []string{}, Policies: []string{}}
	if err := s.put(ctx, groupPrefix+name, g, storage.Cond{IfAbsent: true}); err != nil {
		if errors.Is(err, storage.ErrPrecondition) {
			return Group{}, fmt.Errorf("%w: group %q", ErrExists, name)
		}
		return Group{}, err
	}
	return g, s.Reload(ctx)
}

// DeleteGroup removes a group. As in AWS, a group that still has members
// or attached policies is ErrInUse: deleting it would silently take
// permissions away from (or, for a Deny, give them back to) its members.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	g := s.snap.Load().groups[name]
	switch {
	case g == nil:
		return fmt.Errorf("%w: group %q", ErrNotFound, name)
	case len(g.rec.Members) > 0:
		return fmt.Errorf("%w: group %q has %d members", ErrInUse, name, len(g.rec.Members))
	case len(g.rec.Policies) > 0:
		return fmt.Errorf("%w: group %q has policies attached", ErrInUse, name)
	}
	if err := s.o.Meta.Delete(ctx, metaNS, groupPrefix+name, storage.Cond{IfVersion: g.version}); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: group %q", ErrNotFound, name)
		}
		if errors.Is(err, storage.ErrPrecondition) {
			return fmt.Errorf("%w: group %q changed while being deleted; retry", ErrInUse, name)
		}
		return fmt.Errorf("users: delete group %q: %w", name, err)
	}
	return s.Reload(ctx)
}

// Groups returns every group, by name.
func (s *Store) Groups() []Group {
	sn := s.snap.Load()
	out := make([]Group, 0, len(sn.groups))
	for _, g := range sn.groups {
		out = append(out, cloneGroup(g.rec))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GetGroup returns one group.
func (s *Store) GetGroup(name string) (Group, error) {
	g := s.snap.Load().groups[name]
	if g == nil {
		return Group{}, fmt.Errorf("%w: group %q", ErrNotFound, name)
	}
	return cloneGroup(g.rec), nil
}

func cloneGroup(g Group) Group {
	g.Members, g.Policies = slices.Clone(g.Members), slices.Clone(g.Policies)
	if g.Members == nil {
		g.Members = []string{}
	}
	if g.Policies == nil {
		g.Policies = []string{}
	}
	return g
}

// AddMember adds user to group (idempotent); both must exist.
func (s *Store) AddMember(ctx context.Context, group, user string) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if s.snap.Load().users[user] == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, user)
	}
	return s.updateGroup(ctx, group, func(g *Group) error {
		if !slices.Contains(g.Members, user) {
			g.Members = append(g.Members, user)
			slices.Sort(g.Members)
		}
		return nil
	})
}

// RemoveMember removes user from group.
func (s *Store) RemoveMember(ctx context.Context, group, user string) error {
	return s.updateGroup(ctx, group, func(g *Group) error {
		i := slices.Index(g.Members, user)
		if i < 0 {
			return fmt.Errorf("%w: user %q is not a member of group %q", ErrNotFound, user, group)
		}
		g.Members = slices.Delete(g.Members, i, i+1)
		return nil
	})
}

// AttachGroup attaches the named policy to group (idempotent).
func (s *Store) AttachGroup(ctx context.Context, group, name string) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if s.snap.Load().policies[name] == nil {
		return fmt.Errorf("%w: policy %q", ErrNotFound, name)
	}
	return s.updateGroup(ctx, group, func(g *Group) error {
		if !slices.Contains(g.Policies, name) {
			g.Policies = append(g.Policies, name)
		}
		return nil
	})
}

// DetachGroup removes the named policy from group.
func (s *Store) DetachGroup(ctx context.Context, group, name string) error {
	return s.updateGroup(ctx, group, func(g *Group) error {
		i := slices.Index(g.Policies, name)
		if i < 0 {
			return fmt.Errorf("%w: policy %q is not attached to group %q", ErrNotFound, name, group)
		}
		g.Policies = slices.Delete(g.Policies, i, i+1)
		return nil
	})
}

// updateGroup read-modify-writes one group record (see update).
func (s *Store) updateGroup(ctx context.Context, group string, change func(*Group) error) error {
	return s.update(ctx, groupPrefix+group, func(raw []byte) (any, error) {
		var g Group
		if err := json.Unmarshal(raw, &g); err != nil {
			return nil, err
		}
		if err := change(&g); err != nil {
			return nil, err
		}
		return g, nil
	})
}
