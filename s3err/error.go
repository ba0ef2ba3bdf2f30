package s3err

import "fmt"

// Error is an S3 error ready to send: the wire code, its HTTP status and a
// message for the client. Err keeps the underlying cause for logs; it is never
// sent to the client.
type Error struct {
	Code    string
	Status  int
	Message string
	Err     error
}

// Error renders the code, message and cause for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap exposes the cause so errors.Is keeps working through an *Error.
func (e *Error) Unwrap() error { return e.Err }

// New returns the error for code with its table status and default message.
func New(code string) *Error {
	return &Error{Code: code, Status: Status(code), Message: defaultMessage(code)}
}

// Newf returns the error for code with a specific message.
func Newf(code, format string, args ...any) *Error {
	return &Error{Code: code, Status: Status(code), Message: fmt.Sprintf(format, args...)}
}

// Wrap returns the error for code, keeping cause for logs.
func Wrap(code string, cause error) *Error {
	e := New(code)
	e.Err = cause
	return e
}

// HasBody reports whether the error is sent with an XML body: 304 Not
// Modified never carries one.
func (e *Error) HasBody() bool { return e.Status != 304 }

func defaultMessage(code string) string {
	if m := Message(code); m != "" {
		return m
	}
	return code
}

// AppendXML appends the S3 error document for e to dst:
// <Error><Code/><Message/><Resource/><RequestId/></Error>.
func (e *Error) AppendXML(dst []byte, resource, requestID string) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>"...)
	dst = appendEscaped(dst, e.Code)
	dst = append(dst, "</Code><Message>"...)
	dst = appendEscaped(dst, e.Message)
	dst = append(dst, "</Message><Resource>"...)
	dst = appendEscaped(dst, resource)
	dst = append(dst, "</Resource><RequestId>"...)
	dst = appendEscaped(dst, requestID)
	dst = append(dst, "</RequestId></Error>"...)
	return dst
}

// appendEscaped writes s as XML character data. Characters XML 1.0 cannot
// carry at all (most C0 controls, invalid UTF-8) become U+FFFD so a hostile
// key in Resource can never break the document.
func appendEscaped(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '<':
			dst = append(dst, "&lt;"...)
		case r == '>':
			dst = append(dst, "&gt;"...)
		case r == '&':
			dst = append(dst, "&amp;"...)
		case r == '"':
			dst = append(dst, "&quot;"...)
		case r == '\'':
			dst = append(dst, "&apos;"...)
		case r == '\t':
			dst = append(dst, "&#x9;"...)
		case r == '\n':
			dst = append(dst, "&#xA;"...)
		case r == '\r':
			dst = append(dst, "&#xD;"...)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			dst = append(dst, "\uFFFD"...)
		default:
			dst = append(dst, string(r)...)
		}
	}
	return dst
}
