package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMalformed(t *testing.T) {
	big := doc(allowAll("s3:GetObject", "arn:aws:s3:::b/"+strings.Repeat("k", MaxBucketPolicySize)))
	bucketStmt := func(s string) string { return doc(s) }
	cases := []struct {
		name, doc, want string
		bucket          bool
	}{
		{name: "not JSON", doc: `{"Version":`, want: "not a JSON object"},
		{name: "trailing data", doc: doc(allowAll("s3:*", "*")) + `x`, want: "not a JSON object"},
		{name: "not an object", doc: `[]`, want: "not a JSON object"},
		{name: "bad Version", doc: `{"Version":"2012-10-18","Statement":` + allowAll("s3:*", "*") + `}`, want: "unsupported Version"},
		{name: "unknown top element", doc: `{"Version":"2012-10-17","Statment":[]}`, want: "unknown policy element"},
		{name: "no Statement", doc: `{"Version":"2012-10-17"}`, want: "missing Statement"},
		{name: "empty Statement", doc: `{"Version":"2012-10-17","Statement":[]}`, want: "Statement is empty"},
		{name: "Statement not objects", doc: `{"Version":"2012-10-17","Statement":"x"}`, want: "Statement must be"},
		{name: "unknown statement element", doc: doc(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Conditions":{}}`), want: "unknown statement element"},
		{name: "bad Effect", doc: doc(`{"Effect":"allow","Action":"s3:*","Resource":"*"}`), want: "Effect must be"},
		{name: "no Action", doc: doc(`{"Effect":"Allow","Resource":"*"}`), want: "exactly one of Action and NotAction"},
		{name: "Action and NotAction", doc: doc(`{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}`), want: "exactly one of Action"},
		{name: "no Resource", doc: doc(`{"Effect":"Allow","Action":"s3:*"}`), want: "exactly one of Resource and NotResource"},
		{name: "empty Action list", doc: doc(`{"Effect":"Allow","Action":[],"Resource":"*"}`), want: "empty list"},
		{name: "Action number", doc: doc(`{"Effect":"Allow","Action":7,"Resource":"*"}`), want: "list of strings"},
		{name: "unknown service", doc: doc(allowAll("ec2:RunInstances", "*")), want: "unknown service"},
		{name: "action without service", doc: doc(allowAll("GetObject", "*")), want: "not service:Name"},
		{name: "action bad character", doc: doc(allowAll("s3:Get Object", "*")), want: "bad character"},
		{name: "resource not ARN", doc: doc(allowAll("s3:*", "my-bucket/*")), want: "not an ARN"},
		{name: "unknown operator", doc: cond(`"StringEqualz":{"s3:prefix":"a"}`), want: "unknown condition operator \"StringEqualz\""},
		{name: "unknown qualifier", doc: cond(`"ForSomeValues:StringEquals":{"s3:prefix":"a"}`), want: "unknown condition operator"},
		{name: "Null IfExists", doc: cond(`"NullIfExists":{"s3:prefix":"true"}`), want: "Null takes no IfExists"},
		{name: "operator without keys", doc: cond(`"StringEquals":{}`), want: "has no keys"},
		{name: "bad condition key", doc: cond(`"StringEquals":{"prefix":"a"}`), want: "bad condition key"},
		{name: "empty value list", doc: cond(`"StringEquals":{"s3:prefix":[]}`), want: "empty value list"},
		{name: "object value", doc: cond(`"StringEquals":{"s3:prefix":{"a":1}}`), want: "string, number or boolean"},
		{name: "null value", doc: cond(`"StringEquals":{"s3:prefix":null}`), want: "string, number or boolean"},
		{name: "bad number", doc: cond(`"NumericLessThan":{"s3:max-keys":"ten"}`), want: "not a number"},
		{name: "NaN", doc: cond(`"NumericLessThan":{"s3:max-keys":"NaN"}`), want: "not a number"},
		{name: "bad date", doc: cond(`"DateLessThan":{"aws:CurrentTime":"next tuesday"}`), want: "not a date"},
		{name: "bad bool", doc: cond(`"Bool":{"aws:SecureTransport":"yes"}`), want: "not true or false"},
		{name: "bad CIDR", doc: cond(`"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}`), want: "not an IP address"},
		{name: "bad IP", doc: cond(`"IpAddress":{"aws:SourceIp":"10.0.0.256"}`), want: "not an IP address"},
		{name: "Condition not a map", doc: cond(`"StringEquals":"a"`), want: "Condition must map"},
		{name: "unterminated variable", doc: doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:username/*")), want: "unterminated policy variable"},
		{name: "bad variable", doc: doc(allowAll("s3:*", "arn:aws:s3:::home/${username}/*")), want: "bad condition key"},
		{name: "unquoted default", doc: doc(allowAll("s3:*", "arn:aws:s3:::home/${aws:username, x}/*")), want: "must be quoted"},
		{name: "duplicate Sid", doc: doc(`{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}`), want: "duplicate Sid"},
		{name: "Principal in identity policy", doc: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), want: "names no Principal"},
		{name: "bucket: no Principal", bucket: true, doc: bucketStmt(allowAll("s3:*", "arn:aws:s3:::b/*")), want: "exactly one of Principal and NotPrincipal"},
		{name: "bucket: NotPrincipal with Allow", bucket: true, doc: bucketStmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"1"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), want: "only accepted with Effect Deny"},
		{name: "bucket: string Principal not *", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":"alice","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), want: "must be \"*\""},
		{name: "bucket: unknown Principal type", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), want: "unknown Principal type"},
		{name: "bucket: wildcard Principal ARN", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), want: "wildcards"},
		{name: "bucket: bad Principal", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), want: "not \"*\", an account id"},
		{name: "bucket: Resource *", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), want: "not accepted in a bucket policy"},
		{name: "bucket: other bucket", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}`), want: "does not name bucket"},
		{name: "bucket: not S3", bucket: true, doc: bucketStmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:iam::1:user/x"}`), want: "not an S3 ARN"},
		{name: "bucket: too big", bucket: true, doc: big, want: "limit is 20480"},
		{name: "identity: padded", doc: doc(allowAll("s3:*", "*")) + strings.Repeat(" ", 8*MaxIdentityPolicySize), want: "bytes, the limit is"},
		{name: "identity: too big", doc: doc(allowAll("s3:*", "arn:aws:s3:::b/"+strings.Repeat("k", MaxIdentityPolicySize))), want: "limit is 6144"},
	}
	for _, c := range cases {
		var err error
		if c.bucket {
			_, err = ParseBucket("b", []byte(c.doc))
		} else {
			_, err = ParseIdentity("p", []byte(c.doc))
		}
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want MalformedPolicy containing %q", c.name, err, c.want)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	// A single statement object, Id, a numeric/boolean condition value,
	// every Principal form, a missing Version (2008).
	p, err := ParseBucket("photos", []byte(`{"Id":"P1","Statement":{"Sid":"S","Effect":"Allow",
		"Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::1:user/a/b"],"Service":"logging.s3.amazonaws.com","CanonicalUser":"abc"},
		"Action":"s3:GetObject","Resource":["arn:aws:s3:::photos/*","arn:aws:s3:::photo?","arn:aws:s3:::*/x"],
		"Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"ForAllValues:StringLikeIfExists":{"s3:prefix":"a*"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "bucket/photos" || p.ID != "P1" || p.Version != Version2008 || len(p.Statements) != 1 || p.Statements[0].Sid != "S" || p.Statements[0].Effect != Allow {
		t.Fatalf("parsed %+v", p)
	}
	if got := strings.Join(p.keys, ","); got != "aws:securetransport,s3:max-keys,s3:prefix" {
		t.Fatalf("condition keys %q", got)
	}
	q, err := ParseIdentity("", []byte(`{"Version":"2012-10-17","Id":"ro","Statement":[`+allowAll("rustfs:Admin*", "*")+`,`+allowAll("iam:*", "*")+`,`+allowAll("*", "*")+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "ro" {
		t.Fatalf("Name %q, want the Id", q.Name)
	}
	if p.Hash() == q.Hash() {
		t.Fatal("different documents hash the same")
	}
	// Exactly at the bucket size limit is accepted.
	pad := MaxBucketPolicySize - len(doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/"}`))
	if _, err := ParseBucket("b", []byte(doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/`+strings.Repeat("k", pad)+`"}`))); err != nil {
		t.Fatalf("policy of exactly %d bytes: %v", MaxBucketPolicySize, err)
	}
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		p, s      string
		fold, esc bool
		want      bool
	}{
		{"", "", false, false, true},
		{"*", "", false, false, true},
		{"a*b*c", "axxbyyc", false, false, true},
		{"a*b*c", "axxbyy", false, false, false},
		{"a?c", "abc", false, false, true},
		{"a?c", "ac", false, false, false},
		{"a?c", "aéc", false, false, true},
		{"S3:GET*", "s3:GetObject", true, false, true},
		{"S3:GET*", "s3:GetObject", false, false, false},
		{`a\*`, "a*", false, true, true},
		{`a\*`, "ab", false, true, false},
		{`a\\`, `a\`, false, true, true},
		{`a\*`, `a\x`, false, false, true},
		{"*a*a*a*a*b", strings.Repeat("a", 200), false, false, false},
	}
	for _, c := range cases {
		if got := globMatch(c.p, c.s, c.fold, c.esc); got != c.want {
			t.Errorf("globMatch(%q, %q, fold=%v, esc=%v) = %v", c.p, c.s, c.fold, c.esc, got)
		}
	}
}
