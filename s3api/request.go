package s3api

import (
	"bytes"
	"context"
	"strconv"
	"sync"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/valyala/fasthttp"
)

// request is the per-request state handlers share: what was asked, by whom,
// and what became of the body.
type request struct {
	s   *Server
	ctx *fasthttp.RequestCtx

	id       string // x-amz-request-id
	method   string
	rawPath  string // as on the request line, still percent-encoded
	rawQuery string
	host     string
	hdr      headerList

	bucket, key string
	ident       *sigv4.Identity
	principal   iam.Principal
	// authz carries the request's policy condition keys, built at the
	// first authorization and reused by later ones (DeleteObjects keys,
	// copy sources).
	authz context.Context
	// reqTags are the tags a PutObjectTagging body asks for, read before
	// its authorization (s3:RequestObjectTag; see tagConditions).
	reqTags []object.Tag
	// condErr is why a condition key could not be read (the policy or
	// the object's tags were unavailable); the request is refused.
	condErr error

	// body is the limited raw body reader once a handler opened it; nil
	// when the request body was never touched.
	body *bodyReader

	// objectSize (≥0 when known) and notModified let an error answer carry
	// what S3 sends with 416 (Content-Range: bytes */size) and 304 (the
	// validators).
	objectSize  int64
	notModified *object.ObjectInfo

	// cx is the context the request's work runs under: derived from the
	// server's base context, cancelled when the client disconnects (see
	// disconnectWatch) and when the response is finished. end cancels it;
	// a response that streams after the handler returns takes end over
	// through detach.
	cx       context.Context
	end      func()
	detached bool

	// errCode is the S3 error code answered, for the audit log.
	errCode string

	// replay is set when the replay cache admitted this request's
	// signature (forgotten again if the request fails without effect);
	// replayed when the request was refused as a replay.
	replay, replayed bool

	// refused is the client error answered, for the debug request line.
	refused *s3err.Error
}

// newRequest parses the request line and headers of ctx.
func (s *Server) newRequest(ctx *fasthttp.RequestCtx) *request {
	r := &request{s: s, ctx: ctx, id: s.nextRequestID(), objectSize: -1, cx: s.base, end: func() {}}
	r.method = string(ctx.Method())
	r.rawPath, r.rawQuery = splitRequestURI(ctx.Request.Header.RequestURI())
	r.hdr.parse(ctx.Request.Header.RawHeaders())
	r.host = r.hdr.value("host")
	return r
}

// begin gives r its own context, cancelled when the client's connection
// goes away; the caller must call r.end (or detach it) when the response
// is done.
func (r *request) begin() {
	cx, cancel := context.WithCancel(r.s.base)
	stop := r.s.watch.watch(r.ctx.Conn(), cancel)
	var once sync.Once
	r.cx = cx
	r.end = func() {
		once.Do(func() {
			stop()
			cancel()
		})
	}
}

// detach hands the end of r's context to a response body that streams
// after the handler returns; the body must call the returned function when
// it is written or dropped.
func (r *request) detach() func() {
	r.detached = true
	return r.end
}

// splitRequestURI splits a request target into its raw path and query. An
// absolute-form target ("http://host/path?q") is reduced to its path.
func splitRequestURI(uri []byte) (path, query string) {
	if !bytes.HasPrefix(uri, []byte("/")) {
		if i := bytes.Index(uri, []byte("://")); i >= 0 {
			rest := uri[i+3:]
			if j := bytes.IndexByte(rest, '/'); j >= 0 {
				uri = rest[j:]
			} else if j := bytes.IndexByte(rest, '?'); j >= 0 {
				uri = append([]byte("/"), rest[j:]...)
			} else {
				uri = []byte("/")
			}
		}
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		return string(uri[:i]), string(uri[i+1:])
	}
	return string(uri), ""
}

// sigRequest adapts r for the SigV4 verifier.
func (r *request) sigRequest() *sigv4.Request {
	return &sigv4.Request{
		Method:      r.method,
		RawPath:     r.rawPath,
		RawQuery:    r.rawQuery,
		Host:        r.host,
		Header:      r.hdr.get,
		HeaderNames: r.hdr.names,
	}
}

// query returns the decoded value of query parameter name and whether it
// was present (with or without a value: "?uploads" is present). A repeated
// parameter yields its least value in byte order: the first in SigV4's
// canonical order (sorted by name, then value), so what is served never
// depends on the order a client or proxy put the parameters in.
func (r *request) query(name string) (string, bool) {
	args := r.ctx.QueryArgs()
	vals := args.PeekMulti(name)
	switch len(vals) {
	case 0:
		return "", args.Has(name)
	case 1:
		return string(vals[0]), true
	}
	least := vals[0]
	for _, v := range vals[1:] {
		if bytes.Compare(v, least) < 0 {
			least = v
		}
	}
	return string(least), true
}

// queryValue is query without the presence flag.
func (r *request) queryValue(name string) string {
	v, _ := r.query(name)
	return v
}

// resource names the addressed bucket/key for error documents.
func (r *request) resource() string {
	switch {
	case r.bucket == "":
		return "/"
	case r.key == "":
		return "/" + r.bucket
	default:
		return "/" + r.bucket + "/" + r.key
	}
}

// nextRequestID returns a 16-character upper-case hex id, unique within the
// process and unlikely to repeat across restarts (random prefix).
func (s *Server) nextRequestID() string {
	n := s.reqSeq.Add(1)
	var b [16]byte
	const hex = "0123456789ABCDEF"
	v := uint64(s.reqPrefix)<<32 ^ n
	for i := 15; i >= 0; i-- {
		b[i] = hex[v&15]
		v >>= 4
	}
	return string(b[:])
}

// contentLength returns the Content-Length header and whether it was sent.
// A malformed value reports present with -1 (callers answer 400).
func (r *request) contentLength() (int64, bool) {
	v, ok := r.hdr.get("content-length")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1, true
	}
	return n, true
}
