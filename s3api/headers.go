package s3api

import (
	"bytes"
	"strings"
)

// header is one received header line, name lower-cased.
type header struct {
	name, value string
}

// headerList is the request's headers exactly as received (names
// lower-cased, values trimmed), in arrival order. It is built from fasthttp's
// raw header bytes rather than its parsed view because SigV4 needs every
// header the client signed, including the ones fasthttp consumes itself
// (Transfer-Encoding) and duplicates in order.
type headerList struct {
	h     []header
	names []string
}

// parseHeaders fills l from a raw header block ("Name: value\r\n"...).
// Malformed lines are skipped: fasthttp already rejected requests it could
// not parse, so this only sees well-formed input.
func (l *headerList) parse(raw []byte) {
	l.h = l.h[:0]
	l.names = l.names[:0]
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r")
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name := strings.ToLower(string(bytes.TrimSpace(line[:colon])))
		if name == "" { // " : v" names nothing
			continue
		}
		value := string(bytes.TrimSpace(line[colon+1:]))
		if !l.has(name) {
			l.names = append(l.names, name)
		}
		l.h = append(l.h, header{name, value})
	}
}

// has reports whether a header named name (lower-case) was received.
func (l *headerList) has(name string) bool {
	for i := range l.h {
		if l.h[i].name == name {
			return true
		}
	}
	return false
}

// get returns the value of header name (lower-case); several occurrences
// are joined with "," in arrival order, as SigV4 canonicalisation requires.
func (l *headerList) get(name string) (string, bool) {
	var out string
	found := false
	for i := range l.h {
		if l.h[i].name != name {
			continue
		}
		if found {
			out += "," + l.h[i].value
		} else {
			out, found = l.h[i].value, true
		}
	}
	return out, found
}

// value is get without the presence flag.
func (l *headerList) value(name string) string {
	v, _ := l.get(name)
	return v
}
