package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func TestPutGetHead(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	body := []byte("hello, encrypted world")
	sum := md5.Sum(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	put := e.put("/bkt/dir/obj.txt", body,
		[2]string{"Content-Type", "text/plain"},
		[2]string{"X-Amz-Meta-Color", "Blue"},
		[2]string{"x-amz-meta-Shape", "round"},
		[2]string{"Cache-Control", "no-cache"})
	mustStatus(t, put, 200, "")
	if put.hdr.Get("ETag") != etag {
		t.Errorf("PUT ETag %q, want %q", put.hdr.Get("ETag"), etag)
	}

	get := e.do(req{path: "/bkt/dir/obj.txt"})
	mustStatus(t, get, 200, "")
	if !bytes.Equal(get.body, body) {
		t.Fatalf("body %q", get.body)
	}
	for name, want := range map[string]string{
		"ETag": etag, "Content-Type": "text/plain", "Accept-Ranges": "bytes",
		"Cache-Control": "no-cache", "Content-Length": fmt.Sprint(len(body)),
		"Last-Modified": "Sat, 28 Nov 2026 12:00:00 GMT",
	} {
		if got := get.hdr.Get(name); got != want {
			t.Errorf("GET %s = %q, want %q", name, got, want)
		}
	}
	// boto3 compares user-metadata header names as sent: lower-case.
	for _, line := range []string{"\r\nx-amz-meta-color: Blue\r\n", "\r\nx-amz-meta-shape: round\r\n", "\r\nx-amz-request-id: "} {
		if !strings.Contains(get.raw, line) {
			t.Errorf("raw response lacks %q:\n%s", line, get.raw)
		}
	}
	if e.layer.lastPut.Meta.User["color"] != "Blue" || e.layer.lastPut.Owner != "root" {
		t.Errorf("layer got meta %+v owner %q", e.layer.lastPut.Meta, e.layer.lastPut.Owner)
	}

	head := e.do(req{method: http.MethodHead, path: "/bkt/dir/obj.txt"})
	mustStatus(t, head, 200, "")
	if head.hdr.Get("Content-Length") != fmt.Sprint(len(body)) || head.hdr.Get("ETag") != etag {
		t.Errorf("HEAD headers:\n%s", head.raw)
	}
	if len(head.body) != 0 {
		t.Error("HEAD sent a body")
	}

	mustStatus(t, e.do(req{path: "/bkt/missing"}), 404, "NoSuchKey")
	mustStatus(t, e.do(req{method: http.MethodHead, path: "/bkt/missing"}), 404, "")
	mustStatus(t, e.do(req{path: "/nobucket/k"}), 404, "NoSuchBucket")

	// Empty objects.
	mustStatus(t, e.put("/bkt/empty", []byte{}), 200, "")
	g := e.do(req{path: "/bkt/empty"})
	mustStatus(t, g, 200, "")
	if len(g.body) != 0 || g.hdr.Get("Content-Length") != "0" {
		t.Errorf("empty object: %q\n%s", g.body, g.raw)
	}
	if g.hdr.Get("Content-Type") != defaultContentType {
		t.Errorf("default content type %q", g.hdr.Get("Content-Type"))
	}

	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/dir/obj.txt"}), 204, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/dir/obj.txt"}), 204, "")
	mustStatus(t, e.do(req{path: "/bkt/dir/obj.txt"}), 404, "NoSuchKey")
}

func TestRangesAndConditions(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	body := []byte("0123456789")
	etag := e.put("/bkt/k", body).hdr.Get("ETag")
	cases := []struct {
		hdr        [2]string
		status     int
		want       string
		contentRng string
	}{
		{[2]string{"Range", "bytes=2-5"}, 206, "2345", "bytes 2-5/10"},
		{[2]string{"Range", "bytes=7-"}, 206, "789", "bytes 7-9/10"},
		{[2]string{"Range", "bytes=-3"}, 206, "789", "bytes 7-9/10"},
		{[2]string{"Range", "bytes=5-100"}, 206, "56789", "bytes 5-9/10"},
		{[2]string{"Range", "bytes=10-20"}, 416, "", "bytes */10"},
		{[2]string{"If-None-Match", etag}, 304, "", ""},
		{[2]string{"If-Match", `"deadbeef"`}, 412, "", ""},
		{[2]string{"If-Match", etag}, 200, "0123456789", ""},
		{[2]string{"If-Modified-Since", "Sat, 28 Nov 2026 12:00:00 GMT"}, 304, "", ""},
		{[2]string{"If-Unmodified-Since", "Fri, 27 Nov 2026 12:00:00 GMT"}, 412, "", ""},
		{[2]string{"If-Modified-Since", "not a date"}, 200, "0123456789", ""},
	}
	for _, c := range cases {
		got := e.do(req{path: "/bkt/k", hdr: [][2]string{c.hdr}})
		if got.status != c.status {
			t.Errorf("%v: status %d, want %d\n%s%s", c.hdr, got.status, c.status, got.raw, got.body)
			continue
		}
		if c.want != "" && string(got.body) != c.want {
			t.Errorf("%v: body %q, want %q", c.hdr, got.body, c.want)
		}
		if got.hdr.Get("Content-Range") != c.contentRng {
			t.Errorf("%v: Content-Range %q, want %q", c.hdr, got.hdr.Get("Content-Range"), c.contentRng)
		}
		switch c.status {
		case 304:
			if len(got.body) != 0 || got.hdr.Get("ETag") != etag {
				t.Errorf("304 must have no body and carry the ETag:\n%s%q", got.raw, got.body)
			}
		case 412:
			if got.code() != "PreconditionFailed" {
				t.Errorf("412 code %q", got.code())
			}
		case 416:
			if got.code() != "InvalidRange" {
				t.Errorf("416 code %q", got.code())
			}
		}
	}
	mustStatus(t, e.do(req{path: "/bkt/k", query: "partNumber=1", hdr: [][2]string{{"Range", "bytes=0-1"}}}), 400, "InvalidRequest")
	mustStatus(t, e.do(req{path: "/bkt/k", query: "partNumber=0"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt/k", query: "partNumber=2"}), 400, "InvalidPart")
}

func TestResponseOverridesAndChecksumMode(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	body := []byte("checksummed")
	crc := checksumOf("crc32c", body)
	mustStatus(t, e.put("/bkt/k", body, [2]string{"x-amz-checksum-crc32c", crc}), 200, "")
	got := e.do(req{path: "/bkt/k",
		query: "response-content-type=application%2Fjson&response-content-disposition=attachment%3B%20filename%3Dx.json&response-cache-control=max-age%3D60",
		hdr:   [][2]string{{"x-amz-checksum-mode", "ENABLED"}}})
	mustStatus(t, got, 200, "")
	for name, want := range map[string]string{
		"Content-Type":          "application/json",
		"Content-Disposition":   "attachment; filename=x.json",
		"Cache-Control":         "max-age=60",
		"x-amz-checksum-crc32c": crc,
		"x-amz-checksum-type":   "FULL_OBJECT",
	} {
		if g := got.hdr.Get(name); g != want {
			t.Errorf("%s = %q, want %q", name, g, want)
		}
	}
	plain := e.do(req{path: "/bkt/k"})
	if plain.hdr.Get("x-amz-checksum-crc32c") != "" {
		t.Error("checksum sent without x-amz-checksum-mode")
	}
	ranged := e.do(req{path: "/bkt/k", hdr: [][2]string{{"x-amz-checksum-mode", "ENABLED"}, {"Range", "bytes=0-1"}}})
	if ranged.hdr.Get("x-amz-checksum-crc32c") != "" {
		t.Error("whole-object checksum sent with a range")
	}
}

func TestPutChecksumHeaders(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	body := []byte("integrity matters")
	cases := []struct {
		name   string
		hdr    [][2]string
		status int
		code   string
	}{
		{"crc32 ok", [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", body)}}, 200, ""},
		{"crc64nvme ok", [][2]string{{"x-amz-checksum-crc64nvme", checksumOf("crc64nvme", body)}}, 200, ""},
		{"sha256 ok", [][2]string{{"x-amz-checksum-sha256", checksumOf("sha256", body)}}, 200, ""},
		{"sdk algo only", [][2]string{{"x-amz-sdk-checksum-algorithm", "SHA1"}}, 200, ""},
		{"crc32 mismatch", [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", []byte("other"))}}, 400, "BadDigest"},
		{"unknown algorithm", [][2]string{{"x-amz-checksum-md4", "AAAA"}}, 400, "InvalidRequest"},
		{"malformed value", [][2]string{{"x-amz-checksum-crc32", "not-base64!"}}, 400, "InvalidRequest"},
		{"wrong length", [][2]string{{"x-amz-checksum-crc32", base64.StdEncoding.EncodeToString([]byte("123456"))}}, 400, "InvalidRequest"},
		{"two algorithms", [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", body)}, {"x-amz-checksum-sha1", checksumOf("sha1", body)}}, 400, "InvalidRequest"},
		{"bogus sdk algorithm", [][2]string{{"x-amz-sdk-checksum-algorithm", "XXH3"}}, 400, "InvalidRequest"},
		{"sdk/header disagree", [][2]string{{"x-amz-sdk-checksum-algorithm", "CRC32C"}, {"x-amz-checksum-crc32", checksumOf("crc32", body)}}, 400, "InvalidRequest"},
		{"unknown trailer", [][2]string{{"x-amz-trailer", "x-amz-checksum-md4"}}, 400, "InvalidRequest"},
		{"content-md5 ok", [][2]string{{"Content-MD5", func() string { s := md5.Sum(body); return base64.StdEncoding.EncodeToString(s[:]) }()}}, 200, ""},
		{"content-md5 malformed", [][2]string{{"Content-MD5", "xyz"}}, 400, "InvalidDigest"},
		{"content-md5 wrong", [][2]string{{"Content-MD5", base64.StdEncoding.EncodeToString(make([]byte, 16))}}, 400, "BadDigest"},
	}
	for _, c := range cases {
		got := e.do(req{method: http.MethodPut, path: "/bkt/k", body: body, hdr: c.hdr})
		if got.status != c.status || (c.code != "" && got.code() != c.code) {
			t.Errorf("%s: %d %q, want %d %q\n%s", c.name, got.status, got.code(), c.status, c.code, got.body)
		}
	}
	got := e.do(req{method: http.MethodPut, path: "/bkt/k", body: body, hdr: [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", body)}}})
	if got.hdr.Get("x-amz-checksum-crc32") != checksumOf("crc32", body) {
		t.Errorf("PUT does not echo the checksum:\n%s", got.raw)
	}
	if e.layer.lastPut.ChecksumAlgorithm != "crc32" || e.layer.lastPut.Checksums["crc32"] == "" {
		t.Errorf("layer input %+v", e.layer.lastPut)
	}
}

func TestBodyLengthRules(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.MaxObjectSize = 1000 })
	e.mkBucket("bkt")
	// PUT without any length.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", noLength: true}), 411, "MissingContentLength")
	// Plain chunked transfer without x-amz-decoded-content-length.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", body: []byte("abc"), noLength: true, payload: "UNSIGNED-PAYLOAD"}), 411, "MissingContentLength")
	// Too large, refused before reading.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", body: make([]byte, 1001)}), 400, "EntityTooLarge")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", body: make([]byte, 5000), auth: authStreamUnsignedTrailer}), 400, "EntityTooLarge")
	// aws-chunked over chunked transfer encoding, length from the decoded header.
	body := bytes.Repeat([]byte("z"), 900)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", body: body, auth: authStreamSigned, noLength: true, chunkSize: 300}), 200, "")
	if !bytes.Equal(e.layer.buckets["bkt"].objects["k"].data, body) {
		t.Fatal("aws-chunked body not decoded")
	}
	if ce := e.layer.lastPut.Meta.ContentEncoding; ce != "" {
		t.Errorf("aws-chunked leaked into Content-Encoding: %q", ce)
	}
}

func TestNotImplementedAndMethods(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/k", []byte("x"))
	for _, r := range []req{
		{path: "/bkt/k", query: "retention"},
		{path: "/bkt/k", query: "policy"},
		{method: http.MethodPut, path: "/bkt/k", query: "policy", body: []byte("{}")},
		{path: "/bkt", query: "lifecycle"},
		{path: "/bkt/k", query: "versionId=3HL4kqtJlcpXroDTDmJ"},
		{method: http.MethodPut, path: "/bkt", query: "versioning", body: []byte("<VersioningConfiguration/>")},
		{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-website-redirect-location", "/a"}}},
		{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"If-None-Match", `"abc"`}}},
		{method: http.MethodPost, path: "/bkt/k", body: []byte("x")},
		{method: http.MethodPost, path: "/bkt", body: []byte("x")},
	} {
		got := e.do(r)
		if got.status != 501 || got.code() != "NotImplemented" {
			t.Errorf("%s %s?%s %v: %d %q", r.method, r.path, r.query, r.hdr, got.status, got.code())
		}
	}
	if e.layer.buckets["bkt"].objects["k2"] != nil {
		t.Fatal("a refused PUT stored an object")
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k3", body: []byte("x"), hdr: [][2]string{{"x-amz-storage-class", "GLACIER"}}}), 400, "InvalidStorageClass")
	for _, ok := range [][2]string{{"x-amz-acl", "private"}, {"x-amz-server-side-encryption", "AES256"}, {"x-amz-storage-class", "STANDARD"}} {
		mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k4", body: []byte("x"), hdr: [][2]string{ok}}), 200, "")
	}
	mustStatus(t, e.do(req{path: "/bkt/k", query: "versionId=null"}), 200, "")
	// The SDK's x-id parameter and other unknown parameters are ignored.
	mustStatus(t, e.do(req{path: "/bkt/k", query: "x-id=GetObject"}), 200, "")
	mustStatus(t, e.do(req{method: "PATCH", path: "/bkt/k", body: []byte("x")}), 405, "MethodNotAllowed")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/", body: []byte{}}), 405, "MethodNotAllowed")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1", body: []byte("x")}), 400, "InvalidRequest")
	mustStatus(t, e.do(req{path: "/bkt/%zz"}), 400, "InvalidURI")
}

func TestKeysAreVerbatim(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	keys := map[string]string{
		"/bkt/a%20b/c%2Bd": "a b/c+d",
		"/bkt/x//y/../z":   "x//y/../z",
		"/bkt/%E2%9C%93":   "✓",
		"/bkt/q%3Fmark":    "q?mark",
	}
	for path, key := range keys {
		mustStatus(t, e.put(path, []byte(key)), 200, "")
		if e.layer.buckets["bkt"].objects[key] == nil {
			t.Errorf("%s stored under the wrong key; have %v", path, e.layer.buckets["bkt"].objects)
		}
		got := e.do(req{path: path})
		mustStatus(t, got, 200, "")
		if string(got.body) != key {
			t.Errorf("%s: body %q", path, got.body)
		}
	}
}

func TestVirtualHostedStyle(t *testing.T) {
	e := newTestEnv(t, nil)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/", host: "vbkt.s3.test:9000"}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/a/b", host: "vbkt.s3.test", body: []byte("v")}), 200, "")
	if e.layer.buckets["vbkt"].objects["a/b"] == nil {
		t.Fatal("virtual-hosted PUT went to the wrong place")
	}
	got := e.do(req{path: "/vbkt/a/b"})
	mustStatus(t, got, 200, "")
	if string(got.body) != "v" {
		t.Fatalf("path-style read: %q", got.body)
	}
	// The bare domain is path-style.
	mustStatus(t, e.do(req{path: "/vbkt/a/b", host: "s3.test"}), 200, "")
	list := e.do(req{path: "/", host: "vbkt.s3.test", query: "list-type=2"})
	mustStatus(t, list, 200, "")
	if !strings.Contains(string(list.body), "<Key>a/b</Key>") {
		t.Errorf("list: %s", list.body)
	}
}

func TestServerErrors(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/k", bytes.Repeat([]byte("x"), 300<<10))
	e.layer.fail["GetObject"] = fmt.Errorf("read: %w", storage.ErrUnavailable)
	mustStatus(t, e.do(req{path: "/bkt/k"}), 503, "ServiceUnavailable")
	e.layer.fail["HeadObject"] = fmt.Errorf("boom")
	got := e.do(req{method: http.MethodGet, path: "/bkt/k", hdr: [][2]string{{"Range", "bytes=0-0"}}})
	mustStatus(t, got, 206, "")
	// An unrecognised error is a 500 whose message reveals nothing.
	e.layer.fail["PutObject"] = fmt.Errorf("secret internal detail")
	got = e.put("/bkt/k2", []byte("x"))
	mustStatus(t, got, 500, "InternalError")
	if strings.Contains(string(got.body), "secret") {
		t.Fatal("internal error text leaked to the client")
	}
	// A failure after the headers went out can only close the connection.
	e.layer.fail["WriteTo"] = fmt.Errorf("shard lost mid-stream")
	c, br := e.dial()
	go func() { _, _ = c.Write(e.build(req{path: "/bkt/k"})) }()
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "200") {
		t.Fatalf("status line %q %v", line, err)
	}
	n := 0
	buf := make([]byte, 32<<10)
	for {
		k, err := br.Read(buf)
		n += k
		if err != nil {
			break
		}
	}
	if n >= 300<<10 {
		t.Fatalf("read %d bytes: the full object despite the failure", n)
	}
}

func TestExpectedBucketOwner(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/k", []byte("x"))
	mustStatus(t, e.do(req{path: "/bkt/k", hdr: [][2]string{{"x-amz-expected-bucket-owner", "root"}}}), 200, "")
	mustStatus(t, e.do(req{path: "/bkt/k", hdr: [][2]string{{"x-amz-expected-bucket-owner", "111122223333"}}}), 403, "AccessDenied")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/c", hdr: [][2]string{
		{"x-amz-copy-source", "/bkt/k"}, {"x-amz-source-expected-bucket-owner", "111122223333"}}}), 403, "AccessDenied")
}

func TestOversizedHeaders(t *testing.T) {
	e := newTestEnv(t, nil)
	got := e.do(req{path: "/bkt/k", hdr: [][2]string{{"x-amz-meta-big", strings.Repeat("h", 20<<10)}}})
	mustStatus(t, got, 400, "RequestHeaderSectionTooLarge")
	if got.hdr.Get("x-amz-request-id") == "" || !got.closes() {
		t.Errorf("transport error response:\n%s", got.raw)
	}
}

func TestHeadRangeAndPart(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/k", []byte("0123456789"))
	h := e.do(req{method: http.MethodHead, path: "/bkt/k", hdr: [][2]string{{"Range", "bytes=2-4"}}})
	mustStatus(t, h, 206, "")
	if h.hdr.Get("Content-Range") != "bytes 2-4/10" || h.hdr.Get("Content-Length") != "3" || len(h.body) != 0 {
		t.Errorf("HEAD range:\n%s", h.raw)
	}
	h = e.do(req{method: http.MethodHead, path: "/bkt/k", hdr: [][2]string{{"Range", "bytes=20-"}}})
	mustStatus(t, h, 416, "")
	if h.hdr.Get("Content-Range") != "bytes */10" {
		t.Errorf("HEAD 416:\n%s", h.raw)
	}
	h = e.do(req{method: http.MethodHead, path: "/bkt/k", hdr: [][2]string{{"If-None-Match", `"x", *`}}})
	mustStatus(t, h, 304, "")
}
