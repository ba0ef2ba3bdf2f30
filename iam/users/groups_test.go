package users

import (
	"errors"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
)

const denyPutB1 = `{"Version":"2012-10-17","Statement":[{"Sid":"NoPut","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::b1/*"}]}`
const allB1 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b1","arn:aws:s3:::b1/*"]}]}`

// TestGroups: a group's policies apply to its members together with the
// members' own (an explicit Deny in the group beats the user's Allow);
// membership and deletion follow AWS's rules.
func TestGroups(t *testing.T) {
	ctx := t.Context()
	m := openMeta(t)
	s := newStore(t, m, nil)
	for _, u := range []string{"alice", "bob"} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for name, doc := range map[string]string{"ro": readB1, "no-put": denyPutB1, "all-b1": allB1} {
		if err := s.PutPolicy(ctx, name, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateGroup(ctx, "readers"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, "readers"); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := s.CreateGroup(ctx, "bad/name"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	if err := s.AddMember(ctx, "readers", "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("add unknown user: %v", err)
	}
	if err := s.AddMember(ctx, "nogroup", "alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("add to unknown group: %v", err)
	}
	if err := s.AttachGroup(ctx, "readers", "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("attach unknown policy: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddMember(ctx, "readers", "alice"))
	must(s.AddMember(ctx, "readers", "alice")) // idempotent
	must(s.AttachGroup(ctx, "readers", "ro"))
	must(s.AttachGroup(ctx, "readers", "no-put"))
	must(s.Attach(ctx, "alice", "all-b1"))

	a := &policy.Authorizer{Principal: s.Principal, Identity: s.Identity}
	alice := iam.Principal{Account: iam.RootAccount, User: "alice", AccessKey: "x"}
	bob := iam.Principal{Account: iam.RootAccount, User: "bob", AccessKey: "y"}
	allowed := func(p iam.Principal, act iam.Action) bool {
		return a.Authorize(ctx, iam.Request{Principal: p, Action: act, Bucket: "b1", Key: "k"}) == nil
	}
	if !allowed(alice, iam.GetObject) || !allowed(alice, iam.DeleteObject) {
		t.Fatal("alice: the group's and her own Allow do not apply")
	}
	if allowed(alice, iam.PutObject) {
		t.Fatal("alice: the group's explicit Deny does not beat her own Allow")
	}
	if allowed(bob, iam.GetObject) {
		t.Fatal("bob is no member but the group's policy applies to him")
	}
	u, _ := s.Get("alice")
	if len(u.Groups) != 1 || u.Groups[0] != "readers" {
		t.Fatalf("alice's groups %v", u.Groups)
	}
	g, err := s.GetGroup("readers")
	if err != nil || g.ARN != "arn:aws:iam::root:group/readers" || len(g.Members) != 1 || len(g.Policies) != 2 {
		t.Fatalf("group %+v %v", g, err)
	}
	if gs := s.Groups(); len(gs) != 1 || gs[0].Name != "readers" {
		t.Fatalf("Groups() = %+v", gs)
	}

	// A second gateway on the same Meta sees the same groups.
	s2 := newStore(t, m, nil)
	if ps, _ := s2.Identity(ctx, policy.Principal{ARN: s.ARN("alice")}); len(ps) != 3 {
		t.Fatalf("second store: alice has %d policies, want 3", len(ps))
	}

	if err := s.DeletePolicy(ctx, "ro"); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete a policy attached to a group: %v", err)
	}
	if err := s.DeleteGroup(ctx, "readers"); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete a group with members: %v", err)
	}
	if err := s.RemoveMember(ctx, "readers", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove a non-member: %v", err)
	}
	// Deleting alice drops her membership: a new alice inherits nothing.
	must(s.DeleteUser(ctx, "alice"))
	if g, _ := s.GetGroup("readers"); len(g.Members) != 0 {
		t.Fatalf("deleted user still a member: %v", g.Members)
	}
	if _, err := s.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if allowed(alice, iam.GetObject) {
		t.Fatal("a re-created alice inherited the old membership")
	}
	if err := s.DeleteGroup(ctx, "readers"); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete a group with policies: %v", err)
	}
	must(s.DetachGroup(ctx, "readers", "ro"))
	must(s.DetachGroup(ctx, "readers", "no-put"))
	if err := s.DetachGroup(ctx, "readers", "ro"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("detach twice: %v", err)
	}
	must(s.DeleteGroup(ctx, "readers"))
	if _, err := s.GetGroup("readers"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted group: %v", err)
	}
}

// TestUserIDs: every user has an aws:userid ("AIDA…", 21 characters),
// stable across gateways, new when the name is reused, and it reaches the
// policy principal so aws:userid conditions work.
func TestUserIDs(t *testing.T) {
	ctx := t.Context()
	m := openMeta(t)
	s := newStore(t, m, nil)
	if _, err := s.CreateUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	u, _ := s.Get("carol")
	if !strings.HasPrefix(u.ID, "AIDA") || len(u.ID) != 21 {
		t.Fatalf("user id %q", u.ID)
	}
	p := s.Principal(iam.Principal{Account: iam.RootAccount, User: "carol"})
	if p.UserID != u.ID || p.ARN != "arn:aws:iam::root:user/carol" {
		t.Fatalf("principal %+v", p)
	}
	if u2, _ := newStore(t, m, nil).Get("carol"); u2.ID != u.ID {
		t.Fatalf("another gateway sees id %q, want %q", u2.ID, u.ID)
	}
	// A user stored before ids existed gets a derived, stable one.
	old := userRecord{Name: "legacy", Created: u.Created}
	if id := s.userID(&old); id != s.userID(&old) || !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
		t.Fatalf("derived id %q", id)
	}
	if err := s.DeleteUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if u3, _ := s.Get("carol"); u3.ID == u.ID {
		t.Fatal("a re-created user kept the old id")
	}

	// aws:userid in a condition: only the user with that id is allowed.
	u4, _ := s.Get("carol")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
	  "Condition":{"StringEquals":{"aws:userid":"` + u4.ID + `"},"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::root:user/carol"}}}]}`
	if err := s.PutPolicy(ctx, "by-id", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(ctx, "carol", "by-id"); err != nil {
		t.Fatal(err)
	}
	a := &policy.Authorizer{Principal: s.Principal, Identity: s.Identity}
	carol := iam.Principal{Account: iam.RootAccount, User: "carol", AccessKey: "k"}
	if err := a.Authorize(ctx, iam.Request{Principal: carol, Action: iam.GetObject, Bucket: "b", Key: "k"}); err != nil {
		t.Fatalf("carol by id: %v", err)
	}
	doc2 := strings.Replace(doc, u4.ID, u.ID, 1) // the old carol's id
	if err := s.PutPolicy(ctx, "by-id", []byte(doc2)); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, iam.Request{Principal: carol, Action: iam.GetObject, Bucket: "b", Key: "k"}); err == nil {
		t.Fatal("a policy naming the deleted user's id allows the new user of that name")
	}
}
