package s3api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func createUpload(t *testing.T, e *testEnv, path string, hdr ...[2]string) string {
	t.Helper()
	got := e.do(req{method: http.MethodPost, path: path, query: "uploads", hdr: hdr})
	mustStatus(t, got, 200, "")
	var doc struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(got.body, &doc); err != nil || doc.UploadID == "" {
		t.Fatalf("initiate: %v %s", err, got.body)
	}
	return doc.UploadID
}

func completeXML(parts ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, p := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>", p[0], p[1])
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

func TestMultipartUpload(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	id := createUpload(t, e, "/bkt/big", [2]string{"Content-Type", "video/mp4"},
		[2]string{"x-amz-checksum-algorithm", "CRC32C"}, [2]string{"x-amz-meta-Origin", "camera"})
	p1 := bytes.Repeat([]byte("1"), 5000)
	p2 := bytes.Repeat([]byte("2"), 3000)
	up1 := e.do(req{method: http.MethodPut, path: "/bkt/big", query: "partNumber=1&uploadId=" + id, body: p1,
		hdr: [][2]string{{"x-amz-checksum-crc32c", checksumOf("crc32c", p1)}}})
	mustStatus(t, up1, 200, "")
	if up1.hdr.Get("x-amz-checksum-crc32c") != checksumOf("crc32c", p1) {
		t.Errorf("part checksum not echoed:\n%s", up1.raw)
	}
	// A streamed part with a trailing checksum, as the newest SDKs send.
	up2 := e.do(req{method: http.MethodPut, path: "/bkt/big", query: "partNumber=2&uploadId=" + id, body: p2,
		auth: authStreamUnsignedTrailer, trailers: map[string]string{"x-amz-checksum-crc32c": checksumOf("crc32c", p2)}})
	mustStatus(t, up2, 200, "")
	e1, e2 := up1.hdr.Get("ETag"), up2.hdr.Get("ETag")

	lp := e.do(req{path: "/bkt/big", query: "uploadId=" + id + "&max-parts=1"})
	mustStatus(t, lp, 200, "")
	var parts struct {
		UploadID             string `xml:"UploadId"`
		IsTruncated          bool
		NextPartNumberMarker int
		MaxParts             int
		Part                 []struct {
			PartNumber     int
			ETag           string
			Size           int64
			ChecksumCRC32C string
		}
	}
	if err := xml.Unmarshal(lp.body, &parts); err != nil {
		t.Fatal(err)
	}
	if parts.UploadID != id || !parts.IsTruncated || parts.NextPartNumberMarker != 1 || len(parts.Part) != 1 ||
		parts.Part[0].ETag != e1 || parts.Part[0].Size != 5000 || parts.Part[0].ChecksumCRC32C == "" || parts.MaxParts != 1 {
		t.Errorf("ListParts: %s", lp.body)
	}

	lu := e.do(req{path: "/bkt", query: "uploads"})
	mustStatus(t, lu, 200, "")
	if !strings.Contains(string(lu.body), "<UploadId>"+id+"</UploadId>") || !strings.Contains(string(lu.body), "<Key>big</Key>") {
		t.Errorf("ListMultipartUploads: %s", lu.body)
	}

	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/big", query: "uploadId=" + id,
		body: completeXML([2]string{"2", e2}, [2]string{"1", e1})}), 400, "InvalidPartOrder")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/big", query: "uploadId=" + id,
		body: completeXML([2]string{"1", `"0000"`})}), 400, "InvalidPart")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/big", query: "uploadId=" + id,
		body: []byte("<CompleteMultipartUpload><Part>")}), 400, "MalformedXML")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/big", query: "uploadId=" + id,
		body: completeXML()}), 400, "MalformedXML")

	done := e.do(req{method: http.MethodPost, path: "/bkt/big", query: "uploadId=" + id,
		body: completeXML([2]string{"1", e1}, [2]string{"2", e2})})
	mustStatus(t, done, 200, "")
	var res struct {
		XMLName        xml.Name `xml:"CompleteMultipartUploadResult"`
		Location       string
		Bucket, Key    string
		ETag           string
		ChecksumCRC32C string
		ChecksumType   string
	}
	if err := xml.Unmarshal(done.body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Bucket != "bkt" || res.Key != "big" || !strings.HasSuffix(res.ETag, `-2"`) ||
		res.Location != "http://"+testHost+"/bkt/big" || res.ChecksumCRC32C == "" || res.ChecksumType != "FULL_OBJECT" {
		t.Errorf("complete: %s", done.body)
	}
	whole := append(append([]byte{}, p1...), p2...)
	got := e.do(req{path: "/bkt/big"})
	if !bytes.Equal(got.body, whole) {
		t.Fatal("assembled object differs")
	}
	part2 := e.do(req{path: "/bkt/big", query: "partNumber=2"})
	mustStatus(t, part2, 206, "")
	if !bytes.Equal(part2.body, p2) || part2.hdr.Get("x-amz-mp-parts-count") != "2" ||
		part2.hdr.Get("Content-Range") != "bytes 5000-7999/8000" {
		t.Errorf("partNumber=2:\n%s", part2.raw)
	}
	head := e.do(req{method: http.MethodHead, path: "/bkt/big", query: "partNumber=1"})
	if head.hdr.Get("x-amz-mp-parts-count") != "2" {
		t.Errorf("HEAD partNumber:\n%s", head.raw)
	}
	mustStatus(t, e.do(req{path: "/bkt/big", query: "uploadId=" + id}), 404, "NoSuchUpload")
}

func TestMultipartEdges(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	id := createUpload(t, e, "/bkt/k")
	for _, q := range []string{"partNumber=0&uploadId=" + id, "partNumber=10001&uploadId=" + id, "partNumber=x&uploadId=" + id} {
		mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", query: q, body: []byte("x")}), 400, "InvalidArgument")
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1&uploadId=nope", body: []byte("x")}), 404, "NoSuchUpload")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploads",
		hdr: [][2]string{{"x-amz-checksum-algorithm", "MD5"}}}), 400, "InvalidRequest")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploads",
		hdr: [][2]string{{"x-amz-checksum-algorithm", "SHA256"}, {"x-amz-checksum-type", "FULL_OBJECT"}}}), 400, "InvalidRequest")
	full := e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploads",
		hdr: [][2]string{{"x-amz-checksum-algorithm", "CRC64NVME"}}})
	mustStatus(t, full, 200, "")
	if full.hdr.Get("x-amz-checksum-algorithm") != "CRC64NVME" || full.hdr.Get("x-amz-checksum-type") != "FULL_OBJECT" {
		t.Errorf("create headers:\n%s", full.raw)
	}

	// UploadPartCopy, whole and ranged.
	e.put("/bkt/src", []byte("0123456789"))
	cp := e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1&uploadId=" + id,
		hdr: [][2]string{{"x-amz-copy-source", "/bkt/src"}, {"x-amz-copy-source-range", "bytes=2-4"}}})
	mustStatus(t, cp, 200, "")
	if !strings.Contains(string(cp.body), "<CopyPartResult") || !strings.Contains(string(cp.body), "<ETag>&#34;") && !strings.Contains(string(cp.body), `<ETag>"`) {
		t.Errorf("CopyPartResult: %s", cp.body)
	}
	if e.layer.lastCopy.SrcRange != "bytes=2-4" || e.layer.lastCopy.SrcKey != "src" {
		t.Errorf("copy input %+v", e.layer.lastCopy)
	}
	for _, bad := range []string{"bytes=4-2", "2-4", "bytes=-4", "bytes=a-b"} {
		mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1&uploadId=" + id,
			hdr: [][2]string{{"x-amz-copy-source", "/bkt/src"}, {"x-amz-copy-source-range", bad}}}), 400, "InvalidArgument")
	}

	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/k", query: "uploadId=" + id}), 204, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/k", query: "uploadId=" + id}), 404, "NoSuchUpload")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploadId=" + id, body: completeXML([2]string{"1", "x"})}), 404, "NoSuchUpload")
}

func TestCopyObject(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.mkBucket("dst")
	src := e.put("/bkt/sp%20ace", []byte("copy me"), [2]string{"x-amz-meta-a", "1"}, [2]string{"Content-Type", "text/x"})
	etag := src.hdr.Get("ETag")
	got := e.do(req{method: http.MethodPut, path: "/dst/copy", hdr: [][2]string{{"x-amz-copy-source", "bkt/sp%20ace?versionId=null"}}})
	mustStatus(t, got, 200, "")
	var res struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		ETag         string
		LastModified string
	}
	if err := xml.Unmarshal(got.body, &res); err != nil || res.ETag != etag || res.LastModified != "2026-11-28T12:00:00.000Z" {
		t.Errorf("CopyObjectResult %+v %v: %s", res, err, got.body)
	}
	c := e.layer.buckets["dst"].objects["copy"]
	if c == nil || string(c.data) != "copy me" || c.info.Meta.User["a"] != "1" {
		t.Fatalf("copy: %+v", c)
	}
	// REPLACE takes the new metadata.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/dst/copy2", hdr: [][2]string{
		{"x-amz-copy-source", "/bkt/sp%20ace"}, {"x-amz-metadata-directive", "REPLACE"}, {"x-amz-meta-b", "2"}}}), 200, "")
	if m := e.layer.buckets["dst"].objects["copy2"].info.Meta.User; m["b"] != "2" || m["a"] != "" {
		t.Errorf("replaced meta %v", m)
	}
	// Copying onto itself needs REPLACE.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/sp%20ace", hdr: [][2]string{{"x-amz-copy-source", "/bkt/sp%20ace"}}}), 400, "InvalidRequest")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/sp%20ace", hdr: [][2]string{
		{"x-amz-copy-source", "/bkt/sp%20ace"}, {"x-amz-metadata-directive", "REPLACE"}}}), 200, "")
	for _, bad := range [][][2]string{
		{{"x-amz-copy-source", "/bkt"}},
		{{"x-amz-copy-source", "%zz"}},
		{{"x-amz-copy-source", "/bkt/sp%20ace"}, {"x-amz-metadata-directive", "MERGE"}},
		{{"x-amz-copy-source", "/bkt/sp%20ace"}, {"x-amz-copy-source-range", "bytes=0-1"}},
	} {
		mustStatus(t, e.do(req{method: http.MethodPut, path: "/dst/x", hdr: bad}), 400, "InvalidArgument")
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/dst/x", hdr: [][2]string{
		{"x-amz-copy-source", "/bkt/sp%20ace"}, {"x-amz-copy-source-if-match", `"nope"`}}}), 412, "PreconditionFailed")
	if e.layer.lastCopy.Cond.IfMatch != `"nope"` {
		t.Errorf("copy conditions not passed: %+v", e.layer.lastCopy.Cond)
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/dst/x", hdr: [][2]string{{"x-amz-copy-source", "/bkt/missing"}}}), 404, "NoSuchKey")
}
