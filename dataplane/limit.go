package dataplane

import "io"

// limitReader passes at most max bytes through and turns any further byte
// into ErrTooLarge. It asks the source for at most one byte beyond the limit,
// so an oversized body is detected without reading it all.
type limitReader struct {
	r   io.Reader
	n   int64 // bytes read so far
	max int64
}

// Read implements io.Reader with the limit applied.
func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, ErrTooLarge
	}
	if room := l.max - l.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, ErrTooLarge
	}
	return n, err
}
