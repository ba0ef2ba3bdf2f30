package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Body is the verified view of a request body: an io.Reader that yields the
// payload bytes (decoded, for aws-chunked) and returns io.EOF only once
// every check on them has passed. See the package documentation for the
// commit contract callers must follow.
type Body struct {
	mode PayloadMode
	raw  io.Reader
	err  error // sticky: io.EOF after success, or the failure

	// SignedHex.
	sha  hash.Hash
	want [32]byte

	// aws-chunked.
	ch *chunkDecoder
}

// Body wraps raw according to id.Mode: it passes unsigned payloads through,
// checks a signed hex SHA-256 at EOF, and decodes aws-chunked bodies while
// verifying every chunk signature (streaming, without buffering a chunk),
// the decoded length and the trailers. id must come from Verify.
func (v *Verifier) Body(id *Identity, raw io.Reader) (*Body, error) {
	if id == nil || raw == nil {
		return nil, newErr(CodeInvalidRequest, "sigv4: Body needs an identity and a reader")
	}
	b := &Body{mode: id.Mode, raw: raw}
	switch id.Mode {
	case Unsigned, Presigned:
	case SignedHex:
		if len(id.ContentSHA256) != 32 {
			return nil, newErr(CodeInvalidRequest, "sigv4: SignedHex identity without a payload hash")
		}
		copy(b.want[:], id.ContentSHA256)
		b.sha = sha256.New()
	case StreamingSigned, StreamingSignedTrailer:
		if id.key == nil || id.amzDate == "" || id.scope == "" {
			return nil, newErr(CodeInvalidRequest, "sigv4: streaming identity was not produced by Verify")
		}
		b.ch = v.newChunkDecoder(id, raw)
	case StreamingUnsignedTrailer:
		b.ch = v.newChunkDecoder(id, raw)
	default:
		return nil, newErr(CodeInvalidRequest, "sigv4: identity has no payload mode")
	}
	return b, nil
}

// Read implements io.Reader. Errors are sticky; a verification failure is
// an *Error and is always reported before (instead of) io.EOF.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	switch {
	case b.ch != nil:
		n, err := b.ch.read(p)
		if err != nil {
			b.err = err
		}
		return n, err
	case b.sha != nil:
		return b.readHex(p)
	}
	n, err := b.raw.Read(p)
	if err != nil {
		b.err = err
	}
	return n, err
}

// readHex passes bytes through while hashing them, and turns io.EOF into
// XAmzContentSHA256Mismatch when the digest differs from the signed one.
func (b *Body) readHex(p []byte) (int, error) {
	n, err := b.raw.Read(p)
	if n > 0 {
		b.sha.Write(p[:n])
	}
	switch {
	case err == io.EOF:
		var got [32]byte
		b.sha.Sum(got[:0])
		if !hmac.Equal(got[:], b.want[:]) {
			b.err = newErr(CodeXAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
			return 0, b.err
		}
		b.err = io.EOF
		return n, io.EOF
	case err != nil:
		b.err = readError(err)
		return 0, b.err
	}
	return n, nil
}

// Trailers returns the trailers received (lower-case name → value, without
// x-amz-trailer-signature) once Read has returned io.EOF; nil before that
// or when the body had none.
func (b *Body) Trailers() map[string]string {
	if b.err != io.EOF || b.ch == nil {
		return nil
	}
	return b.ch.trailers
}

// TrailerChecksums returns the x-amz-checksum-* trailers keyed by algorithm
// ("crc32", "crc64nvme", ...), the form object.PutInput.TrailerChecksums
// wants; nil until io.EOF.
func (b *Body) TrailerChecksums() map[string]string {
	t := b.Trailers()
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		if alg, ok := strings.CutPrefix(k, checksumTrailerPrefix); ok {
			out[alg] = v
		}
	}
	return out
}

// readError maps an error from the raw body: a premature end is S3's
// IncompleteBody, anything else (network, limits) is passed on with context.
func readError(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return newErr(CodeIncompleteBody, msgIncomplete)
	}
	return fmt.Errorf("sigv4: reading body: %w", err)
}
