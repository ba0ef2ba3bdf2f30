package s3api

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
	res     completeMultipartUploadResult
	enc     object.EncryptionInfo
	err     error
	version string
}

// completeMultipartUpload serves POST /bucket/key?uploadId. Completion of a
// large upload can take a while; if it has not finished within
// Options.CompleteKeepAlive, the answer becomes a streamed 200 whose body
// is whitespace every few seconds followed by the result document, or an
// <Error> document if completion fails (S3's "200 with an error" case,
// which the AWS SDKs check for). Fast completions answer normally, with
// real error statuses.
func (r *request) completeMultipartUpload() error {
	cond, err := r.writeCondition()
	if err != nil {
		return err
	}
	uploadID := r.queryValue("uploadId")
	if uploadID == "" {
		return s3err.New(s3err.NoSuchUpload)
	}
	// What the client declares about the result (whole-object checksum,
	// checksum type, size) is validated here and checked by the object
	// layer before the commit, so a mismatch never becomes visible.
	opts, err := r.completeOptions()
	if err != nil {
		return err
	}
	opts.Cond = cond
	// The version id is minted once, by whichever asks first: the commit,
	// or a streamed answer whose headers must name it before the commit.
	var mint sync.Once
	var vid string
	var vidErr error
	opts.VersionID = func() (string, error) {
		mint.Do(func() { vid, vidErr = object.NewVersionID(time.Now()) })
		return vid, vidErr
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
		info, err := r.s.o.Layer.CompleteMultipartUpload(r.cx, r.bucket, r.key, uploadID, parts, opts)
		done <- completeOutcome{r.completeResult(info), info.Encryption, err, info.VersionID}
	}()
	timer := time.NewTimer(r.s.o.CompleteKeepAlive)
	defer timer.Stop()
	select {
	case out := <-done:
		if out.err != nil {
			return out.err
		}
		r.setVersionHeader(out.version)
		r.setEncryptionHeaders(out.enc)
		return r.writeXML(http.StatusOK, out.res)
	case <-timer.C:
	}
	r.ctx.SetStatusCode(http.StatusOK)
	r.ctx.SetContentType("application/xml")
	r.streamedCompleteHeaders(uploadID, opts.VersionID)
	end := r.detach()
	r.ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer end()
		r.streamComplete(w, done)
	})
	return nil
}

// streamedCompleteHeaders sets, before the outcome is known, the headers
// S3 sends on a CompleteMultipartUpload answer: x-amz-version-id (the id
// the commit will use, minted now in a versioning-enabled bucket; "null"
// in a suspended one) and the encryption headers, which the upload fixed
// when it was created. What cannot be read is left out rather than
// guessed; the result document follows as usual.
func (r *request) streamedCompleteHeaders(uploadID string, versionID func() (string, error)) {
	if v, ok := r.s.o.Layer.(object.Versioner); ok {
		switch state, err := v.GetBucketVersioning(r.cx, r.bucket); {
		case err != nil:
		case state == object.VersioningEnabled:
			if id, err := versionID(); err == nil {
				r.setVersionHeader(id)
			}
		case state == object.VersioningSuspended:
			r.setVersionHeader(object.NullVersion)
		}
	}
	if u, ok := r.s.o.Layer.(object.UploadEncryptionInfo); ok {
		if enc, err := u.UploadEncryption(r.cx, r.bucket, r.key, uploadID); err == nil {
			r.setEncryptionHeaders(enc)
		}
	}
}

// completeResult builds the result document of a finished completion.
func (r *request) completeResult(info object.ObjectInfo) completeMultipartUploadResult {
	return completeMultipartUploadResult{
		Xmlns:          s3NS,
		Location:       r.location(),
		Bucket:         r.bucket,
		Key:            r.key,
		ETag:           quoteETag(info.ETag),
		checksumFields: newChecksumFields(info.Checksums.Values),
		ChecksumType:   info.Checksums.Type,
	}
}

// completeOptions reads the CompleteMultipartUpload headers that declare
// the result: one x-amz-checksum-<algo> (a FULL_OBJECT value, or a
// COMPOSITE one with or without its "-N" suffix), x-amz-checksum-type and
// x-amz-mp-object-size. Syntax errors are answered before any work.
func (r *request) completeOptions() (object.CompleteOptions, error) {
	var o object.CompleteOptions
	for _, h := range r.hdr.h {
		algo, ok := strings.CutPrefix(h.name, "x-amz-checksum-")
		if !ok || checksumContextHeaders[h.name] {
			continue
		}
		if _, known := checksumSizes[algo]; !known {
			return o, s3err.Newf(s3err.InvalidRequest, "The checksum header %s is not supported.", h.name)
		}
		if !validCompleteChecksum(algo, h.value) {
			return o, s3err.Newf(s3err.InvalidRequest, "Value for %s header is invalid.", h.name)
		}
		if prev, dup := o.Checksums[algo]; dup && prev != h.value {
			return o, s3err.Newf(s3err.InvalidRequest, "Value for %s header is invalid.", h.name)
		}
		if o.Checksums == nil {
			o.Checksums = make(map[string]string, 1)
		}
		o.Checksums[algo] = h.value
	}
	if len(o.Checksums) > 1 {
		return o, s3err.Newf(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	if v, ok := r.hdr.get("x-amz-checksum-type"); ok {
		o.ChecksumType = strings.ToUpper(strings.TrimSpace(v))
		if o.ChecksumType != object.ChecksumFullObject && o.ChecksumType != object.ChecksumComposite {
			return o, s3err.Newf(s3err.InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
		}
	}
	if v, ok := r.hdr.get("x-amz-mp-object-size"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return o, s3err.Newf(s3err.InvalidArgument, "x-amz-mp-object-size must be a non-negative integer.")
		}
		o.ObjectSize, o.CheckObjectSize = n, true
	}
	return o, nil
}

// validCompleteChecksum reports whether v is a base64 digest of algo,
// optionally followed by a composite checksum's "-N" part count.
func validCompleteChecksum(algo, v string) bool {
	if base, n, ok := strings.Cut(v, "-"); ok {
		parts, err := strconv.Atoi(n)
		if err != nil || parts < 1 || parts > maxPartNumber || n != strconv.Itoa(parts) {
			return false
		}
		v = base
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(raw) == checksumSizes[algo]
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
				// The client left: returning cancels the request's
				// context, and the completion stops, finishing (or not)
				// atomically in the object layer.
				return
			}
		}
	}
}
