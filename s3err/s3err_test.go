package s3err

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/tasmaniancloud/rustfs/storage"
)

// objectSentinels lists every object.Err* by name. TestEveryObjectErrorMapped
// parses package object so a sentinel added there without a row here fails.
var objectSentinels = map[string]error{
	"ErrNoSuchBucket":                  object.ErrNoSuchBucket,
	"ErrBucketExists":                  object.ErrBucketExists,
	"ErrBucketAlreadyOwned":            object.ErrBucketAlreadyOwned,
	"ErrBucketNotEmpty":                object.ErrBucketNotEmpty,
	"ErrInvalidBucketName":             object.ErrInvalidBucketName,
	"ErrNoSuchKey":                     object.ErrNoSuchKey,
	"ErrInvalidKey":                    object.ErrInvalidKey,
	"ErrInvalidRange":                  object.ErrInvalidRange,
	"ErrPreconditionFailed":            object.ErrPreconditionFailed,
	"ErrNotModified":                   object.ErrNotModified,
	"ErrBadDigest":                     object.ErrBadDigest,
	"ErrChecksumMismatch":              object.ErrChecksumMismatch,
	"ErrSHA256Mismatch":                object.ErrSHA256Mismatch,
	"ErrIncompleteBody":                object.ErrIncompleteBody,
	"ErrEntityTooLarge":                object.ErrEntityTooLarge,
	"ErrEntityTooSmall":                object.ErrEntityTooSmall,
	"ErrNoSuchUpload":                  object.ErrNoSuchUpload,
	"ErrInvalidPart":                   object.ErrInvalidPart,
	"ErrInvalidPartOrder":              object.ErrInvalidPartOrder,
	"ErrTampered":                      object.ErrTampered,
	"ErrDamagedMetadata":               object.ErrDamagedMetadata,
	"ErrDataUnavailable":               object.ErrDataUnavailable,
	"ErrInvalidArgument":               object.ErrInvalidArgument,
	"ErrMetadataTooLarge":              object.ErrMetadataTooLarge,
	"ErrInvalidPartNumber":             object.ErrInvalidPartNumber,
	"ErrKeyTooLong":                    object.ErrKeyTooLong,
	"ErrChecksumAlgorithmMismatch":     object.ErrChecksumAlgorithmMismatch,
	"ErrObjectSizeMismatch":            object.ErrObjectSizeMismatch,
	"ErrMalformedPolicy":               object.ErrMalformedPolicy,
	"ErrNoSuchBucketPolicy":            object.ErrNoSuchBucketPolicy,
	"ErrNoSuchVersion":                 object.ErrNoSuchVersion,
	"ErrMethodNotAllowed":              object.ErrMethodNotAllowed,
	"ErrObjectLocked":                  object.ErrObjectLocked,
	"ErrInvalidRequest":                object.ErrInvalidRequest,
	"ErrLockChecksumRequired":          object.ErrLockChecksumRequired,
	"ErrInvalidBucketState":            object.ErrInvalidBucketState,
	"ErrNoSuchObjectLockConfiguration": object.ErrNoSuchObjectLockConfiguration,
	"ErrMalformedXML":                  object.ErrMalformedXML,
	"ErrInvalidTag":                    object.ErrInvalidTag,
	"ErrNoSuchTagSet":                  object.ErrNoSuchTagSet,
	"ErrKMSKeyNotFound":                object.ErrKMSKeyNotFound,
	"ErrNoSuchCORSConfiguration":       object.ErrNoSuchCORSConfiguration,
	"ErrKMSUnsupported":                object.ErrKMSUnsupported,
}

// exportedErrVars returns the names of exported package-level variables
// starting with "Err" declared in the non-test Go files of dir.
func exportedErrVars(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}

func TestEveryObjectErrorMapped(t *testing.T) {
	names := exportedErrVars(t, "../object")
	if len(names) < len(objectSentinels) {
		t.Fatalf("found %d object.Err* declarations, want at least %d", len(names), len(objectSentinels))
	}
	for _, name := range names {
		sentinel, ok := objectSentinels[name]
		if !ok {
			t.Errorf("object.%s has no row in this test (and maybe none in the s3err table)", name)
			continue
		}
		wrapped := fmt.Errorf("object: put %q: %w", "bucket/key", sentinel)
		e := From(wrapped)
		if e.Code == InternalError {
			t.Errorf("object.%s maps to InternalError", name)
		}
		if !Known(e.Code) {
			t.Errorf("object.%s maps to %q, which is not in the table", name, e.Code)
		}
		if e.Status != Status(e.Code) {
			t.Errorf("object.%s: status %d, table says %d", name, e.Status, Status(e.Code))
		}
		if !errors.Is(e, sentinel) {
			t.Errorf("object.%s: cause lost in %v", name, e)
		}
	}
}

func TestFromTable(t *testing.T) {
	cases := []struct {
		err    error
		code   string
		status int
	}{
		{object.ErrNoSuchKey, NoSuchKey, 404},
		{object.ErrNoSuchBucket, NoSuchBucket, 404},
		{object.ErrInvalidRange, InvalidRange, 416},
		{object.ErrPreconditionFailed, PreconditionFailed, 412},
		{object.ErrNotModified, NotModified, 304},
		{object.ErrBucketNotEmpty, BucketNotEmpty, 409},
		{object.ErrNoSuchUpload, NoSuchUpload, 404},
		{object.ErrEntityTooSmall, EntityTooSmall, 400},
		{object.ErrSHA256Mismatch, XAmzContentSHA256Mismatch, 400},
		{object.ErrDataUnavailable, ServiceUnavailable, 503},
		{object.ErrInvalidPartNumber, InvalidPart, 400},
		{object.ErrKeyTooLong, KeyTooLongError, 400},
		{object.ErrChecksumMismatch, BadDigest, 400},
		{fmt.Errorf("complete: %w", object.ErrChecksumAlgorithmMismatch), InvalidRequest, 400},
		{fmt.Errorf("complete: %w", object.ErrObjectSizeMismatch), InvalidRequest, 400},
		{&sigv4.Error{Code: "SignatureDoesNotMatch", Msg: "nope"}, SignatureDoesNotMatch, 403},
		{fmt.Errorf("auth: %w", &sigv4.Error{Code: "RequestTimeTooSkewed"}), RequestTimeTooSkewed, 403},
		{&sigv4.Error{Code: "InvalidAccessKeyId"}, InvalidAccessKeyID, 403},
		{&sigv4.Error{Code: "AuthorizationHeaderMalformed"}, AuthorizationHeaderMalformed, 400},
		{fmt.Errorf("meta: %w", storage.ErrUnavailable), ServiceUnavailable, 503},
		{storage.ErrPrecondition, OperationAborted, 409},
		{fmt.Errorf("authz: %w", iam.ErrAccessDenied), AccessDenied, 403},
		{storage.ErrNotFound, InternalError, 500},
		{context.DeadlineExceeded, ServiceUnavailable, 503},
		{fmt.Errorf("read body: %w", os.ErrDeadlineExceeded), RequestTimeout, 400},
		{errors.New("something unexpected"), InternalError, 500},
		{New(MalformedXML), MalformedXML, 400},
		{fmt.Errorf("wrapped: %w", Newf(InvalidRequest, "x")), InvalidRequest, 400},
	}
	for _, c := range cases {
		e := From(c.err)
		if e.Code != c.code || e.Status != c.status {
			t.Errorf("From(%v) = %s/%d, want %s/%d", c.err, e.Code, e.Status, c.code, c.status)
		}
	}
	if From(nil) != nil {
		t.Error("From(nil) != nil")
	}
}

func TestSigv4MessageKept(t *testing.T) {
	e := From(&sigv4.Error{Code: SignatureDoesNotMatch, Msg: "chunk 3 signature mismatch"})
	if e.Message != "chunk 3 signature mismatch" {
		t.Errorf("message = %q", e.Message)
	}
	e = From(&sigv4.Error{Code: AccessDenied})
	if e.Message != Message(AccessDenied) {
		t.Errorf("empty sigv4 message should fall back to the table, got %q", e.Message)
	}
}

func TestHTTPLayerCodes(t *testing.T) {
	want := map[string]int{
		MethodNotAllowed: 405, MalformedXML: 400, InvalidRequest: 400, MissingContentLength: 411,
		EntityTooLarge: 400, NotImplemented: 501, AccessDenied: 403, InvalidBucketName: 400,
		NoSuchBucket: 404, NoSuchKey: 404, InvalidRange: 416, PreconditionFailed: 412, NotModified: 304,
		BadDigest: 400, InvalidDigest: 400, XAmzContentSHA256Mismatch: 400, InvalidPart: 400,
		InvalidPartOrder: 400, EntityTooSmall: 400, NoSuchUpload: 404, InternalError: 500,
		SignatureDoesNotMatch: 403, ServiceUnavailable: 503,
	}
	for code, status := range want {
		if !Known(code) {
			t.Errorf("%s missing from the table", code)
		}
		if got := Status(code); got != status {
			t.Errorf("Status(%s) = %d, want %d", code, got, status)
		}
		if New(code).Message == "" {
			t.Errorf("%s has no default message", code)
		}
	}
	if Status("SomethingNew") != http.StatusBadRequest {
		t.Error("unknown codes should be 400")
	}
	if New(NotModified).HasBody() {
		t.Error("304 must not carry a body")
	}
}

func TestAppendXML(t *testing.T) {
	e := Newf(NoSuchKey, "key <a&b> \"gone\"\x01")
	out := e.AppendXML(nil, "/bucket/a<b>&c\n", "REQ123")
	var doc struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		Resource  string
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("unmarshal %s: %v", out, err)
	}
	if doc.Code != NoSuchKey || doc.Message != "key <a&b> \"gone\"\uFFFD" ||
		doc.Resource != "/bucket/a<b>&c\n" || doc.RequestID != "REQ123" {
		t.Errorf("round trip: %+v", doc)
	}
	if !strings.HasPrefix(string(out), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("missing XML declaration: %s", out)
	}
}

func FuzzAppendXML(f *testing.F) {
	for _, s := range []string{"", "a", "<&>", "\x00\x01\xff", "ключ/\u2028", "]]>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Newf(InvalidArgument, "%s", s).AppendXML(nil, s, s)
		var doc struct {
			Code, Message, Resource string
		}
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("invalid XML for %q: %v\n%s", s, err, out)
		}
		if doc.Code != InvalidArgument {
			t.Fatalf("code lost: %q", doc.Code)
		}
	})
}

// TestSigv4CodesKnown checks every Code* constant package sigv4 declares
// has a row, so an authentication failure never travels with a guessed
// status. The constants are read from the source so new ones are caught.
func TestSigv4CodesKnown(t *testing.T) {
	files, err := filepath.Glob("../sigv4/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					code := strings.Trim(lit.Value, "`\"")
					found++
					if !Known(code) {
						t.Errorf("sigv4.%s = %q is missing from the table", n.Name, code)
					}
				}
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d sigv4 Code* constants", found)
	}
	if From(&sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch}).Status != http.StatusForbidden {
		t.Error("SignatureDoesNotMatch must be 403")
	}
}

// TestWriteQuorumMessage: a write that lost its quorum is wrapped by the
// object layer as ErrDataUnavailable too; the client must still read a
// message about writing, not reading.
func TestWriteQuorumMessage(t *testing.T) {
	err := fmt.Errorf("object: put b/k: %w: %w", object.ErrDataUnavailable, dataplane.ErrWriteQuorum)
	e := From(err)
	if e.Code != ServiceUnavailable || !strings.Contains(e.Message, "accepted the write") {
		t.Fatalf("got %s %q", e.Code, e.Message)
	}
}
