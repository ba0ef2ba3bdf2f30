package s3api

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// CORS configuration grammar and matching, as S3 defines them: up to 100
// CORSRules; each names origins (at most one '*' wildcard each), methods
// (GET PUT HEAD POST DELETE), request headers a preflight may ask for
// (wildcards allowed), headers a browser may expose, and a max age.

// Limits on a CORS configuration (S3's).
const (
	maxCORSRules  = 100
	maxCORSBody   = 64 << 10
	maxCORSRuleID = 255
)

type corsConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Rules   []corsRule `xml:"CORSRule"`
}

type corsRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader,omitempty"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader,omitempty"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty"`
}

var corsMethods = map[string]bool{"GET": true, "PUT": true, "HEAD": true, "POST": true, "DELETE": true}

// parseCORSConfig decodes and validates a CORSConfiguration document.
func parseCORSConfig(body []byte) (*corsConfiguration, error) {
	if len(body) > maxCORSBody {
		return nil, s3err.Newf(s3err.MaxMessageLengthExceeded, "The CORS configuration must be at most %d bytes.", maxCORSBody)
	}
	var cfg corsConfiguration
	if err := decodeStrict(body, &cfg); err != nil {
		return nil, err
	}
	if len(cfg.Rules) == 0 {
		return nil, s3err.Newf(s3err.MalformedXML, "The CORS configuration must hold at least one CORSRule.")
	}
	if len(cfg.Rules) > maxCORSRules {
		return nil, s3err.Newf(s3err.InvalidRequest, "The number of CORS rules should not exceed allowed limit of %d rules.", maxCORSRules)
	}
	for i := range cfg.Rules {
		if err := cfg.Rules[i].validate(); err != nil {
			return nil, err
		}
	}
	return &cfg, nil
}

// validate checks one rule as S3 does.
func (c *corsRule) validate() error {
	if len(c.ID) > maxCORSRuleID {
		return s3err.Newf(s3err.InvalidArgument, "The ID of a CORSRule must be at most %d characters.", maxCORSRuleID)
	}
	if len(c.AllowedOrigins) == 0 || len(c.AllowedMethods) == 0 {
		return s3err.Newf(s3err.MalformedXML, "Each CORSRule must name at least one AllowedOrigin and one AllowedMethod.")
	}
	for _, m := range c.AllowedMethods {
		if !corsMethods[m] {
			return s3err.Newf(s3err.InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
		}
	}
	for _, o := range c.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return s3err.Newf(s3err.InvalidRequest, "AllowedOrigin %q can not have more than one wildcard.", o)
		}
	}
	for _, h := range c.AllowedHeaders {
		if strings.Count(h, "*") > 1 {
			return s3err.Newf(s3err.InvalidRequest, "AllowedHeader %q can not have more than one wildcard.", h)
		}
	}
	for _, h := range c.ExposeHeaders {
		if strings.Contains(h, "*") || strings.ContainsAny(h, " ,\t\r\n") {
			return s3err.Newf(s3err.InvalidRequest, "ExposeHeader %q contains wildcard or invalid characters.", h)
		}
	}
	if c.MaxAgeSeconds != nil && *c.MaxAgeSeconds < 0 {
		return s3err.Newf(s3err.InvalidArgument, "MaxAgeSeconds must not be negative.")
	}
	return nil
}

// wildMatch matches s against a pattern with at most one '*' (any run of
// characters, possibly empty); fold compares case-insensitively.
func wildMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	before, after, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// corsMatch is the rule that allows a request and how it matched.
type corsMatch struct {
	rule *corsRule
	// anyOrigin: the matching origin pattern was exactly "*", so the
	// answer is "Access-Control-Allow-Origin: *" without credentials.
	anyOrigin bool
}

// match returns the first rule that allows origin, method and every
// requested header (a preflight's Access-Control-Request-Headers; nil for
// an actual request).
func (cfg *corsConfiguration) match(origin, method string, headers []string) (corsMatch, bool) {
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		any, ok := r.originMatch(origin)
		if !ok || !r.methodMatch(method) || !r.headersMatch(headers) {
			continue
		}
		return corsMatch{rule: r, anyOrigin: any}, true
	}
	return corsMatch{}, false
}

func (c *corsRule) originMatch(origin string) (anyOrigin, ok bool) {
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			return true, true
		}
		if wildMatch(o, origin, false) {
			return false, true
		}
	}
	return false, false
}

func (c *corsRule) methodMatch(method string) bool {
	for _, m := range c.AllowedMethods {
		if m == method {
			return true
		}
	}
	return false
}

func (c *corsRule) headersMatch(headers []string) bool {
next:
	for _, h := range headers {
		for _, a := range c.AllowedHeaders {
			if wildMatch(a, h, true) {
				continue next
			}
		}
		return false
	}
	return true
}

// splitHeaderList splits a comma-separated header list into trimmed,
// lower-case, non-empty names.
func splitHeaderList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// maxAge formats a rule's MaxAgeSeconds, or "".
func (c *corsRule) maxAge() string {
	if c.MaxAgeSeconds == nil {
		return ""
	}
	return strconv.Itoa(*c.MaxAgeSeconds)
}
