package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/tasmaniancloud/rustfs/audit"
)

// TestAuditLogEndToEnd runs S3 calls (one with a wrong secret) against the
// real binary with --audit-log, stops it, and checks that each call is in
// the log exactly once and that `rustfs audit verify` passes, then fails
// once a record is edited.
func TestAuditLogEndToEnd(t *testing.T) {
	data := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "audit.log")
	p := startBinary(t, data, "--audit-log", logPath)
	c := p.sdk()
	ctx := testCtx(t)
	bucket := bucketName("audit")

	want := map[string]string{} // request id -> operation
	note := func(op string, md middleware.Metadata) {
		id, ok := awsmw.GetRequestIDMetadata(md)
		if !ok || id == "" {
			t.Fatalf("%s: no request id", op)
		}
		want[id] = op
	}
	cb, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	note("CreateBucket", cb.ResultMetadata)
	po, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k1"), Body: bytes.NewReader([]byte("audited"))})
	if err != nil {
		t.Fatal(err)
	}
	note("PutObject", po.ResultMetadata)
	ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k1")})
	if err != nil {
		t.Fatal(err)
	}
	note("HeadObject", ho.ResultMetadata)
	do, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k1")})
	if err != nil {
		t.Fatal(err)
	}
	note("DeleteObject", do.ResultMetadata)
	_, err = p.sdk(withCreds(testAccessKey, "not-the-secret-key-000000000000")).
		GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k1")})
	requireCode(t, err, 403, "SignatureDoesNotMatch")
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Fatalf("failed auth: no request id in %v", err)
	}
	want[re.ServiceRequestID()] = "Auth"
	p.stop(t) // SIGTERM: the final checkpoint is written

	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var r audit.Record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("bad audit line %q: %v", line, err)
		}
		if r.Type != audit.TypeRequest {
			continue
		}
		seen[r.RequestID]++
		op, ok := want[r.RequestID]
		if !ok {
			continue
		}
		if r.Operation != op || r.TLSVersion != "TLS 1.3" || r.TLSGroup == "" || r.SourceIP != "127.0.0.1" {
			t.Errorf("record for %s: %+v", op, r)
		}
		if op == "Auth" && (r.Decision != "deny:auth" || r.ErrorCode != "SignatureDoesNotMatch" || r.AccessKey != testAccessKey || r.Principal != "") {
			t.Errorf("failed-auth record %+v", r)
		}
		if op == "PutObject" && (r.Decision != "allow:root" || r.Bucket != bucket || r.Key != "k1" || r.Status != 200) {
			t.Errorf("PutObject record %+v", r)
		}
	}
	for id, op := range want {
		if seen[id] != 1 {
			t.Errorf("%s (request %s) appears %d times in the audit log", op, id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("request %s logged %d times", id, n)
		}
	}

	verify := func() (string, int) {
		cmd := exec.Command(rustfsBinary(t), "audit", "verify", "--data", data, logPath)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := verify(); code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Fatalf("verify intact log: exit %d: %s", code, out)
	}
	edited := bytes.Replace(raw, []byte(`"key":"k1"`), []byte(`"key":"k2"`), 1)
	if bytes.Equal(edited, raw) {
		t.Fatal("no record to edit")
	}
	if err := os.WriteFile(logPath, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := verify(); code != 1 || !strings.Contains(out, "hash mismatch") {
		t.Fatalf("verify edited log: exit %d: %s", code, out)
	}
}
