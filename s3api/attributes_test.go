package s3api

import (
	"strings"
	"testing"
)

func TestGetObjectAttributesHeaders(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/k", []byte("hello"))
	mustStatus(t, e.do(req{path: "/bkt/k", query: "attributes"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt/k", query: "attributes", hdr: [][2]string{{"x-amz-object-attributes", "ETag,Colour"}}}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt/k", query: "attributes", hdr: [][2]string{{"x-amz-object-attributes", "ETag"}, {"x-amz-max-parts", "-1"}}}), 400, "InvalidArgument")
	got := e.do(req{path: "/bkt/k", query: "attributes", hdr: [][2]string{{"x-amz-object-attributes", "ObjectSize, StorageClass"}}})
	mustStatus(t, got, 200, "")
	body := string(got.body)
	if !strings.Contains(body, "<ObjectSize>5</ObjectSize>") || !strings.Contains(body, "<StorageClass>STANDARD</StorageClass>") || strings.Contains(body, "<ETag>") {
		t.Fatalf("attributes: %s", body)
	}
	mustStatus(t, e.do(req{path: "/bkt/nope", query: "attributes", hdr: [][2]string{{"x-amz-object-attributes", "ETag"}}}), 404, "NoSuchKey")
}
