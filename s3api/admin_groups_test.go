package s3api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/iam/users"
)

// TestAdminGroupsAndSimulate: groups through the admin API give their
// members the group's policies (an explicit Deny in the group beats the
// member's own Allow), and simulate answers from the same live policies
// as real requests.
func TestAdminGroupsAndSimulate(t *testing.T) {
	e, _ := newUsersEnv(t)
	e.mkBucket("bk1")
	mustStatus(t, e.put("/bk1/k", []byte("hello")), 200, "")
	var dave users.Created
	res := e.do(req{method: "POST", path: adminPath + "users", query: "name=dave"})
	if res.status != 200 || json.Unmarshal(res.body, &dave) != nil {
		t.Fatalf("create dave: %d %s", res.status, res.body)
	}
	as := func(r req) req { r.accessKey, r.secret = dave.AccessKey, dave.SecretKey; return r }
	put := func(name, doc string) {
		t.Helper()
		mustStatus(t, e.do(req{method: "PUT", path: adminPath + "policies", query: "name=" + name, body: []byte(doc)}), 200, "")
	}
	put("rw", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bk1/*"}]}`)
	put("no-put", `{"Version":"2012-10-17","Statement":[{"Sid":"NoPut","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::bk1/*"}]}`)
	put("read", `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bk1/*",
	  "Condition":{"IpAddress":{"aws:SourceIp":"10.0.40.0/22"}}}]}`)

	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups", query: "name=ops"}), 200, "")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups", query: "name=ops"}), 409, "EntityAlreadyExists")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups", query: "name=bad%2Fname"}), 400, "InvalidInput")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups/members", query: "group=ops&user=nobody"}), 404, "NoSuchEntity")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups/members", query: "group=ops"}), 400, "InvalidRequest")

	// Only the group's policy: dave reads, cannot write.
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups/policies", query: "group=ops&policy=rw"}), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 403, "AccessDenied")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups/members", query: "group=ops&user=dave"}), 200, "")
	mustStatus(t, e.do(as(req{method: "GET", path: "/bk1/k"})), 200, "")
	mustStatus(t, e.do(as(req{method: "PUT", path: "/bk1/k2", body: []byte("x")})), 200, "")
	// His own Allow cannot beat the group's Deny.
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "users/policies", query: "user=dave&policy=rw"}), 200, "")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups/policies", query: "group=ops&policy=no-put"}), 200, "")
	mustStatus(t, e.do(as(req{method: "PUT", path: "/bk1/k3", body: []byte("x")})), 403, "AccessDenied")

	var gs []users.Group
	res = e.do(req{method: "GET", path: adminPath + "groups"})
	if json.Unmarshal(res.body, &gs) != nil || len(gs) != 1 || gs[0].Members[0] != "dave" || len(gs[0].Policies) != 2 {
		t.Fatalf("groups: %s", res.body)
	}
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups", query: "name=ops"}), 409, "DeleteConflict")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "policies", query: "name=no-put"}), 409, "DeleteConflict")

	sim := func(body string) SimulateResult {
		t.Helper()
		res := e.do(req{method: "POST", path: adminPath + "simulate", body: []byte(body)})
		var out SimulateResult
		if res.status != 200 || json.Unmarshal(res.body, &out) != nil {
			t.Fatalf("simulate %s: %d %s", body, res.status, res.body)
		}
		return out
	}
	got := sim(`{"user":"dave","action":"s3:PutObject","resource":"arn:aws:s3:::bk1/x"}`)
	if got.Decision != "Deny" || got.Effect != "Deny" || len(got.Statements) != 1 || !strings.Contains(got.Statements[0], `"NoPut"`) ||
		got.Principal != "arn:aws:iam::root:user/dave" || strings.Join(got.Policies, ",") != "rw,rw,no-put" {
		t.Fatalf("simulate put: %+v", got)
	}
	if got := sim(`{"user":"dave","action":"s3:GetObject","resource":"arn:aws:s3:::bk1/x"}`); got.Decision != "Allow" || len(got.Statements) == 0 {
		t.Fatalf("simulate get: %+v", got)
	}
	if got := sim(`{"user":"dave","action":"s3:DeleteObject","resource":"arn:aws:s3:::bk1/x"}`); got.Effect != "ImplicitDeny" {
		t.Fatalf("simulate delete: %+v", got)
	}
	// Conditions read the context given; the security model's IpAddress.
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "users/policies", query: "user=dave&policy=rw"}), 200, "")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups/policies", query: "group=ops&policy=rw"}), 200, "")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "groups/policies", query: "group=ops&policy=read"}), 200, "")
	if got := sim(`{"user":"dave","action":"s3:GetObject","resource":"arn:aws:s3:::bk1/x","context":{"aws:SourceIp":["10.0.41.7"]}}`); got.Decision != "Allow" {
		t.Fatalf("simulate in range: %+v", got)
	}
	if got := sim(`{"user":"dave","action":"s3:GetObject","resource":"arn:aws:s3:::bk1/x","context":{"aws:SourceIp":["10.0.50.1"]}}`); got.Decision != "Deny" {
		t.Fatalf("simulate out of range: %+v", got)
	}
	// The bucket policy is evaluated too, and root's rules apply.
	mustStatus(t, e.do(req{method: "PUT", path: "/bk1", query: "policy=", body: []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bk1/pub/*"}]}`)}), 204, "")
	if got := sim(`{"principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::bk1/pub/a"}`); got.Decision != "Allow" || got.Policies[0] != "bucket:bk1" {
		t.Fatalf("simulate anonymous: %+v", got)
	}
	if got := sim(`{"principal":"root","action":"s3:DeleteBucket","resource":"arn:aws:s3:::bk1"}`); got.Decision != "Allow" {
		t.Fatalf("simulate root: %+v", got)
	}
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "simulate", body: []byte(`{"user":"nobody","action":"s3:GetObject"}`)}), 404, "NoSuchEntity")
	mustStatus(t, e.do(req{method: "POST", path: adminPath + "simulate", body: []byte(`{"user":"dave"}`)}), 400, "InvalidRequest")
	// A user may not simulate (the admin API is root only).
	mustStatus(t, e.do(as(req{method: "POST", path: adminPath + "simulate", body: []byte(`{"user":"dave","action":"s3:GetObject"}`)})), 403, "AccessDenied")

	// Removing the member and the policies lets the group go.
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups/members", query: "group=ops&user=dave"}), 200, "")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups/members", query: "group=ops&user=dave"}), 404, "NoSuchEntity")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups/policies", query: "group=ops&policy=no-put"}), 200, "")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups/policies", query: "group=ops&policy=read"}), 200, "")
	mustStatus(t, e.do(req{method: "DELETE", path: adminPath + "groups", query: "name=ops"}), 200, "")
}

func TestParseSimulateRequest(t *testing.T) {
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"user":"a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":{"aws:SourceIp":["10.0.0.1"]}}`, true},
		{`{"principal":"root","action":"s3:ListAllMyBuckets"}`, true},
		{`{"principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b"}`, true},
		{`{"action":"s3:GetObject"}`, false},                                          // no principal
		{`{"user":"a","principal":"root","action":"s3:GetObject"}`, false},            // both
		{`{"principal":"arn:aws:iam::root:user/a","action":"s3:GetObject"}`, false},   // ARNs go in user
		{`{"user":"a","action":"GetObject"}`, false},                                  // no service
		{`{"user":"a","action":"s3:*"}`, false},                                       // wildcard
		{`{"user":"a","action":"s3:GetObject","resource":"b/k"}`, false},              // not an ARN
		{`{"user":"a","action":"s3:GetObject","resource":"arn:aws:s3:::"}`, false},    // no bucket
		{`{"user":"a","action":"s3:GetObject","resource":"arn:aws:s3:::b/*"}`, false}, // wildcard
		{`{"user":"a","action":"s3:GetObject","extra":1}`, false},                     // unknown field
		{`{"user":"a","action":"s3:GetObject"} {}`, false},                            // trailing data
		{`{"user":"a","action":"s3:GetObject","context":{"":["x"]}}`, false},          // empty key
		{`{"user":"a","action":"s3:GetObject","context":{"k":"x"}}`, false},           // not a list
		{`[]`, false},
		{``, false},
	} {
		_, err := parseSimulateRequest([]byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
	}
}

func FuzzParseSimulateRequest(f *testing.F) {
	for _, s := range []string{
		`{"user":"a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":{"aws:SourceIp":["10.0.0.1"]}}`,
		`{"principal":"root","action":"s3:ListAllMyBuckets"}`,
		`{"user":"a","action":"s3:GetObject"} {}`,
		`{"context":{"":[""]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := parseSimulateRequest(b)
		if err != nil {
			return
		}
		// Whatever is accepted names exactly one principal and a
		// service:Name action without wildcards.
		if (q.User == "") == (q.Principal == "") || !strings.Contains(q.Action, ":") || strings.ContainsAny(q.Action, "*?") {
			t.Fatalf("accepted %+v from %q", q, b)
		}
	})
}
