package s3api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/valyala/fasthttp"
)

// putInput builds the object-layer input of a PutObject or UploadPart from
// the request headers and streams the body into it.
func (r *request) putInput() (object.PutInput, error) {
	md5sum, err := r.contentMD5()
	if err != nil {
		return object.PutInput{}, err
	}
	sums, err := r.checksumHeaders()
	if err != nil {
		return object.PutInput{}, err
	}
	meta, err := r.objectMeta()
	if err != nil {
		return object.PutInput{}, err
	}
	body, size, err := r.openBody(r.s.o.MaxObjectSize, s3err.EntityTooLarge, true)
	if err != nil {
		return object.PutInput{}, err
	}
	in := object.PutInput{
		Bucket:            r.bucket,
		Key:               r.key,
		Body:              body,
		Size:              size,
		ContentMD5:        md5sum,
		Checksums:         sums.values,
		ChecksumAlgorithm: sums.algorithm,
		Meta:              meta,
		Owner:             r.principal.Account,
		// ContentSHA256 stays nil: sigv4's Body already checks the signed
		// payload hash before it returns io.EOF, so hashing twice would only
		// cost a core.
	}
	if r.ident.Mode.Chunked() {
		in.TrailerChecksums = body.TrailerChecksums
	}
	return in, nil
}

// putObject serves PUT /bucket/key.
func (r *request) putObject() error {
	if err := r.checkWriteHeaders(); err != nil {
		return err
	}
	cond, err := r.writeCondition()
	if err != nil {
		return err
	}
	if err := r.applySSE(sseCreate); err != nil {
		return err
	}
	tags, err := r.requestTags()
	if err != nil {
		return err
	}
	in, err := r.putInput()
	if err != nil {
		return err
	}
	in.Cond = cond
	if in.Lock, err = r.lockHeaders(in); err != nil {
		return err
	}
	if err := r.authorizeHeaderExtras(tags, in.Lock); err != nil {
		return err
	}
	in.Meta.Tags = tags
	info, err := r.s.o.Layer.PutObject(r.cx, in)
	if err != nil {
		return err
	}
	r.setVersionHeader(info.VersionID)
	r.setHeader("ETag", quoteETag(info.ETag))
	r.setEncryptionHeaders(info.Encryption)
	r.setChecksumHeaders(info.Checksums.Values, info.Checksums.Type)
	r.writeEmpty(http.StatusOK)
	return nil
}

// getInput reads the GET/HEAD selectors: Range, partNumber, conditions.
func (r *request) getInput() (object.GetInput, error) {
	if err := r.applySSE(0); err != nil {
		return object.GetInput{}, err
	}
	in := object.GetInput{
		Bucket:      r.bucket,
		Key:         r.key,
		RangeHeader: r.hdr.value("range"),
		Cond:        r.conditions(""),
	}
	vid, err := r.versionQuery()
	if err != nil {
		return in, err
	}
	if _, ok := r.s.o.Layer.(object.Versioner); !ok && vid != "" && vid != object.NullVersion {
		return in, s3err.Newf(s3err.NotImplemented, "Object versions are not implemented; only versionId=null exists.")
	}
	in.VersionID = vid
	if v, ok := r.query("partNumber"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPartNumber {
			return in, s3err.Newf(s3err.InvalidArgument, "Part number must be an integer between 1 and %d, inclusive.", maxPartNumber)
		}
		if in.RangeHeader != "" {
			return in, s3err.Newf(s3err.InvalidRequest, "Cannot specify both Range header and partNumber query parameter.")
		}
		in.PartNumber = n
	}
	return in, nil
}

// getObject serves GET /bucket/key: the whole object (200), a range or a
// part (206 with Content-Range), 304/412 for conditions, 416 for ranges
// outside the object. The body streams from the object layer straight into
// the connection after the handler returns.
func (r *request) getObject() error {
	in, err := r.getInput()
	if err != nil {
		return err
	}
	obj, err := r.s.o.Layer.GetObject(r.cx, in)
	if err != nil {
		return r.getError(err, in)
	}
	info := obj.Info
	r.setObjectHeaders(info)
	r.setPartsCount(in, info)
	if r.hdr.value("x-amz-checksum-mode") == "ENABLED" && !obj.Partial {
		r.setChecksumHeaders(info.Checksums.Values, info.Checksums.Type)
	}
	status := http.StatusOK
	if obj.Partial {
		status = http.StatusPartialContent
		r.setHeader("Content-Range", contentRange(obj.Range, info.Size))
	}
	r.applyResponseOverrides()
	r.ctx.SetStatusCode(status)
	if obj.Range.Length == 0 {
		r.ctx.Response.Header.SetContentLength(0)
		return nil
	}
	r.ctx.Response.SetBodyStream(&objectStream{r: r, obj: obj, end: r.detach()}, int(obj.Range.Length))
	return nil
}

// headObject serves HEAD /bucket/key: GetObject's status and headers
// without a body. With a Range or partNumber the object is opened (but not
// read) so the answer carries the 206, Content-Range and length GET would.
func (r *request) headObject() error {
	in, err := r.getInput()
	if err != nil {
		return err
	}
	var info object.ObjectInfo
	rng, partial := object.Range{}, false
	if in.RangeHeader != "" || in.PartNumber > 0 {
		in.HeadOnly = true // resolve the range, open no data
		obj, err := r.s.o.Layer.GetObject(r.cx, in)
		if err != nil {
			return r.getError(err, in)
		}
		info, rng, partial = obj.Info, obj.Range, obj.Partial
	} else {
		if info, err = r.s.o.Layer.HeadObject(r.cx, in); err != nil {
			return r.getError(err, in)
		}
		rng = object.Range{Length: info.Size}
	}
	r.setObjectHeaders(info)
	r.setPartsCount(in, info)
	if r.hdr.value("x-amz-checksum-mode") == "ENABLED" && !partial {
		r.setChecksumHeaders(info.Checksums.Values, info.Checksums.Type)
	}
	r.applyResponseOverrides()
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		r.setHeader("Content-Range", contentRange(rng, info.Size))
	}
	r.ctx.SetStatusCode(status)
	// HEAD reports the length GET would send; fasthttp sends no body.
	r.ctx.Response.Header.SetContentLength(int(rng.Length))
	return nil
}

// contentRange formats "bytes first-last/size".
func contentRange(rng object.Range, size int64) string {
	end := rng.Start + rng.Length - 1
	if rng.Length == 0 {
		end = rng.Start
	}
	return "bytes " + itoa(rng.Start) + "-" + itoa(end) + "/" + itoa(size)
}

// setPartsCount adds x-amz-mp-parts-count when a part was requested from a
// multipart object.
func (r *request) setPartsCount(in object.GetInput, info object.ObjectInfo) {
	if in.PartNumber > 0 && info.PartsCount > 0 {
		r.setHeader("x-amz-mp-parts-count", strconv.Itoa(info.PartsCount))
	}
}

// getError completes a failed GET/HEAD: 416 needs the object size for
// "Content-Range: bytes */size"; 304 carries the validators.
func (r *request) getError(err error, in object.GetInput) error {
	r.deleteMarkerHeaders(err)
	switch {
	case errors.Is(err, object.ErrInvalidRange):
		head := in
		head.RangeHeader, head.Cond, head.PartNumber = "", object.Conditions{}, 0
		if info, herr := r.s.o.Layer.HeadObject(r.cx, head); herr == nil {
			r.objectSize = info.Size
		}
	case errors.Is(err, object.ErrNotModified):
		head := in
		head.RangeHeader, head.Cond = "", object.Conditions{}
		if info, herr := r.s.o.Layer.HeadObject(r.cx, head); herr == nil {
			r.notModified = &info
		}
	}
	return err
}

// objectStream hands the object layer the connection writer: fasthttp
// calls WriteTo (see fasthttp.BodyWriterTo) with a writer bounded to
// Content-Length, so decrypted bytes go from the layer's buffers to the
// socket without an intermediate pipe or copy.
type objectStream struct {
	r   *request
	obj *object.Object
	err error
	// end finishes the request's context once the body is written or
	// dropped (fasthttp calls Close either way).
	end func()
}

// Close implements io.Closer: fasthttp calls it when the response is done
// with, written or not.
func (o *objectStream) Close() error {
	o.end()
	return nil
}

// Read is never used by fasthttp (SupportsBodyWriteTo is true); it exists
// to satisfy io.Reader.
func (o *objectStream) Read([]byte) (int, error) {
	return 0, errors.New("s3api: object stream must be written with WriteTo")
}

// SupportsBodyWriteTo tells fasthttp to call WriteTo.
func (o *objectStream) SupportsBodyWriteTo() bool { return true }

// WriteTo streams the object into w, renewing the write deadline on every
// write so a large download is limited by progress, not total time. An
// error midway can only be reported by closing the connection, which
// fasthttp does when WriteTo fails.
func (o *objectStream) WriteTo(w io.Writer) (int64, error) {
	// A failed write (the client left) ends the stream; end cancels the
	// request's context so nothing the layer started keeps running.
	defer o.end()
	dw := &deadlineWriter{w: w, ctx: o.r.ctx, timeout: o.r.s.o.BodyTimeout}
	n, err := o.obj.WriteTo(o.r.cx, dw)
	if err != nil {
		o.err = err
		o.r.s.log.Error("s3api: object stream failed", "id", o.r.id, "bucket", o.r.bucket, "key", o.r.key,
			"sent", n, "err", err)
	}
	return n, err
}

// deadlineWriter renews the connection's write deadline before each write.
type deadlineWriter struct {
	w       io.Writer
	ctx     *fasthttp.RequestCtx
	timeout time.Duration
}

// Write implements io.Writer.
func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.ctx.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.w.Write(p)
}
