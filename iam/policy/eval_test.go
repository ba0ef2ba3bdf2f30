package policy

import (
	"os"
	"strings"
	"testing"
	"time"
)

// seedPolicy is the security model's example bucket policy, verbatim: one copy
// in iam/policy/testdata, shared by the policy, s3api and end-to-end tests.
var seedPolicy = readSecurityModelPolicy("testdata/security-model-policy.json")

var testNow = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

const (
	acct  = "123456789012"
	alice = "arn:aws:iam::123456789012:user/alice"
	bob   = "arn:aws:iam::123456789012:user/bob"
	eve   = "arn:aws:iam::999999999999:user/eve"
)

// stmt wraps statements in a 2012-10-17 policy document.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

type evalCase struct {
	name     string
	identity []string // identity policy documents of the principal
	bucket   string   // bucket policy document of bucket "b" ("" for none)
	bucketOf string   // bucket the bucket policy belongs to; "b" when empty
	who      string   // principal ARN; "" is anonymous
	action   string
	resource string
	owner    string // ResourceAccount
	ctx      map[string]string
	multi    map[string][]string
	want     Effect
	refs     []string // StatementRef.String() of the deciding statements, when checked
}

func (c evalCase) request() *Request {
	r := &Request{Action: c.action, Resource: c.resource, ResourceAccount: c.owner, Context: Context{}}
	if c.who == "" {
		r.Principal.Anonymous = true
	} else {
		r.Principal.ARN = c.who
	}
	for k, v := range c.ctx {
		r.Context.Set(k, v)
	}
	for k, v := range c.multi {
		r.Context.Set(k, v...)
	}
	return r
}

func (c evalCase) policies(t testing.TB) ([]*Policy, *Policy) {
	t.Helper()
	var ids []*Policy
	for i, d := range c.identity {
		p, err := ParseIdentity("user/"+strings.Repeat("i", i+1), []byte(d))
		if err != nil {
			t.Fatalf("%s: identity policy %d: %v", c.name, i, err)
		}
		ids = append(ids, p)
	}
	var bp *Policy
	if c.bucket != "" {
		b := c.bucketOf
		if b == "" {
			b = "b"
		}
		var err error
		if bp, err = ParseBucket(b, []byte(c.bucket)); err != nil {
			t.Fatalf("%s: bucket policy: %v", c.name, err)
		}
	}
	return ids, bp
}

func allowAll(action, resource string) string {
	return `{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}`
}

func TestEvaluate(t *testing.T) {
	const getB = "arn:aws:s3:::b/k"
	cases := []evalCase{
		// The security model's example, verbatim.
		{name: "seed: developer from the VPN with SSE", bucket: seedPolicy, bucketOf: "my-bucket", who: "arn:aws:iam::123456789:user/developer",
			action: "s3:PutObject", resource: "arn:aws:s3:::my-bucket/uploads/a.txt",
			ctx: map[string]string{"aws:SourceIp": "10.0.43.255", "s3:x-amz-server-side-encryption": "AES256"}, want: Allow, refs: []string{"Allow bucket/my-bucket[0]"}},
		{name: "seed: outside the /22", bucket: seedPolicy, bucketOf: "my-bucket", who: "arn:aws:iam::123456789:user/developer",
			action: "s3:GetObject", resource: "arn:aws:s3:::my-bucket/uploads/a.txt",
			ctx: map[string]string{"aws:SourceIp": "10.0.44.1", "s3:x-amz-server-side-encryption": "AES256"}, want: ImplicitDeny},
		{name: "seed: without SSE", bucket: seedPolicy, bucketOf: "my-bucket", who: "arn:aws:iam::123456789:user/developer",
			action: "s3:GetObject", resource: "arn:aws:s3:::my-bucket/uploads/a.txt",
			ctx: map[string]string{"aws:SourceIp": "10.0.40.7"}, want: ImplicitDeny},
		{name: "seed: another user", bucket: seedPolicy, bucketOf: "my-bucket", who: "arn:aws:iam::123456789:user/tester",
			action: "s3:GetObject", resource: "arn:aws:s3:::my-bucket/uploads/a.txt",
			ctx: map[string]string{"aws:SourceIp": "10.0.40.7", "s3:x-amz-server-side-encryption": "AES256"}, want: ImplicitDeny},
		{name: "seed: action not granted", bucket: seedPolicy, bucketOf: "my-bucket", who: "arn:aws:iam::123456789:user/developer",
			action: "s3:DeleteObject", resource: "arn:aws:s3:::my-bucket/uploads/a.txt",
			ctx: map[string]string{"aws:SourceIp": "10.0.40.7", "s3:x-amz-server-side-encryption": "AES256"}, want: ImplicitDeny},
		{name: "seed: outside uploads/", bucket: seedPolicy, bucketOf: "my-bucket", who: "arn:aws:iam::123456789:user/developer",
			action: "s3:GetObject", resource: "arn:aws:s3:::my-bucket/private/a.txt",
			ctx: map[string]string{"aws:SourceIp": "10.0.40.7", "s3:x-amz-server-side-encryption": "AES256"}, want: ImplicitDeny},

		// Default deny, identity allow, union within an account.
		{name: "no policy: implicit deny", who: alice, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "identity allow", identity: []string{doc(allowAll("s3:GetObject", "arn:aws:s3:::b/*"))}, who: alice, action: "s3:GetObject", resource: getB, want: Allow, refs: []string{"Allow user/i[0]"}},
		{name: "bucket allow alone (same account)", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who: alice, owner: acct, action: "s3:GetObject", resource: getB, want: Allow},

		// Explicit deny wins wherever it is.
		{name: "bucket deny beats identity allow", identity: []string{doc(allowAll("s3:*", "*"))},
			bucket: doc(`{"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}`),
			who:    alice, action: "s3:DeleteObject", resource: getB, want: Deny, refs: []string{`Deny bucket/b[0] "NoDelete"`}},
		{name: "identity deny beats bucket allow", identity: []string{doc(`{"Effect":"Deny","Action":"s3:*","Resource":"*"}`)},
			bucket: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who:    alice, action: "s3:GetObject", resource: getB, want: Deny, refs: []string{"Deny user/i[0]"}},
		{name: "deny in second identity policy", identity: []string{doc(allowAll("s3:*", "*")), doc(`{"Effect":"Deny","Action":"s3:PutBucketPolicy","Resource":"*"}`)},
			who: alice, action: "s3:PutBucketPolicy", resource: "arn:aws:s3:::b", want: Deny, refs: []string{"Deny user/ii[0]"}},
		{name: "allows all reported", identity: []string{doc(allowAll("s3:Get*", "*"), allowAll("s3:GetObject", "arn:aws:s3:::b/k"))},
			who: alice, action: "s3:GetObject", resource: getB, want: Allow, refs: []string{"Allow user/i[0]", "Allow user/i[1]"}},

		// Across accounts both sides must allow.
		{name: "cross-account: bucket allow only", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who: eve, owner: acct, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "cross-account: both allow", identity: []string{doc(allowAll("s3:GetObject", "*"))},
			bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who:    eve, owner: acct, action: "s3:GetObject", resource: getB, want: Allow},

		// Principals.
		{name: "anonymous: Principal * allows", bucket: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			action: "s3:GetObject", resource: getB, want: Allow},
		{name: "anonymous: AWS * allows", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			action: "s3:GetObject", resource: getB, want: Allow},
		{name: "anonymous: account principal does not match", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "anonymous: identity policies ignored", identity: []string{doc(allowAll("s3:*", "*"))}, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "account id matches its users", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who: bob, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "account root ARN matches its users", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who: bob, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "account principal: other account", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who: eve, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "user ARN: other user", bucket: doc(`{"Effect":"Allow","Principal":{"AWS":["` + alice + `"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			who: bob, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "NotPrincipal: named user not denied", identity: []string{doc(allowAll("s3:*", "*"))},
			bucket: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":["` + alice + `","arn:aws:iam::` + acct + `:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`),
			who:    alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "NotPrincipal: other user denied", identity: []string{doc(allowAll("s3:*", "*"))},
			bucket: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"` + alice + `"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`),
			who:    bob, action: "s3:GetObject", resource: getB, want: Deny},
		{name: "NotPrincipal: anonymous denied", bucket: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"`+alice+`"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`,
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			action: "s3:GetObject", resource: getB, want: Deny},

		// Actions: wildcards, case-insensitive; NotAction.
		{name: "action case-insensitive", identity: []string{doc(allowAll("S3:getobject", "*"))}, who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "action * wildcard", identity: []string{doc(allowAll("s3:Get*", "*"))}, who: alice, action: "s3:GetObjectTagging", resource: getB, want: Allow},
		{name: "action ? wildcard", identity: []string{doc(allowAll("s3:?etObject", "*"))}, who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "action mismatch", identity: []string{doc(allowAll("s3:Get*", "*"))}, who: alice, action: "s3:PutObject", resource: getB, want: ImplicitDeny},
		{name: "PutBucketPolicy is its own permission", identity: []string{doc(allowAll("s3:Put*Object", "*"))}, who: alice, action: "s3:PutBucketPolicy", resource: "arn:aws:s3:::b", want: ImplicitDeny},
		{name: "NotAction allows the rest", identity: []string{doc(`{"Effect":"Allow","NotAction":["s3:DeleteObject","s3:PutBucketPolicy"],"Resource":"*"}`)},
			who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "NotAction excludes", identity: []string{doc(`{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"}`)},
			who: alice, action: "s3:DeleteObject", resource: getB, want: ImplicitDeny},

		// Resources: wildcards, case-sensitive; NotResource; no resource.
		{name: "resource case-sensitive", identity: []string{doc(allowAll("s3:GetObject", "arn:aws:s3:::b/Key"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/key", want: ImplicitDeny},
		{name: "resource ? wildcard", identity: []string{doc(allowAll("s3:GetObject", "arn:aws:s3:::b/log-?.txt"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/log-7.txt", want: Allow},
		{name: "resource * crosses /", identity: []string{doc(allowAll("s3:GetObject", "arn:aws:s3:::b/*.jpg"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/x/y/z.jpg", want: Allow},
		{name: "bucket ARN is not its objects", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::b/*"))}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", want: ImplicitDeny},
		{name: "NotResource deny", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/public/*"}`)},
			who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/private/x", want: Deny},
		{name: "NotResource excludes", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:GetObject","NotResource":["arn:aws:s3:::b/public/*"]}`)},
			who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/public/x", want: Allow},
		{name: "no resource: only * matches", identity: []string{doc(allowAll("s3:ListAllMyBuckets", "arn:aws:s3:::*"))}, who: alice, action: "s3:ListAllMyBuckets", want: ImplicitDeny},
		{name: "no resource: *", identity: []string{doc(allowAll("s3:ListAllMyBuckets", "*"))}, who: alice, action: "s3:ListAllMyBuckets", want: Allow},

		// String operators.
		{name: "StringEquals match", identity: []string{cond(`"StringEquals":{"s3:prefix":["home/","docs/"]}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "docs/"}, want: Allow},
		{name: "StringEquals is case-sensitive", identity: []string{cond(`"StringEquals":{"s3:prefix":"Docs/"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "docs/"}, want: ImplicitDeny},
		{name: "StringEquals missing key is false", identity: []string{cond(`"StringEquals":{"s3:prefix":"docs/"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", want: ImplicitDeny},
		{name: "StringNotEquals missing key is true", identity: []string{cond(`"StringNotEquals":{"s3:x-amz-acl":"public-read"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", want: Allow},
		{name: "StringNotEquals is NOR", identity: []string{cond(`"StringNotEquals":{"s3:x-amz-acl":["public-read","public-read-write"]}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:x-amz-acl": "public-read-write"}, want: ImplicitDeny},
		{name: "StringEqualsIgnoreCase", identity: []string{cond(`"StringEqualsIgnoreCase":{"aws:UserAgent":"RCLONE/1.0"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"aws:UserAgent": "rclone/1.0"}, want: Allow},
		{name: "StringNotEqualsIgnoreCase", identity: []string{cond(`"StringNotEqualsIgnoreCase":{"aws:UserAgent":"RCLONE/1.0"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"aws:UserAgent": "rclone/1.0"}, want: ImplicitDeny},
		{name: "StringLike", identity: []string{cond(`"StringLike":{"aws:Referer":"https://*.example.com/*"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"aws:Referer": "https://www.example.com/a"}, want: Allow},
		{name: "StringNotLike", identity: []string{cond(`"StringNotLike":{"aws:Referer":"https://*.example.com/*"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"aws:Referer": "https://www.example.com/a"}, want: ImplicitDeny},
		{name: "condition keys are case-insensitive", identity: []string{cond(`"StringEquals":{"S3:PREFIX":"docs/"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", multi: map[string][]string{"s3:Prefix": {"docs/"}}, want: Allow},
		{name: "two operators AND", identity: []string{cond(`"StringEquals":{"s3:prefix":"docs/"},"NumericLessThanEquals":{"s3:max-keys":"100"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "docs/", "s3:max-keys": "1000"}, want: ImplicitDeny},
		{name: "two keys AND", identity: []string{cond(`"StringEquals":{"s3:prefix":"docs/","s3:delimiter":"/"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "docs/", "s3:delimiter": "/"}, want: Allow},

		// IfExists.
		{name: "IfExists: missing key is true", identity: []string{cond(`"StringEqualsIfExists":{"s3:x-amz-acl":"private"}`)}, who: alice, action: "s3:PutObject", resource: getB, want: Allow},
		{name: "IfExists: present and wrong", identity: []string{cond(`"StringEqualsIfExists":{"s3:x-amz-acl":"private"}`)}, who: alice, action: "s3:PutObject", resource: getB, ctx: map[string]string{"s3:x-amz-acl": "public-read"}, want: ImplicitDeny},
		{name: "BoolIfExists deny over plain HTTP", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}`)},
			who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SecureTransport": "false"}, want: Deny},

		// Numeric.
		{name: "NumericLessThanEquals true", identity: []string{cond(`"NumericLessThanEquals":{"s3:max-keys":100}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:max-keys": "100"}, want: Allow},
		{name: "NumericLessThan false", identity: []string{cond(`"NumericLessThan":{"s3:max-keys":"100"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:max-keys": "100"}, want: ImplicitDeny},
		{name: "NumericGreaterThan", identity: []string{cond(`"NumericGreaterThan":{"s3:signatureAge":"600000"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:signatureAge": "600001"}, want: Allow},
		{name: "NumericGreaterThanEquals decimal", identity: []string{cond(`"NumericGreaterThanEquals":{"s3:max-keys":"2.5"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:max-keys": "3"}, want: Allow},
		{name: "NumericEquals", identity: []string{cond(`"NumericEquals":{"s3:max-keys":["10","20"]}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:max-keys": "20"}, want: Allow},
		{name: "NumericNotEquals", identity: []string{cond(`"NumericNotEquals":{"s3:max-keys":"10"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:max-keys": "10"}, want: ImplicitDeny},
		{name: "Numeric: non-number request value", identity: []string{cond(`"NumericLessThan":{"s3:max-keys":"100"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:max-keys": "ten"}, want: ImplicitDeny},

		// Dates (the evaluator's clock is testNow unless the context says).
		{name: "DateLessThan current time", identity: []string{cond(`"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "DateGreaterThan current time", identity: []string{cond(`"DateGreaterThan":{"aws:CurrentTime":"2027-01-01"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "DateEquals from context", identity: []string{cond(`"DateEquals":{"aws:CurrentTime":"2026-12-05T12:00:00Z"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:CurrentTime": "2026-12-05T13:00:00+01:00"}, want: Allow},
		{name: "DateNotEquals", identity: []string{cond(`"DateNotEquals":{"aws:CurrentTime":"2026-12-05T12:00:00Z"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "DateLessThanEquals epoch value", identity: []string{cond(`"DateLessThanEquals":{"aws:EpochTime":"1796472000"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "DateGreaterThanEquals epoch", identity: []string{cond(`"DateGreaterThanEquals":{"aws:EpochTime":1796472001}`)}, who: alice, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "NumericLessThan epoch", identity: []string{cond(`"NumericLessThan":{"aws:EpochTime":1796472001}`)}, who: alice, action: "s3:GetObject", resource: getB, want: Allow},

		// Bool, Null.
		{name: "Bool true", identity: []string{cond(`"Bool":{"aws:SecureTransport":"true"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SecureTransport": "true"}, want: Allow},
		{name: "Bool false", identity: []string{cond(`"Bool":{"aws:SecureTransport":true}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SecureTransport": "false"}, want: ImplicitDeny},
		{name: "Bool missing", identity: []string{cond(`"Bool":{"aws:SecureTransport":"true"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "Null true: key absent", identity: []string{cond(`"Null":{"s3:x-amz-acl":"true"}`)}, who: alice, action: "s3:PutObject", resource: getB, want: Allow},
		{name: "Null true: key present", identity: []string{cond(`"Null":{"s3:x-amz-acl":"true"}`)}, who: alice, action: "s3:PutObject", resource: getB, ctx: map[string]string{"s3:x-amz-acl": "private"}, want: ImplicitDeny},
		{name: "Null false: key present", identity: []string{cond(`"Null":{"s3:x-amz-acl":false}`)}, who: alice, action: "s3:PutObject", resource: getB, ctx: map[string]string{"s3:x-amz-acl": "private"}, want: Allow},

		// IP addresses.
		{name: "IPv6 CIDR", identity: []string{cond(`"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceIp": "2001:db8:7::1"}, want: Allow},
		{name: "IPv6 outside", identity: []string{cond(`"IpAddress":{"aws:SourceIp":"2001:db8::/32"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceIp": "2001:db9::1"}, want: ImplicitDeny},
		{name: "bare IPv4 address", identity: []string{cond(`"IpAddress":{"aws:SourceIp":"192.0.2.7"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceIp": "192.0.2.7"}, want: Allow},
		{name: "IPv4-mapped request address", identity: []string{cond(`"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceIp": "::ffff:192.0.2.9"}, want: Allow},
		{name: "NotIpAddress deny", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.40.0/22","fd00::/8"]}}}`)},
			who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceIp": "203.0.113.5"}, want: Deny},
		{name: "NotIpAddress inside", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.40.0/22","fd00::/8"]}}}`)},
			who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceIp": "fd12::3"}, want: Allow},

		// ARNs.
		{name: "ArnLike PrincipalArn", bucket: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}}`),
			who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "ArnEquals other", bucket: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnEquals":{"aws:PrincipalArn":"` + alice + `"}}}`),
			who: bob, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "ArnNotEquals deny", identity: []string{doc(allowAll("s3:*", "*"))},
			bucket: doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"ArnNotEquals":{"aws:PrincipalArn":"` + alice + `"}}}`),
			who:    bob, action: "s3:GetObject", resource: getB, want: Deny},
		{name: "ArnNotLike deny anonymous", bucket: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:*"}}}`),
			action: "s3:GetObject", resource: getB, want: Deny},

		{name: "ArnLike: * does not span fields", identity: []string{cond(`"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: ImplicitDeny},
		{name: "ArnLike: not an ARN", identity: []string{cond(`"ArnLike":{"aws:SourceArn":"arn:*"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceArn": "hello"}, want: ImplicitDeny},
		{name: "ArnLike: resource field may hold colons", identity: []string{cond(`"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:/x:*"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:SourceArn": "arn:aws:logs:eu:1:log-group:/x:stream"}, want: Allow},

		{name: "derived aws:PrincipalAccount", identity: []string{cond(`"StringEquals":{"aws:PrincipalAccount":"` + acct + `","aws:PrincipalType":"User"}`)}, who: alice, action: "s3:GetObject", resource: getB, want: Allow},
		{name: "context cannot override the principal", identity: []string{cond(`"StringEquals":{"aws:username":"mallory"}`)}, who: alice, action: "s3:GetObject", resource: getB, ctx: map[string]string{"aws:username": "mallory", "aws:PrincipalArn": "arn:aws:iam::1:user/mallory"}, want: ImplicitDeny},
		{name: "anonymous has no aws:username", bucket: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:username":"true"},"StringEquals":{"aws:PrincipalType":"Anonymous"}}}`), action: "s3:GetObject", resource: getB, want: Allow},

		// Set qualifiers.
		{name: "ForAllValues empty set is true", identity: []string{cond(`"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}`)}, who: alice, action: "s3:PutObject", resource: getB, want: Allow},
		{name: "ForAllValues subset", identity: []string{cond(`"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}`)}, who: alice, action: "s3:PutObject", resource: getB, multi: map[string][]string{"s3:RequestObjectTagKeys": {"env", "team"}}, want: Allow},
		{name: "ForAllValues not subset", identity: []string{cond(`"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}`)}, who: alice, action: "s3:PutObject", resource: getB, multi: map[string][]string{"s3:RequestObjectTagKeys": {"env", "cost"}}, want: ImplicitDeny},
		{name: "ForAnyValue empty set is false", identity: []string{cond(`"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":"team"}`)}, who: alice, action: "s3:PutObject", resource: getB, want: ImplicitDeny},
		{name: "ForAnyValue:StringLike", identity: []string{cond(`"ForAnyValue:StringLike":{"s3:RequestObjectTagKeys":"te*"}`)}, who: alice, action: "s3:PutObject", resource: getB, multi: map[string][]string{"s3:RequestObjectTagKeys": {"env", "team"}}, want: Allow},
		{name: "ForAnyValue:StringNotEquals", identity: []string{cond(`"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["team","env"]}`)}, who: alice, action: "s3:PutObject", resource: getB, multi: map[string][]string{"s3:RequestObjectTagKeys": {"env", "team"}}, want: ImplicitDeny},
		{name: "ForAllValues:StringNotLike", identity: []string{cond(`"ForAllValues:StringNotLike":{"s3:RequestObjectTagKeys":"secret*"}`)}, who: alice, action: "s3:PutObject", resource: getB, multi: map[string][]string{"s3:RequestObjectTagKeys": {"env", "secret-x"}}, want: ImplicitDeny},

		// Policy variables.
		{name: "variable in Resource", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:username}/*"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/x", want: Allow},
		{name: "variable in Resource: other user's home", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:username}/*"))}, who: bob, action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/x", want: ImplicitDeny},
		{name: "variable value is literal, not a wildcard", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:userid}/x"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/AIDA-anything/x", ctx: map[string]string{"aws:userid": "AIDA*"}, want: ImplicitDeny},
		{name: "${*} is a literal star", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::b/${*}"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/anything", want: ImplicitDeny},
		{name: "${*} matches a star", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::b/a${*}${?}${$}"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/a*?$", want: Allow},
		{name: "missing variable: no match", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:userid}/*"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home//x", want: ImplicitDeny},
		{name: "missing variable: other entries still match", identity: []string{doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::home/${aws:userid}/*","arn:aws:s3:::pub/*"]}`)}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::pub/x", want: Allow},
		{name: "missing variable in NotResource: Deny applies", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:userid}/*"}`)}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/x/y", want: Deny},
		{name: "missing variable in NotResource: Allow does not", identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:userid}/*"}`)}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/x/y", want: ImplicitDeny},
		{name: "variable default", identity: []string{doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:userid, 'shared'}/*"))}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/shared/x", want: Allow},
		{name: "variable in condition", identity: []string{cond(`"StringLike":{"s3:prefix":["${aws:username}/*","${aws:username}"]}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "alice/photos/"}, want: Allow},
		{name: "variable in condition: other prefix", identity: []string{cond(`"StringEquals":{"s3:prefix":"${aws:username}/"}`)}, who: bob, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "alice/"}, want: ImplicitDeny},
		{name: "missing variable in a negated condition: Allow does not apply", identity: []string{cond(`"StringNotEquals":{"s3:prefix":"${aws:userid}/"}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "x/"}, want: ImplicitDeny},
		{name: "missing variable in a condition: Deny applies", identity: []string{doc(allowAll("s3:*", "*"), `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:userid}/"}}}`)}, who: alice, action: "s3:ListBucket", resource: "arn:aws:s3:::b", ctx: map[string]string{"s3:prefix": "x/"}, want: Deny},
		{name: "2008 policies have no variables", identity: []string{`{"Version":"2008-10-17","Statement":` + allowAll("s3:*", "arn:aws:s3:::home/${aws:username}/*") + `}`}, who: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/${aws:username}/x", want: Allow},
	}
	ev := &Evaluator{Now: func() time.Time { return testNow }}
	cached := &Evaluator{Now: ev.Now, Cache: NewCache(64)}
	for _, c := range cases {
		ids, bp := c.policies(t)
		d := ev.Evaluate(c.request(), ids, bp)
		if d.Effect != c.want {
			t.Errorf("%s: got %v %v, want %v", c.name, d.Effect, d.Statements, c.want)
			continue
		}
		if c.refs != nil {
			var got []string
			for _, r := range d.Statements {
				got = append(got, r.String())
			}
			if strings.Join(got, "; ") != strings.Join(c.refs, "; ") {
				t.Errorf("%s: deciding statements %q, want %q", c.name, got, c.refs)
			}
		}
		if d.Effect != ImplicitDeny && len(d.Statements) == 0 || d.Effect == ImplicitDeny && len(d.Statements) != 0 {
			t.Errorf("%s: %v with statements %v", c.name, d.Effect, d.Statements)
		}
		// The cache must agree, on a miss and on a hit.
		for range 2 {
			if cd := cached.Evaluate(c.request(), ids, bp); cd.Effect != d.Effect {
				t.Errorf("%s: cached evaluator says %v, uncached %v", c.name, cd.Effect, d.Effect)
			}
		}
	}
}

// cond is an identity policy allowing s3:* on * under one Condition block.
func cond(block string) string {
	return doc(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{` + block + `}}`)
}

// readSecurityModelPolicy reads the shared copy of the security model's
// example policy. An unreadable file yields text that is no policy, so
// every test using it fails saying why.
func readSecurityModelPolicy(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable " + path + ": " + err.Error()
	}
	return string(b)
}
