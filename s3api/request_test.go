package s3api

import (
	"net/http"
	"reflect"
	"testing"
)

func TestSplitRequestURI(t *testing.T) {
	cases := []struct{ in, path, query string }{
		{"/b/k?x=1&y", "/b/k", "x=1&y"},
		{"/b/k", "/b/k", ""},
		{"/b/k%3Fq?a", "/b/k%3Fq", "a"},
		{"http://host:9000/b/k?q=1", "/b/k", "q=1"},
		{"https://host", "/", ""},
		{"http://host?uploads", "/", "uploads"},
		{"*", "*", ""},
	}
	for _, c := range cases {
		p, q := splitRequestURI([]byte(c.in))
		if p != c.path || q != c.query {
			t.Errorf("%q → %q %q, want %q %q", c.in, p, q, c.path, c.query)
		}
	}
}

func TestHeaderList(t *testing.T) {
	var l headerList
	l.parse([]byte("Host: h\r\nX-Amz-Meta-A: 1\r\nx-amz-meta-a:  2 \r\nbroken line\r\n: empty\r\nContent-Length: 5\r\n"))
	if v, ok := l.get("x-amz-meta-a"); !ok || v != "1,2" {
		t.Errorf("joined duplicate = %q %v", v, ok)
	}
	if !reflect.DeepEqual(l.names, []string{"host", "x-amz-meta-a", "content-length"}) {
		t.Errorf("names %v", l.names)
	}
	if _, ok := l.get("missing"); ok || l.has("broken line") {
		t.Error("phantom header")
	}
	l.parse([]byte("A: b"))
	if l.value("a") != "b" || len(l.h) != 1 {
		t.Error("reuse after parse")
	}
}

func TestCompleteDeclaredChecksumAndSize(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, c := range []struct {
		hdr  [2]string
		code string
	}{
		{[2]string{"x-amz-checksum-crc32", checksumOf("crc32", []byte("other"))}, "BadDigest"},
		{[2]string{"x-amz-mp-object-size", "99"}, "InvalidRequest"},
		{[2]string{"x-amz-mp-object-size", "-1"}, "InvalidArgument"},
		{[2]string{"If-None-Match", `"an-etag"`}, "NotImplemented"}, // writes take only *
	} {
		id := createUpload(t, e, "/bkt/k", [2]string{"x-amz-checksum-algorithm", "CRC32"}, [2]string{"x-amz-checksum-type", "FULL_OBJECT"})
		up := e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1&uploadId=" + id, body: []byte("data")})
		got := e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploadId=" + id, hdr: [][2]string{c.hdr},
			body: completeXML([2]string{"1", up.hdr.Get("ETag")})})
		if got.code() != c.code {
			t.Errorf("%v: %d %s", c.hdr, got.status, got.body)
		}
	}
	id := createUpload(t, e, "/bkt/k2", [2]string{"x-amz-checksum-algorithm", "CRC32"}, [2]string{"x-amz-checksum-type", "FULL_OBJECT"})
	up := e.do(req{method: http.MethodPut, path: "/bkt/k2", query: "partNumber=1&uploadId=" + id, body: []byte("data")})
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/k2", query: "uploadId=" + id,
		hdr:  [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", []byte("data"))}, {"x-amz-mp-object-size", "4"}},
		body: completeXML([2]string{"1", up.hdr.Get("ETag")})}), 200, "")
}

func TestStripAWSChunked(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"gzip":                       "gzip",
		"deflate, gzip":              "deflate, gzip",
		"aws-chunked":                "",
		"aws-chunked,deflate, gzip":  "deflate, gzip",
		"AWS-Chunked, gzip":          "gzip",
		"deflate, aws-chunked,  br":  "deflate,  br",
		"x-custom;q=1 , aws-chunked": "x-custom;q=1 ",
	} {
		if got := stripAWSChunked(in); got != want {
			t.Errorf("stripAWSChunked(%q) = %q, want %q", in, got, want)
		}
	}
}
