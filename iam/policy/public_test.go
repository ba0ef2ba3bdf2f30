package policy

import "testing"

func TestIsPublic(t *testing.T) {
	const res = `"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
	cases := []struct {
		name, stmt string
		want       bool
	}{
		{"Principal *", `{"Effect":"Allow","Principal":"*",` + res + `}`, true},
		{"AWS *", `{"Effect":"Allow","Principal":{"AWS":["*"]},` + res + `}`, true},
		{"deny *", `{"Effect":"Deny","Principal":"*",` + res + `}`, false},
		{"named account", `{"Effect":"Allow","Principal":{"AWS":"123456789012"},` + res + `}`, false},
		{"source IP pinned", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.40.0/22"}}}`, false},
		{"source IP too wide", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","0.0.0.0/0"]}}}`, true},
		{"IPv6 /16 too wide", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"IpAddress":{"aws:SourceIp":"2001::/16"}}}`, true},
		{"NotIpAddress does not restrict", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, true},
		{"principal account pinned", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}`, false},
		{"source VPC pinned", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}`, false},
		{"IfExists does not restrict", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"123456789012"}}}`, true},
		{"ForAllValues does not restrict", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"ForAllValues:StringEquals":{"aws:PrincipalAccount":"123456789012"}}}`, true},
		{"wildcard does not restrict", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}}`, true},
		{"other keys do not restrict", `{"Effect":"Allow","Principal":"*",` + res + `,"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:Referer":"https://x"}}}`, true},
	}
	for _, c := range cases {
		p, err := ParseBucket("b", []byte(doc(c.stmt)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := IsPublic(p); got != c.want {
			t.Errorf("%s: IsPublic = %v, want %v", c.name, got, c.want)
		}
	}
	if IsPublic(nil) {
		t.Error("IsPublic(nil)")
	}
}
