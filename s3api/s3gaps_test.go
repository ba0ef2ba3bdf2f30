package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
)

// TestExistingObjectTagByVersion: s3:ExistingObjectTag on a request for
// one version (versionId) is that version's tags, not the current
// version's: a policy granting anonymous reads of public=yes objects lets
// the tagged old version be read and keeps the untagged current one (and
// an untagged old one) closed, whichever the current version is.
func TestExistingObjectTagByVersion(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Layer = newRealStore(t) })
	e.mkBucket("bkt")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "versioning",
		body: []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)}), 200, "")
	mustStatus(t, e.putPolicy(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion","s3:GetObjectVersionTagging"],"Resource":"arn:aws:s3:::bkt/*",
  "Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}}]}`), 204, "")
	open := e.put("/bkt/k", []byte("open"), [2]string{"x-amz-tagging", "public=yes"}).hdr.Get("x-amz-version-id")
	closed := e.put("/bkt/k", []byte("closed"), [2]string{"x-amz-tagging", "public=no"}).hdr.Get("x-amz-version-id")
	if open == "" || closed == "" {
		t.Fatal("no version ids")
	}
	anon := func(query string) *resp { return e.do(req{path: "/bkt/k", query: query, auth: authNone}) }
	got := anon("versionId=" + open)
	mustStatus(t, got, 200, "")
	if string(got.body) != "open" {
		t.Fatalf("tagged old version read back %q", got.body)
	}
	mustStatus(t, anon("tagging&versionId="+open), 200, "")
	mustStatus(t, e.do(req{method: http.MethodHead, path: "/bkt/k", query: "versionId=" + open, auth: authNone}), 200, "")
	mustStatus(t, anon(""), 403, "AccessDenied")
	mustStatus(t, anon("versionId="+closed), 403, "AccessDenied")
	mustStatus(t, anon("tagging&versionId="+closed), 403, "AccessDenied")

	// Retagging the current version public=yes opens it, and only it.
	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt/k", "tagging", taggingXML("public", "yes"))), 200, "")
	mustStatus(t, e.do(tagReq(http.MethodPut, "/bkt/k", "tagging&versionId="+open, taggingXML("public", "no"))), 200, "")
	mustStatus(t, anon(""), 200, "")
	mustStatus(t, anon("versionId="+closed), 200, "")
	mustStatus(t, anon("versionId="+open), 403, "AccessDenied")
	// A version that does not exist has no tags: denied, never an error
	// that tells the anonymous caller more.
	mustStatus(t, anon("versionId=00000000000000000000000000000000"), 403, "AccessDenied")
}

// lockIntegrityMsg is S3's message for a lock write without a checksum.
func lockIntegrityMsg(what string) string {
	return "Content-MD5 OR x-amz-checksum- HTTP header is required for " + what + " requests with Object Lock parameters"
}

// TestObjectLockNeedsIntegrity: in an Object Lock bucket, a PutObject
// with lock headers, any PutObject once the bucket has a default
// retention, and an UploadPart into an upload created with lock headers
// or into a bucket with a default retention need Content-MD5 or a
// flexible checksum (x-amz-checksum-*, x-amz-sdk-checksum-algorithm);
// without one S3 answers 400 InvalidRequest with its message, and so do
// we. x-amz-content-sha256 (always sent) does not count.
func TestObjectLockNeedsIntegrity(t *testing.T) {
	e, _ := versionedEnv(t)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk", hdr: [][2]string{{"x-amz-bucket-object-lock-enabled", "true"}}}), 200, "")
	sum := md5.Sum([]byte("x"))
	md5Hdr := [2]string{"content-md5", base64.StdEncoding.EncodeToString(sum[:])}
	crc := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE([]byte("x")))
	crcHdr := [2]string{"x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(crc)}
	until := [][2]string{{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"}}
	hold := [2]string{"x-amz-object-lock-legal-hold", "ON"}
	wantMsg := func(r *resp, what string) {
		t.Helper()
		mustStatus(t, r, 400, "InvalidRequest")
		if !strings.Contains(string(r.body), lockIntegrityMsg(what)) {
			t.Fatalf("message: %s", r.body)
		}
	}
	// No default retention yet: a plain PUT needs nothing.
	mustStatus(t, e.put("/lbk/plain", []byte("x")), 200, "")
	wantMsg(e.put("/lbk/k", []byte("x"), until...), "Put Object")
	wantMsg(e.put("/lbk/k", []byte("x"), hold), "Put Object")
	mustStatus(t, e.put("/lbk/k", []byte("x"), append(until, md5Hdr)...), 200, "")
	mustStatus(t, e.put("/lbk/k", []byte("x"), hold, crcHdr), 200, "")
	mustStatus(t, e.put("/lbk/k", []byte("x"), hold, [2]string{"x-amz-sdk-checksum-algorithm", "CRC32"}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk/k", query: "legal-hold",
		body: []byte(`<LegalHold><Status>OFF</Status></LegalHold>`), hdr: [][2]string{md5Header([]byte(`<LegalHold><Status>OFF</Status></LegalHold>`))}}), 200, "")

	// An upload created with lock headers: each part needs a checksum.
	up := e.do(req{method: http.MethodPost, path: "/lbk/mp", query: "uploads", hdr: until})
	mustStatus(t, up, 200, "")
	var init struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(up.body, &init); err != nil || init.UploadID == "" {
		t.Fatalf("CreateMultipartUpload: %v %s", err, up.body)
	}
	part := func(hdr ...[2]string) *resp {
		return e.do(req{method: http.MethodPut, path: "/lbk/mp", query: "partNumber=1&uploadId=" + init.UploadID, body: []byte("x"), hdr: hdr})
	}
	wantMsg(part(), "Put Part")
	mustStatus(t, part(md5Hdr), 200, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/lbk/mp", query: "uploadId=" + init.UploadID}), 204, "")

	// A default retention makes every PUT and part a lock write.
	cfg := []byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk", query: "object-lock", body: cfg, hdr: [][2]string{md5Header(cfg)}}), 200, "")
	wantMsg(e.put("/lbk/d", []byte("x")), "Put Object")
	mustStatus(t, e.put("/lbk/d", []byte("x"), md5Hdr), 200, "")
	up = e.do(req{method: http.MethodPost, path: "/lbk/mp2", query: "uploads"})
	mustStatus(t, up, 200, "")
	if err := xml.Unmarshal(up.body, &init); err != nil {
		t.Fatal(err)
	}
	wantMsg(e.do(req{method: http.MethodPut, path: "/lbk/mp2", query: "partNumber=1&uploadId=" + init.UploadID, body: []byte("x")}), "Put Part")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk/mp2", query: "partNumber=1&uploadId=" + init.UploadID, body: []byte("x"),
		hdr: [][2]string{crcHdr}}), 200, "")
	// A bucket without Object Lock is untouched.
	mustStatus(t, e.put("/vbk/free", []byte("x")), 200, "")
}

// TestMfaDeleteRefused: this server has no MFA devices, so enabling MFA
// delete is refused (501 NotImplemented) rather than silently accepted
// and never enforced; Disabled is accepted; any other value is
// MalformedXML. The refused call leaves the bucket's versioning as it was.
func TestMfaDeleteRefused(t *testing.T) {
	e, _ := versionedEnv(t)
	put := func(doc string, hdr ...[2]string) *resp {
		return e.do(req{method: http.MethodPut, path: "/vbk", query: "versioning", body: []byte(doc), hdr: hdr})
	}
	got := put(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`)
	mustStatus(t, got, 501, "NotImplemented")
	if !strings.Contains(string(got.body), "MFA") {
		t.Fatalf("message: %s", got.body)
	}
	mustStatus(t, put(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`,
		[2]string{"x-amz-mfa", "arn:aws:iam::123456789012:mfa/root 123456"}), 501, "NotImplemented")
	mustStatus(t, put(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Maybe</MfaDelete></VersioningConfiguration>`), 400, "MalformedXML")
	got = e.do(req{path: "/vbk", query: "versioning"})
	if !strings.Contains(string(got.body), "<Status>Enabled</Status>") || strings.Contains(string(got.body), "MfaDelete") {
		t.Fatalf("versioning after refused calls: %s", got.body)
	}
	mustStatus(t, put(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`), 200, "")
}
