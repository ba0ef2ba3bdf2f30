package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Vectors generated with aws-sdk-go-v2's own SigV4 signer, configured the
// way its S3 client is (no extra path escaping: the path is sent, and
// signed, exactly as encoded on the request line).

var sdkCreds = aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}

// sdkSigner is the SDK signer with S3's settings.
var sdkSigner = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

// sdkCase describes one request for the SDK to sign.
type sdkCase struct {
	name    string
	method  string
	rawPath string // as on the wire
	rawQ    string
	headers map[string]string
	payload string // x-amz-content-sha256; "" = hash of body
	body    string
}

var sdkCases = []sdkCase{
	{name: "get", method: "GET", rawPath: "/bucket/key.txt"},
	{name: "root", method: "GET", rawPath: "/"},
	{name: "list", method: "GET", rawPath: "/bucket", rawQ: "list-type=2&prefix=photos%2F2024%20a&max-keys=10&delimiter=%2F"},
	{name: "subresource", method: "GET", rawPath: "/bucket", rawQ: "acl"},
	{name: "uploads", method: "POST", rawPath: "/bucket/big%20file.bin", rawQ: "uploads"},
	{name: "part", method: "PUT", rawPath: "/bucket/k", rawQ: "partNumber=3&uploadId=abc~def_ghi-jkl.mno", payload: unsignedPayload},
	{name: "special key", method: "PUT", rawPath: "/bucket/a%20b/c%2Bd%3De%26f%21%27%28%29%2A%40%24%3B%3A%2C%3F%23%5B%5D", body: "hello"},
	{name: "unicode key", method: "GET", rawPath: "/bucket/%E6%97%A5%E6%9C%AC%E8%AA%9E/%C3%A9t%C3%A9"},
	{name: "encoded slash in key", method: "DELETE", rawPath: "/bucket/a%2Fb"},
	{name: "query ordering after encoding", method: "GET", rawPath: "/bucket", rawQ: "a-b=1&a%2Fb=2&A=3&a=4&a=0&z="},
	{name: "query special values", method: "GET", rawPath: "/bucket", rawQ: "prefix=%2B%20%25%26%3D%E2%82%AC&start-after=x~y"},
	{name: "headers", method: "PUT", rawPath: "/bucket/h", body: "data", headers: map[string]string{
		"Content-Type":          "text/plain;  charset=utf-8",
		"X-Amz-Meta-Spaces":     "  a   b    c  ",
		"X-Amz-Meta-Unicode":    "日本",
		"X-Amz-Storage-Class":   "STANDARD",
		"Content-MD5":           "XrY7u+Ae7tCTyyK7j1rNww==",
		"X-Amz-Acl":             "private",
		"Cache-Control":         "no-cache",
		"X-Amz-Tagging":         "a=b&c=d",
		"X-Amz-Server-Side-Enc": "AES256",
	}},
	{name: "unsigned payload", method: "PUT", rawPath: "/bucket/u", payload: unsignedPayload},
	{name: "streaming unsigned trailer", method: "PUT", rawPath: "/bucket/t", payload: streamingUnsignedTrailer, headers: map[string]string{
		"Content-Encoding":             "aws-chunked",
		"X-Amz-Decoded-Content-Length": "5",
		"X-Amz-Trailer":                "x-amz-checksum-crc32",
	}},
}

// sdkSign signs c with the SDK at tm and returns the wire view.
func sdkSign(t *testing.T, c sdkCase, tm time.Time) *Request {
	t.Helper()
	u := "https://bucket.s3.example.com:8443" + c.rawPath
	if c.rawQ != "" {
		u += "?" + c.rawQ
	}
	req, err := http.NewRequest(c.method, u, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	payload := c.payload
	if payload == "" {
		sum := sha256.Sum256([]byte(c.body))
		payload = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	if err := sdkSigner.SignHTTP(context.Background(), sdkCreds, req, payload, "s3", testRegion, tm); err != nil {
		t.Fatal(err)
	}
	if got := req.URL.EscapedPath(); got != c.rawPath {
		t.Fatalf("net/url re-encoded the path: %q", got)
	}
	return fromHTTP(req)
}

func TestSDKSignedRequestsVerify(t *testing.T) {
	v := newTestVerifier(testTime.Add(2 * time.Minute))
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			r := sdkSign(t, c, testTime)
			id, err := v.Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccessKey != testAK || id.Anonymous || id.Presigned {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

// TestSDKTampering changes one signed component of a valid SDK-signed
// request at a time; each must be refused with the right code.
func TestSDKTampering(t *testing.T) {
	base := sdkCase{name: "base", method: "PUT", rawPath: "/bucket/obj", rawQ: "partNumber=1&uploadId=xyz", body: "payload",
		headers: map[string]string{"X-Amz-Meta-A": "1", "Content-Type": "text/plain"}}
	v := newTestVerifier(testTime)
	cases := []struct {
		name   string
		mutate func(r *Request, h map[string]string)
		code   string
	}{
		{"method", func(r *Request, h map[string]string) { r.Method = "POST" }, CodeSignatureDoesNotMatch},
		{"path", func(r *Request, h map[string]string) { r.RawPath = "/bucket/obj2" }, CodeSignatureDoesNotMatch},
		{"path case", func(r *Request, h map[string]string) { r.RawPath = "/bucket/Obj" }, CodeSignatureDoesNotMatch},
		{"query value", func(r *Request, h map[string]string) { r.RawQuery = "partNumber=2&uploadId=xyz" }, CodeSignatureDoesNotMatch},
		{"query added", func(r *Request, h map[string]string) { r.RawQuery += "&versionId=1" }, CodeSignatureDoesNotMatch},
		{"query removed", func(r *Request, h map[string]string) { r.RawQuery = "uploadId=xyz" }, CodeSignatureDoesNotMatch},
		{"host", func(r *Request, h map[string]string) { r.Host = "other.s3.example.com:8443" }, CodeSignatureDoesNotMatch},
		{"signed header value", func(r *Request, h map[string]string) { h["content-type"] = "text/html" }, CodeSignatureDoesNotMatch},
		{"x-amz header value", func(r *Request, h map[string]string) { h["x-amz-meta-a"] = "2" }, CodeSignatureDoesNotMatch},
		{"unsigned x-amz header added", func(r *Request, h map[string]string) {
			h["x-amz-acl"] = "public-read"
			r.HeaderNames = append(r.HeaderNames, "x-amz-acl")
		}, CodeAccessDenied},
		{"payload hash", func(r *Request, h map[string]string) {
			h["x-amz-content-sha256"] = strings.Repeat("0", 64)
		}, CodeSignatureDoesNotMatch},
		{"payload switched to unsigned", func(r *Request, h map[string]string) {
			h["x-amz-content-sha256"] = unsignedPayload
		}, CodeSignatureDoesNotMatch},
		{"date within skew", func(r *Request, h map[string]string) { h["x-amz-date"] = "20130524T000001Z" }, CodeSignatureDoesNotMatch},
		{"signature", func(r *Request, h map[string]string) {
			a := h["authorization"]
			last := a[len(a)-1]
			repl := byte('0')
			if last == '0' {
				repl = '1'
			}
			h["authorization"] = a[:len(a)-1] + string(repl)
		}, CodeSignatureDoesNotMatch},
		{"access key", func(r *Request, h map[string]string) {
			h["authorization"] = strings.Replace(h["authorization"], testAK, "OTHERKEY", 1)
		}, CodeSignatureDoesNotMatch},
		{"unknown access key", func(r *Request, h map[string]string) {
			h["authorization"] = strings.Replace(h["authorization"], testAK, "NOSUCHKEY", 1)
		}, CodeInvalidAccessKeyID},
		{"region", func(r *Request, h map[string]string) {
			h["authorization"] = strings.Replace(h["authorization"], "/us-east-1/", "/eu-west-1/", 1)
		}, CodeAuthorizationHeaderMalformed},
		{"credential date", func(r *Request, h map[string]string) {
			h["authorization"] = strings.Replace(h["authorization"], "/20130524/", "/20130523/", 1)
		}, CodeAuthorizationHeaderMalformed},
		{"signed headers dropped", func(r *Request, h map[string]string) {
			h["authorization"] = strings.Replace(h["authorization"], "content-type;", "", 1)
		}, CodeSignatureDoesNotMatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sdkSign(t, base, testTime)
			// Re-wrap the header func over a mutable copy.
			h := map[string]string{}
			for _, n := range r.HeaderNames {
				h[n], _ = r.Header(n)
			}
			r.Header = func(n string) (string, bool) {
				if n == "host" {
					return r.Host, true
				}
				v, ok := h[n]
				return v, ok
			}
			if _, err := v.Verify(r); err != nil {
				t.Fatalf("untampered request refused: %v", err)
			}
			c.mutate(r, h)
			_, err := v.Verify(r)
			if got := errCode(err); got != c.code {
				t.Fatalf("code = %q (%v), want %s", got, err, c.code)
			}
		})
	}
}

func TestSDKPresigned(t *testing.T) {
	presign := func(t *testing.T, method, rawPath, rawQ string, hdr map[string]string, expires time.Duration) *Request {
		t.Helper()
		u := "https://bucket.s3.example.com" + rawPath
		q := url.Values{}
		if rawQ != "" {
			var err error
			if q, err = url.ParseQuery(rawQ); err != nil {
				t.Fatal(err)
			}
		}
		q.Set("X-Amz-Expires", itoa(int64(expires/time.Second)))
		req, err := http.NewRequest(method, u+"?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		signed, sh, err := sdkSigner.PresignHTTP(context.Background(), sdkCreds, req, unsignedPayload, "s3", testRegion, testTime)
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest(method, signed, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range sh {
			if !strings.EqualFold(k, "host") {
				out.Header[k] = vs
			}
		}
		return fromHTTP(out)
	}
	t.Run("get", func(t *testing.T) {
		r := presign(t, "GET", "/bucket/k%20ey", "response-content-type=text%2Fplain", nil, time.Hour)
		for _, now := range []time.Time{testTime.Add(-DefaultMaxSkew), testTime, testTime.Add(time.Hour)} {
			id, err := newTestVerifier(now).Verify(r)
			if err != nil {
				t.Fatalf("at %v: %v", now, err)
			}
			if !id.Presigned || id.Mode != Presigned || id.AccessKey != testAK {
				t.Fatalf("identity = %+v", id)
			}
		}
	})
	t.Run("put with hoisted x-amz headers", func(t *testing.T) {
		r := presign(t, "PUT", "/bucket/k", "", map[string]string{
			"X-Amz-Meta-Owner": "me", "Content-Type": "image/png", "X-Amz-Request-Payer": "requester",
		}, 7*24*time.Hour)
		if !strings.Contains(r.RawQuery, "x-amz-request-payer=requester") ||
			!strings.Contains(r.RawQuery, "x-amz-meta-owner") {
			t.Fatalf("unexpected SDK presign layout: %s", r.RawQuery)
		}
		if _, err := newTestVerifier(testTime.Add(6 * 24 * time.Hour)).Verify(r); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		r := presign(t, "GET", "/bucket/k", "", nil, time.Hour)
		_, err := newTestVerifier(testTime.Add(time.Hour + time.Second)).Verify(r)
		if e, ok := err.(*Error); !ok || e.Code != CodeAccessDenied || e.Msg != "Request has expired" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not yet valid", func(t *testing.T) {
		r := presign(t, "GET", "/bucket/k", "", nil, time.Hour)
		_, err := newTestVerifier(testTime.Add(-DefaultMaxSkew - time.Second)).Verify(r)
		if e, ok := err.(*Error); !ok || e.Code != CodeAccessDenied || e.Msg != "Request is not valid yet" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		for _, m := range []func(r *Request){
			func(r *Request) {
				r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1)
			},
			func(r *Request) { r.RawQuery += "&extra=1" },
			func(r *Request) { r.RawPath = "/bucket/other" },
			func(r *Request) { r.Method = "DELETE" },
			func(r *Request) {
				r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524T000100Z", 1)
			},
		} {
			r := presign(t, "GET", "/bucket/k", "", nil, time.Hour)
			m(r)
			if _, err := newTestVerifier(testTime).Verify(r); errCode(err) != CodeSignatureDoesNotMatch {
				t.Fatalf("tampered presign: %v (query %s)", err, r.RawQuery)
			}
		}
	})
}
