package test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tasmaniancloud/rustfs/audit"
)

// The forged-request matrix: every authentication form × the operations
// an attacker wants × the ways a request can be forged, sent to the real
// binary. Each forged request must be refused with the right S3 error,
// change nothing, and appear in the audit file. Requests are built here
// with aws-sdk-go-v2's signer and this file's own aws-chunked encoder, not
// with package sigv4.

// authForm is how a matrix request is authenticated.
type authForm string

const (
	formHeader   authForm = "header"
	formPresign  authForm = "presigned"
	formStream   authForm = "streaming-signed"
	formUnsigned authForm = "unsigned-trailer"
)

// forgery is what is wrong with a matrix request.
type forgery string

const (
	forgeSignature forgery = "wrong-signature"
	forgeUnknown   forgery = "unknown-key"
	forgeDisabled  forgery = "disabled-key"
	forgeRegion    forgery = "another-region"
	forgeStale     forgery = "stale-date"
	forgeReplay    forgery = "replay"
)

// matrixOp is one operation of the matrix, addressed at a bucket.
type matrixOp struct {
	name string
	// build returns method, path, query, body and extra headers for
	// bucket (and a per-case tag to keep replay targets apart).
	build func(bucket, tag string) (method, path, query string, body []byte, hdr http.Header)
}

// signer signs one matrix request.
type signer struct {
	ak, sk, region string
	at             time.Time
}

// matrixRequest builds a request in form f signed by s.
func matrixRequest(t *testing.T, gw *gateway, f authForm, s signer, method, path, query string, body []byte, hdr http.Header) *http.Request {
	t.Helper()
	u := gw.Endpoint + path
	if query != "" {
		u += "?" + query
	}
	creds := aws.Credentials{AccessKeyID: s.ak, SecretAccessKey: s.sk}
	newReq := func(u string, b []byte) *http.Request {
		req, err := http.NewRequestWithContext(testCtx(t), method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if b != nil {
			req.Body = nopCloser{bytes.NewReader(b)}
			req.ContentLength = int64(len(b))
		}
		return req
	}
	switch f {
	case formHeader:
		req := newReq(u, body)
		sum := sha256Hex(body)
		req.Header.Set("X-Amz-Content-Sha256", sum)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sum, "s3", s.region, s.at); err != nil {
			t.Fatal(err)
		}
		return req
	case formPresign:
		sep := "?"
		if query != "" {
			sep = "&"
		}
		req := newReq(u+sep+"X-Amz-Expires=60", nil)
		signed, sh, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", s.region, s.at)
		if err != nil {
			t.Fatal(err)
		}
		out := newReq(signed, body)
		for k, v := range sh {
			if !strings.EqualFold(k, "host") {
				out.Header[k] = v
			}
		}
		return out
	case formStream, formUnsigned:
		mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
		if f == formUnsigned {
			mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
		}
		req := newReq(u, nil)
		req.Header.Set("X-Amz-Content-Sha256", mode)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(body)))
		if f == formUnsigned {
			req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, mode, "s3", s.region, s.at); err != nil {
			t.Fatal(err)
		}
		var enc []byte
		if f == formStream {
			auth := req.Header.Get("Authorization")
			enc = chunkBodyWith(body, auth[strings.LastIndex(auth, "Signature=")+len("Signature="):], s)
		} else {
			enc = unsignedTrailerBody(body)
		}
		req.Body = nopCloser{bytes.NewReader(enc)}
		req.ContentLength = int64(len(enc))
		return req
	}
	t.Fatalf("form %q", f)
	return nil
}

// chunkBodyWith is signedChunkBody for any key, region and time.
func chunkBodyWith(data []byte, seed string, s signer) []byte {
	date := s.at.UTC().Format("20060102T150405Z")
	scope := date[:8] + "/" + s.region + "/s3/aws4_request"
	key := hmacSHA256([]byte("AWS4"+s.sk), date[:8])
	key = hmacSHA256(key, s.region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	prev := seed
	var out bytes.Buffer
	chunks := [][]byte{nil}
	if len(data) > 0 {
		chunks = [][]byte{data, nil}
	}
	for _, chunk := range chunks {
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + prev + "\n" + sha256Hex(nil) + "\n" + sha256Hex(chunk)
		prev = hex.EncodeToString(hmacSHA256(key, sts))
		fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", len(chunk), prev)
		out.Write(chunk)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

// unsignedTrailerBody encodes data as one unsigned chunk with a CRC32
// trailer.
func unsignedTrailerBody(data []byte) []byte {
	var out bytes.Buffer
	if len(data) > 0 {
		fmt.Fprintf(&out, "%x\r\n", len(data))
		out.Write(data)
		out.WriteString("\r\n")
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(data))
	fmt.Fprintf(&out, "0\r\nx-amz-checksum-crc32:%s\r\n\r\n", base64.StdEncoding.EncodeToString(sum[:]))
	return out.Bytes()
}

// matrixAnswer is what the server said.
type matrixAnswer struct {
	status int
	code   string
	id     string
}

func sendMatrix(t *testing.T, req *http.Request) matrixAnswer {
	t.Helper()
	resp, err := fx.ca.httpClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e s3Error
	if resp.StatusCode >= 300 {
		_ = xml.Unmarshal(body, &e)
	}
	return matrixAnswer{status: resp.StatusCode, code: e.Code, id: resp.Header.Get("X-Amz-Request-Id")}
}

// wantRefusal is the answer a forgery must get in a form.
func wantRefusal(f authForm, fg forgery) (int, string) {
	switch fg {
	case forgeSignature:
		return 403, "SignatureDoesNotMatch"
	case forgeUnknown, forgeDisabled:
		return 403, "InvalidAccessKeyId"
	case forgeRegion:
		if f == formPresign {
			return 400, "AuthorizationQueryParametersError"
		}
		return 400, "AuthorizationHeaderMalformed"
	case forgeStale:
		if f == formPresign {
			return 403, "AccessDenied" // expired
		}
		return 403, "RequestTimeTooSkewed"
	}
	return 403, "AccessDenied" // replay
}

func deleteXML(keys ...string) ([]byte, http.Header) {
	var b strings.Builder
	b.WriteString("<Delete><Quiet>true</Quiet>")
	for _, k := range keys {
		b.WriteString("<Object><Key>" + k + "</Key></Object>")
	}
	b.WriteString("</Delete>")
	sum := md5.Sum([]byte(b.String()))
	return []byte(b.String()), http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}}
}

func TestForgedRequestMatrix(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.log")
	p := startBinary(t, t.TempDir(), "--audit-log", logPath, "--auth-fail-burst", "-1")
	root := p.sdk()
	ctx := testCtx(t)
	victim, replayB := bucketName("forge-victim"), bucketName("forge-replay")
	// Not createBucket: its cleanup would run after the server is stopped
	// for the audit check; the data directory goes with the test.
	for _, b := range []string{victim, replayB} {
		if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	put(t, root, victim, "victim", []byte("original"))
	put(t, root, replayB, "victim", []byte("readable"))
	mpVictim, err := root.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(victim), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	mpReplay, err := root.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(replayB), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	uploadOf := map[string]string{victim: *mpVictim.UploadId, replayB: *mpReplay.UploadId}
	// A user whose key is disabled.
	dis := addUserCLI(t, p, "forge-disabled-"+fx.runID)
	if _, errs, code := adminCLI(t, p, testAccessKey, testSecretKey, "key", "disable", dis.AccessKey); code != 0 {
		t.Fatalf("key disable: %s", errs)
	}
	policyDoc := func(bucket, sid string) []byte {
		return []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"` + sid + `","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::root:user/reader"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)
	}

	partNo := map[string]int{} // replay tag → part number
	ops := []matrixOp{
		{"PutObject", func(b, tag string) (string, string, string, []byte, http.Header) {
			key := "victim"
			if b == replayB {
				key = "obj-" + tag
			}
			return http.MethodPut, "/" + b + "/" + key, "", []byte("forged " + tag), nil
		}},
		{"UploadPart", func(b, tag string) (string, string, string, []byte, http.Header) {
			n := 1
			if b == replayB {
				if partNo[tag] == 0 {
					partNo[tag] = len(partNo) + 2
				}
				n = partNo[tag]
			}
			return http.MethodPut, "/" + b + "/mp", "partNumber=" + strconv.Itoa(n) + "&uploadId=" + uploadOf[b], []byte("part " + tag), nil
		}},
		{"GetObject", func(b, tag string) (string, string, string, []byte, http.Header) {
			return http.MethodGet, "/" + b + "/victim", "", nil, nil
		}},
		{"DeleteObjects", func(b, tag string) (string, string, string, []byte, http.Header) {
			key := "victim"
			if b == replayB {
				key = "del-" + tag
			}
			body, h := deleteXML(key)
			return http.MethodPost, "/" + b, "delete=", body, h
		}},
		{"PutBucketPolicy", func(b, tag string) (string, string, string, []byte, http.Header) {
			return http.MethodPut, "/" + b, "policy=", policyDoc(b, strings.ReplaceAll(tag, "-", "")), nil
		}},
		{"AdminCreateUser", func(b, tag string) (string, string, string, []byte, http.Header) {
			name := "forged-" + fx.runID
			if b == replayB {
				name = "replayed-" + tag + "-" + fx.runID
			}
			return http.MethodPost, "/rustfs/admin/v1/users", "name=" + name, nil, nil
		}},
	}
	forms := []authForm{formHeader, formPresign, formStream, formUnsigned}
	forgeries := []forgery{forgeSignature, forgeUnknown, forgeDisabled, forgeRegion, forgeStale, forgeReplay}

	refused := map[string]matrixAnswer{} // case name → answer, for the audit check
	now := func() time.Time { return time.Now() }
	good := func() signer { return signer{testAccessKey, testSecretKey, testRegion, now()} }
	for _, op := range ops {
		for _, f := range forms {
			for _, fg := range forgeries {
				name := op.name + "/" + string(f) + "/" + string(fg)
				tag := string(f)
				if fg == forgeReplay {
					replayCase(t, p, root, name, op, f, tag, replayB, good, refused)
					continue
				}
				s := good()
				switch fg {
				case forgeSignature:
					s.sk = "not-the-secret-key-000000000000000"
				case forgeUnknown:
					s.ak = "RFUNKNOWNKEY00000000"
				case forgeDisabled:
					s.ak, s.sk = dis.AccessKey, dis.SecretKey
				case forgeRegion:
					s.region = "eu-west-1"
				case forgeStale:
					s.at = s.at.Add(-10 * time.Minute)
				}
				m, path, q, body, hdr := op.build(victim, tag)
				a := sendMatrix(t, matrixRequest(t, p.gateway, f, s, m, path, q, body, hdr))
				st, code := wantRefusal(f, fg)
				if a.status != st || a.code != code {
					t.Errorf("%s: %d %s, want %d %s", name, a.status, a.code, st, code)
				}
				refused[name] = a
			}
		}
	}

	// Nothing the forged requests aimed at changed.
	if _, got := getBytes(t, root, &s3.GetObjectInput{Bucket: aws.String(victim), Key: aws.String("victim")}); string(got) != "original" {
		t.Errorf("victim object is %q", got)
	}
	lp, err := root.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(victim), Key: aws.String("mp"), UploadId: mpVictim.UploadId})
	if err != nil || len(lp.Parts) != 0 {
		t.Errorf("victim upload has parts %v (%v)", lp, err)
	}
	if _, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(victim)}); errCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("victim bucket policy: %v, want NoSuchBucketPolicy", err)
	}
	if out, _, _ := adminCLI(t, p, testAccessKey, testSecretKey, "user", "list"); strings.Contains(out, "forged-"+fx.runID) {
		t.Errorf("a forged admin call created a user:\n%s", out)
	}

	// Every refused request is in the audit file exactly once, refused.
	p.stop(t)
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]audit.Record{}
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var r audit.Record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("bad audit line %q: %v", line, err)
		}
		if r.Type == audit.TypeRequest {
			byID[r.RequestID] = append(byID[r.RequestID], r)
		}
	}
	for name, a := range refused {
		recs := byID[a.id]
		if a.id == "" || len(recs) != 1 {
			t.Errorf("%s (request %q): %d audit records, want 1", name, a.id, len(recs))
			continue
		}
		r := recs[0]
		if r.Status != a.status || r.ErrorCode != a.code || !strings.HasPrefix(r.Decision, "deny:") {
			t.Errorf("%s: audit record %+v", name, r)
		}
		if strings.HasSuffix(name, "/replay") && r.Decision != "deny:replay" && !strings.Contains(name, "Admin") {
			t.Errorf("%s: decision %q, want deny:replay", name, r.Decision)
		}
	}
	if len(refused) < 4*6*5 {
		t.Fatalf("only %d refused cases checked", len(refused))
	}
}

// replayCase sends a valid request, changes what it changed, replays the
// exact bytes and checks the outcome: header-signed and aws-chunked
// state-changing requests are refused as replays; GETs and presigned URLs
// are served (the documented exemptions); presigned admin calls are never
// accepted.
func replayCase(t *testing.T, p *process, root *s3.Client, name string, op matrixOp, f authForm, tag, bucket string,
	good func() signer, refused map[string]matrixAnswer) {
	t.Helper()
	ctx := testCtx(t)
	m, path, q, body, hdr := op.build(bucket, tag)
	if op.name == "DeleteObjects" {
		put(t, root, bucket, "del-"+tag, []byte("to delete"))
	}
	req := matrixRequest(t, p.gateway, f, good(), m, path, q, body, hdr)
	var raw []byte
	if req.Body != nil {
		var err error
		if raw, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
	}
	again := req.Clone(testCtx(t))
	req.Body, again.Body = nopCloser{bytes.NewReader(raw)}, nopCloser{bytes.NewReader(raw)}
	first := sendMatrix(t, req)
	if op.name == "AdminCreateUser" && f == formPresign {
		if first.status != 403 || first.code != "AccessDenied" {
			t.Errorf("%s: presigned admin call answered %d %s, want 403 AccessDenied", name, first.status, first.code)
		}
		refused[name+"-original"] = first
		second := sendMatrix(t, again)
		if second.status != 403 {
			t.Errorf("%s: %d", name, second.status)
		}
		refused[name] = second
		return
	}
	if first.status >= 300 {
		t.Errorf("%s: the original request failed: %d %s", name, first.status, first.code)
		return
	}
	// Change the state the request set, so a served replay would show.
	switch op.name {
	case "PutObject":
		put(t, root, bucket, "obj-"+tag, []byte("after"))
	case "UploadPart":
		n := int32(0)
		fmt.Sscanf(q, "partNumber=%d", &n)
		if _, err := root.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"), PartNumber: aws.Int32(n),
			UploadId: aws.String(strings.SplitN(q, "uploadId=", 2)[1]), Body: strings.NewReader("after")}); err != nil {
			t.Fatal(err)
		}
	case "DeleteObjects":
		put(t, root, bucket, "del-"+tag, []byte("after"))
	case "PutBucketPolicy":
		if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"after","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/nothing"}]}`)}); err != nil {
			t.Fatal(err)
		}
	case "AdminCreateUser":
		user := strings.TrimPrefix(q, "name=")
		if _, errs, code := adminCLI(t, p, testAccessKey, testSecretKey, "user", "remove", user); code != 0 {
			t.Fatalf("user remove: %s", errs)
		}
	}
	second := sendMatrix(t, again)
	exempt := op.name == "GetObject" || f == formPresign
	if exempt {
		if second.status >= 300 {
			t.Errorf("%s: replay of an exempt request refused: %d %s", name, second.status, second.code)
		}
		return
	}
	if second.status != 403 || second.code != "AccessDenied" {
		t.Errorf("%s: replay answered %d %s, want 403 AccessDenied", name, second.status, second.code)
	}
	refused[name] = second
	// The replay changed nothing.
	switch op.name {
	case "PutObject":
		if _, got := getBytes(t, root, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj-" + tag)}); string(got) != "after" {
			t.Errorf("%s: object is %q after the replay", name, got)
		}
	case "UploadPart":
		lp, err := root.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: aws.String(strings.SplitN(q, "uploadId=", 2)[1])})
		if err != nil {
			t.Fatal(err)
		}
		for _, pt := range lp.Parts {
			if q == fmt.Sprintf("partNumber=%d&uploadId=%s", *pt.PartNumber, strings.SplitN(q, "uploadId=", 2)[1]) && unquote(pt.ETag) != md5Hex([]byte("after")) {
				t.Errorf("%s: part replaced by the replay", name)
			}
		}
	case "DeleteObjects":
		if _, got := getBytes(t, root, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("del-" + tag)}); string(got) != "after" {
			t.Errorf("%s: object is %q after the replay", name, got)
		}
	case "PutBucketPolicy":
		gp, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		if err != nil || !strings.Contains(*gp.Policy, `"after"`) {
			t.Errorf("%s: policy after the replay: %v %v", name, gp, err)
		}
	case "AdminCreateUser":
		if out, _, _ := adminCLI(t, p, testAccessKey, testSecretKey, "user", "list"); strings.Contains(out, strings.TrimPrefix(q, "name=")) {
			t.Errorf("%s: the replay re-created the user", name)
		}
	}
}
