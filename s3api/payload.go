package s3api

import (
	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// chunkedOverhead bounds the aws-chunked framing (chunk headers of ~100
// bytes with signatures, trailers) around size bytes of payload: the raw
// body may be at most size + chunkedOverhead(size) = 2·size + 1 MiB, a
// ceiling no honest client reaches even with tiny chunks of a few KiB.
func chunkedOverhead(size int64) int64 { return size + 1<<20 }

// openBody prepares the request body for reading and returns the verified
// payload reader and the payload size (-1 when unknown, only possible if
// !requireLength).
//
// The raw stream first passes OUR limiter (exactly Content-Length bytes,
// or a ceiling for chunked transfer), then sigv4's payload verifier (signed
// SHA-256, aws-chunked decoding with chunk signatures and trailers). A
// declared size over limit is refused with tooLarge before any byte is
// read. requireLength makes a missing length MissingContentLength, as S3
// answers for PUTs.
func (r *request) openBody(limit int64, tooLarge string, requireLength bool) (*sigv4.Body, int64, error) {
	cl, hasCL := r.contentLength()
	if hasCL && cl < 0 {
		return nil, 0, s3err.Newf(s3err.InvalidArgument, "Content-Length is not a valid length.")
	}
	chunkedTE := r.ctx.Request.Header.ContentLength() == -1
	size := int64(-1)
	switch {
	case r.ident.Mode.Chunked():
		size = r.ident.DecodedLength
		if size < 0 {
			return nil, 0, s3err.Newf(s3err.MissingContentLength, "You must provide x-amz-decoded-content-length with aws-chunked payloads.")
		}
	case hasCL && !chunkedTE:
		size = cl
	case chunkedTE:
		if requireLength {
			return nil, 0, s3err.New(s3err.MissingContentLength)
		}
	default:
		if requireLength {
			return nil, 0, s3err.New(s3err.MissingContentLength)
		}
		size = 0 // no framing header: HTTP/1.1 says there is no body
	}
	if size > limit {
		return nil, 0, s3err.New(tooLarge)
	}
	var raw *bodyReader
	switch {
	case hasCL && !chunkedTE:
		if r.ident.Mode.Chunked() && cl > size+chunkedOverhead(size) {
			return nil, 0, s3err.Newf(s3err.InvalidRequest, "Content-Length is implausibly large for x-amz-decoded-content-length.")
		}
		raw = r.s.newBodyReader(r, cl, true)
	case size >= 0 && r.ident.Mode.Chunked():
		raw = r.s.newBodyReader(r, size+chunkedOverhead(size), false)
	case size >= 0:
		raw = r.s.newBodyReader(r, size, true)
	default:
		raw = r.s.newBodyReader(r, limit, false)
	}
	body, err := r.s.o.Verifier.Body(r.ident, raw)
	if err != nil {
		return nil, 0, err
	}
	return body, size, nil
}
