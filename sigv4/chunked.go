package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// Limits of the aws-chunked decoder.
const (
	// MaxChunkHeader bounds one chunk-header line ("size;chunk-signature=…").
	MaxChunkHeader = 4 << 10
	// MaxTrailerBytes bounds the whole trailer section.
	MaxTrailerBytes = 16 << 10
	// MaxChunkSize is the largest chunk accepted: S3's single-PUT limit,
	// since SDKs may send a whole object as one chunk.
	MaxChunkSize = 5 << 30
)

// readerBufSize is the bufio size for aws-chunked bodies. Reads at least
// this large bypass it, and each chunk header drags at most this much data
// through it, so smaller means fewer double copies; longer lines (trailers)
// are gathered in chunkDecoder.long.
const readerBufSize = 4 << 10

const chunkSigPrefix = ";chunk-signature="

// emptySHA256Hex is the hex SHA-256 of nothing, a fixed line of every
// chunk's string to sign.
const emptySHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// chunkDecoder decodes an aws-chunked body. It streams: chunk data goes
// straight from the connection (or the small bufio buffer) into the
// caller's slice while being hashed, and a chunk's signature is checked when
// its last byte has been read, before that Read returns.
type chunkDecoder struct {
	v         *Verifier
	br        *bufio.Reader
	signed    bool     // chunk signatures present
	trailer   bool     // trailer section expected
	announced []string // x-amz-trailer names
	declared  int64    // x-amz-decoded-content-length, -1 if unknown
	decoded   int64
	remaining int64 // data bytes of the current chunk still to deliver
	done      bool

	// Signature chain (signed modes only).
	entry     *keyEntry
	mac       hash.Hash
	sha       hash.Hash
	prev      [32]byte // previous signature (the seed first)
	want      [32]byte // signature announced by the current chunk header
	sum, got  [32]byte // chunk digest and computed signature (fields, so they do not escape per chunk)
	sts       []byte   // reusable string-to-sign buffer
	prefixLen int      // len of the fixed "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n"
	amzDate   string
	scope     string

	trailers map[string]string
	long     []byte // a line longer than the bufio buffer (rare)
}

// newChunkDecoder prepares a decoder for id's mode over raw.
func (v *Verifier) newChunkDecoder(id *Identity, raw io.Reader) *chunkDecoder {
	br := v.readers.Get().(*bufio.Reader)
	br.Reset(raw)
	c := &chunkDecoder{
		v:         v,
		br:        br,
		signed:    id.Mode == StreamingSigned || id.Mode == StreamingSignedTrailer,
		trailer:   id.Mode != StreamingSigned,
		announced: id.Trailer,
		declared:  id.DecodedLength,
	}
	if c.signed {
		c.entry = id.key
		c.mac = id.key.mac()
		c.sha = sha256.New()
		c.prev = id.seed
		c.amzDate, c.scope = id.amzDate, id.scope
		c.sts = make([]byte, 0, 64+len(id.amzDate)+len(id.scope)+3*65)
		c.sts = append(c.sts, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
		c.sts = append(c.sts, id.amzDate...)
		c.sts = append(c.sts, '\n')
		c.sts = append(c.sts, id.scope...)
		c.sts = append(c.sts, '\n')
		c.prefixLen = len(c.sts)
	}
	return c
}

// read is Body.Read for aws-chunked bodies.
func (c *chunkDecoder) read(p []byte) (int, error) {
	for {
		if c.done {
			return 0, io.EOF
		}
		if c.remaining == 0 {
			if err := c.nextHeader(); err != nil {
				return 0, c.fail(err)
			}
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		n := len(p)
		if int64(n) > c.remaining {
			n = int(c.remaining)
		}
		n, err := c.br.Read(p[:n])
		if n > 0 {
			if c.signed {
				c.sha.Write(p[:n])
			}
			c.remaining -= int64(n)
			c.decoded += int64(n)
		}
		if c.remaining == 0 {
			// Verify before handing out the chunk's last bytes, so a forged
			// chunk never completes a Read successfully.
			if err := c.endChunk(); err != nil {
				return 0, c.fail(err)
			}
			return n, nil
		}
		if err != nil {
			return 0, c.fail(readError(err))
		}
		return n, nil
	}
}

// fail records the end of decoding and releases pooled state.
func (c *chunkDecoder) fail(err error) error {
	c.release()
	return err
}

// release gives the bufio reader and HMAC state back to their pools.
func (c *chunkDecoder) release() {
	if c.br != nil {
		c.br.Reset(nil)
		c.v.readers.Put(c.br)
		c.br = nil
	}
	if c.mac != nil {
		c.entry.put(c.mac)
		c.mac = nil
	}
}

// errLongLine reports a chunk-header or trailer line over its limit.
var errLongLine = malformed("line too long")

// malformed is the error for broken aws-chunked framing.
func malformed(detail string) *Error {
	return newErr(CodeInvalidRequest, "Malformed aws-chunked encoding: "+detail)
}

// readLine reads one CRLF-terminated line of at most max bytes (without the
// CRLF). atEOF reports a clean end of input before any byte of the line.
func (c *chunkDecoder) readLine(max int) (line []byte, atEOF bool, err error) {
	line, rerr := c.br.ReadSlice('\n')
	if rerr == bufio.ErrBufferFull {
		c.long = append(c.long[:0], line...)
		for rerr == bufio.ErrBufferFull {
			if len(c.long) > max+2 {
				return nil, false, errLongLine
			}
			line, rerr = c.br.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	switch {
	case rerr == io.EOF && len(line) == 0:
		return nil, true, nil
	case rerr != nil:
		return nil, false, readError(rerr)
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, false, malformed("line not terminated by CRLF")
	}
	line = line[:len(line)-2]
	if len(line) > max {
		return nil, false, errLongLine
	}
	return line, false, nil
}

// parseChunkSize parses the hex size of a chunk header.
func parseChunkSize(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var n int64
	for _, ch := range s {
		d, ok := unhex(ch)
		if !ok {
			return 0, false
		}
		n = n<<4 | int64(d)
		if n > MaxChunkSize {
			return 0, false
		}
	}
	return n, true
}

// nextHeader reads a chunk header; for the final (zero-size) chunk it also
// finishes the body: signature, length, trailers, end of input.
func (c *chunkDecoder) nextHeader() error {
	line, atEOF, err := c.readLine(MaxChunkHeader)
	if err != nil {
		return err
	}
	if atEOF {
		return newErr(CodeIncompleteBody, msgIncomplete)
	}
	sizePart := line
	if c.signed {
		i := bytes.IndexByte(line, ';')
		if i < 0 || !bytes.HasPrefix(line[i:], []byte(chunkSigPrefix)) {
			return malformed("chunk header without chunk-signature")
		}
		sig, ok := decodeHex32(line[i+len(chunkSigPrefix):])
		if !ok {
			return malformed("bad chunk-signature")
		}
		c.want = sig
		sizePart = line[:i]
	}
	size, ok := parseChunkSize(sizePart)
	if !ok {
		return malformed("bad chunk size")
	}
	if c.declared >= 0 && c.decoded+size > c.declared {
		return newErr(CodeIncompleteBody, "The decoded body is longer than x-amz-decoded-content-length.")
	}
	if c.signed {
		c.sha.Reset()
	}
	if size > 0 {
		c.remaining = size
		return nil
	}
	return c.finish()
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *chunkDecoder) endChunk() error {
	for _, want := range [2]byte{'\r', '\n'} {
		b, err := c.br.ReadByte()
		if err != nil {
			return readError(err)
		}
		if b != want {
			return malformed("chunk data not followed by CRLF")
		}
	}
	return c.verifyChunk()
}

// verifyChunk checks the current chunk's signature against the chain and
// advances it. Unsigned modes have nothing to check.
func (c *chunkDecoder) verifyChunk() error {
	if !c.signed {
		return nil
	}
	c.sha.Sum(c.sum[:0])
	b := c.sts[:c.prefixLen]
	b = hex.AppendEncode(b, c.prev[:])
	b = append(b, '\n')
	b = append(b, emptySHA256Hex...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, c.sum[:])
	c.sts = b
	c.mac.Reset()
	c.mac.Write(b)
	c.mac.Sum(c.got[:0])
	if !hmac.Equal(c.got[:], c.want[:]) {
		return newErr(CodeSignatureDoesNotMatch, "The chunk signature we calculated does not match the signature you provided.")
	}
	c.prev = c.got
	return nil
}

// finish handles everything after the zero-size chunk's header.
func (c *chunkDecoder) finish() error {
	if err := c.verifyChunk(); err != nil {
		return err
	}
	if c.declared >= 0 && c.decoded != c.declared {
		return newErr(CodeIncompleteBody, "The decoded body is shorter than x-amz-decoded-content-length.")
	}
	if err := c.readTrailers(); err != nil {
		return err
	}
	// The body must end here; bytes after the final chunk would be data
	// the signature never covered.
	if _, err := c.br.ReadByte(); err == nil {
		return malformed("data after the final chunk")
	} else if err != io.EOF {
		return readError(err)
	}
	c.done = true
	c.release()
	return nil
}
