package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// ACLs are disabled, as S3 disables them for every bucket created since
// April 2023 (Object Ownership "BucketOwnerEnforced"): the bucket owner
// owns every object and holds FULL_CONTROL, which is all Get*Acl reports.
// Put*Acl and x-amz-acl accept only what changes nothing ("private",
// "bucket-owner-full-control", or a document granting the owner
// FULL_CONTROL); public canned ACLs and grant headers are refused with
// AccessControlListNotSupported — access is given with a bucket policy,
// which the public access block governs (docs/SECURITY.md).

// The ACL permissions.
const (
	actGetBucketACL iam.Action = "s3:GetBucketAcl"
	actPutBucketACL iam.Action = "s3:PutBucketAcl"
	actGetObjectACL iam.Action = "s3:GetObjectAcl"
	actPutObjectACL iam.Action = "s3:PutObjectAcl"
)

var (
	opGetBucketACL = &operation{"GetBucketAcl", actGetBucketACL, (*request).getACL}
	opPutBucketACL = &operation{"PutBucketAcl", actPutBucketACL, (*request).putACL}
	opGetObjectACL = &operation{"GetObjectAcl", actGetObjectACL, (*request).getACL}
	opPutObjectACL = &operation{"PutObjectAcl", actPutObjectACL, (*request).putACL}
)

// maxACLBody bounds an AccessControlPolicy document.
const maxACLBody = 64 << 10

// routeAccess routes ?acl (bucket or object) and ?publicAccessBlock
// (bucket only); nil, nil for any other request.
func routeAccess(r *request) (*operation, error) {
	if _, ok := r.query("publicAccessBlock"); ok {
		if r.key != "" {
			return nil, s3err.Newf(s3err.NotImplemented, "The publicAccessBlock sub-resource is not implemented on objects.")
		}
		switch r.method {
		case http.MethodGet:
			return opGetPublicAccessBlock, nil
		case http.MethodPut:
			return opPutPublicAccessBlock, nil
		case http.MethodDelete:
			return opDeletePublicAccessBlock, nil
		}
		return nil, s3err.New(s3err.MethodNotAllowed)
	}
	if _, ok := r.query("acl"); ok {
		switch {
		case r.method == http.MethodGet && r.key == "":
			return opGetBucketACL, nil
		case r.method == http.MethodPut && r.key == "":
			return opPutBucketACL, nil
		case r.method == http.MethodGet:
			return opGetObjectACL, nil
		case r.method == http.MethodPut:
			return opPutObjectACL, nil
		}
		return nil, s3err.New(s3err.MethodNotAllowed)
	}
	return nil, nil
}

// aclNotSupported is S3's answer to an ACL on a bucket that disables them.
func aclNotSupported(what string) error {
	return &s3err.Error{Code: "AccessControlListNotSupported", Status: http.StatusBadRequest,
		Message: "The bucket does not allow ACLs (" + what + "); grant access with a bucket policy."}
}

// ownerOnlyACL reports whether a canned ACL leaves the bucket owner the
// only grantee.
func ownerOnlyACL(v string) bool {
	return v == "private" || v == "bucket-owner-full-control"
}

// checkACLHeaders refuses, on the operations that take them (PutObject,
// CopyObject, CreateMultipartUpload, CreateBucket), a canned ACL other
// than an owner-only one and every x-amz-grant-* header.
func (r *request) checkACLHeaders() error {
	for _, h := range r.hdr.h {
		switch {
		case h.name == "x-amz-acl" && !ownerOnlyACL(h.value):
			return aclNotSupported("x-amz-acl: " + h.value)
		case strings.HasPrefix(h.name, "x-amz-grant-"):
			return aclNotSupported(h.name)
		}
	}
	return nil
}

// takesACLHeaders lists the operations whose x-amz-acl and grant headers
// checkACLHeaders judges.
func takesACLHeaders(op *operation) bool {
	return op == opPutObject || op == opCopyObject || op == opCreateMultipartUpload || op == opCreateBucket
}

// aclGrantee is a Grantee element.
type aclGrantee struct {
	XMLNSXsi    string `xml:"xmlns:xsi,attr,omitempty"`
	Type        string `xml:"xsi:type,attr,omitempty"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

type aclGrant struct {
	Grantee    aclGrantee `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type aclOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// accessControlPolicy is Get*Acl's answer.
type accessControlPolicy struct {
	XMLName xml.Name   `xml:"AccessControlPolicy"`
	Xmlns   string     `xml:"xmlns,attr"`
	Owner   aclOwner   `xml:"Owner"`
	Grants  []aclGrant `xml:"AccessControlList>Grant"`
}

// aclPolicyIn is a Put*Acl body as parsed: the grantee's xsi:type is
// matched by its local name.
type aclPolicyIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee struct {
			Type  string `xml:"type,attr"`
			ID    string `xml:"ID"`
			URI   string `xml:"URI"`
			Email string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// parseACLBody decodes a Put*Acl document and accepts it only when it
// grants nothing beyond the owner's FULL_CONTROL: malformed XML is
// MalformedXML, any other grant AccessControlListNotSupported, and an
// Owner other than the bucket owner AccessDenied.
func parseACLBody(body []byte, owner string) error {
	var p aclPolicyIn
	if err := decodeStrict(body, &p); err != nil {
		return err
	}
	if p.Owner != nil && p.Owner.ID != "" && p.Owner.ID != owner {
		return s3err.Newf(s3err.AccessDenied, "The ACL names an owner other than the bucket owner.")
	}
	for _, g := range p.Grants {
		gt := g.Grantee
		if gt.Type != "CanonicalUser" || gt.ID != owner || gt.URI != "" || gt.Email != "" || g.Permission != "FULL_CONTROL" {
			return aclNotSupported("a grant other than the owner's FULL_CONTROL")
		}
	}
	return nil
}

// aclTarget checks that the bucket (and, for an object ACL, the object)
// exists and returns the bucket owner, who owns every object.
func (r *request) aclTarget() (string, error) {
	info, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return "", err
	}
	if r.key != "" {
		if _, err := r.s.o.Layer.HeadObject(r.cx, object.GetInput{Bucket: r.bucket, Key: r.key, HeadOnly: true}); err != nil {
			return "", err
		}
	}
	return info.Owner, nil
}

// getACL serves GetBucketAcl and GetObjectAcl: the owner's FULL_CONTROL.
func (r *request) getACL() error {
	owner, err := r.aclTarget()
	if err != nil {
		return err
	}
	return r.writeXML(http.StatusOK, accessControlPolicy{
		Xmlns: s3NS,
		Owner: aclOwner{ID: owner, DisplayName: owner},
		Grants: []aclGrant{{
			Grantee:    aclGrantee{XMLNSXsi: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser", ID: owner, DisplayName: owner},
			Permission: "FULL_CONTROL",
		}},
	})
}

// putACL serves PutBucketAcl and PutObjectAcl: an owner-only ACL (canned
// or as a document) is accepted and changes nothing; anything else is
// refused (see the comment at the top of this file).
func (r *request) putACL() error {
	if err := r.checkACLHeaders(); err != nil {
		return err
	}
	owner, err := r.aclTarget()
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxACLBody)
	if err != nil {
		return err
	}
	_, canned := r.hdr.get("x-amz-acl")
	switch {
	case canned && len(body) > 0:
		return s3err.Newf(s3err.InvalidRequest, "Give either x-amz-acl or an AccessControlPolicy document, not both.")
	case canned:
	case len(body) == 0:
		return s3err.Newf(s3err.MissingSecurityHeader, "Put*Acl needs x-amz-acl or an AccessControlPolicy document.")
	default:
		if err := parseACLBody(body, owner); err != nil {
			return err
		}
	}
	r.writeEmpty(http.StatusOK)
	return nil
}
