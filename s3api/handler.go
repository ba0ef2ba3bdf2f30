package s3api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/valyala/fasthttp"
)

// handle is the fasthttp handler: every request enters here, and every
// non-health request passes the one authentication gate before anything
// else looks at it.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	r := s.newRequest(ctx)
	r.begin()
	r.startResponse()
	op := s.serve(r)
	if op != "Preflight" && op != "Health" {
		r.applyCORS()
	}
	// Whatever happened, leave nothing of the body on the connection.
	r.drain()
	if !r.detached {
		r.end()
	}
	s.replayDone(r, ctx.Response.StatusCode())
	s.observe(r, op, start)
	s.audit(r, op, ctx.Response.StatusCode(), start)
	if s.log.Enabled(s.base, slog.LevelDebug) {
		attrs := []any{"id", r.id, "op", op, "method", r.method, "path", r.rawPath,
			"status", ctx.Response.StatusCode(), "dur", time.Since(start)}
		if r.refused != nil {
			attrs = append(attrs, "code", r.refused.Code, "err", r.refused.Error())
		}
		s.log.Debug("s3api: request", attrs...)
	}
}

// serve runs the request and returns the operation name for the log.
func (s *Server) serve(r *request) string {
	if s.isHealthProbe(r) {
		s.health(r)
		return "Health"
	}
	// The target is parsed first only so error documents name the
	// resource; nothing is looked up before authentication.
	targetErr := s.resolveTarget(r)
	// A CORS preflight carries no credentials: the bucket's CORS rules
	// alone answer it (h_cors.go).
	if r.method == http.MethodOptions && targetErr == nil && r.bucket != "" {
		return s.servePreflight(r)
	}
	// A browser form upload is signed by its policy, not a header.
	if targetErr == nil && r.isPostObject() {
		return s.servePostObject(r)
	}
	// A client that has failed authentication too often is refused here,
	// before any signature work (see authGate).
	att, err := s.beginAuth(r)
	if err != nil {
		r.writeError(err)
		return "SlowDown"
	}
	ident, err := s.o.Verifier.Verify(r.sigRequest())
	if err != nil {
		att.fail(r, s3err.From(err).Code)
		r.writeError(err)
		return "Auth"
	}
	r.ident = ident
	acct, user := iam.SplitAccount(ident.Account) // a user's key: "root/alice"
	r.principal = iam.Principal{Account: acct, User: user, AccessKey: ident.AccessKey, Anonymous: ident.Anonymous}
	if ident.Anonymous {
		// Only what a bucket policy grants "*"; refusals reveal nothing
		// and count as failures (see serveAnonymous).
		return s.serveAnonymous(r, &att, targetErr)
	}
	if s.replayChecked(r, ident) {
		if !s.replay.admit(ident.Signature, ident.SignedAt, s.o.Now()) {
			return s.refuseReplay(r, &att)
		}
		r.replay = true
	}
	att.succeed(ident.AccessKey)
	if s.isMetrics(r) {
		return s.serveMetrics(r)
	}
	if s.isAdmin(r) {
		return s.serveAdmin(r)
	}
	if targetErr != nil {
		r.writeError(targetErr)
		return "Route"
	}
	op, err := s.route(r)
	if err != nil {
		r.writeError(err)
		return "Route"
	}
	if err := s.authorize(r, op); err != nil {
		r.writeError(err)
		return op.name
	}
	if err := r.checkExpectedOwner("x-amz-expected-bucket-owner", r.bucket); err != nil {
		r.writeError(err)
		return op.name
	}
	if err := op.handler(r); err != nil {
		r.writeError(err)
	}
	return op.name
}

// expect decides Expect: 100-continue from the headers alone: a request
// that would fail authentication, or declares a body larger than any
// operation accepts, is refused before the client sends its body.
// fasthttp closes the connection after a refusal.
func (s *Server) expect(ctx *fasthttp.RequestCtx) int {
	start := time.Now()
	r := s.newRequest(ctx)
	if s.isHealthProbe(r) {
		return fasthttp.StatusContinue
	}
	if s.resolveTarget(r) == nil && r.isPostObject() {
		// Signed inside its body (the form's policy): nothing to check yet.
		return fasthttp.StatusContinue
	}
	var refuse *s3err.Error
	if n, ok := r.contentLength(); ok && n > s.o.MaxObjectSize {
		refuse = s3err.New(s3err.EntityTooLarge)
	} else if att, err := s.beginAuth(r); err != nil {
		refuse = s3err.From(err)
	} else if id, err := s.o.Verifier.Verify(r.sigRequest()); err != nil {
		// A refused 100-continue never reaches handle, so the failure is
		// counted here or the header-only check would be a free oracle.
		refuse = s3err.From(err)
		att.fail(r, refuse.Code)
	} else if s.replayChecked(r, id) && s.replay.seen(id.Signature, s.o.Now()) {
		refuse = s3err.New(s3err.AccessDenied)
		r.replayed = true
		att.fail(r, refuse.Code)
	} else if r.isAnonymous() && !s.anonymousMayContinue(r) {
		refuse = s3err.New(s3err.AccessDenied)
		att.fail(r, refuse.Code)
	} else {
		// handle verifies (and counts) the request again once the body
		// is on its way.
		att.release()
	}
	if refuse == nil {
		return fasthttp.StatusContinue
	}
	// The status is all fasthttp promises to send; the headers and error
	// document are set here so clients see the usual S3 error.
	r.startResponse()
	ctx.SetContentType("application/xml")
	ctx.SetBody(refuse.AppendXML(nil, r.resource(), r.id))
	s.log.Debug("s3api: 100-continue refused", "id", r.id, "code", refuse.Code)
	r.errCode = refuse.Code
	s.audit(r, "Expect", refuse.Status, start)
	return refuse.Status
}

// headerReceived runs as soon as a request's headers are in, before
// fasthttp reads any of the body. A declared Content-Length over the
// object size limit, which no operation accepts, is hidden from fasthttp
// (set to 0) so it does not wait for the first 8 KiB of the body before
// calling the handler; the handler still reads the declared length from
// the raw headers, answers EntityTooLarge at once and closes the
// connection (see drain).
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if int64(h.ContentLength()) > s.o.MaxObjectSize {
		h.SetContentLength(0)
	}
	return fasthttp.RequestConfig{}
}

// isAnonymous reports whether the request carries no credentials at all
// (no Authorization header, no presigned query).
func (r *request) isAnonymous() bool {
	if _, ok := r.hdr.get("authorization"); ok {
		return false
	}
	if _, ok := r.query("X-Amz-Algorithm"); ok {
		return false
	}
	if _, ok := r.query("X-Amz-Signature"); ok {
		return false
	}
	if _, ok := r.query("Signature"); ok {
		return false
	}
	return true
}

// isHealthProbe recognises the unauthenticated liveness and readiness
// probes. Only anonymous GET/HEAD requests to exactly these paths are
// probes, so a signed request for key "live" in a bucket named "health"
// still reaches that object.
func (s *Server) isHealthProbe(r *request) bool {
	if r.method != http.MethodGet && r.method != http.MethodHead {
		return false
	}
	if r.rawPath != "/health/live" && r.rawPath != "/health/ready" {
		return false
	}
	return s.hostBucket(r.host) == "" && r.isAnonymous()
}

// health answers /health/live (the process serves HTTP) and /health/ready
// (Options.Ready says the backend can take traffic).
func (s *Server) health(r *request) {
	status := http.StatusOK
	if r.rawPath == "/health/ready" && s.o.Ready != nil {
		if err := s.o.Ready(r.cx); err != nil {
			s.log.Warn("s3api: not ready", "err", err)
			status = http.StatusServiceUnavailable
		}
	}
	r.setHeader("Cache-Control", "no-store")
	if r.rawPath == "/health/ready" && status == http.StatusOK {
		r.ctx.SetStatusCode(status)
		r.ctx.SetContentType("text/plain; charset=utf-8")
		r.ctx.SetBodyString(s.readyBody())
		return
	}
	r.writeEmpty(status)
}

// checkExpectedOwner enforces x-amz-expected-bucket-owner (and its copy
// source twin): a client that names the account it expects to own the
// bucket must get AccessDenied when another account does, never a silent
// success on someone else's bucket.
func (r *request) checkExpectedOwner(header, bucket string) error {
	want, ok := r.hdr.get(header)
	if !ok || bucket == "" {
		return nil
	}
	info, err := r.s.o.Layer.HeadBucket(r.cx, bucket)
	if err != nil {
		return nil // the operation itself reports the missing bucket
	}
	if info.Owner != want {
		return s3err.Newf(s3err.AccessDenied, "The bucket is not owned by the expected account.")
	}
	return nil
}
