package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// Signer signs net/http requests with header SigV4, for the rustfs
// client commands (heal, status, admin, bench).
type Signer struct {
	Credentials ClientCredentials
}

// Sign sets x-amz-date, x-amz-content-sha256 (payloadSHA256: the hex
// SHA-256 of the body, or UNSIGNED-PAYLOAD) and Authorization on req,
// signing the host and every x-amz-* header it carries.
func (s *Signer) Sign(req *http.Request, payloadSHA256 string, now time.Time) error {
	req.Header.Set("X-Amz-Date", now.UTC().Format(timeFormat))
	req.Header.Set("X-Amz-Content-Sha256", payloadSHA256)
	var names []string
	for name := range req.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			names = append(names, l)
		}
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	r := &Request{
		Method:   req.Method,
		RawPath:  req.URL.EscapedPath(),
		RawQuery: req.URL.RawQuery,
		Host:     host,
		Header: func(n string) (string, bool) {
			if n == "host" {
				return host, true
			}
			v, ok := req.Header[http.CanonicalHeaderKey(n)]
			return strings.Join(v, ","), ok
		},
	}
	authz, _, err := Sign(r, s.Credentials, now, names, payloadSHA256)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", authz)
	return nil
}
