package sigv4

import (
	"strings"
	"testing"
)

// FuzzRequestTime: the signing time of a header-signed request, from
// X-Amz-Date or Date (HTTP forms and botocore's RFC 1123 with a numeric
// zone). Whatever is accepted is a time whose ISO 8601 basic form is what
// the string to sign uses, and a request signed at that time with that
// Date header verifies.
func FuzzRequestTime(f *testing.F) {
	for _, c := range [][2]string{
		{"20130524T000000Z", ""},
		{"", "Fri, 24 May 2013 00:00:00 GMT"},
		{"", "Fri, 24 May 2013 00:00:00 -0000"},
		{"", "Fri, 24 May 2013 02:00:00 +0200"},
		{"", "Friday, 24-May-13 00:00:00 GMT"},
		{"", "Fri May 24 00:00:00 2013"},
		{"2013-05-24T00:00:00Z", ""},
		{"", "yesterday"},
		{"20130524T000000Z", "Fri, 24 May 2013 00:00:00 GMT"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, amz, date string) {
		h := map[string]string{}
		if amz != "" {
			h["x-amz-date"] = amz
		}
		if date != "" {
			h["date"] = date
		}
		r := &treq{method: "GET", path: "/b/k", host: "h", h: h}
		iso, when, from, err := requestTime(r.request())
		if err != nil {
			if err.Code != CodeAccessDenied || err.Msg == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if when.UTC().Format(timeFormat) != iso || (from != "x-amz-date" && from != "date") {
			t.Fatalf("%q/%q: %q from %s at %v", amz, date, iso, from, when)
		}
		if from == "x-amz-date" && amz == "" || from == "date" && amz != "" {
			t.Fatalf("%q/%q: time read from %s", amz, date, from)
		}
		if from != "date" || when.Year() < 1000 || when.Year() > 9999 {
			return
		}
		// Signed with Date alone at the time it names: verifies.
		sr := &treq{method: "GET", path: "/b/k", host: "h", h: map[string]string{
			"date": date, "x-amz-content-sha256": emptyHash,
		}}
		authz, _, serr := Sign(sr.request(), testCreds, when, []string{"date", "x-amz-content-sha256"}, emptyHash)
		if serr != nil {
			t.Fatal(serr)
		}
		sr.h["authorization"] = authz
		if _, verr := newTestVerifier(when).Verify(sr.request()); verr != nil {
			t.Fatalf("Date %q (%v): %v", date, when, verr)
		}
	})
}

// FuzzPayloadHeaders: x-amz-content-sha256, x-amz-decoded-content-length
// and x-amz-trailer, which select how the body is read. Accepted values
// agree with each other; refusals are *Error with a code.
func FuzzPayloadHeaders(f *testing.F) {
	for _, c := range [][3]string{
		{"UNSIGNED-PAYLOAD", "", ""},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "100", "x-amz-checksum-crc32"},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "-1", ""},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "5", "x-amz-checksum-crc32, x-amz-checksum-crc32"},
		{emptyHash, "", ""},
		{strings.ToUpper(emptyHash), "007", ""},
		{"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "", ""},
		{"UNSIGNED-PAYLOAD", "", "x-amz-checksum-sha256"},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "1", "x-amz-meta-a,,"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, csha, decoded, trailer string) {
		mode, _, err := payloadMode(csha)
		if err != nil {
			if err.Code == "" {
				t.Fatalf("payloadMode(%q): %+v", csha, err)
			}
			return
		}
		h := map[string]string{}
		if decoded != "" {
			h["x-amz-decoded-content-length"] = decoded
		}
		if trailer != "" {
			h["x-amz-trailer"] = trailer
		}
		r := &treq{h: h}
		id := &Identity{Mode: mode}
		if err := payloadHeaders(r.request(), id); err != nil {
			if err.Code == "" {
				t.Fatalf("payloadHeaders: %+v", err)
			}
			return
		}
		if mode.Chunked() && id.DecodedLength < 0 {
			t.Fatalf("chunked mode %v accepted without a decoded length", mode)
		}
		if len(id.Trailer) > 0 && mode != StreamingSignedTrailer && mode != StreamingUnsignedTrailer {
			t.Fatalf("trailers %v accepted in mode %v", id.Trailer, mode)
		}
		seen := map[string]bool{}
		for _, n := range id.Trailer {
			if seen[n] || !strings.HasPrefix(n, checksumTrailerPrefix) || n != strings.ToLower(n) {
				t.Fatalf("trailer names %v", id.Trailer)
			}
			seen[n] = true
		}
	})
}
