package s3api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// rootThenUsers is the server's credential chain: root, then users.
type rootThenUsers struct {
	root  *iam.Store
	users *users.Store
}

func (c rootThenUsers) Lookup(ak string) (string, string, bool) {
	if s, a, ok := c.root.Lookup(ak); ok {
		return s, a, ok
	}
	return c.users.Lookup(ak)
}

func newUsersEnv(t *testing.T) (*testEnv, *users.Store) {
	t.Helper()
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	keys := func(context.Context, string) ([32]byte, string, error) { return sha256.Sum256([]byte("k")), "r1", nil }
	us, err := users.New(t.Context(), users.Options{Meta: b.Meta(), Keys: keys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	creds := rootThenUsers{iam.NewRoot(testAK, testSK), us}
	e := newTestEnv(t, func(o *Options) {
		o.Users = us
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: creds, Now: func() time.Time { return testNow }})
	})
	return e, us
}

const adminPath = "/rustfs/admin/v1/"

func TestAdminUsersAndIdentityPolicies(t *testing.T) {
	e, _ := newUsersEnv(t)
	e.mkBucket("bk1")
	e.mkBucket("bk2")
	mustStatus(t, e.put("/bk1/k", []byte("hello")), 200, "")

	res := e.do(req{method: "POST", path: adminPath + "users", query: "name=alice"})
	var alice users.Created
	if res.status != 200 || json.Unmarshal(res.body, &alice) != nil || alice.ARN != "arn:aws:iam::root:user/alice" || alice.SecretKey == "" {
		t.Fatalf("create alice: %d %s", res.status, res.body)
	}
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "users", query: "name=alice"}), 409, "EntityAlreadyExists")
	as := func(r req) req { r.accessKey, r.secret = alice.AccessKey, alice.SecretKey; return r }

	// No policy: default deny, even for reads.
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 403, "AccessDenied")
	mustStatus(t, e.do(as(req{method: "GET", path: "/"})), 403, "AccessDenied")

	mustStatus(t, e.do(req{method: "PUT", path: adminPath + "policies", query: "name=bad",
		body: []byte(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Principal":"*"}]}`)}), 400, "MalformedPolicy")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "users/policies", query: "policy=ro&user=alice"}), 404, "NoSuchEntity")
	mustStatus(t, e.do(req{method: "PUT", path: adminPath + "policies", query: "name=ro", body: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bk1","arn:aws:s3:::bk1/*"]}]}`)}), 200, "")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "users/policies", query: "policy=ro&user=alice"}), 200, "")

	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1", query: "list-type=2"})), 200, "")
	mustStatus(t, e.do(as(req{method: "PUT", path: "/bk1/k2", body: []byte("x")})), 403, "AccessDenied")
	mustStatus(t, e.do(as(req{method: "DELETE", path: "/bk1/k"})), 403, "AccessDenied")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk2", query: "list-type=2"})), 403, "AccessDenied")
	// A user is never root: the admin API refuses alice.
	mustStatus(t, e.do(as(req{method: "GET", path: adminPath + "users"})), 403, "AccessDenied")

	var list []users.User
	res = e.do(req{method: "GET", path: adminPath + "users"})
	if res.status != 200 || json.Unmarshal(res.body, &list) != nil || len(list) != 1 || list[0].Keys[0].AccessKey != alice.AccessKey || list[0].Policies[0] != "ro" {
		t.Fatalf("list: %d %s", res.status, res.body)
	}

	mustStatus(t, e.do(req{method: "PATCH", path: adminPath + "keys", query: "accessKey=" + alice.AccessKey + "&status=Inactive"}), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 403, "InvalidAccessKeyId")
	mustStatus(t, e.do(req{method: "PATCH", path: adminPath + "keys", query: "accessKey=" + alice.AccessKey + "&status=Active"}), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 200, "")

	res = e.do(req{method: "POST", path: adminPath + "keys", query: "user=alice"})
	var k2 users.Created
	if res.status != 200 || json.Unmarshal(res.body, &k2) != nil || k2.AccessKey == alice.AccessKey {
		t.Fatalf("second key: %d %s", res.status, res.body)
	}
	mustStatus(t, e.do(req{method: "GET", path: "/bk1/k", accessKey: k2.AccessKey, secret: k2.SecretKey}), 200, "")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "keys", query: "accessKey=" + k2.AccessKey}), 200, "")
	mustStatus(t, e.do(req{method: "GET", path: "/bk1/k", accessKey: k2.AccessKey, secret: k2.SecretKey}), 403, "InvalidAccessKeyId")

	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "policies", query: "name=ro"}), 409, "DeleteConflict")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "users/policies", query: "policy=ro&user=alice"}), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 403, "AccessDenied")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "policies", query: "name=ro"}), 200, "")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "users", query: "name=alice"}), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 403, "InvalidAccessKeyId")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "users", query: "name=alice"}), 404, "NoSuchEntity")
}

func TestAdminUsersNeedsStore(t *testing.T) {
	e := newTestEnv(t, nil)
	mustStatus(t, e.do(req{method: http.MethodGet, path: adminPath + "users"}), 501, "NotImplemented")
}

// TestUserARNInBucketPolicy: a bucket policy naming a user's ARN grants
// that user (same account: no identity policy needed), and nobody else.
func TestUserARNInBucketPolicy(t *testing.T) {
	e, us := newUsersEnv(t)
	e.mkBucket("bk1")
	mustStatus(t, e.put("/bk1/k", []byte("hello")), 200, "")
	bob, err := us.CreateUser(t.Context(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	eve, err := us.CreateUser(t.Context(), "eve")
	if err != nil {
		t.Fatal(err)
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob.ARN + `"},
	 "Action":"s3:GetObject","Resource":"arn:aws:s3:::bk1/*"}]}`
	mustStatus(t, e.do(req{method: "PUT", path: "/bk1", query: "policy=", body: []byte(pol)}), 204, "")
	mustStatus(t, e.do(req{method: "GET", path: "/bk1/k", accessKey: bob.AccessKey, secret: bob.SecretKey}), 200, "")
	mustStatus(t, e.do(req{method: "PUT", path: "/bk1/k", body: []byte("x"), accessKey: bob.AccessKey, secret: bob.SecretKey}), 403, "AccessDenied")
	mustStatus(t, e.do(req{method: "GET", path: "/bk1/k", accessKey: eve.AccessKey, secret: eve.SecretKey}), 403, "AccessDenied")
}
