package s3api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

func corsDoc(rules ...string) string {
	return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</CORSConfiguration>`
}

const corsRuleOK = `<CORSRule><ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>`

func TestParseCORSConfig(t *testing.T) {
	many := strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 101)
	for _, c := range []struct {
		name, in, code string
	}{
		{"ok", corsDoc(corsRuleOK), ""},
		{"any origin", corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>`), ""},
		{"100 rules", corsDoc(strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 100)), ""},
		{"101 rules", corsDoc(many), "InvalidRequest"},
		{"no rules", corsDoc(), "MalformedXML"},
		{"no origin", corsDoc(`<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>`), "MalformedXML"},
		{"no method", corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>`), "MalformedXML"},
		{"bad method", corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule>`), "InvalidRequest"},
		{"two wildcards", corsDoc(`<CORSRule><AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`), "InvalidRequest"},
		{"header two wildcards", corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*-*</AllowedHeader></CORSRule>`), "InvalidRequest"},
		{"expose wildcard", corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader></CORSRule>`), "InvalidRequest"},
		{"negative max age", corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule>`), "InvalidArgument"},
		{"long id", corsDoc(`<CORSRule><ID>` + strings.Repeat("i", 256) + `</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`), "InvalidArgument"},
		{"other root", `<Other/>`, "MalformedXML"},
		{"truncated", corsDoc(corsRuleOK)[:50], "MalformedXML"},
		{"trailing element", corsDoc(corsRuleOK) + `<x/>`, "MalformedXML"},
		{"too big", strings.Repeat(" ", maxCORSBody+1), "MaxMessageLengthExceeded"},
	} {
		_, err := parseCORSConfig([]byte(c.in))
		if codeOf(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}
}

func FuzzParseCORSConfig(f *testing.F) {
	f.Add([]byte(corsDoc(corsRuleOK)))
	f.Add([]byte(corsDoc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`)))
	f.Add([]byte(`<CORSConfiguration><CORSRule/></CORSConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseCORSConfig(data)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("error without an S3 code: %v", err)
			}
			return
		}
		// What parses re-encodes to a document that parses the same way.
		doc, err := xmlDoc(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseCORSConfig(doc)
		if err != nil || len(again.Rules) != len(cfg.Rules) {
			t.Fatalf("re-encoded config does not parse: %v", err)
		}
		cfg.match("https://a.example.com", "GET", []string{"x-amz-date"})
	})
}

func TestCORSMatch(t *testing.T) {
	cfg, err := parseCORSConfig([]byte(corsDoc(corsRuleOK, `<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		origin, method string
		headers        []string
		ok, any        bool
	}{
		{"https://app.example.com", "GET", nil, true, false},
		{"https://app.example.com", "PUT", []string{"x-amz-date", "content-type"}, true, false},
		{"https://app.example.com", "PUT", []string{"authorization"}, false, false},
		{"https://app.example.com", "DELETE", nil, false, false},
		{"http://app.example.com", "GET", nil, false, false},
		{"https://example.com", "GET", nil, false, false},
		{"https://evil.com", "HEAD", nil, true, true},
		{"https://evil.com", "GET", nil, false, false},
	} {
		m, ok := cfg.match(c.origin, c.method, c.headers)
		if ok != c.ok || (ok && m.anyOrigin != c.any) {
			t.Errorf("%s %s %v: ok %v any %v", c.origin, c.method, c.headers, ok, m.anyOrigin)
		}
	}
	for _, c := range []struct {
		p, s string
		ok   bool
	}{{"*", "", true}, {"a*", "a", true}, {"a*b", "ab", true}, {"a*b", "a", false}, {"ab*ba", "aba", false}, {"x", "x", true}, {"x", "X", false}} {
		if wildMatch(c.p, c.s, false) != c.ok {
			t.Errorf("wildMatch(%q, %q) != %v", c.p, c.s, c.ok)
		}
	}
}

// TestCORSEndToEnd: the SDK configures CORS on the real layer; a raw
// browser-style preflight (no credentials) and an actual request with
// Origin are answered per rule.
func TestCORSEndToEnd(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Layer = newRealStore(t)
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: iam.NewRoot(testAK, testSK)})
	})
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return e.ln.Dial() }}
	c := sdkClient("http://"+testHost, tr)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	if code, st := apiCode(err); st != 404 || code != "NoSuchCORSConfiguration" {
		t.Fatalf("no config: %d %q", st, code)
	}
	preflight := func(origin, method, headers string) *http.Response {
		t.Helper()
		rq, _ := http.NewRequest(http.MethodOptions, "http://"+testHost+"/web/some/key", nil)
		rq.Header.Set("Origin", origin)
		rq.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			rq.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := (&http.Client{Transport: tr}).Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight("https://app.example.com", "GET", ""); resp.StatusCode != 403 {
		t.Fatalf("preflight without config: %d", resp.StatusCode)
	}
	// A missing bucket looks exactly like one without CORS.
	rq, _ := http.NewRequest(http.MethodOptions, "http://"+testHost+"/nosuchbucket/k", nil)
	rq.Header.Set("Origin", "https://app.example.com")
	rq.Header.Set("Access-Control-Request-Method", "GET")
	if resp, err := (&http.Client{Transport: tr}).Do(rq); err != nil || resp.StatusCode != 403 {
		t.Fatalf("preflight on a missing bucket: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		ID: aws.String("web"), AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"x-amz-*", "content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600),
	}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	if err != nil || len(got.CORSRules) != 1 || aws.ToString(got.CORSRules[0].ID) != "web" || aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 600 {
		t.Fatalf("GetBucketCors: %+v %v", got, err)
	}
	resp := preflight("https://app.example.com", "PUT", "X-Amz-Date, Content-Type")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" || resp.Header.Get("Access-Control-Allow-Headers") != "x-amz-date, content-type" ||
		resp.Header.Get("Access-Control-Max-Age") != "600" || resp.Header.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for _, bad := range [][3]string{{"https://evil.com", "GET", ""}, {"https://app.example.com", "DELETE", ""}, {"https://app.example.com", "PUT", "authorization"}} {
		if resp := preflight(bad[0], bad[1], bad[2]); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight %v: %d %v", bad, resp.StatusCode, resp.Header)
		}
	}
	// An actual request with Origin gets the allow headers; another origin none.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("web"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		origin, want string
	}{{"https://app.example.com", "https://app.example.com"}, {"https://evil.com", ""}} {
		ot := &originTransport{base: tr, origin: o.origin}
		oc := sdkClient("http://"+testHost, nil)
		_, err := oc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("k")}, func(op *s3.Options) {
			op.HTTPClient = &http.Client{Transport: ot}
		})
		if err != nil || ot.got.Get("Access-Control-Allow-Origin") != o.want || !strings.Contains(ot.got.Get("Vary"), "Origin") {
			t.Errorf("GET with Origin %s: %v err %v", o.origin, ot.got, err)
		}
	}
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")}); err == nil {
		t.Fatal("config survived DELETE")
	}
}

// originTransport adds an Origin header (unsigned, as browsers send it)
// and keeps the response headers.
type originTransport struct {
	base   http.RoundTripper
	origin string
	got    http.Header
}

func (o *originTransport) RoundTrip(rq *http.Request) (*http.Response, error) {
	rq.Header.Set("Origin", o.origin)
	resp, err := o.base.RoundTrip(rq)
	if err == nil {
		o.got = resp.Header
	}
	return resp, err
}

func TestCORSCache(t *testing.T) {
	c := newCORSCache()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := &corsConfiguration{}
	c.put("b", cfg, now)
	if got, ok := c.get("b", now.Add(corsTTL-time.Millisecond)); !ok || got != cfg {
		t.Fatal("fresh entry missed")
	}
	if _, ok := c.get("b", now.Add(corsTTL)); ok {
		t.Fatal("stale entry served")
	}
	c.put("n", nil, now)
	if got, ok := c.get("n", now); !ok || got != nil {
		t.Fatal("negative entry missed")
	}
	c.drop("b")
	if _, ok := c.get("b", now); ok {
		t.Fatal("dropped entry served")
	}
	for i := 0; i < corsMaxEntries+10; i++ {
		c.put(fmt.Sprint(i), nil, now)
	}
	if len(c.m) > corsMaxEntries {
		t.Fatalf("%d entries, bound %d", len(c.m), corsMaxEntries)
	}
}
