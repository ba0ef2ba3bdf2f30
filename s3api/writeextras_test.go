package s3api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/tasmaniancloud/rustfs/iam"
)

// TestWriteExtrasAuthorized: a write that sets tags asks for
// s3:PutObjectTagging, one that sets a retention s3:PutObjectRetention
// and one that sends a legal hold s3:PutObjectLegalHold, besides
// s3:PutObject, on PutObject, CreateMultipartUpload and CopyObject, as S3
// asks (POST forms: TestPostObjectFieldPermissions). A write without them
// asks for s3:PutObject alone, and a copy keeping the source's tags
// (directive COPY) asks nothing for them.
func TestWriteExtrasAuthorized(t *testing.T) {
	e, capt := versionedEnv(t)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/lbk", hdr: [][2]string{{"x-amz-bucket-object-lock-enabled", "true"}}}), 200, "")
	mustStatus(t, e.put("/vbk/src", []byte("x"), [2]string{"x-amz-tagging", "a=1"}), 200, "")
	md5Hdr := md5Header([]byte("x"))
	tags := [2]string{"x-amz-tagging", "team=a"}
	retain := [][2]string{{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"}}
	hold := [2]string{"x-amz-object-lock-legal-hold", "ON"}
	copySrc := [2]string{"x-amz-copy-source", "/vbk/src"}
	for _, c := range []struct {
		name string
		rq   req
		want []iam.Action
	}{
		{"plain PUT", req{method: http.MethodPut, path: "/vbk/k", body: []byte("x")}, nil},
		{"tagged PUT", req{method: http.MethodPut, path: "/vbk/k", body: []byte("x"), hdr: [][2]string{tags}}, []iam.Action{iam.PutObjectTagging}},
		{"retained PUT", req{method: http.MethodPut, path: "/lbk/k", body: []byte("x"), hdr: append(retain, md5Hdr)}, []iam.Action{iam.PutObjectRetention}},
		{"held PUT", req{method: http.MethodPut, path: "/lbk/k", body: []byte("x"), hdr: [][2]string{hold, md5Hdr}}, []iam.Action{iam.PutObjectLegalHold}},
		{"everything PUT", req{method: http.MethodPut, path: "/lbk/k", body: []byte("x"), hdr: append(retain, hold, tags, md5Hdr)},
			[]iam.Action{iam.PutObjectTagging, iam.PutObjectRetention, iam.PutObjectLegalHold}},
		{"tagged upload", req{method: http.MethodPost, path: "/vbk/m", query: "uploads", hdr: [][2]string{tags}}, []iam.Action{iam.PutObjectTagging}},
		{"locked upload", req{method: http.MethodPost, path: "/lbk/m", query: "uploads", hdr: append(retain, hold)},
			[]iam.Action{iam.PutObjectRetention, iam.PutObjectLegalHold}},
		{"copy keeping tags", req{method: http.MethodPut, path: "/vbk/c", hdr: [][2]string{copySrc}}, nil},
		{"copy replacing tags", req{method: http.MethodPut, path: "/vbk/c", hdr: [][2]string{copySrc, tags, {"x-amz-tagging-directive", "REPLACE"}}},
			[]iam.Action{iam.PutObjectTagging}},
		{"locked copy", req{method: http.MethodPut, path: "/lbk/c", hdr: [][2]string{copySrc, retain[0], retain[1]}}, []iam.Action{iam.PutObjectRetention}},
	} {
		capt.mu.Lock()
		capt.reqs = nil
		capt.mu.Unlock()
		r := e.do(c.rq)
		if r.status != 200 {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
			continue
		}
		capt.mu.Lock()
		var extras []iam.Action
		for _, q := range capt.reqs {
			switch q.Action {
			case iam.PutObjectTagging, iam.PutObjectRetention, iam.PutObjectLegalHold:
				extras = append(extras, q.Action)
			}
		}
		capt.mu.Unlock()
		if !slices.Equal(extras, c.want) {
			t.Errorf("%s: asked %v, want %v", c.name, extras, c.want)
		}
	}
}
