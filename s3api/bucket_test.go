package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

func TestBucketLifecycle(t *testing.T) {
	e := newTestEnv(t, nil)
	got := e.do(req{method: http.MethodPut, path: "/alpha"})
	mustStatus(t, got, 200, "")
	if got.hdr.Get("Location") != "/alpha" {
		t.Errorf("Location %q", got.hdr.Get("Location"))
	}
	// The owner's re-create: 200 in us-east-1 (as S3 there), 409 elsewhere.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/alpha"}), 200, "")
	eu := newTestEnv(t, func(o *Options) { o.Region = "eu-west-1" })
	mustStatus(t, eu.do(req{method: http.MethodPut, path: "/alpha"}), 200, "")
	mustStatus(t, eu.do(req{method: http.MethodPut, path: "/alpha"}), 409, "BucketAlreadyOwnedByYou")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/Bad_Name"}), 400, "InvalidBucketName")
	cfg := func(loc string) []byte {
		return []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` + loc + `</LocationConstraint></CreateBucketConfiguration>`)
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/beta", body: cfg("us-east-1")}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/gamma", body: cfg("eu-west-1")}), 400, "IllegalLocationConstraintException")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/gamma", body: []byte("<CreateBucketConfiguration>")}), 400, "MalformedXML")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/gamma", hdr: [][2]string{{"x-amz-bucket-object-lock-enabled", "true"}}}), 501, "NotImplemented")
	if e.layer.buckets["gamma"] != nil {
		t.Fatal("refused CreateBucket created the bucket")
	}

	head := e.do(req{method: http.MethodHead, path: "/alpha"})
	mustStatus(t, head, 200, "")
	if head.hdr.Get("x-amz-bucket-region") != testRegion {
		t.Errorf("region header %q", head.hdr.Get("x-amz-bucket-region"))
	}
	mustStatus(t, e.do(req{method: http.MethodHead, path: "/nope"}), 404, "")

	list := e.do(req{path: "/"})
	mustStatus(t, list, 200, "")
	var doc struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		Owner   struct{ ID string }
		Buckets []struct {
			Name         string
			CreationDate string
		} `xml:"Buckets>Bucket"`
	}
	if err := xml.Unmarshal(list.body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Buckets) != 2 || doc.Buckets[0].Name != "alpha" || doc.Buckets[1].Name != "beta" ||
		doc.Buckets[0].CreationDate != "2026-11-28T12:00:00.000Z" || doc.Owner.ID != "root" {
		t.Errorf("ListBuckets: %s", list.body)
	}
	page := e.do(req{path: "/", query: "max-buckets=1"})
	if !strings.Contains(string(page.body), "<Name>alpha</Name>") || strings.Contains(string(page.body), "beta") ||
		!strings.Contains(string(page.body), "<ContinuationToken>") {
		t.Errorf("max-buckets page: %s", page.body)
	}
	next := e.do(req{path: "/", query: "max-buckets=1&continuation-token=" + encodeToken("alpha")})
	if !strings.Contains(string(next.body), "<Name>beta</Name>") || strings.Contains(string(next.body), "alpha<") {
		t.Errorf("second page: %s", next.body)
	}
	pre := e.do(req{path: "/", query: "prefix=be"})
	if strings.Contains(string(pre.body), "alpha") {
		t.Errorf("prefix filter: %s", pre.body)
	}

	loc := e.do(req{path: "/alpha", query: "location"})
	mustStatus(t, loc, 200, "")
	if !strings.Contains(string(loc.body), `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`) {
		t.Errorf("us-east-1 location must be empty: %s", loc.body)
	}
	ver := e.do(req{path: "/alpha", query: "versioning"})
	mustStatus(t, ver, 200, "")
	if !strings.Contains(string(ver.body), "<VersioningConfiguration") || strings.Contains(string(ver.body), "Enabled") {
		t.Errorf("versioning: %s", ver.body)
	}

	e.put("/alpha/k", []byte("x"))
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/alpha"}), 409, "BucketNotEmpty")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/alpha/k"}), 204, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/alpha"}), 204, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/alpha"}), 404, "NoSuchBucket")
}

func TestRegionalServer(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Region = "eu-central-1" })
	cfg := func(loc string) []byte {
		return []byte(`<CreateBucketConfiguration><LocationConstraint>` + loc + `</LocationConstraint></CreateBucketConfiguration>`)
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bk1", body: cfg("us-east-1")}), 400, "IllegalLocationConstraintException")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bk1", body: cfg("eu-central-1")}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bk2"}), 200, "")
	loc := e.do(req{path: "/bk1", query: "location"})
	if !strings.Contains(string(loc.body), ">eu-central-1</LocationConstraint>") {
		t.Errorf("location: %s", loc.body)
	}
	if e.layer.buckets["bk2"].info.Region != "eu-central-1" {
		t.Errorf("bucket region %q", e.layer.buckets["bk2"].info.Region)
	}
}
