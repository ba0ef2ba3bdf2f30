package s3api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"strings"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// Browser POST upload framing: multipart/form-data whose text fields come
// first and whose "file" part comes last; fields after the file are
// ignored, as S3 does. Only the fields are buffered (bounded); the file
// part is handed on as a stream.

// Limits on the text fields of a POST form.
const (
	maxPostFieldBytes = 64 << 10 // one value (a policy can be this long)
	maxPostFormBytes  = 96 << 10 // all values together
	maxPostFields     = 200
)

// postForm is a POST form read up to its file part.
type postForm struct {
	// fields maps lower-case names to values.
	fields   map[string]string
	file     io.Reader
	filename string
}

// postBoundary returns the multipart boundary of a multipart/form-data
// Content-Type, or ok false when the request is not a form upload.
func postBoundary(contentType string) (string, bool) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return "", false
	}
	b := params["boundary"]
	return b, b != ""
}

var errMalformedPOST = s3err.New(s3err.MalformedPOSTRequest)

// readPostForm reads fields from body until the file part. A part without
// a form name, a duplicate field, a field over its limit, or no file part
// is an S3 error; read errors of the body itself pass through.
func readPostForm(body io.Reader, boundary string) (*postForm, error) {
	mr := multipart.NewReader(body, boundary)
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) && len(f.fields) == 0 {
			return nil, errMalformedPOST
		}
		if errors.Is(err, io.EOF) {
			return nil, s3err.Newf(s3err.InvalidArgument, "POST requires exactly one file upload per request.")
		}
		if err != nil {
			return nil, postReadErr(err)
		}
		name := strings.ToLower(p.FormName())
		if name == "" {
			return nil, s3err.Newf(s3err.MalformedPOSTRequest, "Every part of the POST form must have a form-data name.")
		}
		if name == "file" {
			f.file, f.filename = p, p.FileName()
			return f, nil
		}
		if _, dup := f.fields[name]; dup {
			return nil, s3err.Newf(s3err.InvalidArgument, "The POST form names field %q more than once.", name)
		}
		if len(f.fields) >= maxPostFields {
			return nil, s3err.Newf(s3err.MalformedPOSTRequest, "The POST form has more than %d fields.", maxPostFields)
		}
		v, err := io.ReadAll(io.LimitReader(p, maxPostFieldBytes+1))
		if err != nil {
			return nil, postReadErr(err)
		}
		if len(v) > maxPostFieldBytes {
			return nil, s3err.Newf(s3err.MaxMessageLengthExceeded, "The POST form field %q is longer than %d bytes.", name, maxPostFieldBytes)
		}
		if total += len(v); total > maxPostFormBytes {
			return nil, s3err.Newf(s3err.MaxMessageLengthExceeded, "The POST form fields exceed %d bytes.", maxPostFormBytes)
		}
		f.fields[name] = string(v)
	}
}

// postReadErr keeps S3 errors (the body reader's limits) and calls any
// other framing failure malformed.
func postReadErr(err error) error {
	var e *s3err.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err // the connection, not the framing
	}
	return s3err.Wrap(s3err.MalformedPOSTRequest, err)
}

// postFileReader enforces the policy's content-length-range (and the
// server's object size limit) while the file streams into the PUT path.
type postFileReader struct {
	src      io.Reader
	n        int64
	min, max int64
	pol      *postPolicy
}

func (f *postFileReader) Read(p []byte) (int, error) {
	n, err := f.src.Read(p)
	f.n += int64(n)
	if f.n > f.max {
		return n, f.pol.lengthError(f.n)
	}
	if errors.Is(err, io.EOF) && f.n < f.min {
		return n, f.pol.lengthError(f.n)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, postReadErr(err)
	}
	return n, err
}
