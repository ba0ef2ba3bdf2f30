package s3api

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/audit"
)

// auditSink collects records in memory.
type auditSink struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (a *auditSink) Log(r audit.Record) {
	a.mu.Lock()
	a.recs = append(a.recs, r)
	a.mu.Unlock()
}

func (a *auditSink) all() []audit.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]audit.Record(nil), a.recs...)
}

func TestAuditOneRecordPerRequest(t *testing.T) {
	sink := &auditSink{}
	e := newTestEnv(t, func(o *Options) { o.Audit = sink })
	e.mkBucket("bkt")
	mustStatus(t, e.put("/bkt/obj", []byte("hello"), [2]string{"User-Agent", "audit-test/1"}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodGet, path: "/bkt/obj", forge: true}), 403, "SignatureDoesNotMatch")
	mustStatus(t, e.do(req{method: http.MethodGet, path: "/bkt/obj", auth: authNone}), 403, "AccessDenied")
	mustStatus(t, e.do(req{method: http.MethodGet, path: "/health/live", auth: authNone}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodGet, path: "/bkt/missing"}), 404, "NoSuchKey")

	// A 100-continue refused from the headers never reaches the handler,
	// but is audited too.
	c, br := e.dial()
	raw := e.build(req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), forge: true, hdr: [][2]string{{"Expect", "100-continue"}}})
	if _, err := c.Write(raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.read(br, false), 403, "SignatureDoesNotMatch")

	recs := sink.all()
	type want struct {
		op, code, decision, principal string
		status                        int
	}
	wants := []want{
		{"CreateBucket", "", "allow:root", "arn:aws:iam::root:root", 200},
		{"PutObject", "", "allow:root", "arn:aws:iam::root:root", 200},
		{"Auth", "SignatureDoesNotMatch", "deny:auth", "", 403},
		{"Anonymous", "AccessDenied", "deny:anonymous", "", 403},
		{"GetObject", "NoSuchKey", "allow:root", "arn:aws:iam::root:root", 404},
		{"Expect", "SignatureDoesNotMatch", "deny:auth", "", 403},
	}
	if len(recs) != len(wants) {
		t.Fatalf("%d records, want %d (health probes excluded): %+v", len(recs), len(wants), recs)
	}
	ids := map[string]bool{}
	for i, w := range wants {
		r := recs[i]
		if r.Operation != w.op || r.ErrorCode != w.code || r.Decision != w.decision || r.Principal != w.principal || r.Status != w.status {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
		if r.RequestID == "" || ids[r.RequestID] || r.Time.IsZero() || r.SourceIP == "" {
			t.Errorf("record %d: bad id/time/ip %+v", i, r)
		}
		ids[r.RequestID] = true
	}
	if r := recs[1]; r.Bucket != "bkt" || r.Key != "obj" || r.BytesIn != 5 || r.UserAgent != "audit-test/1" || r.AccessKey != testAK {
		t.Errorf("PutObject record %+v", r)
	}
	if r := recs[3]; r.BytesOut == 0 {
		t.Errorf("error document not counted in bytesOut: %+v", r)
	}
	if r := recs[2]; r.AccessKey != testAK || r.Principal != "" {
		t.Errorf("failed auth must name the claimed key only: %+v", r)
	}
}
