package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func deleteDoc(quiet bool, keys ...string) []byte {
	var b strings.Builder
	b.WriteString("<Delete>")
	if quiet {
		b.WriteString("<Quiet>true</Quiet>")
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "<Object><Key>%s</Key></Object>", k)
	}
	b.WriteString("</Delete>")
	return []byte(b.String())
}

func md5Header(b []byte) [2]string {
	s := md5.Sum(b)
	return [2]string{"Content-MD5", base64.StdEncoding.EncodeToString(s[:])}
}

type deleteDocResult struct {
	Deleted []struct{ Key string }
	Error   []struct{ Key, Code, Message string }
}

func TestDeleteObjects(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, k := range []string{"a", "b", "c", "d"} {
		e.put("/bkt/"+k, []byte(k))
	}
	body := deleteDoc(false, "a", "b", "missing")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body}), 400, "InvalidRequest")
	got := e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}})
	mustStatus(t, got, 200, "")
	var res deleteDocResult
	if err := xml.Unmarshal(got.body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Deleted) != 3 || len(res.Error) != 0 {
		t.Errorf("result: %s", got.body)
	}
	if e.layer.buckets["bkt"].objects["a"] != nil || e.layer.buckets["bkt"].objects["c"] == nil {
		t.Fatal("wrong objects deleted")
	}

	// A flexible checksum instead of Content-MD5, verified.
	body = deleteDoc(true, "c")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body,
		hdr: [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", []byte("other"))}}}), 400, "BadDigest")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body,
		hdr: [][2]string{{"Content-MD5", base64.StdEncoding.EncodeToString(make([]byte, 16))}}}), 400, "BadDigest")
	quiet := e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body,
		hdr: [][2]string{{"x-amz-checksum-crc32", checksumOf("crc32", body)}}})
	mustStatus(t, quiet, 200, "")
	if strings.Contains(string(quiet.body), "<Deleted>") {
		t.Errorf("quiet mode listed deletions: %s", quiet.body)
	}
	// Streamed with a trailing checksum.
	body = deleteDoc(false, "d")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body,
		auth: authStreamUnsignedTrailer, trailers: map[string]string{"x-amz-checksum-crc32c": checksumOf("crc32c", body)}}), 200, "")
	if e.layer.buckets["bkt"].objects["d"] != nil {
		t.Fatal("trailer-checked delete did not delete")
	}

	// Per-key failures are reported, the rest proceeds.
	e.put("/bkt/x", []byte("x"))
	e.layer.fail["DeleteObject"] = fmt.Errorf("disk on fire")
	body = deleteDoc(false, "x")
	got = e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}})
	mustStatus(t, got, 200, "")
	res = deleteDocResult{}
	_ = xml.Unmarshal(got.body, &res)
	if len(res.Error) != 1 || res.Error[0].Code != "InternalError" || res.Error[0].Key != "x" {
		t.Errorf("per-key error: %s", got.body)
	}

	keys := make([]string, 1001)
	for i := range keys {
		keys[i] = fmt.Sprint(i)
	}
	body = deleteDoc(false, keys...)
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}}), 400, "MalformedXML")
	body = []byte("<Delete><Object><Key>a</Key></Object>")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}}), 400, "MalformedXML")
	big := make([]byte, maxDeleteBody+1)
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: big, hdr: [][2]string{md5Header(big)}}), 400, "MaxMessageLengthExceeded")
}

// TestDeleteObjectsControlCharacterKey: a key holding control characters,
// sent raw in the document as boto3 does, is deleted; the answer stays
// valid XML (encoding/xml writes U+FFFD for what XML cannot carry).
func TestDeleteObjectsControlCharacterKey(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	key := "ctl\x01\t\r\n&<x>"
	e.put("/bkt/"+url.PathEscape(key), []byte("v"))
	body := []byte("<Delete><Object><Key>ctl\x01\t\r\n&amp;&lt;x&gt;</Key></Object></Delete>")
	got := e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}})
	mustStatus(t, got, 200, "")
	var res deleteDocResult
	if err := xml.Unmarshal(got.body, &res); err != nil || len(res.Deleted) != 1 || len(res.Error) != 0 {
		t.Fatalf("result %q: %v", got.body, err)
	}
	if e.layer.buckets["bkt"].objects[key] != nil {
		t.Fatal("the key is still there")
	}
}
