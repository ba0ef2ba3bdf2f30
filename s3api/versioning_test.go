package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
)

// actions returns the actions the capture authorizer saw since from.
func (a *captureAuthorizer) actionsSince(from int) []iam.Action {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []iam.Action
	for _, r := range a.reqs[from:] {
		out = append(out, r.Action)
	}
	return out
}

func (a *captureAuthorizer) n() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

// TestVersioningRoutesAndActions: each versioning and Object Lock call is
// routed to its handler, asks the authorizer for its own IAM action, and
// answers with S3's version headers.
func TestVersioningRoutesAndActions(t *testing.T) {
	capt := &captureAuthorizer{}
	e := newTestEnv(t, func(o *Options) {
		o.Layer = newRealStore(t)
		o.Authorizer = capt
	})
	e.mkBucket("vbk")
	expect := func(want ...iam.Action) func() {
		from := capt.n()
		return func() {
			t.Helper()
			got := capt.actionsSince(from)
			for _, w := range want {
				found := false
				for _, g := range got {
					found = found || g == w
				}
				if !found {
					t.Errorf("actions %v, want %v among them", got, w)
				}
			}
		}
	}
	check := expect(iam.PutBucketVersioning)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/vbk", query: "versioning",
		body: []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)}), 200, "")
	check()
	got := e.do(req{path: "/vbk", query: "versioning"})
	if !strings.Contains(string(got.body), "<Status>Enabled</Status>") {
		t.Fatalf("GetBucketVersioning: %s", got.body)
	}
	v1 := e.put("/vbk/k", []byte("one")).hdr.Get("x-amz-version-id")
	v2 := e.put("/vbk/k", []byte("two")).hdr.Get("x-amz-version-id")
	if len(v1) != 32 || len(v2) != 32 || v1 == v2 {
		t.Fatalf("version ids %q %q", v1, v2)
	}
	check = expect(iam.GetObjectVersion)
	got = e.do(req{path: "/vbk/k", query: "versionId=" + v1})
	mustStatus(t, got, 200, "")
	if string(got.body) != "one" || got.hdr.Get("x-amz-version-id") != v1 {
		t.Fatalf("GET v1: %q %q", got.body, got.hdr.Get("x-amz-version-id"))
	}
	check()
	mustStatus(t, e.do(req{path: "/vbk/k", query: "versionId=zzz"}), 400, "InvalidArgument")
	check = expect(iam.DeleteObject)
	got = e.do(req{method: http.MethodDelete, path: "/vbk/k"})
	mustStatus(t, got, 204, "")
	marker := got.hdr.Get("x-amz-version-id")
	if got.hdr.Get("x-amz-delete-marker") != "true" || len(marker) != 32 {
		t.Fatalf("DELETE headers %v", got.hdr)
	}
	check()
	got = e.do(req{path: "/vbk/k"})
	mustStatus(t, got, 404, "NoSuchKey")
	if got.hdr.Get("x-amz-delete-marker") != "true" || got.hdr.Get("x-amz-version-id") != marker {
		t.Fatalf("GET behind a marker: headers %v", got.hdr)
	}
	mustStatus(t, e.do(req{path: "/vbk/k", query: "versionId=" + marker}), 405, "MethodNotAllowed")
	check = expect(iam.ListBucketVersions)
	got = e.do(req{path: "/vbk", query: "versions"})
	mustStatus(t, got, 200, "")
	body := string(got.body)
	if strings.Index(body, "<DeleteMarker>") < 0 || strings.Index(body, "<DeleteMarker>") > strings.Index(body, "<Version>") {
		t.Fatalf("listing does not start with the delete marker: %s", body)
	}
	check()
	check = expect(iam.DeleteObjectVersion)
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/vbk/k", query: "versionId=" + v2}), 204, "")
	check()

	// Object Lock.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk", hdr: [][2]string{{"x-amz-bucket-object-lock-enabled", "true"}}}), 200, "")
	check = expect(iam.PutBucketObjectLockConfiguration, iam.GetBucketObjectLockConfiguration)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk", query: "object-lock",
		body: []byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`)}), 200, "")
	got = e.do(req{path: "/lbk", query: "object-lock"})
	if !strings.Contains(string(got.body), "<Mode>GOVERNANCE</Mode><Days>1</Days>") {
		t.Fatalf("GetObjectLockConfiguration: %s", got.body)
	}
	check()
	mustStatus(t, e.do(req{path: "/vbk", query: "object-lock"}), 404, "ObjectLockConfigurationNotFoundError")
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	lockHdr := [][2]string{{"x-amz-object-lock-mode", "COMPLIANCE"}, {"x-amz-object-lock-retain-until-date", until}}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk/c", body: []byte("c"), hdr: lockHdr}), 400, "InvalidRequest")
	sum := md5.Sum([]byte("c"))
	got = e.do(req{method: http.MethodPut, path: "/lbk/c", body: []byte("c"), hdr: append(lockHdr, [2]string{"Content-MD5", base64.StdEncoding.EncodeToString(sum[:])})})
	mustStatus(t, got, 200, "")
	cv := got.hdr.Get("x-amz-version-id")
	got = e.do(req{method: http.MethodHead, path: "/lbk/c"})
	if got.hdr.Get("x-amz-object-lock-mode") != "COMPLIANCE" || got.hdr.Get("x-amz-object-lock-retain-until-date") != until {
		t.Fatalf("HEAD lock headers %v", got.hdr)
	}
	check = expect(iam.DeleteObjectVersion, iam.BypassGovernanceRetention)
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/lbk/c", query: "versionId=" + cv,
		hdr: [][2]string{{"x-amz-bypass-governance-retention", "true"}}}), 403, "AccessDenied")
	check()
	check = expect(iam.PutObjectRetention, iam.GetObjectRetention, iam.PutObjectLegalHold, iam.GetObjectLegalHold)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk/c", query: "retention",
		body: []byte(`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>`)}), 400, "InvalidArgument")
	got = e.do(req{path: "/lbk/c", query: "retention"})
	if !strings.Contains(string(got.body), "<Mode>COMPLIANCE</Mode>") {
		t.Fatalf("GetObjectRetention: %s", got.body)
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk/c", query: "legal-hold", body: []byte(`<LegalHold><Status>ON</Status></LegalHold>`)}), 200, "")
	got = e.do(req{path: "/lbk/c", query: "legal-hold"})
	if !strings.Contains(string(got.body), "<Status>ON</Status>") {
		t.Fatalf("GetObjectLegalHold: %s", got.body)
	}
	check()
	// Lock headers on CreateMultipartUpload are kept with the upload (see
	// TestMultipartObjectLock).
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/lbk/m", query: "uploads", hdr: [][2]string{{"x-amz-object-lock-legal-hold", "ON"}}}), 200, "")
}
