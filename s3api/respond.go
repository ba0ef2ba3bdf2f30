package s3api

import (
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/valyala/fasthttp"
)

// xmlHeader starts every XML document we send.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// s3NS is the namespace S3 puts on its result documents.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// startResponse sets the headers every response carries. Response header
// names are sent exactly as we write them (normalisation off): S3 sends
// x-amz-meta-* lower-case and clients such as boto3 compare them that way.
func (r *request) startResponse() {
	h := &r.ctx.Response.Header
	h.DisableNormalizing()
	h.Set("x-amz-request-id", r.id)
	h.Set("x-amz-id-2", r.s.hostID)
}

// setHeader sets a response header verbatim.
func (r *request) setHeader(name, value string) {
	r.ctx.Response.Header.Set(name, value)
}

// writeXML sends v as an XML document with status.
func (r *request) writeXML(status int, v any) error {
	out, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	r.ctx.SetStatusCode(status)
	r.ctx.SetContentType("application/xml")
	body := make([]byte, 0, len(xmlHeader)+len(out))
	body = append(body, xmlHeader...)
	body = append(body, out...)
	r.ctx.SetBody(body)
	return nil
}

// writeEmpty answers with status and no body.
func (r *request) writeEmpty(status int) {
	r.ctx.SetStatusCode(status)
	r.ctx.Response.ResetBody()
	r.ctx.Response.Header.SetContentLength(0)
}

// writeError answers with the S3 error for err, logging server-side
// failures with their cause, and makes sure no unread body is left on the
// connection.
func (r *request) writeError(err error) {
	e := s3err.From(err)
	r.errCode = e.Code
	if e.Status >= 500 && e.Status != http.StatusNotImplemented {
		r.s.log.Error("s3api: request failed", "id", r.id, "method", r.method, "path", r.rawPath,
			"code", e.Code, "err", e.Error())
	} else {
		// Logged once, with the request line at debug level (handle).
		r.refused = e
	}
	resp := &r.ctx.Response
	// Headers a failed GET may already have set must not describe the error.
	for _, h := range []string{"ETag", "Last-Modified", "Content-Range", "Accept-Ranges"} {
		resp.Header.Del(h)
	}
	resp.ResetBody()
	r.ctx.SetStatusCode(e.Status)
	if e.Code == s3err.InvalidRange && r.objectSize >= 0 {
		r.setHeader("Content-Range", "bytes */"+itoa(r.objectSize))
	}
	if e.Code == s3err.NotModified && r.notModified != nil {
		r.setHeader("ETag", quoteETag(r.notModified.ETag))
		r.setHeader("Last-Modified", httpTime(r.notModified.LastModified))
	}
	if e.HasBody() && r.method != http.MethodHead {
		r.ctx.SetContentType("application/xml")
		r.ctx.SetBody(e.AppendXML(nil, r.resource(), r.id))
	} else {
		resp.Header.SetContentLength(0)
	}
	r.drain()
}

// drain discards what is left of the request body, up to the drain limit,
// so the connection can carry the next request; if more is left (or the
// body is unreadable), the connection is closed after this response.
// fasthttp does not guarantee this on its own for streamed bodies.
func (r *request) drain() {
	if r.body != nil {
		if r.body.done() {
			return
		}
		if !r.body.discard(int64(r.s.o.DrainLimit)) {
			r.closeAfterReply()
		}
		return
	}
	cl, hasCL := r.contentLength()
	chunked := r.ctx.Request.Header.ContentLength() == -1
	if !hasCL && !chunked {
		return // no body on the wire
	}
	if hasCL && cl == 0 {
		return
	}
	if hasCL && (cl < 0 || cl > int64(r.s.o.DrainLimit)) {
		r.closeAfterReply()
		return
	}
	br := r.s.newBodyReader(r, -1, false)
	if !br.discard(int64(r.s.o.DrainLimit)) {
		r.closeAfterReply()
	}
}

// closeAfterReply ends the connection after this response (Connection:
// close) and has its close linger: see limitedConn.lingerOnClose.
func (r *request) closeAfterReply() {
	r.ctx.SetConnectionClose()
	var c net.Conn = r.ctx.Conn()
	for c != nil {
		if lc, ok := c.(*limitedConn); ok {
			lc.lingerOnClose()
			return
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return
		}
		c = u.NetConn()
	}
}

// transportError answers requests fasthttp could not parse (oversized
// headers, broken chunked encoding, timeouts) with an S3 error document.
// fasthttp closes the connection afterwards.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	code := s3err.InvalidRequest
	var tooBig *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &tooBig):
		code = s3err.RequestHeaderSectionTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		code = s3err.EntityTooLarge
	default:
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			code = s3err.RequestTimeout
		}
	}
	e := s3err.New(code)
	ctx.Response.Header.DisableNormalizing()
	id := s.nextRequestID()
	ctx.Response.Header.Set("x-amz-request-id", id)
	ctx.Response.Header.Set("x-amz-id-2", s.hostID)
	ctx.SetStatusCode(e.Status)
	ctx.SetContentType("application/xml")
	ctx.SetBody(e.AppendXML(nil, "", id))
	s.log.Debug("s3api: malformed request", "id", id, "code", code, "err", err)
}

// httpTime formats t as an HTTP date (Last-Modified and friends).
func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// isoTime formats t the way S3 XML documents carry timestamps.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
