package sigv4

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

func TestCanonComponent(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"abcXYZ019-_.~", "abcXYZ019-_.~", true},
		{"a b", "a%20b", true},
		{"a+b", "a%20b", true},
		{"a%2Bb", "a%2Bb", true},
		{"a%2bb", "a%2Bb", true},
		{"a%20b", "a%20b", true},
		{"%7E%41", "~A", true},
		{"a/b", "a%2Fb", true},
		{"a=b&c", "a%3Db%26c", true},
		{"日", "%E6%97%A5", true},
		{"%E6%97%a5", "%E6%97%A5", true},
		{"!'()*", "%21%27%28%29%2A", true},
		{"%", "", false},
		{"%2", "", false},
		{"%zz", "", false},
		{"a%g1", "", false},
	}
	for _, c := range cases {
		got, ok := canonComponent(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("canonComponent(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestCanonComponentMatchesSDKEncoding: for any string, the SDK's query
// encoding (url.QueryEscape with %20 for space) is a fixed point, and any
// other legal encoding of it (QueryEscape's '+' for space, lower-case
// escapes) maps to it.
func TestCanonComponentMatchesSDKEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09-_.~ !\"#$%&'()*+,/:;<=>?@[\\]^`{|}日é\x00\x7f")
	for i := 0; i < 2000; i++ {
		n := rng.IntN(12)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		want := strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
		lower := []byte(want)
		for j := 0; j+2 < len(lower); j++ {
			if lower[j] == '%' {
				lower[j+1] |= 0x20 // digits are unchanged by this
				lower[j+2] |= 0x20
			}
		}
		for _, enc := range []string{want, url.QueryEscape(s), string(lower)} {
			got, ok := canonComponent(enc)
			if !ok || got != want {
				t.Fatalf("canonComponent(%q) = %q, %v; want %q", enc, got, ok, want)
			}
		}
		if decodeCanon(want) != s {
			t.Fatalf("decodeCanon(%q) = %q, want %q", want, decodeCanon(want), s)
		}
	}
}

func TestParseQueryOrder(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"", ""},
		{"acl", "acl="},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1&a=", "a=&a=1&a=2"},
		// Sorted after encoding: '%' (0x25) < '-' (0x2D) < 'A'..'Z' < 'a'.
		{"a-b=1&a%2Fb=2&A=3&a=4", "A=3&a=4&a%2Fb=2&a-b=1"},
		{"&&x=1&", "x=1"},
		{"prefix=a+b&prefix=a%20c", "prefix=a%20b&prefix=a%20c"},
		{"k=v=w", "k=v%3Dw"},
	}
	for _, c := range cases {
		ps, ok := parseQuery(nil, c.raw)
		if !ok {
			t.Fatalf("parseQuery(%q) failed", c.raw)
		}
		if got := string(appendQuery(nil, ps, "")); got != c.want {
			t.Errorf("parseQuery(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
	ps, _ := parseQuery(nil, "X-Amz-Signature=abc&b=1&X-Amz-Date=2")
	if got := string(appendQuery(nil, ps, qSignature)); got != "X-Amz-Date=2&b=1" {
		t.Errorf("skip signature: %q", got)
	}
	if _, ok := parseQuery(nil, "a=%"); ok {
		t.Error("bad escape accepted")
	}
}

func TestAppendHeaderValue(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"  abc  ", "abc"},
		{"\tabc\t", "abc"},
		{"a   b    c", "a b c"},
		{" a  \"b  c\" ", "a \"b c\""},
		{"a\t\tb", "a\t\tb"}, // only spaces collapse, as in the SDKs
		{"a,  b", "a, b"},
	}
	for _, c := range cases {
		if got := string(appendHeaderValue(nil, c.in)); got != c.want {
			t.Errorf("appendHeaderValue(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReencodedURI(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"/", ""},
		{"/b/k", ""},
		{"/b/a%20b", ""},
		{"/b/a!b", "/b/a%21b"},
		{"/b/a%2ab", "/b/a%2Ab"},
		{"/b/%7E", "/b/~"},
		{"/b/a%2Fb", "/b/a/b"},
		{"/b/a%", ""},
		{"/b/%zz", ""},
		{"/b/a b", "/b/a%20b"},
	}
	for _, c := range cases {
		if got := reencodedURI(c.in); got != c.want {
			t.Errorf("reencodedURI(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseCredential(t *testing.T) {
	cases := []struct {
		in   string
		want credential
		ok   bool
	}{
		{"AK/20130524/us-east-1/s3/aws4_request", credential{"AK", "20130524", "us-east-1", "s3", "aws4_request"}, true},
		{"A/K/20130524/r/s3/aws4_request", credential{"A/K", "20130524", "r", "s3", "aws4_request"}, true},
		{"/20130524/r/s3/aws4_request", credential{}, false},
		{"20130524/r/s3/aws4_request", credential{}, false},
		{"", credential{}, false},
		{"AK/d//s3/aws4_request", credential{"AK", "d", "", "s3", "aws4_request"}, true},
	}
	for _, c := range cases {
		got, ok := parseCredential(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseCredential(%q) = %+v, %v", c.in, got, ok)
		}
	}
}

func TestParseSignedHeaders(t *testing.T) {
	cases := []struct {
		in string
		n  int
		ok bool
	}{
		{"host", 1, true},
		{"host;x-amz-date;x-amz-content-sha256", 3, true},
		{"", 0, false},
		{"host;", 0, false},
		{";host", 0, false},
		{"host;host", 0, false},
		{"Host", 0, false},
		{"ho st", 0, false},
		{"host:x", 0, false},
		{strings.Repeat("a;", maxSignedHeaders) + "b", 0, false},
	}
	for _, c := range cases {
		got, ok := parseSignedHeaders(nil, c.in)
		if ok != c.ok || (ok && len(got) != c.n) {
			t.Errorf("parseSignedHeaders(%q) = %v, %v", c.in, got, ok)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	good := "Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig
	cases := []struct {
		in   string
		code string
	}{
		{"AWS4-HMAC-SHA256 " + good, ""},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig, ""},
		{"AWS4-HMAC-SHA256   Signature=" + sig + " ,  SignedHeaders=host , Credential=AK/20130524/us-east-1/s3/aws4_request", ""},
		{"AWS4-HMAC-SHA256 " + good + ",", ""},
		{"AWS4-HMAC-SHA256 " + strings.ToUpper(good[:0]) + strings.Replace(good, sig, strings.ToUpper(sig), 1), ""},
		{"AWS4-HMAC-SHA256", CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 ", CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request", CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 " + good + ", Signature=" + sig, CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 " + good + ", SignedHeaders=host", CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig, CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 Credential=AK, SignedHeaders=host, Signature=" + sig, CodeAuthorizationHeaderMalformed},
		{"AWS4-HMAC-SHA256 " + strings.Replace(good, sig, sig[:63], 1), CodeSignatureDoesNotMatch},
		{"AWS AK:c2lnbmF0dXJl", CodeAccessDenied},
		{"AWS4-ECDSA-P256-SHA256 " + good, CodeNotImplemented},
		{"aws4-hmac-sha256 " + good, CodeInvalidArgument},
		{"", CodeInvalidArgument},
	}
	for _, c := range cases {
		a, err := parseAuthorization(c.in)
		got := ""
		if err != nil {
			got = err.Code
		}
		if got != c.code {
			t.Errorf("parseAuthorization(%q): code %q (%v), want %q", c.in, got, err, c.code)
			continue
		}
		if err == nil && (a.cred.accessKey != "AK" || a.signedHeaders == "" || a.sig[0] != 0xab) {
			t.Errorf("parseAuthorization(%q) = %+v", c.in, a)
		}
	}
}

func TestPayloadMode(t *testing.T) {
	cases := []struct {
		in   string
		mode PayloadMode
		code string
	}{
		{unsignedPayload, Unsigned, ""},
		{emptyHash, SignedHex, ""},
		{strings.ToUpper(emptyHash), SignedHex, ""},
		{streamingSigned, StreamingSigned, ""},
		{streamingSignedTrailer, StreamingSignedTrailer, ""},
		{streamingUnsignedTrailer, StreamingUnsignedTrailer, ""},
		{streamingECDSA, 0, CodeNotImplemented},
		{streamingECDSATrailer, 0, CodeNotImplemented},
		{streamingEvents, 0, CodeNotImplemented},
		{"", 0, CodeInvalidArgument},
		{"unsigned-payload", 0, CodeInvalidArgument},
		{emptyHash + "0", 0, CodeInvalidArgument},
		{strings.Repeat("g", 64), 0, CodeInvalidArgument},
	}
	for _, c := range cases {
		m, _, err := payloadMode(c.in)
		got := ""
		if err != nil {
			got = err.Code
		}
		if m != c.mode || got != c.code {
			t.Errorf("payloadMode(%q) = %v, %q", c.in, m, got)
		}
	}
}

func TestParseTrailerNames(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"x-amz-checksum-crc32", "x-amz-checksum-crc32", true},
		{" X-Amz-Checksum-CRC64NVME ", "x-amz-checksum-crc64nvme", true},
		{"x-amz-checksum-crc32,x-amz-checksum-sha256", "x-amz-checksum-crc32|x-amz-checksum-sha256", true},
		{"x-amz-checksum-crc32,,", "x-amz-checksum-crc32", true},
		{"x-amz-checksum-", "", false},
		{"x-amz-checksum-crc-32", "", false},
		{"content-md5", "", false},
		{"x-amz-checksum-a,x-amz-checksum-a", "", false},
		{strings.Repeat("x-amz-checksum-a1,", 0) + "x-amz-checksum-a,x-amz-checksum-b,x-amz-checksum-c,x-amz-checksum-d,x-amz-checksum-e,x-amz-checksum-f,x-amz-checksum-g,x-amz-checksum-h,x-amz-checksum-i", "", false},
	}
	for _, c := range cases {
		names, err := parseTrailerNames(c.in)
		if (err == nil) != c.ok || (c.ok && strings.Join(names, "|") != c.want) {
			t.Errorf("parseTrailerNames(%q) = %v, %v", c.in, names, err)
		}
	}
}
