package s3api

import (
	"crypto/tls"
	"net/http"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/audit"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// AuditLogger receives one record per answered request, including failed
// authentication, SlowDown, refused 100-continues and admin calls (health
// probes excepted). *audit.Logger implements it; Log must not block for
// long.
type AuditLogger interface {
	Log(r audit.Record)
}

// audit reports a finished request to Options.Audit. status is what the
// client was (or will be) answered.
func (s *Server) audit(r *request, op string, status int, start time.Time) {
	if s.o.Audit == nil || op == "Health" {
		return
	}
	rec := audit.Record{
		Time:       start,
		RequestID:  r.id,
		SourceIP:   r.ctx.RemoteIP().String(),
		Operation:  op,
		Bucket:     r.bucket,
		Key:        r.key,
		Status:     status,
		ErrorCode:  r.errCode,
		DurationMS: float64(time.Since(start).Microseconds()) / 1000,
		UserAgent:  r.hdr.value("user-agent"),
		Decision:   decision(r, op),
	}
	if n, ok := r.contentLength(); ok && n > 0 {
		rec.BytesIn = n
	}
	if resp := &r.ctx.Response; r.method != http.MethodHead {
		rec.BytesOut = max(int64(resp.Header.ContentLength()), 0)
		if rec.BytesOut == 0 && !resp.IsBodyStream() {
			// A body set in memory (error documents, XML results) gets its
			// Content-Length only when fasthttp writes it.
			rec.BytesOut = int64(len(resp.Body()))
		}
	}
	if r.ident != nil && !r.ident.Anonymous {
		rec.AccessKey = r.ident.AccessKey
		rec.Principal = principalARN(r.ident.Account)
	} else {
		// Unauthenticated: record the key the client claimed, which is
		// what an investigation of a failed login needs.
		rec.AccessKey = auditAccessKey(r)
	}
	if cs := r.ctx.TLSConnectionState(); cs != nil {
		rec.TLSVersion = tls.VersionName(cs.Version)
		if cs.CurveID != 0 {
			rec.TLSGroup = cs.CurveID.String()
		}
	}
	s.o.Audit.Log(rec)
}

// decision names the authorisation outcome. Anonymous requests run only
// where a bucket policy grants them ("allow:anonymous"); root is allowed
// unless a bucket policy's explicit Deny refuses it ("deny:policy").
func decision(r *request, op string) string {
	switch {
	case r.replayed:
		return "deny:replay"
	case r.ident == nil && r.errCode == s3err.SlowDown:
		return "deny:throttled"
	case r.ident == nil && r.errCode == s3err.EntityTooLarge:
		return "deny:size" // a refused 100-continue, before authentication
	case r.ident == nil:
		return "deny:auth"
	case r.ident.Anonymous && (op == "Anonymous" || r.errCode == s3err.AccessDenied):
		return "deny:anonymous"
	case r.ident.Anonymous:
		return "allow:anonymous"
	case r.errCode == s3err.AccessDenied:
		return "deny:policy"
	case r.ident.Account == iam.RootAccount:
		return "allow:root"
	}
	return "allow"
}

// principalARN is the ARN policies will name the account's principal by.
func principalARN(account string) string {
	if acct, user := iam.SplitAccount(account); user != "" {
		return "arn:aws:iam::" + acct + ":user/" + user
	}
	if account == iam.RootAccount {
		return "arn:aws:iam::" + account + ":root"
	}
	return "arn:aws:iam::" + account + ":user/" + account
}

// auditAccessKey is the access key a request claims (header or presigned
// query), trusted for nothing but the record; "" if none.
func auditAccessKey(r *request) string {
	if h, ok := r.hdr.get("authorization"); ok {
		return claimedAccessKey(h)
	}
	cred, _ := r.query("X-Amz-Credential")
	if cred == "" {
		cred, _ = r.query("AWSAccessKeyId")
	}
	ak, _, _ := strings.Cut(cred, "/")
	if len(ak) > 128 {
		ak = ak[:128]
	}
	return ak
}
