package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
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
	// The write fields: tagging, Object Lock, Content-MD5, checksums and
	// the metadata fields, valid and not.
	for _, fields := range [][][2]string{
		{{"key", "k"}, {"tagging", tagXML("team", "a", "tier", "gold")}},
		{{"key", "k"}, {"tagging", "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"}},
		{{"key", "k"}, {"tagging", tagXML("k", "1", "k", "2")}},
		{{"key", "k"}, {"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"},
			{"x-amz-object-lock-legal-hold", "ON"}, {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}},
		{{"key", "k"}, {"x-amz-object-lock-mode", "FOREVER"}, {"x-amz-object-lock-legal-hold", "MAYBE"}},
		{{"key", "k"}, {"x-amz-checksum-crc32", "AAAAAA=="}, {"x-amz-checksum-algorithm", "CRC32"}},
		{{"key", "k"}, {"x-amz-checksum-md4", "AAAA"}, {"Content-MD5", "abc"}},
		{{"key", "k"}, {"Cache-Control", "no-cache"}, {"Expires", "0"}, {"x-amz-meta-", "v"}, {"x-amz-storage-class", "GLACIER"}},
	} {
		seed, _ := formBody(f, fields, "a.txt", []byte("data"))
		f.Add(seed)
	}
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
		// The fields' own parsers answer S3 errors and keep their limits.
		w, err := parsePostWrite(form.fields)
		if err != nil && codeOf(err) == "" {
			t.Fatalf("write fields: error without an S3 code: %v", err)
		}
		if err == nil && len(w.tags) > object.MaxObjectTags {
			t.Fatalf("%d tags accepted", len(w.tags))
		}
		if _, err := postMeta(form.fields); err != nil && codeOf(err) == "" {
			t.Fatalf("metadata fields: error without an S3 code: %v", err)
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

// sendFormTo posts a form to bucket.
func sendFormTo(t *testing.T, hc *http.Client, bucket string, fields [][2]string, file []byte, hdr ...[2]string) (*http.Response, string) {
	t.Helper()
	body, ct := formBody(t, fields, "f.txt", file)
	rq, _ := http.NewRequest(http.MethodPost, "http://"+testHost+"/"+bucket, bytes.NewReader(body))
	rq.Header.Set("Content-Type", ct)
	for _, h := range hdr {
		rq.Header.Set(h[0], h[1])
	}
	resp, err := hc.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// postFieldsForm signs a form to bucket for key with fields, each of
// them named by the policy with its exact value, except those in
// uncovered.
func postFieldsForm(t *testing.T, bucket, key string, fields [][2]string, uncovered ...string) [][2]string {
	conds := []any{map[string]string{"bucket": bucket}, map[string]string{"key": key}}
	for _, f := range fields {
		if !slices.Contains(uncovered, strings.ToLower(f[0])) {
			conds = append(conds, []any{"eq", "$" + f[0], f[1]})
		}
	}
	return signedForm(t, time.Now().Add(time.Hour), conds, append([][2]string{{"key", key}}, fields...)...)
}

func errorCode(body string) (code, msg string) {
	var doc struct{ Code, Message string }
	_ = xml.Unmarshal([]byte(body), &doc)
	return doc.Code, doc.Message
}

func tagXML(pairs ...string) string {
	var b strings.Builder
	b.WriteString("<Tagging><TagSet>")
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString("<Tag><Key>" + pairs[i] + "</Key><Value>" + pairs[i+1] + "</Value></Tag>")
	}
	b.WriteString("</TagSet></Tagging>")
	return b.String()
}

func b64MD5(data []byte) string {
	s := md5.Sum(data)
	return base64.StdEncoding.EncodeToString(s[:])
}

func b64CRC32(data []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data)))
}

// TestPostObjectFields: the form fields S3 takes on a POST beyond the
// key and the file — tagging (a Tagging document), the Object Lock
// fields, Content-MD5 and x-amz-checksum-*, and the header-like metadata
// fields — are taken and checked as PutObject takes and checks its
// headers: the same codes for bad values, the policy must name every one
// (403 AccessDenied otherwise), lock fields need a lock bucket and an
// integrity check, and what is accepted is stored: the tags, retention
// and legal hold read back through their own APIs.
func TestPostObjectFields(t *testing.T) {
	_, hc, c := postEnv(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lck"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	file := []byte("form file")
	md5F := [2]string{"Content-MD5", b64MD5(file)}
	crcF := [2]string{"x-amz-checksum-crc32", b64CRC32(file)}
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	retain := [][2]string{{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", until.Format(time.RFC3339)}}
	hold := [2]string{"x-amz-object-lock-legal-hold", "ON"}
	tooMany := make([]string, 0, 22)
	for i := range 11 {
		tooMany = append(tooMany, fmt.Sprintf("k%d", i), "v")
	}
	with := func(a [][2]string, more ...[2]string) [][2]string {
		return append(append([][2]string{}, a...), more...)
	}

	for _, v := range []struct {
		name      string
		bucket    string
		fields    [][2]string
		uncovered []string
		status    int
		code      string
		msg       string
	}{
		{"tagging", "upl", [][2]string{{"tagging", tagXML("team", "a", "tier", "gold")}}, nil, 204, "", ""},
		{"empty tag set", "upl", [][2]string{{"tagging", tagXML()}}, nil, 204, "", ""},
		{"tagging not XML", "upl", [][2]string{{"tagging", "team=a"}}, nil, 400, "MalformedXML", ""},
		{"tagging without TagSet", "upl", [][2]string{{"tagging", "<Tagging></Tagging>"}}, nil, 400, "MalformedXML", ""},
		{"tag without value", "upl", [][2]string{{"tagging", "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"}}, nil, 400, "MalformedXML", ""},
		{"eleven tags", "upl", [][2]string{{"tagging", tagXML(tooMany...)}}, nil, 400, "InvalidTag", "cannot be greater than 10"},
		{"tag key too long", "upl", [][2]string{{"tagging", tagXML(strings.Repeat("k", 129), "v")}}, nil, 400, "InvalidTag", "too long"},
		{"tag value too long", "upl", [][2]string{{"tagging", tagXML("k", strings.Repeat("v", 257))}}, nil, 400, "InvalidTag", "too long"},
		{"duplicate tag keys", "upl", [][2]string{{"tagging", tagXML("k", "1", "k", "2")}}, nil, 400, "InvalidTag", "same key"},
		{"aws: tag key", "upl", [][2]string{{"tagging", tagXML("aws:x", "1")}}, nil, 400, "InvalidTag", "prefixed"},
		{"tagging not in policy", "upl", [][2]string{{"tagging", tagXML("team", "a")}}, []string{"tagging"}, 403, "AccessDenied", "Extra input fields: tagging"},

		{"retention", "lck", with(retain, md5F), nil, 204, "", ""},
		{"legal hold with crc32", "lck", [][2]string{hold, crcF}, nil, 204, "", ""},
		{"all lock fields", "lck", with(retain, hold, md5F), nil, 204, "", ""},
		{"retention without checksum", "lck", retain, nil, 400, "InvalidRequest", lockIntegrityMsg("Post Object")},
		{"legal hold OFF without checksum", "lck", [][2]string{{"x-amz-object-lock-legal-hold", "OFF"}}, nil, 400, "InvalidRequest", lockIntegrityMsg("Post Object")},
		{"algorithm alone is no checksum", "lck", [][2]string{hold, {"x-amz-checksum-algorithm", "CRC32"}}, nil, 400, "InvalidRequest", lockIntegrityMsg("Post Object")},
		{"unknown mode", "lck", [][2]string{{"x-amz-object-lock-mode", "FOREVER"}, retain[1], md5F}, nil, 400, "InvalidArgument", "wormMode"},
		{"mode without date", "lck", [][2]string{retain[0], md5F}, nil, 400, "InvalidArgument", "both be supplied"},
		{"date not ISO 8601", "lck", [][2]string{retain[0], {"x-amz-object-lock-retain-until-date", "tomorrow"}, md5F}, nil, 400, "InvalidArgument", "ISO 8601"},
		{"date in the past", "lck", [][2]string{retain[0], {"x-amz-object-lock-retain-until-date", "2020-01-01T00:00:00Z"}, md5F}, nil, 400, "InvalidArgument", ""},
		{"bad legal hold", "lck", [][2]string{{"x-amz-object-lock-legal-hold", "MAYBE"}, md5F}, nil, 400, "InvalidArgument", "Legal Hold"},
		{"unknown lock field", "lck", [][2]string{{"x-amz-object-lock-retain-until", "2099-01-01T00:00:00Z"}, md5F}, nil, 400, "InvalidArgument", "x-amz-object-lock-retain-until"},
		{"retention without lock", "upl", with(retain, md5F), nil, 400, "InvalidRequest", ""},
		{"legal hold without lock", "upl", [][2]string{hold, md5F}, nil, 400, "InvalidRequest", ""},
		{"lock mode not in policy", "lck", with(retain, md5F), []string{"x-amz-object-lock-mode"}, 403, "AccessDenied", "Extra input fields"},
		{"legal hold not in policy", "lck", [][2]string{hold, md5F}, []string{"x-amz-object-lock-legal-hold"}, 403, "AccessDenied", "Extra input fields"},

		{"content-md5", "upl", [][2]string{md5F}, nil, 204, "", ""},
		{"content-md5 mismatch", "upl", [][2]string{{"Content-MD5", b64MD5([]byte("other"))}}, nil, 400, "BadDigest", ""},
		{"content-md5 malformed", "upl", [][2]string{{"Content-MD5", "abc"}}, nil, 400, "InvalidDigest", ""},
		{"content-md5 not in policy", "upl", [][2]string{md5F}, []string{"content-md5"}, 403, "AccessDenied", ""},
		{"crc32", "upl", [][2]string{crcF, {"x-amz-checksum-algorithm", "CRC32"}}, nil, 204, "", ""},
		{"crc32 mismatch", "upl", [][2]string{{"x-amz-checksum-crc32", b64CRC32([]byte("other"))}}, nil, 400, "BadDigest", ""},
		{"crc32 malformed", "upl", [][2]string{{"x-amz-checksum-crc32", "AAAA"}}, nil, 400, "InvalidRequest", ""},
		{"unknown checksum", "upl", [][2]string{{"x-amz-checksum-md4", "AAAA"}}, nil, 400, "InvalidRequest", "x-amz-checksum-md4"},
		{"two checksums", "upl", [][2]string{crcF, {"x-amz-checksum-sha1", base64.StdEncoding.EncodeToString(make([]byte, 20))}}, nil, 400, "InvalidRequest", "Multiple"},
		{"algorithm disagrees", "upl", [][2]string{crcF, {"x-amz-checksum-algorithm", "SHA256"}}, nil, 400, "InvalidRequest", ""},

		{"header fields", "upl", [][2]string{{"Cache-Control", "max-age=60"}, {"Content-Disposition", "attachment"}, {"Content-Encoding", "gzip"},
			{"Expires", "Wed, 21 Oct 2099 07:28:00 GMT"}, {"x-amz-storage-class", "STANDARD"}, {"x-amz-meta-a", "1"}, {"acl", "private"}}, nil, 204, "", ""},
		{"storage class", "upl", [][2]string{{"x-amz-storage-class", "GLACIER"}}, nil, 400, "InvalidStorageClass", ""},
		{"metadata too large", "upl", [][2]string{{"x-amz-meta-big", strings.Repeat("m", 2100)}}, nil, 400, "MetadataTooLarge", ""},
		{"website redirect", "upl", [][2]string{{"x-amz-website-redirect-location", "/x"}}, nil, 501, "NotImplemented", "x-amz-website-redirect-location"},
		{"grant", "upl", [][2]string{{"x-amz-grant-read", "id=1"}}, nil, 501, "NotImplemented", "x-amz-grant-read"},
		{"public acl", "upl", [][2]string{{"acl", "public-read"}}, nil, 501, "NotImplemented", ""},
	} {
		key := "f/" + strings.ReplaceAll(v.name, " ", "-")
		resp, body := sendFormTo(t, hc, v.bucket, postFieldsForm(t, v.bucket, key, v.fields, v.uncovered...), file)
		code, msg := errorCode(body)
		if resp.StatusCode != v.status || code != v.code || !strings.Contains(msg, v.msg) {
			t.Errorf("%s: %d %s %q, want %d %s %q", v.name, resp.StatusCode, code, msg, v.status, v.code, v.msg)
			continue
		}
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(v.bucket), Key: aws.String(key)})
		if stored := err == nil; stored != (v.status < 300) {
			t.Errorf("%s: stored %v (%v)", v.name, stored, err)
		}
	}

	// What was accepted is stored.
	tg, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("upl"), Key: aws.String("f/tagging")})
	if err != nil || len(tg.TagSet) != 2 || aws.ToString(tg.TagSet[0].Key) != "team" || aws.ToString(tg.TagSet[0].Value) != "a" ||
		aws.ToString(tg.TagSet[1].Key) != "tier" || aws.ToString(tg.TagSet[1].Value) != "gold" {
		t.Errorf("tags: %+v %v", tg, err)
	}
	if tg, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("upl"), Key: aws.String("f/empty-tag-set")}); err != nil || len(tg.TagSet) != 0 {
		t.Errorf("empty tag set: %+v %v", tg, err)
	}
	for _, k := range []string{"f/retention", "f/all-lock-fields"} {
		ret, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String("lck"), Key: aws.String(k)})
		if err != nil || ret.Retention.Mode != types.ObjectLockRetentionModeGovernance || !aws.ToTime(ret.Retention.RetainUntilDate).Equal(until) {
			t.Errorf("%s retention: %+v %v", k, ret, err)
		}
	}
	for k, want := range map[string]types.ObjectLockLegalHoldStatus{"f/legal-hold-with-crc32": "ON", "f/all-lock-fields": "ON"} {
		lh, err := c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String("lck"), Key: aws.String(k)})
		if err != nil || lh.LegalHold.Status != want {
			t.Errorf("%s legal hold: %+v %v", k, lh, err)
		}
	}
	if _, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String("lck"), Key: aws.String("f/legal-hold-with-crc32")}); err == nil {
		t.Error("legal hold alone set a retention")
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("upl"), Key: aws.String("f/header-fields"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(h.CacheControl) != "max-age=60" || aws.ToString(h.ContentDisposition) != "attachment" ||
		aws.ToString(h.ContentEncoding) != "gzip" || h.Metadata["a"] != "1" {
		t.Errorf("header fields: %+v %v", h, err)
	}
	if h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("upl"), Key: aws.String("f/crc32"), ChecksumMode: types.ChecksumModeEnabled}); err != nil || aws.ToString(h.ChecksumCRC32) != crcF[1] {
		t.Errorf("crc32 stored: %+v %v", h, err)
	}

	// A default retention makes every POST into the bucket a lock write:
	// it needs a checksum, and the version is retained.
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("lck"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	resp, body := sendFormTo(t, hc, "lck", postFieldsForm(t, "lck", "d/plain", nil), file)
	if code, msg := errorCode(body); resp.StatusCode != 400 || code != "InvalidRequest" || msg != lockIntegrityMsg("Post Object") {
		t.Errorf("default retention without checksum: %d %s %q", resp.StatusCode, code, msg)
	}
	resp, body = sendFormTo(t, hc, "lck", postFieldsForm(t, "lck", "d/md5", [][2]string{md5F}), file)
	if resp.StatusCode != 204 || resp.Header.Get("x-amz-version-id") == "" {
		t.Fatalf("default retention with Content-MD5: %d %s", resp.StatusCode, body)
	}
	if ret, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String("lck"), Key: aws.String("d/md5")}); err != nil || ret.Retention.Mode != types.ObjectLockRetentionModeGovernance {
		t.Errorf("default retention: %+v %v", ret, err)
	}
}

// TestPostObjectFieldPermissions: tags ask for s3:PutObjectTagging and
// lock fields for s3:PutObjectRetention / s3:PutObjectLegalHold besides
// s3:PutObject, and a bucket policy sees the form's tags as
// s3:RequestObjectTag/<key>, as it sees a tagged PUT's. An explicit Deny
// binds the signer (here root) on each.
func TestPostObjectFieldPermissions(t *testing.T) {
	_, hc, c := postEnv(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lck"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	file := []byte("x")
	md5F := [2]string{"Content-MD5", b64MD5(file)}
	retain := [][2]string{{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, md5F}
	hold := [][2]string{{"x-amz-object-lock-legal-hold", "ON"}, md5F}
	deny := func(bucket, action, cond string) {
		t.Helper()
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"` + action +
			`","Resource":"arn:aws:s3:::` + bucket + `/*"` + cond + `}]}`
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	post := func(bucket, key string, fields [][2]string, hdr ...[2]string) int {
		t.Helper()
		resp, body := sendFormTo(t, hc, bucket, postFieldsForm(t, bucket, key, fields), file, hdr...)
		if code, _ := errorCode(body); resp.StatusCode == 403 && code != "AccessDenied" {
			t.Errorf("%s: 403 %s", key, code)
		}
		return resp.StatusCode
	}
	tagged := [][2]string{{"tagging", tagXML("team", "a")}}
	secret := [][2]string{{"tagging", tagXML("team", "secret")}}
	for _, v := range []struct {
		name, bucket, action, cond string
		fields                     [][2]string
		want                       int
		hdr                        [][2]string
	}{
		{"tags under a PutObjectTagging deny", "upl", "s3:PutObjectTagging", "", tagged, 403, nil},
		{"no tags under a PutObjectTagging deny", "upl", "s3:PutObjectTagging", "", nil, 204, nil},
		{"empty tag set under a PutObjectTagging deny", "upl", "s3:PutObjectTagging", "", [][2]string{{"tagging", tagXML()}}, 204, nil},
		{"denied tag value", "upl", "s3:PutObject", `,"Condition":{"StringEquals":{"s3:RequestObjectTag/team":"secret"}}`, secret, 403, nil},
		{"other tag value", "upl", "s3:PutObject", `,"Condition":{"StringEquals":{"s3:RequestObjectTag/team":"secret"}}`, tagged, 204, nil},
		{"denied tag key", "upl", "s3:PutObject", `,"Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["team"]}}`, tagged, 403, nil},
		{"retention under a PutObjectRetention deny", "lck", "s3:PutObjectRetention", "", retain, 403, nil},
		{"legal hold under a PutObjectRetention deny", "lck", "s3:PutObjectRetention", "", hold, 204, nil},
		{"legal hold under a PutObjectLegalHold deny", "lck", "s3:PutObjectLegalHold", "", hold, 403, nil},
		{"retention under a PutObjectLegalHold deny", "lck", "s3:PutObjectLegalHold", "", retain, 204, nil},
		{"SSE field under an encryption condition", "upl", "s3:PutObject", `,"Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`,
			[][2]string{{hSSE, "AES256"}}, 204, nil},
		{"no SSE field under an encryption condition", "upl", "s3:PutObject", `,"Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, 403, nil},
		// A POST's headers are not its fields: they satisfy no condition.
		{"SSE header, no field, under an encryption condition", "upl", "s3:PutObject", `,"Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`,
			nil, 403, [][2]string{{hSSE, "AES256"}}},
	} {
		deny(v.bucket, v.action, v.cond)
		if got := post(v.bucket, "p/"+strings.ReplaceAll(v.name, " ", "-"), v.fields, v.hdr...); got != v.want {
			t.Errorf("%s: %d, want %d", v.name, got, v.want)
		}
		if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(v.bucket)}); err != nil {
			t.Fatal(err)
		}
	}
}
