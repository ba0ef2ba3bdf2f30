package s3api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/s3err"
)

func TestParseDeleteRequest(t *testing.T) {
	cases := []struct {
		in    string
		quiet bool
		keys  []string
		code  string
	}{
		{`<Delete><Object><Key>a</Key></Object></Delete>`, false, []string{"a"}, ""},
		{`<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a b</Key><VersionId>null</VersionId></Object><Object><Key>&lt;x&gt;</Key></Object></Delete>`, true, []string{"a b", "<x>"}, ""},
		{"<Delete>\n  <Object><Key></Key></Object>\n</Delete>\n<!-- trailing comment -->\n", false, []string{""}, ""},
		{`<Delete><Object><Key>a</Key></Object></Delete><Delete/>`, false, nil, s3err.MalformedXML},
		{`<Delete><Object><Key>a</Key></Object></Delete>junk`, false, nil, s3err.MalformedXML},
		{`<Delete></Delete>`, false, nil, s3err.MalformedXML},
		{`<Delete><Object><VersionId>1</VersionId></Object></Delete>`, false, nil, s3err.MalformedXML},
		{`<Other><Object><Key>a</Key></Object></Other>`, false, nil, s3err.MalformedXML},
		{`<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>`, false, nil, s3err.MalformedXML},
		{`<Delete><Object><Key>a</Key></Object>`, false, nil, s3err.MalformedXML},
		{``, false, nil, s3err.MalformedXML},
		{`<!DOCTYPE x [<!ENTITY e "boom">]><Delete><Object><Key>&e;</Key></Object></Delete>`, false, nil, s3err.MalformedXML},
		// Keys with characters XML 1.0 cannot hold, raw (as boto3 sends
		// them) or as character references, come through exactly; so do a
		// raw CR (XML would read it as LF) and a private-use character
		// (the escape marker must avoid it).
		{"<Delete><Object><Key>a\x01b\rc\x1f</Key></Object></Delete>", false, []string{"a\x01b\rc\x1f"}, ""},
		{`<Delete><Object><Key>a&#x1;b&#13;&#0;&#xFFFE;</Key></Object></Delete>`, false, []string{"a\x01b\r\x00\uFFFE"}, ""},
		{"<Delete><Object><Key>\uE000\x02</Key></Object><Object><Key>&#x41;\t\n</Key></Object></Delete>", false, []string{"\uE000\x02", "A\t\n"}, ""},
		// A stray control character between elements is character data
		// the document ignores, like whitespace.
		{"<Delete><Object><Key>a</Key></Object>\x01</Delete>", false, []string{"a"}, ""},
	}
	for _, c := range cases {
		got, err := parseDeleteRequest([]byte(c.in))
		if c.code != "" {
			if codeOf(err) != c.code {
				t.Errorf("%q: err %v, want %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got.Quiet != c.quiet || len(got.Objects) != len(c.keys) {
			t.Errorf("%q: %+v", c.in, got)
			continue
		}
		for i, k := range c.keys {
			if got.Objects[i].Key != k {
				t.Errorf("%q: key %d = %q, want %q", c.in, i, got.Objects[i].Key, k)
			}
		}
	}
	var b strings.Builder
	b.WriteString("<Delete>")
	for i := 0; i < maxDeleteObjects; i++ {
		fmt.Fprintf(&b, "<Object><Key>%d</Key></Object>", i)
	}
	ok := b.String() + "</Delete>"
	if _, err := parseDeleteRequest([]byte(ok)); err != nil {
		t.Errorf("1000 objects: %v", err)
	}
	tooMany := b.String() + "<Object><Key>x</Key></Object></Delete>"
	if _, err := parseDeleteRequest([]byte(tooMany)); codeOf(err) != s3err.MalformedXML {
		t.Errorf("1001 objects: %v", err)
	}
}

func TestParseCompleteRequest(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		code string
	}{
		{`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>`, 1, ""},
		{`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;a&quot;</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>3</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>`, 2, ""},
		{`<CompleteMultipartUpload></CompleteMultipartUpload>`, 0, s3err.MalformedXML},
		{`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`, 0, s3err.MalformedXML},
		{`<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>`, 0, s3err.MalformedXML},
		{`<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`, 0, s3err.MalformedXML},
		{`<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`, 0, s3err.InvalidArgument},
		{`<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`, 0, s3err.InvalidArgument},
		{`<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`, 0, s3err.MalformedXML},
		{`<Complete><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Complete>`, 0, s3err.MalformedXML},
	}
	for _, c := range cases {
		parts, err := parseCompleteRequest([]byte(c.in))
		if c.code != "" {
			if codeOf(err) != c.code {
				t.Errorf("%q: err %v, want %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil || len(parts) != c.n {
			t.Errorf("%q: %v %+v", c.in, err, parts)
		}
	}
	parts, _ := parseCompleteRequest([]byte(cases[1].in))
	if parts[0].PartNumber != 2 || parts[0].ETag != "a" || parts[0].Checksums["crc32"] != "AAAAAA==" || parts[1].ETag != "b" || parts[1].Checksums != nil {
		t.Errorf("fields: %+v", parts)
	}
}

func TestParseCreateBucketConfiguration(t *testing.T) {
	cases := []struct {
		in, loc, code string
	}{
		{"", "", ""},
		{"  \n", "", ""},
		{`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`, "eu-west-1", ""},
		{`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`, "", ""},
		{`<CreateBucketConfiguration><LocationConstraint> us-east-1 </LocationConstraint></CreateBucketConfiguration>`, "us-east-1", ""},
		{`<CreateBucketConfiguration>`, "", s3err.MalformedXML},
		{`<Bucket/>`, "", s3err.MalformedXML},
	}
	for _, c := range cases {
		loc, err := parseCreateBucketConfiguration([]byte(c.in))
		if codeOf(err) != c.code || (c.code == "" && (err != nil || loc != c.loc)) {
			t.Errorf("%q: %q %v", c.in, loc, err)
		}
	}
}

func FuzzParseDeleteRequest(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>&amp;&#x41;</Key></Object></Delete><!--x-->`))
	f.Add([]byte(`<Delete><Object></Object></Delete>`))
	f.Add([]byte("<Delete><Object><Key>\uE000\x01&#x1f;&#65534;\r</Key></Object></Delete>"))
	f.Add([]byte(`<?xml version="1.0"?><Delete xmlns="x"><Object><Key><![CDATA[k]]></Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseDeleteRequest(data)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("error without an S3 code: %v", err)
			}
			return
		}
		if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
			t.Fatalf("accepted %d objects", len(req.Objects))
		}
	})
}

func FuzzParseCompleteRequest(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e"</ETag><ChecksumSHA256>x</ChecksumSHA256></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag></ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := parseCompleteRequest(data)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("error without an S3 code: %v", err)
			}
			return
		}
		if len(parts) == 0 || len(parts) > maxPartNumber {
			t.Fatalf("accepted %d parts", len(parts))
		}
		for _, p := range parts {
			if p.PartNumber < 1 || p.PartNumber > maxPartNumber {
				t.Fatalf("accepted part number %d", p.PartNumber)
			}
		}
	})
}

func FuzzParseCreateBucketConfiguration(f *testing.F) {
	f.Add([]byte(`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	f.Add([]byte(``))
	f.Add([]byte(`<CreateBucketConfiguration><Location><Name>x</Name></Location></CreateBucketConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := parseCreateBucketConfiguration(data); err != nil && codeOf(err) == "" {
			t.Fatalf("error without an S3 code: %v", err)
		}
	})
}

// FuzzParseCopySource checks the x-amz-copy-source parser never accepts an
// empty bucket or key.
func FuzzParseCopySource(f *testing.F) {
	for _, s := range []string{"/b/k", "b/k?versionId=1", "%2Fb%2Fk", "/b/", "b", "/b/k%3Fq", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, k, _, err := parseCopySource(s)
		if err == nil && (b == "" || k == "" || strings.Contains(b, "/")) {
			t.Fatalf("%q → %q %q", s, b, k)
		}
	})
}

func TestParseCopySource(t *testing.T) {
	cases := []struct{ in, b, k string }{
		{"/bkt/key", "bkt", "key"},
		{"bkt/a/b%20c", "bkt", "a/b c"},
		{"bkt/k%3Fx?versionId=abc", "bkt", "k?x"},
		{"/bkt/k+plus", "bkt", "k+plus"},
		{"/bkt", "", ""},
		{"/bkt/", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		b, k, _, err := parseCopySource(c.in)
		if b != c.b || k != c.k || (c.b == "") != (err != nil) {
			t.Errorf("%q: %q %q %v", c.in, b, k, err)
		}
	}
}
