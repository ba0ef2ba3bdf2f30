package object

import (
	"fmt"
	"math"
	"strings"
)

// parseRange resolves an HTTP Range header against an object of size bytes.
//
// S3 semantics, which differ from a full RFC 9110 server in a few places:
//   - "" selects the whole object;
//   - one range of the forms "bytes=a-b", "bytes=a-" or "bytes=-n" selects
//     that range, with b clamped to the last byte and n to the object size;
//   - several ranges ("bytes=0-1,5-6"), other units and malformed values
//     are ignored and the whole object is returned (200), as S3 does;
//   - a first byte at or past the end, or "bytes=-0", is unsatisfiable
//     (ErrInvalidRange, 416) — on an empty object that includes "bytes=0-";
//   - a suffix range on an empty object selects the (empty) whole object,
//     because there is no byte range to report in Content-Range.
//
// partial reports whether a range was applied (206).
func parseRange(h string, size int64) (r Range, partial bool, err error) {
	whole := Range{Start: 0, Length: size}
	h = strings.TrimSpace(h)
	if h == "" {
		return whole, false, nil
	}
	const unit = "bytes="
	if len(h) < len(unit) || !strings.EqualFold(h[:len(unit)], unit) {
		return whole, false, nil
	}
	spec := strings.TrimSpace(h[len(unit):])
	if strings.IndexByte(spec, ',') >= 0 {
		return whole, false, nil
	}
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return whole, false, nil
	}
	first, last := strings.TrimSpace(spec[:dash]), strings.TrimSpace(spec[dash+1:])
	if first == "" {
		// Suffix form: the last n bytes.
		n, ok := parseDigits(last)
		if !ok {
			return whole, false, nil
		}
		if n == 0 {
			return Range{}, false, fmt.Errorf("%w: %q on %d bytes", ErrInvalidRange, h, size)
		}
		if size == 0 {
			return whole, false, nil
		}
		n = min(n, size)
		return Range{Start: size - n, Length: n}, true, nil
	}
	a, ok := parseDigits(first)
	if !ok {
		return whole, false, nil
	}
	end := int64(math.MaxInt64)
	if last != "" {
		b, ok := parseDigits(last)
		if !ok || b < a {
			return whole, false, nil
		}
		end = b
	}
	if a >= size {
		return Range{}, false, fmt.Errorf("%w: %q on %d bytes", ErrInvalidRange, h, size)
	}
	end = min(end, size-1)
	return Range{Start: a, Length: end - a + 1}, true, nil
}

// parseDigits parses a non-empty run of ASCII digits. Values beyond int64
// saturate at MaxInt64: such a position is past the end of any object,
// which is exactly what the caller needs to decide satisfiability.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			v = math.MaxInt64
			continue
		}
		v = v*10 + d
	}
	return v, true
}

// parseCopyRange parses x-amz-copy-source-range for UploadPartCopy. S3 is
// strict here: only "bytes=first-last" is accepted (ErrInvalidArgument
// otherwise), and the range must lie inside the source (ErrInvalidRange).
func parseCopyRange(h string, size int64) (Range, error) {
	const unit = "bytes="
	if !strings.HasPrefix(h, unit) {
		return Range{}, fmt.Errorf("%w: copy source range %q", ErrInvalidArgument, h)
	}
	spec := h[len(unit):]
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return Range{}, fmt.Errorf("%w: copy source range %q", ErrInvalidArgument, h)
	}
	a, okA := parseDigits(spec[:dash])
	b, okB := parseDigits(spec[dash+1:])
	if !okA || !okB || b < a {
		return Range{}, fmt.Errorf("%w: copy source range %q", ErrInvalidArgument, h)
	}
	if b >= size {
		return Range{}, fmt.Errorf("%w: copy source range %q on %d bytes", ErrInvalidRange, h, size)
	}
	return Range{Start: a, Length: b - a + 1}, nil
}
