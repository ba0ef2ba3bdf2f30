package sigv4

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// Test credentials: the AWS documentation's example key pair.
const (
	testAK     = "AKIAIOSFODNN7EXAMPLE"
	testSK     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
)

// testTime is the AWS examples' request time, 20130524T000000Z.
var testTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

// staticCreds is an in-memory Credentials.
type staticCreds map[string]string

func (c staticCreds) Lookup(ak string) (string, string, bool) {
	s, ok := c[ak]
	return s, "acct-" + ak, ok
}

// newTestVerifier returns a Verifier knowing the test key, with the clock
// pinned at now.
func newTestVerifier(now time.Time) *Verifier {
	return NewVerifier(Options{
		Region: testRegion,
		Now:    func() time.Time { return now },
		Creds:  staticCreds{testAK: testSK, "OTHERKEY": "othersecret"},
	})
}

var testCreds = ClientCredentials{AccessKey: testAK, SecretKey: testSK, Region: testRegion}

// treq is a test request with an editable header map (lower-case names).
type treq struct {
	method, path, query, host string
	h                         map[string]string
}

// request adapts t into a Request.
func (t *treq) request() *Request {
	names := make([]string, 0, len(t.h))
	for k := range t.h {
		names = append(names, k)
	}
	sort.Strings(names)
	return &Request{
		Method:   t.method,
		RawPath:  t.path,
		RawQuery: t.query,
		Host:     t.host,
		Header: func(n string) (string, bool) {
			if n == "host" {
				return t.host, true
			}
			v, ok := t.h[n]
			return v, ok
		},
		HeaderNames: names,
	}
}

// clone deep-copies t so table cases can mutate their own copy.
func (t *treq) clone() *treq {
	c := *t
	c.h = make(map[string]string, len(t.h))
	for k, v := range t.h {
		c.h[k] = v
	}
	return &c
}

// signedReq builds a header-signed request for method/path/query with the
// given payload hash, signing all headers in h.
func signedReq(t testing.TB, method, path, query string, payload string, extra map[string]string) *treq {
	t.Helper()
	r := &treq{method: method, path: path, query: query, host: "bucket.s3.example.com", h: map[string]string{
		"x-amz-date":           testTime.Format(timeFormat),
		"x-amz-content-sha256": payload,
	}}
	for k, v := range extra {
		r.h[k] = v
	}
	sign(t, r)
	return r
}

// sign (re)computes r's Authorization over all its non-authorization headers.
func sign(t testing.TB, r *treq) string {
	t.Helper()
	delete(r.h, "authorization")
	var names []string
	for k := range r.h {
		names = append(names, k)
	}
	authz, seed, err := Sign(r.request(), testCreds, testTime, names, r.h["x-amz-content-sha256"])
	if err != nil {
		t.Fatal(err)
	}
	r.h["authorization"] = authz
	return seed
}

// fromHTTP adapts a net/http request as it would appear on the wire.
func fromHTTP(req *http.Request) *Request {
	uri := req.URL.RequestURI()
	path, query, _ := strings.Cut(uri, "?")
	h := map[string]string{}
	for k, vs := range req.Header {
		h[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if req.ContentLength > 0 {
		if _, ok := h["content-length"]; !ok {
			h["content-length"] = itoa(req.ContentLength)
		}
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	return &Request{
		Method: req.Method, RawPath: path, RawQuery: query, Host: host,
		Header: func(n string) (string, bool) {
			if n == "host" {
				return host, true
			}
			v, ok := h[n]
			return v, ok
		},
		HeaderNames: names,
	}
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// errCode returns the S3 code of err, "" for nil, or "<not *Error>".
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "<not *Error: " + err.Error() + ">"
}
