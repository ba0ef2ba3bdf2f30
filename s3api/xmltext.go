package s3api

import (
	"encoding/xml"
	"strconv"
	"unicode/utf8"
)

// keyText is an object key (or prefix, marker, delimiter) in a response
// document. encoding/xml replaces characters XML 1.0 cannot carry (most
// control characters) with U+FFFD, so a key holding them came back as a
// different key. keyText writes them as numeric character references, as
// S3 does (&#x1;), and escapes CR, LF and TAB too so parsers do not
// normalise them away; clients that need a strictly valid document ask for
// encoding-type=url. It is used only where that choice exists (listings
// of objects, uploads and parts); documents that merely echo a key the
// client sent (DeleteResult, Initiate/CompleteMultipartUploadResult) stay
// strictly valid XML, since no client could parse them otherwise (botocore
// reports a 500 for a DeleteObjects answer it cannot read).
type keyText string

// MarshalXML writes the element with its text escaped by escapeKeyText.
func (k keyText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Text string `xml:",innerxml"`
	}{escapeKeyText(string(k))}, start)
}

// escapeKeyText escapes s for XML character data: the five markup bytes as
// entities, and control characters, U+FFFE and U+FFFF as &#xN;.
func escapeKeyText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '&' || c == '<' || c == '>' || c == 0xEF {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for _, r := range s {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			b = append(b, "&#x"...)
			b = strconv.AppendUint(b, uint64(r), 16)
			b = append(b, ';')
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}
