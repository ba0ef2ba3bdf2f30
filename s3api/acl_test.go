package s3api

import (
	"encoding/xml"
	"net/http"
	"testing"
)

const ownerACL = `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>root</ID></Owner><AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>root</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
</AccessControlList></AccessControlPolicy>`

func TestParseACLBody(t *testing.T) {
	for _, c := range []struct {
		body, code string
	}{
		{ownerACL, ""},
		{`<AccessControlPolicy><AccessControlList/></AccessControlPolicy>`, ""},
		{`<AccessControlPolicy><Owner><ID>other</ID></Owner></AccessControlPolicy>`, "AccessDenied"},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`, "AccessControlListNotSupported"},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type="CanonicalUser" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><ID>root</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`, "AccessControlListNotSupported"},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type="CanonicalUser" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><ID>someone</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`, "AccessControlListNotSupported"},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type="AmazonCustomerByEmail" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><EmailAddress>a@b</EmailAddress></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`, "AccessControlListNotSupported"},
		{`<AccessControlPolicy>`, "MalformedXML"},
		{`<Other/>`, "MalformedXML"},
	} {
		err := parseACLBody([]byte(c.body), "root")
		got := ""
		if err != nil {
			got = codeOf(err)
		}
		if got != c.code {
			t.Errorf("%s: %q (%v), want %q", c.body, got, err, c.code)
		}
	}
}

func FuzzParseACLBody(f *testing.F) {
	f.Add([]byte(ownerACL))
	f.Add([]byte(`<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>x</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`))
	f.Add([]byte(`<AccessControlPolicy/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if parseACLBody(b, "root") != nil {
			return
		}
		// Accepted: every grant is the owner's FULL_CONTROL.
		var p aclPolicyIn
		if err := xml.Unmarshal(b, &p); err != nil {
			t.Fatalf("accepted but does not decode: %v", err)
		}
		for _, g := range p.Grants {
			if g.Grantee.ID != "root" || g.Permission != "FULL_CONTROL" || g.Grantee.URI != "" {
				t.Fatalf("accepted grant %+v", g)
			}
		}
	})
}

// TestACLs: Get*Acl answer the owner's FULL_CONTROL; owner-only ACLs are
// accepted (and change nothing); public ones and grants are refused with
// AccessControlListNotSupported and store nothing.
func TestACLs(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	mustStatus(t, e.put("/bkt/k", []byte("hello")), 200, "")
	for _, path := range []string{"/bkt", "/bkt/k"} {
		res := e.do(req{path: path, query: "acl"})
		mustStatus(t, res, 200, "")
		var p accessControlPolicy
		if err := xml.Unmarshal(res.body, &p); err != nil || p.Owner.ID != "root" || len(p.Grants) != 1 ||
			p.Grants[0].Permission != "FULL_CONTROL" || p.Grants[0].Grantee.ID != "root" {
			t.Fatalf("%s?acl: %+v %v\n%s", path, p, err, res.body)
		}
		for _, canned := range []string{"private", "bucket-owner-full-control"} {
			mustStatus(t, e.do(req{method: http.MethodPut, path: path, query: "acl", hdr: [][2]string{{"x-amz-acl", canned}}}), 200, "")
		}
		mustStatus(t, e.do(req{method: http.MethodPut, path: path, query: "acl", body: []byte(ownerACL)}), 200, "")
		for _, canned := range []string{"public-read", "public-read-write", "authenticated-read"} {
			mustStatus(t, e.do(req{method: http.MethodPut, path: path, query: "acl", hdr: [][2]string{{"x-amz-acl", canned}}}), 400, "AccessControlListNotSupported")
		}
		mustStatus(t, e.do(req{method: http.MethodPut, path: path, query: "acl", hdr: [][2]string{{"x-amz-grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers"}}}), 400, "AccessControlListNotSupported")
		mustStatus(t, e.do(req{method: http.MethodPut, path: path, query: "acl"}), 400, "MissingSecurityHeader")
		mustStatus(t, e.do(req{method: http.MethodDelete, path: path, query: "acl"}), 405, "MethodNotAllowed")
	}
	mustStatus(t, e.do(req{path: "/bkt/missing", query: "acl"}), 404, "NoSuchKey")
	mustStatus(t, e.do(req{path: "/nobkt", query: "acl"}), 404, "NoSuchBucket")

	// x-amz-acl on uploads and bucket creation.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/a", body: []byte("x"), hdr: [][2]string{{"x-amz-acl", "bucket-owner-full-control"}}}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/b", body: []byte("x"), hdr: [][2]string{{"x-amz-acl", "public-read"}}}), 400, "AccessControlListNotSupported")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/b", body: []byte("x"), hdr: [][2]string{{"x-amz-grant-full-control", "id=someone"}}}), 400, "AccessControlListNotSupported")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt/b", query: "uploads", hdr: [][2]string{{"x-amz-acl", "public-read-write"}}}), 400, "AccessControlListNotSupported")
	if e.layer.buckets["bkt"].objects["b"] != nil {
		t.Fatal("a refused ACL stored an object")
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt2", hdr: [][2]string{{"x-amz-acl", "public-read"}}}), 400, "AccessControlListNotSupported")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt3", hdr: [][2]string{{"x-amz-acl", "bucket-owner-full-control"}}}), 200, "")
	// An anonymous caller learns nothing about ACLs.
	mustStatus(t, e.do(req{path: "/bkt", query: "acl", auth: authNone}), 403, "AccessDenied")
}
