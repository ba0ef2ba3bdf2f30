// Package sigv4 verifies AWS Signature Version 4 as Amazon S3 does, for
// every auth and payload form, independently of the HTTP stack: the server
// adapts its requests into a Request.
//
// # Authentication
//
// Verifier.Verify decides, in one place, whether a request is signed and by
// whom: the Authorization header (AWS4-HMAC-SHA256), a presigned query
// (X-Amz-Algorithm …), or nothing (Identity.Anonymous). SigV2 in either
// place and mixing two forms are refused; a request is never downgraded to
// anonymous. Verify reads only the request line and headers, so it (or
// ExpectCheck) can run before the body is sent (Expect: 100-continue).
//
// The canonical request follows AWS exactly: the path as sent (S3 neither
// normalises nor double-encodes; a signature over the AWS re-encoding of
// the same path is accepted too), the query re-encoded and sorted after
// encoding, header values trimmed with inner space runs collapsed, and the
// payload line equal to x-amz-content-sha256 verbatim (UNSIGNED-PAYLOAD for
// presigned URLs unless X-Amz-Content-Sha256 is given). host, the date
// header, x-amz-content-sha256 (header form) and every x-amz-* header
// present must be signed. Signatures are compared in constant time. Derived
// signing keys are cached per (access key, day, region) in the Verifier.
//
// # Payloads and the commit contract
//
// Verifier.Body wraps the raw body according to Identity.Mode:
//
//   - Unsigned / Presigned: passed through.
//   - SignedHex: hashed while read; io.EOF is replaced by an
//     XAmzContentSHA256Mismatch error if the digest differs.
//   - StreamingSigned / StreamingSignedTrailer / StreamingUnsignedTrailer:
//     aws-chunked is decoded as a stream. A chunk may be as large as the
//     whole object, so chunk data is never buffered: it is hashed as it
//     passes into the caller's slice and the chunk signature is checked
//     when its last byte arrives, before that Read returns. The final
//     chunk, x-amz-decoded-content-length, the trailers (only those
//     announced in x-amz-trailer) and the trailer signature are checked
//     before io.EOF.
//
// Bytes of a chunk are necessarily handed out before that chunk's signature
// can be checked. The contract that makes this safe: Body returns io.EOF
// only when everything has been verified, and any failure is returned as an
// error (never io.EOF), and repeated on every later Read. Callers must
// therefore treat the data as untrusted until Read has returned io.EOF with
// no error, and must commit nothing (the object layer makes an object
// visible only after a clean EOF) when Read returns any error.
//
// # Errors
//
// Every refusal is an *Error whose Code is the S3 error code to send
// (s3err maps it to the HTTP status). Errors from the raw body reader other
// than a premature end are passed through, wrapped.
package sigv4
