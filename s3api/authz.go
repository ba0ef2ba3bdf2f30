package s3api

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// newAuthorizer is the default Options.Authorizer: the bucket policies
// stored in the object layer, evaluated with a decision cache. The root
// account may do everything a bucket policy's explicit Deny does not
// forbid, and may always read, replace or delete a bucket policy so a
// lock-out can be undone; anonymous requests and other accounts may do
// what a bucket policy grants them (see policy.Authorizer).
func newAuthorizer(s *Server) iam.Authorizer {
	a := &policy.Authorizer{
		Evaluator: &policy.Evaluator{Now: s.o.Now, Cache: policy.NewCache(0)},
		Bucket:    s.policies.lookupFor,
	}
	if s.o.Users != nil { // users' identity policies (default deny without one)
		a.Principal, a.Identity = s.o.Users.Principal, s.o.Users.Identity
	}
	return a
}

// authorize decides op for r before its handler runs. DeleteObjects has
// no permission of its own: its handler checks s3:DeleteObject per key.
// PutObjectTagging's handler (with or without versionId) decides once it has read the tags its
// s3:RequestObjectTag conditions name. An allowed request that sets an
// ACL other than an owner-only one is then refused (acl.go).
func (s *Server) authorize(r *request, op *operation) error {
	if op == opDeleteObjects || op == opPutObjectTagging || op == opPutObjectVersionTagging {
		return nil
	}
	if err := s.authorizeAction(r, op, op.action, r.bucket, r.key); err != nil {
		return err
	}
	if takesACLHeaders(op) {
		return r.checkACLHeaders()
	}
	return nil
}

// authorizeAction asks the authorizer whether r's principal may do action
// on bucket/key, with r's condition keys. Denials are AccessDenied.
func (s *Server) authorizeAction(r *request, op *operation, action iam.Action, bucket, key string) error {
	if r.authz == nil {
		r.authz = policy.WithRequestContext(r.cx, r.policyContext(op))
		if r.principal.Anonymous {
			r.authz = withAnonymous(r.authz)
		}
	}
	if r.condErr != nil { // a condition key could not be read: fail closed
		return r.condErr
	}
	err := s.o.Authorizer.Authorize(r.authz, iam.Request{Principal: r.principal, Action: action, Bucket: bucket, Key: key})
	if err == nil {
		return nil
	}
	if errors.Is(err, iam.ErrAccessDenied) {
		return s3err.Wrap(s3err.AccessDenied, err)
	}
	// The policy could not be read: the request is refused (fail closed)
	// with what went wrong (503 while the backend is unavailable), not a
	// misleading AccessDenied. Anonymous callers still see only
	// AccessDenied (serveAnonymous). The root account can always repair a
	// bucket policy, even one that no longer loads.
	if isRoot(r.principal) && isPolicyAction(action) {
		s.log.Warn("s3api: bucket policy unreadable; root allowed to repair it", "id", r.id, "bucket", bucket, "err", err)
		return nil
	}
	return err
}

func isRoot(p iam.Principal) bool {
	return !p.Anonymous && p.Account == iam.RootAccount && p.User == ""
}

func isPolicyAction(a iam.Action) bool {
	return a == iam.GetBucketPolicy || a == iam.PutBucketPolicy || a == iam.DeleteBucketPolicy
}

// policyContext collects the condition keys the request supplies. The
// source address is the TCP peer's, never a header: X-Forwarded-For is
// whatever the client wrote, and a policy pinned to an address range must
// not be opened by one line of text.
func (r *request) policyContext(op *operation) policy.Context {
	c := make(policy.Context, 12)
	if ip := peerIP(r.ctx.RemoteAddr()); ip.IsValid() {
		c.Set("aws:SourceIp", ip.String())
	}
	if r.ctx.IsTLS() {
		c.Set("aws:SecureTransport", "true")
	} else {
		c.Set("aws:SecureTransport", "false")
	}
	for _, h := range [...]struct{ header, key string }{
		{"user-agent", "aws:UserAgent"},
		{"referer", "aws:Referer"},
		{"x-amz-content-sha256", "s3:x-amz-content-sha256"},
		{"x-amz-acl", "s3:x-amz-acl"},
		{"x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"},
	} {
		if v, ok := r.hdr.get(h.header); ok {
			c.Set(h.key, v)
		}
	}
	if r.ident != nil && !r.ident.Anonymous {
		c.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
		date, _ := r.hdr.get("x-amz-date")
		if r.ident.Presigned {
			c.Set("s3:authType", "REST-QUERY-STRING")
			date, _ = r.query("X-Amz-Date")
		} else {
			c.Set("s3:authType", "REST-HEADER")
		}
		// s3:signatureAge: milliseconds since the signature was made, so a
		// policy can refuse presigned URLs older than it likes.
		if t, err := time.Parse(amzDateLayout, date); err == nil {
			c.Set("s3:signatureAge", strconv.FormatInt(max(r.s.o.Now().Sub(t).Milliseconds(), 0), 10))
		}
	}
	r.tagConditions(c, op)
	switch op {
	case opListObjects, opListObjectsV2, opListObjectVersions:
		for _, q := range [...]struct{ arg, key string }{
			{"prefix", "s3:prefix"}, {"delimiter", "s3:delimiter"}, {"max-keys", "s3:max-keys"},
		} {
			if v, ok := r.query(q.arg); ok {
				c.Set(q.key, v)
			}
		}
	}
	return c
}

// amzDateLayout is SigV4's X-Amz-Date format.
const amzDateLayout = "20060102T150405Z"

// peerIP is the connection's remote address without its port.
func peerIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

// serveAnonymous runs a request that carried no credentials. It reaches
// the handler only where a bucket policy grants it; every refusal is the
// same bare AccessDenied, whatever the reason (no such operation, no such
// bucket, no grant), so anonymous probing learns nothing, and counts as a
// failed authentication for the limiter, as enumeration would.
// ListBuckets and CreateBucket are never anonymous.
func (s *Server) serveAnonymous(r *request, att *authAttempt, targetErr error) string {
	op, ok := s.admitAnonymous(r, targetErr)
	if !ok {
		att.fail(r, s3err.AccessDenied)
		r.writeError(s3err.New(s3err.AccessDenied))
		return "Anonymous"
	}
	// Allowed, not proven: the token is handed back, no connection is
	// exempted from the limiter.
	att.release()
	if err := r.checkExpectedOwner("x-amz-expected-bucket-owner", r.bucket); err != nil {
		r.writeError(err)
		return op.name
	}
	if err := op.handler(r); err != nil {
		r.writeError(err)
	}
	return op.name
}

// admitAnonymous routes an anonymous request and asks the authorizer,
// reporting the operation and whether it may run.
func (s *Server) admitAnonymous(r *request, targetErr error) (*operation, bool) {
	if targetErr != nil || s.isMetrics(r) || s.isAdmin(r) {
		return nil, false
	}
	op, err := s.route(r)
	if err != nil || op == opListBuckets || op == opCreateBucket {
		return nil, false
	}
	if err := s.authorize(r, op); err != nil {
		s.log.Debug("s3api: anonymous request denied", "id", r.id, "op", op.name, "err", err)
		return nil, false
	}
	return op, true
}

// anonymousMayContinue answers Expect: 100-continue for an anonymous
// request: only one a bucket policy grants may send its body.
func (s *Server) anonymousMayContinue(r *request) bool {
	r.ident = nil
	r.principal = iam.Principal{Anonymous: true}
	_, ok := s.admitAnonymous(r, s.resolveTarget(r))
	return ok
}
