package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

func taggingXML(pairs ...string) []byte {
	var b strings.Builder
	b.WriteString(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>`)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(&b, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", pairs[i], pairs[i+1])
	}
	b.WriteString(`</TagSet></Tagging>`)
	return []byte(b.String())
}

func tg(k, v string) object.Tag { return object.Tag{Key: k, Value: v} }

func manyTags(n int) []string {
	var p []string
	for i := range n {
		p = append(p, fmt.Sprintf("k%d", i), "v")
	}
	return p
}

func TestParseTagging(t *testing.T) {
	for _, c := range []struct {
		name string
		body []byte
		max  int
		want []object.Tag
		code string
	}{
		{"two", taggingXML("a", "1", "b", ""), 10, []object.Tag{tg("a", "1"), tg("b", "")}, ""},
		{"empty set", taggingXML(), 10, []object.Tag{}, ""},
		{"unicode", taggingXML("ключ", "значение"), 10, []object.Tag{tg("ключ", "значение")}, ""},
		{"control char by reference", taggingXML("k", "a&#x1;b"), 10, []object.Tag{tg("k", "a\x01b")}, ""},
		{"ten objects", taggingXML(manyTags(10)...), 10, nil, ""},
		{"eleven objects", taggingXML(manyTags(11)...), 10, nil, s3err.InvalidTag},
		{"fifty bucket", taggingXML(manyTags(50)...), 50, nil, ""},
		{"fifty-one bucket", taggingXML(manyTags(51)...), 50, nil, s3err.InvalidTag},
		{"duplicate", taggingXML("a", "1", "a", "2"), 10, nil, s3err.InvalidTag},
		{"aws prefix", taggingXML("aws:x", "1"), 10, nil, s3err.InvalidTag},
		{"AWS prefix", taggingXML("AWS:x", "1"), 10, nil, s3err.InvalidTag},
		{"empty key", taggingXML("", "1"), 10, nil, s3err.InvalidTag},
		{"key 128", taggingXML(strings.Repeat("é", 128), "1"), 10, nil, ""},
		{"key 129", taggingXML(strings.Repeat("é", 129), "1"), 10, nil, s3err.InvalidTag},
		{"value 256", taggingXML("k", strings.Repeat("ü", 256)), 10, nil, ""},
		{"value 257", taggingXML("k", strings.Repeat("ü", 257)), 10, nil, s3err.InvalidTag},
		{"no TagSet", []byte(`<Tagging></Tagging>`), 10, nil, s3err.MalformedXML},
		{"no Value", []byte(`<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>`), 10, nil, s3err.MalformedXML},
		{"no Key", []byte(`<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>`), 10, nil, s3err.MalformedXML},
		{"wrong root", []byte(`<Tags><TagSet/></Tags>`), 10, nil, s3err.MalformedXML},
		{"trailing element", append(taggingXML(), "<x/>"...), 10, nil, s3err.MalformedXML},
		{"not xml", []byte(`a=b`), 10, nil, s3err.MalformedXML},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseTagging(c.body, c.max)
			if c.code != "" {
				if codeOf(err) != c.code {
					t.Fatalf("err %v, want %s", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want != nil && !slices.Equal(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestInvalidTagMessage(t *testing.T) {
	_, err := parseTagging(taggingXML("aws:x", "1"), 10)
	var e *s3err.Error
	if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(e.Message, "aws:") || strings.Contains(e.Message, "object:") {
		t.Fatalf("%#v", err)
	}
}

func TestParseTaggingHeader(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []object.Tag
		code string
	}{
		{"", nil, ""},
		{"a=1", []object.Tag{tg("a", "1")}, ""},
		{"a=1&b=2", []object.Tag{tg("a", "1"), tg("b", "2")}, ""},
		{"a", []object.Tag{tg("a", "")}, ""},
		{"a=&b", []object.Tag{tg("a", ""), tg("b", "")}, ""},
		{"a%20b=c+d&e=%E2%82%AC", []object.Tag{tg("a b", "c d"), tg("e", "€")}, ""},
		{"&&a=1&", []object.Tag{tg("a", "1")}, ""},
		{"a=1=2", []object.Tag{tg("a", "1=2")}, ""},
		{"a=%zz", nil, s3err.InvalidArgument},
		{"%=1", nil, s3err.InvalidArgument},
		{"a=1&a=2", nil, s3err.InvalidTag},
		{"aws:k=1", nil, s3err.InvalidTag},
		{"=1", nil, s3err.InvalidTag},
		{"a=%FF", nil, s3err.InvalidTag},
		{strings.Repeat("x", 129) + "=1", nil, s3err.InvalidTag},
		{"k=" + strings.Repeat("v", 257), nil, s3err.InvalidTag},
		{strings.Join(func() []string {
			var p []string
			for i := range 11 {
				p = append(p, fmt.Sprintf("k%d=v", i))
			}
			return p
		}(), "&"), nil, s3err.InvalidTag},
	} {
		got, err := parseTaggingHeader(c.in)
		if c.code != "" {
			if codeOf(err) != c.code {
				t.Errorf("%q: err %v, want %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q %v, want %q", c.in, got, err, c.want)
		}
	}
}

// checkTagSet asserts what any accepted tag set must satisfy.
func checkTagSet(t *testing.T, tags []object.Tag, max int) {
	if err := object.ValidateTags(tags, max); err != nil {
		t.Fatalf("accepted tags %q fail validation: %v", tags, err)
	}
}

func FuzzParseTagging(f *testing.F) {
	f.Add(taggingXML("a", "1", "b", ""))
	f.Add(taggingXML("k", "a&#x1;b"))
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>`))
	f.Add(taggingXML(manyTags(11)...))
	f.Fuzz(func(t *testing.T, body []byte) {
		tags, err := parseTagging(body, object.MaxObjectTags)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("error without an S3 code: %v", err)
			}
			return
		}
		checkTagSet(t, tags, object.MaxObjectTags)
		// What GetObjectTagging would send parses back to the same set
		// (characters XML cannot carry excepted).
		out, err := xml.Marshal(newTaggingDoc(tags))
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseTagging(out, object.MaxObjectTags)
		if err != nil {
			t.Fatalf("answer %s does not parse: %v", out, err)
		}
		if len(again) != len(tags) {
			t.Fatalf("round trip %q -> %q", tags, again)
		}
	})
}

func FuzzParseTaggingHeader(f *testing.F) {
	for _, s := range []string{"", "a=1&b=2", "a%20b=c+d", "a=1&a=2", "a=%zz", "aws:k=v", "&&=&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tags, err := parseTaggingHeader(v)
		if err != nil {
			if c := codeOf(err); c != s3err.InvalidTag && c != s3err.InvalidArgument {
				t.Fatalf("code %q: %v", c, err)
			}
			return
		}
		checkTagSet(t, tags, object.MaxObjectTags)
	})
}

func tagReq(method, path, query string, body []byte) req {
	r := req{method: method, path: path, query: query, body: body}
	if body != nil {
		r.hdr = [][2]string{md5Header(body)}
	}
	return r
}

func TestObjectTaggingRoutes(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	mustStatus(t, e.put("/bkt/k", []byte("data"), [2]string{"x-amz-tagging", "a=1&b=two%20words"}), 200, "")

	head := e.do(req{method: http.MethodHead, path: "/bkt/k"})
	mustStatus(t, head, 200, "")
	if head.hdr.Get("x-amz-tagging-count") != "2" {
		t.Fatalf("HEAD tag count %q", head.hdr.Get("x-amz-tagging-count"))
	}
	got := e.do(req{path: "/bkt/k", query: "tagging"})
	mustStatus(t, got, 200, "")
	if !strings.Contains(string(got.body), "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>two words</Value></Tag></TagSet></Tagging>") {
		t.Fatalf("GetObjectTagging %s", got.body)
	}
	// GET ?tagging must not be GetObject.
	if strings.Contains(string(got.body), "data") {
		t.Fatal("GET ?tagging returned the object")
	}

	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt/k", "tagging", taggingXML("c", "3"))), 200, "")
	got = e.do(req{path: "/bkt/k", query: "tagging"})
	if !strings.Contains(string(got.body), "<Key>c</Key><Value>3</Value>") || strings.Contains(string(got.body), "<Key>a</Key>") {
		t.Fatalf("after PutObjectTagging %s", got.body)
	}
	obj := e.do(req{path: "/bkt/k"})
	if string(obj.body) != "data" || obj.hdr.Get("x-amz-tagging-count") != "1" {
		t.Fatalf("GET after PutObjectTagging: %q count %q", obj.body, obj.hdr.Get("x-amz-tagging-count"))
	}

	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt/k", "tagging", taggingXML(manyTags(11)...))), 400, "InvalidTag")
	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt/k", "tagging", taggingXML("aws:x", "1"))), 400, "InvalidTag")
	bad := tagReq(http.MethodPut, "/bkt/k", "tagging", taggingXML("c", "3"))
	bad.hdr = [][2]string{md5Header([]byte("other"))}
	mustStatus(t, e.do(bad), 400, "BadDigest")
	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt/none", "tagging", taggingXML("c", "3"))), 404, "NoSuchKey")
	mustStatus(t, e.do(req{path: "/bkt/none", query: "tagging"}), 404, "NoSuchKey")

	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/k", query: "tagging"}), 204, "")
	got = e.do(req{path: "/bkt/k", query: "tagging"})
	mustStatus(t, got, 200, "")
	if !strings.Contains(string(got.body), "<TagSet></TagSet>") {
		t.Fatalf("untagged object: %s", got.body)
	}
	if e.layer.buckets["bkt"].objects["k"] == nil {
		t.Fatal("DELETE ?tagging deleted the object")
	}
	head = e.do(req{method: http.MethodHead, path: "/bkt/k"})
	if _, ok := head.hdr["X-Amz-Tagging-Count"]; ok {
		t.Fatalf("untagged object has a tag count: %s", head.raw)
	}

	// CopyObject: an unknown tagging directive, or REPLACE with tags over
	// the limits, is refused before anything is copied.
	cp := func(hdr ...[2]string) *resp {
		return e.do(req{method: http.MethodPut, path: "/bkt/copy", hdr: append([][2]string{{"x-amz-copy-source", "/bkt/k"}}, hdr...)})
	}
	mustStatus(t, cp([2]string{"x-amz-tagging-directive", "MERGE"}), 400, "InvalidArgument")
	mustStatus(t, cp([2]string{"x-amz-tagging-directive", "REPLACE"}, [2]string{"x-amz-tagging", "aws:a=1"}), 400, "InvalidTag")
	if e.layer.buckets["bkt"].objects["copy"] != nil {
		t.Fatal("refused copy stored an object")
	}
	mustStatus(t, cp([2]string{"x-amz-tagging-directive", "REPLACE"}, [2]string{"x-amz-tagging", "a=1"}), 200, "")

	// The header is validated before the body is stored.
	mustStatus(t, e.put("/bkt/k2", []byte("x"), [2]string{"x-amz-tagging", "a=1&a=2"}), 400, "InvalidTag")
	mustStatus(t, e.put("/bkt/k2", []byte("x"), [2]string{"x-amz-tagging", "a=%zz"}), 400, "InvalidArgument")
	if e.layer.buckets["bkt"].objects["k2"] != nil {
		t.Fatal("object stored despite invalid tags")
	}
}

func TestBucketTaggingRoutes(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	mustStatus(t, e.do(req{path: "/bkt", query: "tagging"}), 404, "NoSuchTagSet")
	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt", "tagging", taggingXML(manyTags(50)...))), 204, "")
	got := e.do(req{path: "/bkt", query: "tagging"})
	mustStatus(t, got, 200, "")
	var doc taggingDoc
	if err := xml.Unmarshal(got.body, &doc); err != nil || len(doc.TagSet.Tags) != 50 {
		t.Fatalf("GetBucketTagging: %v %s", err, got.body)
	}
	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt", "tagging", taggingXML(manyTags(51)...))), 400, "InvalidTag")
	mustStatus(t, e.do(tagReq(http.MethodPut, "/nobkt", "tagging", taggingXML("a", "1"))), 404, "NoSuchBucket")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt", query: "tagging"}), 204, "")
	mustStatus(t, e.do(req{path: "/bkt", query: "tagging"}), 404, "NoSuchTagSet")
	if e.layer.buckets["bkt"] == nil {
		t.Fatal("DELETE ?tagging deleted the bucket")
	}
}

// TestTaggingActions: each tagging operation needs its own permission,
// as in S3 (DeleteBucketTagging needs s3:PutBucketTagging).
func TestTaggingActions(t *testing.T) {
	for op, action := range map[*operation]string{
		opGetObjectTagging: "s3:GetObjectTagging", opPutObjectTagging: "s3:PutObjectTagging",
		opDeleteObjectTagging: "s3:DeleteObjectTagging", opGetBucketTagging: "s3:GetBucketTagging",
		opPutBucketTagging: "s3:PutBucketTagging", opDeleteBucketTagging: "s3:PutBucketTagging",
	} {
		if string(op.action) != action {
			t.Errorf("%s needs %s, want %s", op.name, op.action, action)
		}
	}
}

// TestTagPolicyConditions: a bucket policy grants anonymous reads of
// objects tagged public=yes (s3:ExistingObjectTag), anonymous uploads
// only with team=a (s3:RequestObjectTag on x-amz-tagging) and anonymous
// PutObjectTagging only with exactly the keys [team] (s3:RequestObjectTagKeys).
func TestTagPolicyConditions(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	mustStatus(t, e.putPolicy(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::bkt/*",
  "Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}},
 {"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
  "Condition":{"StringEquals":{"s3:RequestObjectTag/team":"a"}}},
 {"Effect":"Allow","Principal":"*","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::bkt/*",
  "Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","public"]},"StringEquals":{"s3:RequestObjectTag/team":"a"}}}]}`), 204, "")
	mustStatus(t, e.put("/bkt/open", []byte("o"), [2]string{"x-amz-tagging", "public=yes"}), 200, "")
	mustStatus(t, e.put("/bkt/closed", []byte("c"), [2]string{"x-amz-tagging", "public=no"}), 200, "")
	mustStatus(t, e.put("/bkt/plain", []byte("p")), 200, "")

	anon := func(r req) *resp { r.auth = authNone; return e.do(r) }
	mustStatus(t, anon(req{path: "/bkt/open"}), 200, "")
	mustStatus(t, anon(req{path: "/bkt/open", query: "tagging"}), 200, "")
	mustStatus(t, anon(req{path: "/bkt/closed"}), 403, "AccessDenied")
	mustStatus(t, anon(req{path: "/bkt/plain"}), 403, "AccessDenied")

	up := func(tags string) *resp {
		r := req{method: http.MethodPut, path: "/bkt/up", body: []byte("u")}
		if tags != "" {
			r.hdr = [][2]string{{"x-amz-tagging", tags}}
		}
		return anon(r)
	}
	mustStatus(t, up("team=a"), 200, "")
	mustStatus(t, up("team=b"), 403, "AccessDenied")
	mustStatus(t, up(""), 403, "AccessDenied")

	put := func(body []byte) *resp { return anon(tagReq(http.MethodPut, "/bkt/plain", "tagging", body)) }
	mustStatus(t, put(taggingXML("team", "a")), 200, "")
	mustStatus(t, put(taggingXML("team", "a", "public", "yes")), 200, "")
	mustStatus(t, put(taggingXML("team", "a", "other", "x")), 403, "AccessDenied")
	mustStatus(t, put(taggingXML("team", "b")), 403, "AccessDenied")
	// Now public=yes: readable.
	mustStatus(t, anon(req{path: "/bkt/plain"}), 200, "")
}
