package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type v2doc struct {
	Name                  string
	Prefix                string
	KeyCount              int
	MaxKeys               int
	IsTruncated           bool
	ContinuationToken     string
	NextContinuationToken string
	StartAfter            string
	EncodingType          string
	Contents              []struct {
		Key          string
		ETag         string
		Size         int64
		StorageClass string
		Owner        *struct{ ID string }
	}
	CommonPrefixes []struct{ Prefix string }
}

func listV2(t *testing.T, e *testEnv, query string) v2doc {
	t.Helper()
	got := e.do(req{path: "/bkt", query: "list-type=2&" + query})
	mustStatus(t, got, 200, "")
	var d v2doc
	if err := xml.Unmarshal(got.body, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestListObjectsV2(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, k := range []string{"a/1", "a/2", "b/1", "c", "d e+f"} {
		e.put("/bkt/"+url.PathEscape(k), []byte(k))
	}
	d := listV2(t, e, "")
	if d.KeyCount != 5 || d.IsTruncated || d.MaxKeys != 1000 || d.Contents[0].Key != "a/1" {
		t.Errorf("full list: %+v", d)
	}
	if d.Contents[0].ETag == "" || d.Contents[0].ETag[0] != '"' || d.Contents[0].StorageClass != "STANDARD" || d.Contents[0].Owner != nil {
		t.Errorf("item: %+v", d.Contents[0])
	}
	d = listV2(t, e, "delimiter=%2F")
	if len(d.CommonPrefixes) != 2 || d.CommonPrefixes[0].Prefix != "a/" || len(d.Contents) != 2 || d.KeyCount != 4 {
		t.Errorf("delimited: %+v", d)
	}
	// Paging with opaque continuation tokens.
	var keys []string
	token := ""
	for i := 0; i < 10; i++ {
		q := "max-keys=2"
		if token != "" {
			q += "&continuation-token=" + url.QueryEscape(token)
		}
		d = listV2(t, e, q)
		if token != "" && d.ContinuationToken != token {
			t.Errorf("token not echoed: %q", d.ContinuationToken)
		}
		for _, c := range d.Contents {
			keys = append(keys, c.Key)
		}
		if !d.IsTruncated {
			break
		}
		token = d.NextContinuationToken
		if token == "" {
			t.Fatal("truncated page without a token")
		}
	}
	if fmt.Sprint(keys) != "[a/1 a/2 b/1 c d e+f]" {
		t.Errorf("paged keys %v", keys)
	}
	d = listV2(t, e, "start-after=b%2F1&fetch-owner=true")
	if len(d.Contents) != 2 || d.Contents[0].Key != "c" || d.StartAfter != "b/1" || d.Contents[0].Owner == nil || d.Contents[0].Owner.ID != "root" {
		t.Errorf("start-after/fetch-owner: %+v", d)
	}
	d = listV2(t, e, "encoding-type=url&prefix=d")
	if d.EncodingType != "url" || len(d.Contents) != 1 || d.Contents[0].Key != "d%20e%2Bf" {
		t.Errorf("url encoding: %+v", d)
	}
	d = listV2(t, e, "max-keys=0")
	if d.KeyCount != 0 || d.IsTruncated {
		t.Errorf("max-keys=0: %+v", d)
	}
	mustStatus(t, e.do(req{path: "/bkt", query: "list-type=2&continuation-token=%21%21"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt", query: "list-type=2&encoding-type=base64"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt", query: "list-type=2&max-keys=-1"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt", query: "list-type=3"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/nobkt", query: "list-type=2"}), 404, "NoSuchBucket")
	mustStatus(t, e.do(req{path: "/nobkt", query: "list-type=2&max-keys=0"}), 404, "NoSuchBucket")
}

func TestListObjectsV1(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, k := range []string{"a/1", "a/2", "b/1", "c"} {
		e.put("/bkt/"+k, []byte(k))
	}
	get := func(q string) (d struct {
		Marker, NextMarker string
		IsTruncated        bool
		Contents           []struct {
			Key   string
			Owner *struct{ ID string }
		}
		CommonPrefixes []struct{ Prefix string }
	}) {
		t.Helper()
		got := e.do(req{path: "/bkt", query: q})
		mustStatus(t, got, 200, "")
		if err := xml.Unmarshal(got.body, &d); err != nil {
			t.Fatal(err)
		}
		return
	}
	d := get("max-keys=2")
	if !d.IsTruncated || d.NextMarker != "" || len(d.Contents) != 2 || d.Contents[0].Owner == nil {
		t.Errorf("V1 without delimiter sends no NextMarker and includes Owner: %+v", d)
	}
	d = get("max-keys=2&marker=a%2F2")
	if d.Marker != "a/2" || d.Contents[0].Key != "b/1" {
		t.Errorf("marker: %+v", d)
	}
	d = get("delimiter=%2F&max-keys=1")
	if !d.IsTruncated || d.NextMarker != "a/" || len(d.CommonPrefixes) != 1 {
		t.Errorf("NextMarker with delimiter: %+v", d)
	}
	d = get("delimiter=%2F&marker=a%2F")
	if len(d.CommonPrefixes) != 1 || d.CommonPrefixes[0].Prefix != "b/" || d.Contents[0].Key != "c" {
		t.Errorf("continue after prefix: %+v", d)
	}
	mustStatus(t, e.do(req{method: http.MethodGet, path: "/bkt", query: "max-keys=abc"}), 400, "InvalidArgument")
}

// TestRepeatedQueryParameter: a parameter given twice means the same thing
// whatever order the client put it in: the least value, first in SigV4's
// canonical order, as the signature covered it.
func TestRepeatedQueryParameter(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, k := range []string{"a/1", "b/1"} {
		e.put("/bkt/"+k, []byte(k))
	}
	for _, q := range []string{"prefix=b&prefix=a", "prefix=a&prefix=b"} {
		d := listV2(t, e, q)
		if d.Prefix != "a" || len(d.Contents) != 1 || d.Contents[0].Key != "a/1" {
			t.Errorf("%s: prefix %q, contents %+v", q, d.Prefix, d.Contents)
		}
	}
}

// TestControlCharacterKeys: keys holding control characters come back
// exactly: as numeric character references in a plain listing (as S3
// writes them) and as %XX with encoding-type=url; GET finds them again.
func TestControlCharacterKeys(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	keys := []string{"a\x01b", "tab\there", "cr\rlf\n", "amp&<lt>", "x\x1f\x7f"}
	for _, k := range keys {
		e.put("/bkt/"+url.PathEscape(k), []byte(k))
	}
	plain := e.do(req{path: "/bkt", query: "list-type=2"})
	mustStatus(t, plain, 200, "")
	for _, want := range []string{"<Key>a&#x1;b</Key>", "<Key>tab&#x9;here</Key>", "<Key>cr&#xd;lf&#xa;</Key>", "<Key>amp&amp;&lt;lt&gt;</Key>", "<Key>x&#x1f;\x7f</Key>"} {
		if !strings.Contains(string(plain.body), want) {
			t.Errorf("plain listing lacks %q:\n%s", want, plain.body)
		}
	}
	if strings.Contains(string(plain.body), "\uFFFD") {
		t.Errorf("plain listing replaced a character with U+FFFD:\n%s", plain.body)
	}
	d := listV2(t, e, "encoding-type=url")
	got := map[string]bool{}
	for _, c := range d.Contents {
		k, err := url.PathUnescape(c.Key)
		if err != nil {
			t.Fatalf("url-encoded key %q: %v", c.Key, err)
		}
		got[k] = true
	}
	for _, k := range keys {
		if !got[k] {
			t.Errorf("url-encoded listing lost %q (got %v)", k, got)
		}
		r := e.do(req{path: "/bkt/" + url.PathEscape(k)})
		mustStatus(t, r, 200, "")
		if string(r.body) != k {
			t.Errorf("GET %q = %q", k, r.body)
		}
	}
}

func TestEscapeKeyText(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"plain/key":          "plain/key",
		"é€😀":                "é€😀",
		"a&b":                "a&amp;b",
		"<>":                 "&lt;&gt;",
		"\x00\x01":           "&#x0;&#x1;",
		"\t\n\r":             "&#x9;&#xa;&#xd;",
		"\uFFFE\uFFFF\uFFFD": "&#xfffe;&#xffff;\uFFFD",
	} {
		if got := escapeKeyText(in); got != want {
			t.Errorf("escapeKeyText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestListV2EmptyContinuationToken: an empty continuation-token lists from
// the start and is echoed back (S3 and the s3-tests suite agree).
func TestListV2EmptyContinuationToken(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/a", []byte("a"))
	got := e.do(req{path: "/bkt", query: "list-type=2&continuation-token="})
	mustStatus(t, got, 200, "")
	if !strings.Contains(string(got.body), "<ContinuationToken></ContinuationToken>") || !strings.Contains(string(got.body), "<Key>a</Key>") {
		t.Fatalf("listing with an empty token: %s", got.body)
	}
	if plain := e.do(req{path: "/bkt", query: "list-type=2"}); strings.Contains(string(plain.body), "ContinuationToken") {
		t.Fatalf("listing without a token echoes one: %s", plain.body)
	}
	mustStatus(t, e.do(req{path: "/bkt", query: "list-type=2&continuation-token=%21%21"}), 400, "InvalidArgument")
}
