package s3api

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// Fuzz targets for the request parsers that read network input before any
// handler runs, and for the header and query parsers handlers share (issue
// 12). Each asserts properties, not only the absence of panics: every
// refusal is an S3 error with a code, and what is accepted is what the
// parser promises.

// requireS3Error fails unless err is nil or an *s3err.Error with a code.
func requireS3Error(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && codeOf(err) == "" {
		t.Fatalf("%s: error without an S3 code: %v", what, err)
	}
}

func FuzzHeaderListParse(f *testing.F) {
	for _, s := range []string{
		"Host: b.s3.test\r\nX-Amz-Date: 20261206T000000Z\r\n",
		"a: 1\r\nA: 2\r\n a : 3 \r\n",
		"x-amz-meta-k:\r\n:novalue\r\nnocolon\r\n",
		"X: y\nZ: w", "\r\n\r\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var l headerList
		l.parse(raw)
		seen := map[string]bool{}
		for _, n := range l.names {
			if seen[n] {
				t.Fatalf("name %q listed twice", n)
			}
			seen[n] = true
			if !l.has(n) {
				t.Fatalf("listed name %q not present", n)
			}
		}
		for _, h := range l.h {
			if h.name == "" || h.name != strings.ToLower(h.name) || strings.TrimSpace(h.name) != h.name {
				t.Fatalf("name %q not lower-case and trimmed", h.name)
			}
			if strings.TrimSpace(h.value) != h.value || strings.ContainsAny(h.value, "\n") {
				t.Fatalf("value %q not trimmed to one line", h.value)
			}
			if !seen[h.name] {
				t.Fatalf("header %q missing from names", h.name)
			}
			if _, ok := l.get(h.name); !ok {
				t.Fatalf("get(%q) misses a received header", h.name)
			}
		}
		// Parsing again into the same list (reuse) gives the same result.
		n := len(l.h)
		l.parse(raw)
		if len(l.h) != n {
			t.Fatalf("reparse: %d headers, then %d", n, len(l.h))
		}
	})
}

func FuzzSplitRequestURI(f *testing.F) {
	for _, s := range []string{"/b/k?tagging", "/", "http://h/b/k?x=1", "https://h?x", "http://h", "*", "/a?b?c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		path, query := splitRequestURI([]byte(uri))
		if strings.Contains(path, "?") {
			t.Fatalf("%q: path %q holds a '?'", uri, path)
		}
		if strings.HasPrefix(uri, "/") && path != uri && path+"?"+query != uri {
			t.Fatalf("%q: split into %q and %q", uri, path, query)
		}
		if strings.Contains(uri, "://") && !strings.HasPrefix(uri, "/") && !strings.HasPrefix(path, "/") {
			t.Fatalf("%q: absolute form gave path %q", uri, path)
		}
	})
}

// fuzzRequest builds a request with the given method, request target and
// raw header block, as the server would see it, without a connection.
func fuzzRequest(s *Server, method, uri string, rawHeaders []byte) *request {
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	r := &request{s: s, ctx: ctx, method: method, objectSize: -1, cx: s.base, end: func() {}}
	r.rawPath, r.rawQuery = splitRequestURI([]byte(uri))
	r.hdr.parse(rawHeaders)
	r.host = r.hdr.value("host")
	return r
}

var fuzzMethods = [...]string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodOptions}

// FuzzRoute drives target resolution, routing and the query and header
// parsers of the operation chosen (partNumber, uploadId, list parameters,
// Range, conditional and checksum headers, x-amz-meta-*, x-amz-tagging,
// copy source and its range) with arbitrary requests.
func FuzzRoute(f *testing.F) {
	for _, c := range []struct {
		m       uint8
		uri, hd string
	}{
		{0, "/b/k?tagging", "Host: localhost\r\n"},
		{2, "/b/k?partNumber=3&uploadId=abc", "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n"},
		{2, "/b/k", "x-amz-copy-source: /src/k%3F?versionId=1\r\nx-amz-tagging: a=1&b=2\r\nx-amz-meta-x: y\r\n"},
		{0, "/b?list-type=2&max-keys=-1&encoding-type=url", ""},
		{0, "/b/k?partNumber=1", "Range: bytes=0-1\r\nIf-Modified-Since: Sun, 06 Dec 2026 00:00:00 GMT\r\n"},
		{0, "/", "Host: bkt.s3.test\r\n"},
		{2, "/b/k", "x-amz-checksum-crc32: AAAAAA==\r\nx-amz-trailer: x-amz-checksum-sha256\r\n"},
		{3, "/b/k?uploads", "x-amz-checksum-algorithm: SHA256\r\nx-amz-tagging: aws:x=1\r\n"},
		{4, "/b?tagging", ""},
		{2, "/b/k?retention&acl", ""},
		{0, "/%zz", ""},
	} {
		f.Add(c.m, c.uri, []byte(c.hd))
	}
	s := NewServer(Options{Layer: newMemLayer(), Domains: []string{"s3.test"}, Logger: testLogger(), Region: testRegion})
	f.Fuzz(func(t *testing.T, m uint8, uri string, rawHeaders []byte) {
		if !strings.HasPrefix(uri, "/") || strings.ContainsAny(uri, " \r\n") {
			return // fasthttp refuses such request lines before we see them
		}
		r := fuzzRequest(s, fuzzMethods[int(m)%len(fuzzMethods)], uri, rawHeaders)
		if err := s.resolveTarget(r); err != nil {
			requireS3Error(t, "resolveTarget", err)
			return
		}
		op, err := s.route(r)
		if err != nil {
			requireS3Error(t, "route", err)
			return
		}
		if name := r.unsupportedSubresource(); name != "" {
			t.Fatalf("%s %s names unsupported %q but routed to %s", r.method, uri, name, op.name)
		}
		fuzzOperationParsers(t, r, op)
	})
}

// fuzzOperationParsers runs the parsers op's handler runs before it
// touches the layer or the body.
func fuzzOperationParsers(t *testing.T, r *request, op *operation) {
	_, err := r.contentMD5()
	requireS3Error(t, "contentMD5", err)
	sums, err := r.checksumHeaders()
	requireS3Error(t, "checksumHeaders", err)
	if err == nil {
		for algo, v := range sums.values {
			raw, derr := base64.StdEncoding.DecodeString(v)
			if derr != nil || len(raw) != checksumSizes[algo] {
				t.Fatalf("accepted checksum %s=%q", algo, v)
			}
		}
	}
	tags, err := r.requestTags()
	requireS3Error(t, "requestTags", err)
	if err == nil && len(tags) > 10 {
		t.Fatalf("accepted %d tags", len(tags))
	}
	_, err = r.writeCondition()
	requireS3Error(t, "writeCondition", err)
	_ = r.conditions("")
	_ = r.conditions("x-amz-copy-source-")
	switch op {
	case opPutObject, opCreateMultipartUpload, opCopyObject:
		requireS3Error(t, "checkWriteHeaders", r.checkWriteHeaders())
		meta, err := r.objectMeta()
		requireS3Error(t, "objectMeta", err)
		if err == nil {
			total := 0
			for k, v := range meta.User {
				total += len(k) + len(v)
			}
			if total > maxUserMetadata {
				t.Fatalf("accepted %d bytes of user metadata", total)
			}
			if strings.Contains(strings.ToLower(meta.ContentEncoding), "aws-chunked") {
				t.Fatalf("aws-chunked kept in Content-Encoding %q", meta.ContentEncoding)
			}
		}
	}
	switch op {
	case opUploadPart, opUploadPartCopy:
		n, id, err := r.partParams()
		requireS3Error(t, "partParams", err)
		if err == nil && (n < 1 || n > maxPartNumber || id == "") {
			t.Fatalf("accepted part %d upload %q", n, id)
		}
	case opGetObject, opHeadObject:
		in, err := r.getInput()
		requireS3Error(t, "getInput", err)
		if err == nil && (in.PartNumber < 0 || in.PartNumber > maxPartNumber || in.PartNumber > 0 && in.RangeHeader != "") {
			t.Fatalf("accepted %+v", in)
		}
	case opListObjects, opListObjectsV2, opListObjectVersions:
		n, _, err := listParams(r)
		requireS3Error(t, "listParams", err)
		if err == nil && (n < 0 || n > maxListKeys) {
			t.Fatalf("max-keys %d accepted", n)
		}
	}
	if op == opCopyObject || op == opUploadPartCopy {
		b, k, err := parseCopySource(r.hdr.value("x-amz-copy-source"))
		requireS3Error(t, "parseCopySource", err)
		if err == nil && (b == "" || k == "") {
			t.Fatalf("copy source %q/%q accepted", b, k)
		}
		_, _, err = r.copyTags()
		requireS3Error(t, "copyTags", err)
	}
}

func FuzzCopyRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=5-1", "bytes=-1", "bytes=0-", "bytes=1-2-3", "bytes=+1-+2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !validCopyRange(v) {
			return
		}
		spec := strings.TrimPrefix(v, "bytes=")
		a, b, ok := strings.Cut(spec, "-")
		if !ok || !allDigits(a) || !allDigits(b) {
			t.Fatalf("accepted %q", v)
		}
	})
}

func FuzzContinuationToken(f *testing.F) {
	for _, s := range []string{"", "a", "key/with/slashes", "\x00\xff", encodeToken("x")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeToken(s)
		requireS3Error(t, "decodeToken", err)
		if err == nil && got == "" {
			t.Fatalf("token %q decodes to an empty marker", s)
		}
		if s == "" {
			return
		}
		back, err := decodeToken(encodeToken(s))
		if err != nil || back != s {
			t.Fatalf("round trip of %q: %q %v", s, back, err)
		}
	})
}

// FuzzControlEscaper: text carried through protect comes back byte for
// byte from restore, and the protected form holds no control character
// XML 1.0 refuses (raw U+FFFE/U+FFFF stay, for the parser to refuse; only
// their character references are carried).
func FuzzControlEscaper(f *testing.F) {
	for _, s := range []string{"plain", "a\x01b\rc", "&#x1;&#13;", "\ue000\ue00101", "\uffff\ufffe", "&#65535;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "<>&") {
			return // markup is the XML decoder's; only text is at stake here
		}
		out, esc, _ := protect([]byte(s))
		for _, r := range string(out) {
			if r < 0x20 && r != '\t' && r != '\n' {
				t.Fatalf("protected %q still holds %U", s, r)
			}
		}
		if got := esc.restore(string(out)); got != s {
			t.Fatalf("restore(protect(%q)) = %q", s, got)
		}
	})
}

func TestValidCopyRange(t *testing.T) {
	for v, want := range map[string]bool{
		"bytes=0-0": true, "bytes=0-99": true, "bytes=5-4": false, "bytes=0--0": false,
		"bytes=+1-2": false, "bytes=-1": false, "bytes=1-": false, "bytes=1-2-3": false, "1-2": false,
	} {
		if got := validCopyRange(v); got != want {
			t.Errorf("validCopyRange(%q) = %v, want %v", v, got, want)
		}
	}
}
