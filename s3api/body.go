package s3api

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// bodyReader is OUR limit on a streamed request body. fasthttp applies no
// limit to chunked bodies and lets a too-large Content-Length through when
// streaming, so every body the gateway reads passes through here:
//
//   - exact: limit is the declared Content-Length; ending early is
//     IncompleteBody.
//   - otherwise limit is a ceiling (chunked transfer): one byte more is
//     EntityTooLarge.
//
// Each Read also renews the connection's read deadline, making
// Options.BodyTimeout a progress timeout rather than a cap on upload time.
type bodyReader struct {
	r         *request
	src       io.Reader
	remaining int64 // bytes still allowed; <0 means no ceiling
	exact     bool
	eof       bool
	err       error
}

// newBodyReader wraps the request's body stream. limit < 0 means "no
// ceiling" and is only used by drain, which stops on its own bound.
func (s *Server) newBodyReader(r *request, limit int64, exact bool) *bodyReader {
	b := &bodyReader{r: r, src: r.ctx.RequestBodyStream(), remaining: limit, exact: exact}
	if b.src == nil {
		b.eof = true
	}
	r.body = b
	return b
}

// Read implements io.Reader.
func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.remaining == 0 {
		if b.exact {
			b.eof = true
			return 0, io.EOF
		}
		// At the ceiling: the body may still end exactly here.
		var one [1]byte
		n, err := b.readSrc(one[:])
		if n > 0 {
			b.err = s3err.New(s3err.EntityTooLarge)
			return 0, b.err
		}
		return 0, b.finish(err)
	}
	if b.remaining > 0 && int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.readSrc(p)
	if b.remaining > 0 {
		b.remaining -= int64(n)
	}
	if err != nil {
		return n, b.finish(err)
	}
	return n, nil
}

// readSrc reads from the stream after pushing the read deadline forward.
func (b *bodyReader) readSrc(p []byte) (int, error) {
	_ = b.r.ctx.SetReadDeadline(time.Now().Add(b.r.s.o.BodyTimeout))
	return b.src.Read(p)
}

// finish turns the stream's terminal error into the reader's: a clean end
// is io.EOF unless bytes were promised, a timeout is RequestTimeout, and
// anything else (a reset, broken chunked framing) is the client's
// incomplete body.
func (b *bodyReader) finish(err error) error {
	if err == io.EOF {
		b.eof = true
		if b.exact && b.remaining > 0 {
			b.err = s3err.New(s3err.IncompleteBody)
			return b.err
		}
		return io.EOF
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.err = s3err.Wrap(s3err.RequestTimeout, err)
	} else {
		b.err = s3err.Wrap(s3err.IncompleteBody, err)
	}
	return b.err
}

// done reports whether the body was read to its end.
func (b *bodyReader) done() bool { return b.eof }

// drainTimeout bounds how long an early answer waits for the rest of a
// body it is discarding; a client that stalls loses its connection instead.
const drainTimeout = 5 * time.Second

// discard reads and drops at most limit more bytes, reporting whether the
// body ended within them (and the connection is therefore reusable).
func (b *bodyReader) discard(limit int64) bool {
	if b.eof {
		return true
	}
	if b.err != nil {
		return false
	}
	_ = b.r.ctx.SetReadDeadline(time.Now().Add(min(drainTimeout, b.r.s.o.BodyTimeout)))
	buf := make([]byte, 4096)
	budget := limit
	for {
		n := int64(len(buf))
		if n > budget+1 {
			n = budget + 1
		}
		got, err := b.src.Read(buf[:n])
		budget -= int64(got)
		if budget < 0 {
			return false
		}
		if err == io.EOF {
			b.eof = true
			return true
		}
		if err != nil {
			b.err = err
			return false
		}
	}
}
