package s3api

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tasmaniancloud/rustfs/iam"
)

// postTLS posts a form to bucket over env's TLS listener.
func (env *tlsRealEnv) postTLS(t *testing.T, bucket string, fields [][2]string, file []byte) (*http.Response, string) {
	t.Helper()
	body, ct := formBody(t, fields, "f.txt", file)
	rq, _ := http.NewRequest(http.MethodPost, "https://"+env.addr+"/"+bucket, bytes.NewReader(body))
	rq.Header.Set("Content-Type", ct)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: env.pool}}}
	resp, err := hc.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPostObjectEncryptionFields: a browser POST takes the encryption
// fields S3 takes — SSE-C (the object then needs the key to be read) and
// aws:kms with a key id — answers with their response headers, and
// refuses what PutObject refuses (a wrong key MD5, aws:kms with SSE-C, an
// unknown algorithm, an unissued KMS key) with the same codes.
func TestPostObjectEncryptionFields(t *testing.T) {
	env := newTLSRealEnv(t)
	c, ctx := env.c, context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("upl")}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	// Every field but the exempt ones must be named by the policy (S3's
	// rule), the encryption fields included.
	conds := func(names ...string) []any {
		out := []any{map[string]string{"bucket": "upl"}, []any{"starts-with", "$key", ""}}
		for _, n := range names {
			out = append(out, []any{"starts-with", "$" + n, ""})
		}
		return out
	}
	key, sum := ssecTriple(bytes.Repeat([]byte{7}, 32))
	other, otherSum := ssecTriple(bytes.Repeat([]byte{8}, 32))
	ssecNames := []string{hSSECAlgorithm, hSSECKey, hSSECKeyMD5}
	ssec := [][2]string{{"key", "c"}, {hSSECAlgorithm, "AES256"}, {hSSECKey, key}, {"x-amz-server-side-encryption-customer-key-MD5", sum}}
	resp, body := env.postTLS(t, "upl", signedForm(t, exp, conds(ssecNames...), ssec...), []byte("customer secret"))
	if resp.StatusCode != 204 || resp.Header.Get(hSSECAlgorithm) != "AES256" || resp.Header.Get(hSSECKeyMD5) != sum {
		t.Fatalf("SSE-C POST: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("upl"), Key: aws.String("c")}); err == nil {
		t.Fatal("an SSE-C object posted by form was read without its key")
	} else if code, status := apiCode(err); code != "InvalidRequest" || status != 400 {
		t.Fatalf("GET without the key: %s %d", code, status)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("upl"), Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(other), SSECustomerKeyMD5: aws.String(otherSum)}); err == nil {
		t.Fatal("read with another customer key")
	} else if code, status := apiCode(err); code != "AccessDenied" || status != 403 {
		t.Fatalf("GET with another key: %s %d", code, status)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("upl"), Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(sum)})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "customer secret" {
		t.Fatalf("SSE-C object read back %q", data)
	}

	id, err := env.keys.KMSKeyID(ctx, iam.RootAccount, "forms")
	if err != nil {
		t.Fatal(err)
	}
	kmsNames := []string{hSSE, hSSEKMSKeyID}
	resp, body = env.postTLS(t, "upl", signedForm(t, exp, conds(kmsNames...), [2]string{"key", "k"}, [2]string{hSSE, "aws:kms"}, [2]string{hSSEKMSKeyID, id}), []byte("kms"))
	if resp.StatusCode != 204 || resp.Header.Get(hSSE) != "aws:kms" || resp.Header.Get(hSSEKMSKeyID) != id {
		t.Fatalf("aws:kms POST: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("upl"), Key: aws.String("k")})
	if err != nil || head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != id {
		t.Fatalf("HEAD of the aws:kms POST object: %v %q %q", err, head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId))
	}
	resp, _ = env.postTLS(t, "upl", signedForm(t, exp, conds(hSSE), [2]string{"key", "a"}, [2]string{hSSE, "AES256"}), []byte("a"))
	if resp.StatusCode != 204 || resp.Header.Get(hSSE) != "AES256" {
		t.Fatalf("AES256 POST: %d %v", resp.StatusCode, resp.Header)
	}

	for _, v := range []struct {
		name   string
		names  []string
		fields [][2]string
		status int
		code   string
	}{
		{"wrong key MD5", ssecNames, [][2]string{{"key", "x"}, {hSSECAlgorithm, "AES256"}, {hSSECKey, key}, {hSSECKeyMD5, otherSum}}, 400, "InvalidArgument"},
		{"key without algorithm", ssecNames[1:], [][2]string{{"key", "x"}, {hSSECKey, key}, {hSSECKeyMD5, sum}}, 400, "InvalidArgument"},
		{"algorithm not AES256", ssecNames, [][2]string{{"key", "x"}, {hSSECAlgorithm, "AES128"}, {hSSECKey, key}, {hSSECKeyMD5, sum}}, 400, "InvalidEncryptionAlgorithmError"},
		{"aws:kms with SSE-C", append(append([]string{}, ssecNames...), hSSE), [][2]string{{"key", "x"}, {hSSE, "aws:kms"}, {hSSECAlgorithm, "AES256"}, {hSSECKey, key}, {hSSECKeyMD5, sum}}, 400, "InvalidArgument"},
		{"unknown algorithm", []string{hSSE}, [][2]string{{"key", "x"}, {hSSE, "ROT13"}}, 400, "InvalidArgument"},
		{"key id without aws:kms", []string{hSSEKMSKeyID}, [][2]string{{"key", "x"}, {hSSEKMSKeyID, id}}, 400, "InvalidArgument"},
		{"unissued KMS key", kmsNames, [][2]string{{"key", "x"}, {hSSE, "aws:kms"}, {hSSEKMSKeyID, "k-0123456789abcdef0123456789abcdef"}}, 400, "KMS.NotFoundException"},
		{"encryption field outside the policy", nil, [][2]string{{"key", "x"}, {hSSE, "AES256"}}, 403, "AccessDenied"},
	} {
		resp, body := env.postTLS(t, "upl", signedForm(t, exp, conds(v.names...), v.fields...), []byte("x"))
		if resp.StatusCode != v.status || !strings.Contains(body, "<Code>"+v.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", v.name, resp.StatusCode, body, v.status, v.code)
		}
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("upl"), Key: aws.String("x")}); err == nil {
		t.Fatal("a refused POST stored an object")
	}
}

// TestPostObjectSSECNeedsTLS: SSE-C form fields over plaintext HTTP are
// refused as S3 refuses the headers (400 InvalidRequest), and nothing is
// stored.
func TestPostObjectSSECNeedsTLS(t *testing.T) {
	_, hc, c := postEnv(t)
	key, sum := ssecTriple(bytes.Repeat([]byte{7}, 32))
	conds := []any{map[string]string{"bucket": "upl"}, []any{"starts-with", "$key", ""},
		[]any{"starts-with", "$" + hSSECAlgorithm, ""}, []any{"starts-with", "$" + hSSECKey, ""}, []any{"starts-with", "$" + hSSECKeyMD5, ""}}
	resp, body := sendForm(t, hc, signedForm(t, time.Now().Add(time.Hour), conds,
		[2]string{"key", "c"}, [2]string{hSSECAlgorithm, "AES256"}, [2]string{hSSECKey, key}, [2]string{hSSECKeyMD5, sum}), "f", []byte("x"))
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>InvalidRequest</Code>") || !strings.Contains(body, "secure connection") {
		t.Fatalf("SSE-C POST over HTTP: %d %s", resp.StatusCode, body)
	}
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("upl"), Key: aws.String("c")}); err == nil {
		t.Fatal("the refused POST stored an object")
	}
}
