package s3api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParsePostPolicy(t *testing.T) {
	for _, c := range []struct {
		name, doc, code string
	}{
		{"ok", `{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"b"},["starts-with","$key","u/"],["content-length-range",1,"10"],["eq","$Content-Type","text/plain"]]}`, ""},
		{"empty conditions", `{"expiration":"2030-01-01T00:00:00Z","conditions":[]}`, ""},
		{"no expiration", `{"conditions":[]}`, "InvalidPolicyDocument"},
		{"bad expiration", `{"expiration":"tomorrow","conditions":[]}`, "InvalidPolicyDocument"},
		{"no conditions", `{"expiration":"2030-01-01T00:00:00Z"}`, "InvalidPolicyDocument"},
		{"unknown member", `{"expiration":"2030-01-01T00:00:00Z","conditions":[],"x":1}`, "InvalidPolicyDocument"},
		{"two-key object", `{"expiration":"2030-01-01T00:00:00Z","conditions":[{"a":"1","b":"2"}]}`, "InvalidPolicyDocument"},
		{"non-string value", `{"expiration":"2030-01-01T00:00:00Z","conditions":[{"a":1}]}`, "InvalidPolicyDocument"},
		{"unknown op", `{"expiration":"2030-01-01T00:00:00Z","conditions":[["ends-with","$key","x"]]}`, "InvalidPolicyDocument"},
		{"field without $", `{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","key","x"]]}`, "InvalidPolicyDocument"},
		{"two elements", `{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$key"]]}`, "InvalidPolicyDocument"},
		{"range reversed", `{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",10,1]]}`, "InvalidPolicyDocument"},
		{"range negative", `{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",-1,1]]}`, "InvalidPolicyDocument"},
		{"scalar condition", `{"expiration":"2030-01-01T00:00:00Z","conditions":["x"]}`, "InvalidPolicyDocument"},
		{"trailing data", `{"expiration":"2030-01-01T00:00:00Z","conditions":[]} {}`, "InvalidPolicyDocument"},
		{"not json", `nope`, "InvalidPolicyDocument"},
	} {
		_, err := parsePostPolicy(b64(c.doc))
		if codeOf(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}
	if _, err := parsePostPolicy("!!!"); codeOf(err) != "InvalidPolicyDocument" {
		t.Errorf("bad base64: %v", err)
	}
}

func TestPostPolicyCheck(t *testing.T) {
	p, err := parsePostPolicy(b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key","u/"],["eq","$Content-Type","text/plain"],{"x-amz-meta-tag":"v"},["starts-with","$success_action_status",""]]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	base := func() map[string]string {
		return map[string]string{"bucket": "b", "key": "u/f", "content-type": "text/plain", "x-amz-meta-tag": "v", "policy": "p", "x-amz-signature": "s", "x-ignore-me": "1"}
	}
	if err := p.check(now, base()); err != nil {
		t.Fatalf("good form: %v", err)
	}
	for _, c := range []struct {
		name string
		mod  func(map[string]string)
		msg  string
	}{
		{"wrong bucket", func(f map[string]string) { f["bucket"] = "c" }, "bucket"},
		{"key prefix", func(f map[string]string) { f["key"] = "v/f" }, "key"},
		{"content type", func(f map[string]string) { f["content-type"] = "text/html" }, "content-type"},
		{"missing meta", func(f map[string]string) { delete(f, "x-amz-meta-tag") }, "x-amz-meta-tag"},
		{"extra field", func(f map[string]string) { f["x-amz-meta-other"] = "1" }, "Extra input fields: x-amz-meta-other"},
	} {
		f := base()
		c.mod(f)
		err := p.check(now, f)
		if codeOf(err) != "AccessDenied" || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := p.check(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), base()); codeOf(err) != "AccessDenied" || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

func FuzzParsePostPolicy(f *testing.F) {
	f.Add(`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"b"},["starts-with","$key","u/"],["content-length-range",1,10]]}`)
	f.Add(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$a","b"]]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := parsePostPolicy(b64(doc))
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("error without an S3 code: %v", err)
			}
			return
		}
		if p.hasRange && (p.minLen < 0 || p.maxLen < p.minLen) {
			t.Fatalf("bad range %d..%d", p.minLen, p.maxLen)
		}
		_ = p.check(time.Now(), map[string]string{"key": "k"})
	})
}

// formBody builds a multipart/form-data body: fields in order, then the
// file part.
func formBody(t testing.TB, fields [][2]string, filename string, file []byte) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary("rustfs-test-boundary-0123456789"); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "-" {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func TestReadPostForm(t *testing.T) {
	body, ct := formBody(t, [][2]string{{"Key", "k"}, {"policy", "p"}}, "a.txt", []byte("data"))
	boundary, ok := postBoundary(ct)
	if !ok {
		t.Fatal("boundary")
	}
	f, err := readPostForm(bytes.NewReader(body), boundary)
	if err != nil || f.fields["key"] != "k" || f.filename != "a.txt" {
		t.Fatalf("%+v %v", f, err)
	}
	if data, _ := io.ReadAll(f.file); string(data) != "data" {
		t.Fatalf("file %q", data)
	}
	noFile, _ := formBody(t, [][2]string{{"key", "k"}}, "-", nil)
	dup, _ := formBody(t, [][2]string{{"key", "k"}, {"KEY", "k2"}}, "a", nil)
	big, _ := formBody(t, [][2]string{{"key", strings.Repeat("k", maxPostFieldBytes+1)}}, "a", nil)
	for _, c := range []struct {
		name string
		body []byte
		code string
	}{
		{"no file", noFile, "InvalidArgument"},
		{"duplicate", dup, "InvalidArgument"},
		{"field too big", big, "MaxMessageLengthExceeded"},
		{"truncated", body[:len(body)/2], "MalformedPOSTRequest"},
		{"garbage", []byte("hello"), "MalformedPOSTRequest"},
	} {
		_, err := readPostForm(bytes.NewReader(c.body), boundary)
		if codeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, ok := postBoundary("multipart/form-data"); ok {
		t.Error("form without boundary accepted")
	}
	if _, ok := postBoundary("application/x-www-form-urlencoded"); ok {
		t.Error("urlencoded form accepted")
	}
}

func FuzzReadPostForm(f *testing.F) {
	body, ct := formBody(f, [][2]string{{"key", "k"}, {"policy", "p"}}, "a.txt", []byte("data"))
	boundary, _ := postBoundary(ct)
	f.Add(body)
	f.Add(body[:40])
	f.Add([]byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--" + boundary + "--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := readPostForm(bytes.NewReader(data), boundary)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("error without an S3 code: %v", err)
			}
			return
		}
		if len(form.fields) > maxPostFields {
			t.Fatal("field limit not enforced")
		}
		io.Copy(io.Discard, form.file)
	})
}

// postEnv is a plaintext server over the real object layer with the real
// clock, and a bucket "upl".
func postEnv(t *testing.T) (*testEnv, *http.Client, *s3.Client) {
	e := newTestEnv(t, func(o *Options) {
		o.Layer = newRealStore(t)
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: iam.NewRoot(testAK, testSK)})
	})
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return e.ln.Dial() }}
	c := sdkClient("http://"+testHost, tr)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("upl")}); err != nil {
		t.Fatal(err)
	}
	return e, &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, c
}

// signedForm returns the fields of a form whose policy has conds plus the
// signature fields, signed at now.
func signedForm(t testing.TB, exp time.Time, conds []any, extra ...[2]string) [][2]string {
	now := time.Now()
	cred, date, _ := sigv4.SignPostPolicy(sigv4.ClientCredentials{AccessKey: testAK, SecretKey: testSK, Region: testRegion}, now, "")
	all := append([]any{map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"}, map[string]string{"x-amz-credential": cred}, map[string]string{"x-amz-date": date}}, conds...)
	doc, err := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": all})
	if err != nil {
		t.Fatal(err)
	}
	pol := base64.StdEncoding.EncodeToString(doc)
	_, _, sig := sigv4.SignPostPolicy(sigv4.ClientCredentials{AccessKey: testAK, SecretKey: testSK, Region: testRegion}, now, pol)
	fields := append([][2]string{}, extra...)
	return append(fields, [2]string{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, [2]string{"x-amz-credential", cred}, [2]string{"x-amz-date", date},
		[2]string{"policy", pol}, [2]string{"x-amz-signature", sig})
}

func sendForm(t *testing.T, hc *http.Client, fields [][2]string, filename string, file []byte) (*http.Response, string) {
	body, ct := formBody(t, fields, filename, file)
	rq, _ := http.NewRequest(http.MethodPost, "http://"+testHost+"/upl", bytes.NewReader(body))
	rq.Header.Set("Content-Type", ct)
	resp, err := hc.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPostObjectEndToEnd: a browser-style form upload (Go's multipart
// writer, policy signed with SigV4) stores the file; a policy violated in
// each condition is refused and stores nothing.
func TestPostObjectEndToEnd(t *testing.T) {
	_, hc, c := postEnv(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	conds := []any{
		map[string]string{"bucket": "upl"},
		[]any{"starts-with", "$key", "user/"},
		[]any{"content-length-range", 1, 1000},
		[]any{"eq", "$Content-Type", "text/plain"},
		map[string]string{"success_action_status": "201"},
		[]any{"starts-with", "$x-amz-meta-note", ""},
	}
	good := [][2]string{{"key", "user/${filename}"}, {"Content-Type", "text/plain"}, {"success_action_status", "201"}, {"x-amz-meta-note", "hi"}}
	resp, body := sendForm(t, hc, signedForm(t, exp, conds, good...), "hello.txt", []byte("hello world"))
	if resp.StatusCode != 201 || !strings.Contains(body, "<Key>user/hello.txt</Key>") || resp.Header.Get("ETag") == "" {
		t.Fatalf("good POST: %d %s", resp.StatusCode, body)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("upl"), Key: aws.String("user/hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "hello world" || aws.ToString(got.ContentType) != "text/plain" || got.Metadata["note"] != "hi" {
		t.Fatalf("stored %q %q %v", data, aws.ToString(got.ContentType), got.Metadata)
	}
	// 204 by default, 303 to a redirect.
	redirConds := append(append([]any{}, conds[:4]...), []any{"starts-with", "$success_action_redirect", "https://app.example/"})
	resp, _ = sendForm(t, hc, signedForm(t, exp, redirConds, [2]string{"key", "user/r"}, [2]string{"Content-Type", "text/plain"}, [2]string{"success_action_redirect", "https://app.example/done"}), "r", []byte("r"))
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "https://app.example/done?") || !strings.Contains(resp.Header.Get("Location"), "key=user%2Fr") {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = sendForm(t, hc, signedForm(t, exp, conds[:4], [2]string{"key", "user/d"}, [2]string{"Content-Type", "text/plain"}), "d", []byte("d"))
	if resp.StatusCode != 204 {
		t.Fatalf("default status: %d", resp.StatusCode)
	}

	// The bucket policy decides as for a PutObject by the signer; the
	// request's s3:authType is "POST".
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",` +
		`"Resource":"arn:aws:s3:::upl/user/denied*","Condition":{"StringEquals":{"s3:authType":"POST"}}}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("upl"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	resp, _ = sendForm(t, hc, signedForm(t, exp, conds[:4], [2]string{"key", "user/denied.txt"}, [2]string{"Content-Type", "text/plain"}), "d", []byte("d"))
	if resp.StatusCode != 403 {
		t.Fatalf("POST under a Deny policy: %d", resp.StatusCode)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("upl"), Key: aws.String("user/denied.txt"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("header-signed PUT (authType REST-HEADER) refused: %v", err)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("upl")}); err != nil {
		t.Fatal(err)
	}

	type violation struct {
		name   string
		fields [][2]string
		file   []byte
		status int
		code   string
	}
	forged := signedForm(t, exp, conds, good...)
	for i := range forged {
		if forged[i][0] == "x-amz-signature" {
			forged[i][1] = strings.Repeat("0", 64)
		}
	}
	swapped := signedForm(t, exp, conds, good...)
	for i := range swapped {
		if swapped[i][0] == "policy" {
			swapped[i][1] = b64(`{"expiration":"2099-01-01T00:00:00Z","conditions":[]}`)
		}
	}
	replace := func(name, v string) [][2]string {
		out := append([][2]string{}, good...)
		for i := range out {
			if out[i][0] == name {
				out[i][1] = v
			}
		}
		return out
	}
	for _, v := range []violation{
		{"expired", signedForm(t, time.Now().Add(-time.Minute), conds, good...), []byte("x"), 403, "AccessDenied"},
		{"bucket", signedForm(t, exp, append([]any{map[string]string{"bucket": "other"}}, conds[1:]...), good...), []byte("x"), 403, "AccessDenied"},
		{"key starts-with", signedForm(t, exp, conds, replace("key", "admin/${filename}")...), []byte("x"), 403, "AccessDenied"},
		{"eq content type", signedForm(t, exp, conds, replace("Content-Type", "text/html")...), []byte("x"), 403, "AccessDenied"},
		{"success status", signedForm(t, exp, conds, replace("success_action_status", "200")...), []byte("x"), 403, "AccessDenied"},
		{"extra field", signedForm(t, exp, conds, append(good, [2]string{"x-amz-meta-extra", "1"})...), []byte("x"), 403, "AccessDenied"},
		{"too large", signedForm(t, exp, conds, good...), bytes.Repeat([]byte("x"), 1001), 400, "EntityTooLarge"},
		{"too small", signedForm(t, exp, conds, good...), nil, 400, "EntityTooSmall"},
		{"forged signature", forged, []byte("x"), 403, "SignatureDoesNotMatch"},
		{"policy swapped after signing", swapped, []byte("x"), 403, "SignatureDoesNotMatch"},
		{"no policy", good, []byte("x"), 403, "AccessDenied"},
	} {
		resp, body := sendForm(t, hc, v.fields, "v.txt", v.file)
		var doc struct{ Code, Message string }
		_ = xml.Unmarshal([]byte(body), &doc)
		if resp.StatusCode != v.status || doc.Code != v.code {
			t.Errorf("%s: %d %s %s", v.name, resp.StatusCode, doc.Code, doc.Message)
		}
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("upl"), Key: aws.String("user/v.txt")}); err == nil {
			t.Fatalf("%s: object stored", v.name)
		}
	}
}
