package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

const trailerSignatureName = "x-amz-trailer-signature"

// malformedTrailer is the error for a trailer section S3 would refuse.
func malformedTrailer(detail string) error {
	return newErr(CodeMalformedTrailerError, "The request contained trailing data that was not well-formed: "+detail)
}

// readTrailers reads the lines after the final chunk up to the empty line
// that ends the body. Only trailers announced in x-amz-trailer are accepted
// and each must arrive; in the signed-trailer mode x-amz-trailer-signature
// must cover them. A missing final CRLF (clean EOF) is tolerated: every
// byte before it has been checked already.
func (c *chunkDecoder) readTrailers() error {
	total := 0
	var sig [32]byte
	haveSig := false
	for {
		line, atEOF, err := c.readLine(MaxTrailerBytes)
		if err == errLongLine {
			return malformedTrailer("trailer section too large")
		}
		if err != nil {
			return err
		}
		if atEOF || len(line) == 0 {
			break
		}
		total += len(line) + 2
		if total > MaxTrailerBytes {
			return malformedTrailer("trailer section too large")
		}
		if !c.trailer {
			return malformed("trailer data in a payload mode without trailers")
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return malformedTrailer("line without a name")
		}
		name := strings.ToLower(string(bytes.TrimSpace(line[:i])))
		value := string(bytes.TrimSpace(line[i+1:]))
		if name == trailerSignatureName {
			if !c.signed || haveSig {
				return malformedTrailer("unexpected " + trailerSignatureName)
			}
			s, ok := decodeHex32(value)
			if !ok {
				return malformedTrailer("bad " + trailerSignatureName)
			}
			sig, haveSig = s, true
			continue
		}
		if !slices.Contains(c.announced, name) {
			return malformedTrailer("trailer " + name + " was not announced in x-amz-trailer")
		}
		if _, dup := c.trailers[name]; dup {
			return malformedTrailer("trailer " + name + " sent twice")
		}
		if c.trailers == nil {
			c.trailers = make(map[string]string, len(c.announced))
		}
		c.trailers[name] = value
	}
	for _, n := range c.announced {
		if _, ok := c.trailers[n]; !ok {
			return malformedTrailer("trailer " + n + " announced in x-amz-trailer but not sent")
		}
	}
	if !c.signed || !c.trailer {
		return nil
	}
	if !haveSig {
		if len(c.trailers) == 0 {
			return nil // nothing announced, nothing sent: nothing to sign
		}
		return newErr(CodeSignatureDoesNotMatch, "The trailers are missing "+trailerSignatureName+".")
	}
	if !hmac.Equal(c.trailerSignature(), sig[:]) {
		return newErr(CodeSignatureDoesNotMatch, "The trailer signature we calculated does not match the signature you provided.")
	}
	return nil
}

// trailerSignature computes the signature of the received trailers:
// HMAC over "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<final chunk sig>\n"
// + hex SHA-256 of the canonical trailers ("name:value\n", sorted by name).
func (c *chunkDecoder) trailerSignature() []byte {
	names := make([]string, 0, len(c.trailers))
	for n := range c.trailers {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{':'})
		h.Write([]byte(c.trailers[n]))
		h.Write([]byte{'\n'})
	}
	b := make([]byte, 0, 256)
	b = append(b, "AWS4-HMAC-SHA256-TRAILER\n"...)
	b = append(b, c.amzDate...)
	b = append(b, '\n')
	b = append(b, c.scope...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, c.prev[:])
	b = append(b, '\n')
	b = hex.AppendEncode(b, h.Sum(nil))
	c.mac.Reset()
	c.mac.Write(b)
	return c.mac.Sum(nil)
}
