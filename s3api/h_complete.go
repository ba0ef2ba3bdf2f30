package s3api

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// DefaultCompleteKeepAlive is how long CompleteMultipartUpload may run
// before the server commits to "200 OK" and keeps the connection alive with
// whitespace until the result is known, as S3 does.
const DefaultCompleteKeepAlive = 2 * time.Second

// completeOutcome is what a running CompleteMultipartUpload produced.
type completeOutcome struct {
	res completeMultipartUploadResult
	err error
}

// completeMultipartUpload serves POST /bucket/key?uploadId. Completion of a
// large upload can take a while; if it has not finished within
// Options.CompleteKeepAlive, the answer becomes a streamed 200 whose body
// is whitespace every few seconds followed by the result document, or an
// <Error> document if completion fails (S3's "200 with an error" case,
// which the AWS SDKs check for). Fast completions answer normally, with
// real error statuses.
func (r *request) completeMultipartUpload() error {
	if err := r.checkConditionalWrite(); err != nil {
		return err
	}
	uploadID := r.queryValue("uploadId")
	if uploadID == "" {
		return s3err.New(s3err.NoSuchUpload)
	}
	// A whole-object checksum or size the client expects is checked
	// against the result (header syntax first, before any work).
	want, err := r.checksumHeaders()
	if err != nil {
		return err
	}
	wantSize := int64(-1)
	if v, ok := r.hdr.get("x-amz-mp-object-size"); ok {
		if wantSize, err = strconv.ParseInt(v, 10, 64); err != nil || wantSize < 0 {
			return s3err.Newf(s3err.InvalidArgument, "x-amz-mp-object-size must be a non-negative integer.")
		}
	}
	body, err := r.readSmallBody(maxCompleteBody)
	if err != nil {
		return err
	}
	parts, err := parseCompleteRequest(body)
	if err != nil {
		return err
	}
	done := make(chan completeOutcome, 1)
	go func() {
		info, err := r.s.o.Layer.CompleteMultipartUpload(r.s.base, r.bucket, r.key, uploadID, parts)
		res, err := r.completeResult(info, err, want, wantSize)
		done <- completeOutcome{res, err}
	}()
	timer := time.NewTimer(r.s.o.CompleteKeepAlive)
	defer timer.Stop()
	select {
	case out := <-done:
		if out.err != nil {
			return out.err
		}
		r.setHeader("x-amz-server-side-encryption", "AES256")
		return r.writeXML(http.StatusOK, out.res)
	case <-timer.C:
	}
	r.ctx.SetStatusCode(http.StatusOK)
	r.ctx.SetContentType("application/xml")
	r.setHeader("x-amz-server-side-encryption", "AES256")
	r.ctx.SetBodyStreamWriter(func(w *bufio.Writer) { r.streamComplete(w, done) })
	return nil
}

// completeResult checks a finished completion against what the client
// declared and builds the result document.
func (r *request) completeResult(info object.ObjectInfo, err error, want checksumRequest, wantSize int64) (completeMultipartUploadResult, error) {
	if err != nil {
		return completeMultipartUploadResult{}, err
	}
	for algo, v := range want.values {
		if got := info.Checksums.Values[algo]; got != v {
			r.s.log.Error("s3api: completed upload does not match the client's whole-object checksum",
				"id", r.id, "bucket", r.bucket, "key", r.key, "algo", algo, "want", v, "got", got)
			return completeMultipartUploadResult{}, s3err.Newf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", upperAlgo(algo))
		}
	}
	if wantSize >= 0 && wantSize != info.Size {
		return completeMultipartUploadResult{}, s3err.Newf(s3err.InvalidRequest, "The provided x-amz-mp-object-size %d does not match the object size %d.", wantSize, info.Size)
	}
	return completeMultipartUploadResult{
		Xmlns:          s3NS,
		Location:       r.location(),
		Bucket:         r.bucket,
		Key:            r.key,
		ETag:           quoteETag(info.ETag),
		checksumFields: newChecksumFields(info.Checksums.Values),
		ChecksumType:   info.Checksums.Type,
	}, nil
}

// keepAliveEvery is the whitespace interval of a streamed completion.
const keepAliveEvery = 5 * time.Second

// streamComplete writes the XML declaration at once, a space every
// keepAliveEvery, then the result or error document. Whitespace before the
// root element is valid XML, so clients parse the final document as usual.
func (r *request) streamComplete(w *bufio.Writer, done <-chan completeOutcome) {
	flush := func() bool {
		_ = r.ctx.SetWriteDeadline(time.Now().Add(r.s.o.BodyTimeout))
		return w.Flush() == nil
	}
	_, _ = w.WriteString(xmlHeader)
	if !flush() {
		return
	}
	tick := time.NewTicker(keepAliveEvery)
	defer tick.Stop()
	for {
		select {
		case out := <-done:
			if out.err != nil {
				e := s3err.From(out.err)
				if e.Status >= 500 {
					r.s.log.Error("s3api: CompleteMultipartUpload failed after 200", "id", r.id, "code", e.Code, "err", e.Error())
				}
				doc := e.AppendXML(nil, r.resource(), r.id)
				// The declaration already went out; skip the one AppendXML adds.
				_, _ = w.Write(doc[bytes.Index(doc, []byte("<Error>")):])
			} else if b, err := xml.Marshal(out.res); err == nil {
				_, _ = w.Write(b)
			}
			flush()
			return
		case <-tick.C:
			_ = w.WriteByte(' ')
			if !flush() {
				// The client left; the completion still finishes (or not)
				// atomically in the object layer.
				return
			}
		}
	}
}
