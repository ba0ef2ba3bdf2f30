package object

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckConditions(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	before, at, after := mod.Add(-time.Hour), mod.Truncate(time.Second), mod.Add(time.Hour)
	const etag = "0123abcd"
	tests := []struct {
		name string
		c    Conditions
		get  error // GET/HEAD
		copy error // x-amz-copy-source-if-*
	}{
		{"none", Conditions{}, nil, nil},
		{"if-match hit", Conditions{IfMatch: `"0123abcd"`}, nil, nil},
		{"if-match unquoted", Conditions{IfMatch: etag}, nil, nil},
		{"if-match list", Conditions{IfMatch: `"zz", W/"0123abcd"`}, nil, nil},
		{"if-match star", Conditions{IfMatch: "*"}, nil, nil},
		{"if-match miss", Conditions{IfMatch: `"other"`}, ErrPreconditionFailed, ErrPreconditionFailed},
		{"if-unmodified-since ok", Conditions{IfUnmodifiedSince: after}, nil, nil},
		{"if-unmodified-since same second", Conditions{IfUnmodifiedSince: at}, nil, nil},
		{"if-unmodified-since fail", Conditions{IfUnmodifiedSince: before}, ErrPreconditionFailed, ErrPreconditionFailed},
		{"if-match true overrides unmodified-since false", Conditions{IfMatch: etag, IfUnmodifiedSince: before}, nil, nil},
		{"if-none-match hit", Conditions{IfNoneMatch: etag}, ErrNotModified, ErrPreconditionFailed},
		{"if-none-match star", Conditions{IfNoneMatch: "*"}, ErrNotModified, ErrPreconditionFailed},
		{"if-none-match miss", Conditions{IfNoneMatch: "other"}, nil, nil},
		{"if-modified-since not modified", Conditions{IfModifiedSince: after}, ErrNotModified, ErrPreconditionFailed},
		{"if-modified-since same second", Conditions{IfModifiedSince: at}, ErrNotModified, ErrPreconditionFailed},
		{"if-modified-since modified", Conditions{IfModifiedSince: before}, nil, nil},
		{"if-none-match false + modified-since true", Conditions{IfNoneMatch: etag, IfModifiedSince: before}, ErrNotModified, ErrPreconditionFailed},
		{"if-none-match miss overrides modified-since", Conditions{IfNoneMatch: "x", IfModifiedSince: after}, nil, nil},
		{"412 beats 304", Conditions{IfMatch: "x", IfNoneMatch: etag}, ErrPreconditionFailed, ErrPreconditionFailed},
	}
	for _, tt := range tests {
		for _, copy := range []bool{false, true} {
			want := tt.get
			if copy {
				want = tt.copy
			}
			err := checkConditions(etag, mod, tt.c, copy)
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Errorf("%s (copy=%v): %v, want %v", tt.name, copy, err, want)
			}
		}
	}
}

func FuzzETagListMatches(f *testing.F) {
	for _, s := range []string{`"abc"`, `W/"abc", "def"`, "*", `""`, `,,`, `"a`} {
		f.Add(s, "abc")
	}
	f.Fuzz(func(t *testing.T, list, etag string) {
		got := etagListMatches(list, etag)
		if strings.Contains(etag, ",") || strings.Contains(etag, `"`) || strings.TrimSpace(etag) != etag || etag == "" || strings.HasPrefix(etag, "W/") {
			return
		}
		// Appending the quoted tag always makes the list match; a match
		// can never be lost by adding entries.
		if !etagListMatches(list+`, "`+etag+`"`, etag) || (got && !etagListMatches(list+`, "x"`, etag)) {
			t.Fatalf("etagListMatches(%q, %q) inconsistent", list, etag)
		}
	})
}
