package s3api

import (
	"crypto/md5"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
)

// versionedEnv returns an env on the real object store with a versioned
// bucket vbk, whose authorizer records every action it is asked for.
func versionedEnv(t *testing.T) (*testEnv, *captureAuthorizer) {
	capt := &captureAuthorizer{}
	e := newTestEnv(t, func(o *Options) {
		o.Layer = newRealStore(t)
		o.Authorizer = capt
	})
	e.mkBucket("vbk")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/vbk", query: "versioning",
		body: []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)}), 200, "")
	return e, capt
}

// TestGetObjectAttributesVersion: GetObjectAttributes with versionId
// describes that version (x-amz-version-id, its size and ETag) and asks
// for s3:GetObjectVersionAttributes; a delete marker answers as S3 does
// (404 with x-amz-delete-marker for the latest, 405 by id), an unknown id
// 404 NoSuchVersion.
func TestGetObjectAttributesVersion(t *testing.T) {
	e, capt := versionedEnv(t)
	v1 := e.put("/vbk/k", []byte("first")).hdr.Get("x-amz-version-id")
	v2 := e.put("/vbk/k", []byte("second!")).hdr.Get("x-amz-version-id")
	attrs := [][2]string{{"x-amz-object-attributes", "ETag,ObjectSize"}}
	for _, c := range []struct {
		vid  string
		size string
		etag string
	}{{v1, "5", fmt.Sprintf("%x", md5.Sum([]byte("first")))}, {v2, "7", fmt.Sprintf("%x", md5.Sum([]byte("second!")))}} {
		from := capt.n()
		got := e.do(req{path: "/vbk/k", query: "attributes&versionId=" + c.vid, hdr: attrs})
		mustStatus(t, got, 200, "")
		if got.hdr.Get("x-amz-version-id") != c.vid || !strings.Contains(string(got.body), "<ObjectSize>"+c.size+"</ObjectSize>") {
			t.Fatalf("attributes of %s: version header %q, body %s", c.vid, got.hdr.Get("x-amz-version-id"), got.body)
		}
		if !strings.Contains(string(got.body), c.etag) {
			t.Fatalf("attributes of %s: body %s, want ETag %s", c.vid, got.body, c.etag)
		}
		if acts := capt.actionsSince(from); !slices.Contains(acts, iam.GetObjectVersionAttributes) || slices.Contains(acts, iam.GetObjectAttributes) {
			t.Fatalf("attributes by versionId asked for %v, want s3:GetObjectVersionAttributes only", acts)
		}
	}
	// Without versionId: the current version, with its id.
	got := e.do(req{path: "/vbk/k", query: "attributes", hdr: attrs})
	mustStatus(t, got, 200, "")
	if got.hdr.Get("x-amz-version-id") != v2 || !strings.Contains(string(got.body), "<ObjectSize>7</ObjectSize>") {
		t.Fatalf("attributes of the current version: %q %s", got.hdr.Get("x-amz-version-id"), got.body)
	}

	marker := e.do(req{method: http.MethodDelete, path: "/vbk/k"}).hdr.Get("x-amz-version-id")
	got = e.do(req{path: "/vbk/k", query: "attributes", hdr: attrs})
	mustStatus(t, got, 404, "NoSuchKey")
	if got.hdr.Get("x-amz-delete-marker") != "true" || got.hdr.Get("x-amz-version-id") != marker {
		t.Fatalf("attributes behind a delete marker: headers %v", got.hdr)
	}
	got = e.do(req{path: "/vbk/k", query: "attributes&versionId=" + marker, hdr: attrs})
	mustStatus(t, got, 405, "MethodNotAllowed")
	if got.hdr.Get("x-amz-delete-marker") != "true" {
		t.Fatalf("attributes of the marker by id: headers %v", got.hdr)
	}
	// The older version is still there behind the marker.
	mustStatus(t, e.do(req{path: "/vbk/k", query: "attributes&versionId=" + v1, hdr: attrs}), 200, "")
	unknown := strings.Repeat("0", len(v1))
	mustStatus(t, e.do(req{path: "/vbk/k", query: "attributes&versionId=" + unknown, hdr: attrs}), 404, "NoSuchVersion")
	mustStatus(t, e.do(req{path: "/vbk/k", query: "attributes&versionId=", hdr: attrs}), 400, "InvalidArgument")
}

// TestVersionTaggingActions: tagging one version by id asks for the
// *VersionTagging permission, as S3 does; without versionId the plain
// one. The tags land on the version named.
func TestVersionTaggingActions(t *testing.T) {
	e, capt := versionedEnv(t)
	v1 := e.put("/vbk/k", []byte("first")).hdr.Get("x-amz-version-id")
	e.put("/vbk/k", []byte("second"))
	for _, c := range []struct {
		r          req
		status     int
		want, deny iam.Action
	}{
		{tagReq(http.MethodPut, "/vbk/k", "tagging&versionId="+v1, taggingXML("a", "1")), 200, iam.PutObjectVersionTagging, iam.PutObjectTagging},
		{req{path: "/vbk/k", query: "tagging&versionId=" + v1}, 200, iam.GetObjectVersionTagging, iam.GetObjectTagging},
		{req{path: "/vbk/k", query: "tagging"}, 200, iam.GetObjectTagging, iam.GetObjectVersionTagging},
		{req{method: http.MethodDelete, path: "/vbk/k", query: "tagging&versionId=" + v1}, 204, iam.DeleteObjectVersionTagging, iam.DeleteObjectTagging},
		{tagReq(http.MethodPut, "/vbk/k", "tagging", taggingXML("b", "2")), 200, iam.PutObjectTagging, iam.PutObjectVersionTagging},
		{req{method: http.MethodDelete, path: "/vbk/k", query: "tagging"}, 204, iam.DeleteObjectTagging, iam.DeleteObjectVersionTagging},
	} {
		from := capt.n()
		got := e.do(c.r)
		mustStatus(t, got, c.status, "")
		if c.r.method == "" && strings.Contains(c.r.query, "versionId") && !strings.Contains(string(got.body), "<Key>a</Key>") {
			t.Fatalf("GET tagging of version %s: %s, want the tag put on it", v1, got.body)
		}
		if c.r.method == "" && !strings.Contains(c.r.query, "versionId") && strings.Contains(string(got.body), "<Key>a</Key>") {
			t.Fatalf("GET tagging of the current version shows version %s's tag: %s", v1, got.body)
		}
		acts := capt.actionsSince(from)
		if !slices.Contains(acts, c.want) || slices.Contains(acts, c.deny) {
			t.Errorf("%s %s?%s asked for %v, want %s and not %s", c.r.method, c.r.path, c.r.query, acts, c.want, c.deny)
		}
	}
	for op, action := range map[*operation]iam.Action{
		opGetObjectVersionTagging: "s3:GetObjectVersionTagging", opPutObjectVersionTagging: "s3:PutObjectVersionTagging",
		opDeleteObjectVersionTagging: "s3:DeleteObjectVersionTagging", opGetObjectVersionAttributes: "s3:GetObjectVersionAttributes",
	} {
		if op.action != action {
			t.Errorf("%s needs %s, want %s", op.name, op.action, action)
		}
	}
}

// TestMultipartObjectLock: the x-amz-object-lock-* headers of
// CreateMultipartUpload are checked as on PUT (no Object Lock on the
// bucket, a bad mode or a past date is refused before any part), kept
// with the upload and applied to the version Complete writes: its HEAD
// reports them and a DELETE of it is refused.
func TestMultipartObjectLock(t *testing.T) {
	e, _ := versionedEnv(t)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk", hdr: [][2]string{{"x-amz-bucket-object-lock-enabled", "true"}}}), 200, "")
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	lock := [][2]string{{"x-amz-object-lock-mode", "COMPLIANCE"}, {"x-amz-object-lock-retain-until-date", until}, {"x-amz-object-lock-legal-hold", "ON"}}
	post := func(path string, hdr [][2]string) *resp {
		return e.do(req{method: http.MethodPost, path: path, query: "uploads", hdr: hdr})
	}
	mustStatus(t, post("/vbk/m", lock), 400, "InvalidRequest") // no Object Lock on vbk
	mustStatus(t, post("/lbk/m", [][2]string{{"x-amz-object-lock-mode", "FOREVER"}, {"x-amz-object-lock-retain-until-date", until}}), 400, "InvalidArgument")
	mustStatus(t, post("/lbk/m", [][2]string{{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", "2020-01-01T00:00:00Z"}}), 400, "InvalidArgument")
	mustStatus(t, post("/lbk/m", [][2]string{{"x-amz-object-lock-mode", "GOVERNANCE"}}), 400, "InvalidArgument")

	id := createUpload(t, e, "/lbk/m", lock...)
	part := []byte("locked multipart body")
	// Parts of a locked upload carry an integrity check, as S3 requires
	// (TestObjectLockNeedsIntegrity).
	up := e.do(req{method: http.MethodPut, path: "/lbk/m", query: "partNumber=1&uploadId=" + id, body: part, hdr: [][2]string{md5Header(part)}})
	mustStatus(t, up, 200, "")
	done := e.do(req{method: http.MethodPost, path: "/lbk/m", query: "uploadId=" + id, body: completeXML([2]string{"1", up.hdr.Get("ETag")})})
	mustStatus(t, done, 200, "")
	vid := done.hdr.Get("x-amz-version-id")
	head := e.do(req{method: http.MethodHead, path: "/lbk/m"})
	mustStatus(t, head, 200, "")
	if head.hdr.Get("x-amz-object-lock-mode") != "COMPLIANCE" || head.hdr.Get("x-amz-object-lock-retain-until-date") != until ||
		head.hdr.Get("x-amz-object-lock-legal-hold") != "ON" || head.hdr.Get("x-amz-version-id") != vid {
		t.Fatalf("HEAD of the completed object: lock headers %v, want COMPLIANCE until %s, legal hold ON, version %s", head.hdr, until, vid)
	}
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/lbk/m", query: "versionId=" + vid}), 403, "AccessDenied")

	// Without lock headers an upload in the same bucket gets no lock state
	// of its own (no default retention is configured).
	id = createUpload(t, e, "/lbk/plain")
	up = e.do(req{method: http.MethodPut, path: "/lbk/plain", query: "partNumber=1&uploadId=" + id, body: part})
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/lbk/plain", query: "uploadId=" + id, body: completeXML([2]string{"1", up.hdr.Get("ETag")})}), 200, "")
	head = e.do(req{method: http.MethodHead, path: "/lbk/plain"})
	if head.hdr.Get("x-amz-object-lock-mode") != "" || head.hdr.Get("x-amz-object-lock-legal-hold") == "ON" {
		t.Fatalf("HEAD of an upload without lock headers: %v", head.hdr)
	}
}
