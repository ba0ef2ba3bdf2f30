package object

import (
	"errors"
	"math"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		h       string
		size    int64
		want    Range
		partial bool
		err     error
	}{
		{"", 100, Range{0, 100}, false, nil},
		{"bytes=0-9", 100, Range{0, 10}, true, nil},
		{"bytes=10-", 100, Range{10, 90}, true, nil},
		{"bytes=-10", 100, Range{90, 10}, true, nil},
		{"bytes=-1000", 100, Range{0, 100}, true, nil},
		{"bytes=90-1000", 100, Range{90, 10}, true, nil},
		{"bytes=99-99", 100, Range{99, 1}, true, nil},
		{"BYTES=1-2", 100, Range{1, 2}, true, nil},
		{"bytes= 1 - 2 ", 100, Range{1, 2}, true, nil},
		{"bytes=0-99999999999999999999999", 100, Range{0, 100}, true, nil},
		// Unsatisfiable.
		{"bytes=100-", 100, Range{}, false, ErrInvalidRange},
		{"bytes=100-200", 100, Range{}, false, ErrInvalidRange},
		{"bytes=-0", 100, Range{}, false, ErrInvalidRange},
		{"bytes=99999999999999999999999-", 100, Range{}, false, ErrInvalidRange},
		{"bytes=0-", 0, Range{}, false, ErrInvalidRange},
		{"bytes=0-0", 0, Range{}, false, ErrInvalidRange},
		// Suffix on an empty object: the whole (empty) object.
		{"bytes=-5", 0, Range{0, 0}, false, nil},
		// Ignored: multiple ranges, other units, malformed.
		{"bytes=0-1,5-6", 100, Range{0, 100}, false, nil},
		{"items=0-1", 100, Range{0, 100}, false, nil},
		{"bytes=5-2", 100, Range{0, 100}, false, nil},
		{"bytes=a-b", 100, Range{0, 100}, false, nil},
		{"bytes=", 100, Range{0, 100}, false, nil},
		{"bytes=-", 100, Range{0, 100}, false, nil},
		{"bytes=1", 100, Range{0, 100}, false, nil},
		{"bytes=+1-2", 100, Range{0, 100}, false, nil},
		{"bytes=--1", 100, Range{0, 100}, false, nil},
	}
	for _, tt := range tests {
		got, partial, err := parseRange(tt.h, tt.size)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("parseRange(%q, %d) error = %v, want %v", tt.h, tt.size, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || partial != tt.partial {
			t.Errorf("parseRange(%q, %d) = %+v, %v, %v; want %+v, %v", tt.h, tt.size, got, partial, err, tt.want, tt.partial)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=7-", "bytes=1-2,3-4", "bytes=99999999999999999999-", "x"} {
		f.Add(s, int64(100))
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		r, _, err := parseRange(h, size)
		if err != nil {
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if r.Start < 0 || r.Length < 0 || r.Start > size || r.Length > size-r.Start {
			t.Fatalf("parseRange(%q, %d) = %+v out of bounds", h, size, r)
		}
	})
}

func TestParseCopyRange(t *testing.T) {
	if r, err := parseCopyRange("bytes=5-9", 10); err != nil || r != (Range{5, 5}) {
		t.Fatalf("bytes=5-9: %+v %v", r, err)
	}
	for _, h := range []string{"5-9", "bytes=5-", "bytes=-5", "bytes=9-5", "bytes=a-b"} {
		if _, err := parseCopyRange(h, 10); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: %v, want ErrInvalidArgument", h, err)
		}
	}
	if _, err := parseCopyRange("bytes=5-10", 10); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("past the end: %v", err)
	}
}

func TestParseDigitsSaturates(t *testing.T) {
	if v, ok := parseDigits("9223372036854775807"); !ok || v != math.MaxInt64 {
		t.Fatalf("max: %d %v", v, ok)
	}
	if v, ok := parseDigits("92233720368547758080"); !ok || v != math.MaxInt64 {
		t.Fatalf("overflow: %d %v", v, ok)
	}
}
