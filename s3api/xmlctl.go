package s3api

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// controlEscaper carries characters XML 1.0 cannot hold through
// encoding/xml, which refuses them. Clients put such keys in request
// documents anyway (boto3 writes a key's \x01 raw; others write &#x1;),
// and S3 accepts them. A carriage return is kept too: XML parsers turn a
// raw CR into LF.
//
// Each such character becomes the marker — a private-use rune that does
// not occur anywhere in the document, so nothing else can be mistaken for
// it — followed by two hex digits: the byte for C0 controls and CR, "FE"
// and "FF" for U+FFFE and U+FFFF.
type controlEscaper struct {
	marker rune
}

// protect returns body with every such character (raw or as a character
// reference) replaced, and the escaper that undoes it in decoded text. A
// body without any is returned as it is.
func protect(body []byte) ([]byte, controlEscaper, bool) {
	if !needsProtection(body) {
		return body, controlEscaper{}, false
	}
	used := map[rune]bool{}
	for s := body; len(s) > 0; {
		r, n := utf8.DecodeRune(s)
		if r >= 0xE000 && r <= 0xF8FF {
			used[r] = true
		}
		s = s[n:]
	}
	e := controlEscaper{marker: 0xE000}
	for used[e.marker] && e.marker < 0xF8FF {
		e.marker++
	}
	if used[e.marker] {
		return body, controlEscaper{}, false // every marker taken: let the parser refuse
	}
	out := make([]byte, 0, len(body)+16)
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c < 0x20 && c != '\t' && c != '\n':
			out = e.appendCode(out, int(c))
			i++
		case c == '&' && i+2 < len(body) && body[i+1] == '#':
			if v, n, ok := charRef(body[i:]); ok && illegalInXML(v) {
				out = e.appendCode(out, v)
				i += n
				continue
			}
			out = append(out, c)
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return out, e, true
}

// needsProtection reports whether body holds a raw control character other
// than TAB and LF, or a character reference that might name one.
func needsProtection(body []byte) bool {
	for _, c := range body {
		if c < 0x20 && c != '\t' && c != '\n' {
			return true
		}
	}
	return bytes.Contains(body, []byte("&#"))
}

// illegalInXML reports code points XML 1.0 forbids (or, for CR, does not
// keep) in character data.
func illegalInXML(v int) bool {
	return v < 0x20 && v != '\t' && v != '\n' || v == 0xFFFE || v == 0xFFFF
}

// charRef parses "&#N;" or "&#xH;" at the start of b and returns the value
// and its length in bytes.
func charRef(b []byte) (int, int, bool) {
	end := bytes.IndexByte(b, ';')
	if end < 3 || end > 12 {
		return 0, 0, false
	}
	num, base := string(b[2:end]), 10
	if num[0] == 'x' {
		num, base = num[1:], 16
	}
	v, err := strconv.ParseUint(num, base, 32)
	if err != nil {
		return 0, 0, false
	}
	return int(v), end + 1, true
}

func (e controlEscaper) appendCode(out []byte, v int) []byte {
	out = utf8.AppendRune(out, e.marker)
	switch v {
	case 0xFFFE:
		return append(out, "FE"...)
	case 0xFFFF:
		return append(out, "FF"...)
	}
	const hex = "0123456789ABCDEF"
	return append(out, hex[v>>4], hex[v&15])
}

// restore undoes protect in one decoded text value.
func (e controlEscaper) restore(s string) string {
	if e.marker == 0 || !strings.ContainsRune(s, e.marker) {
		return s
	}
	m := string(e.marker)
	var b strings.Builder
	for {
		i := strings.Index(s, m)
		if i < 0 || i+len(m)+2 > len(s) {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		code := s[i+len(m) : i+len(m)+2]
		switch code {
		case "FE":
			b.WriteRune(0xFFFE)
		case "FF":
			b.WriteRune(0xFFFF)
		default:
			v, _ := strconv.ParseUint(code, 16, 8)
			b.WriteByte(byte(v))
		}
		s = s[i+len(m)+2:]
	}
}
