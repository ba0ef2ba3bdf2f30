package s3api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/maint"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// fakeMaint records StartPass calls and returns fixed documents.
type fakeMaint struct{ starts int }

func (f *fakeMaint) StartPass(deep bool, reason string) (maint.Progress, bool) {
	f.starts++
	return maint.Progress{ID: "p1", Reason: reason, Deep: deep, Phase: "objects"}, true
}

func (f *fakeMaint) Progress() (maint.Progress, bool) {
	return maint.Progress{ID: "p1", Phase: "done", Done: true, Checked: 3}, true
}

func (f *fakeMaint) Status() maint.Status {
	return maint.Status{OSDs: []maint.OSDState{{ID: "osd-0", Rack: "r0", State: "up"}}}
}

func TestAdminAuthAndShapes(t *testing.T) {
	fm := &fakeMaint{}
	creds := iam.NewRoot(testAK, testSK)
	if err := creds.Add("AKIAOTHERUSER000", "other-secret-key-0123456789", "alice"); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) {
		o.Maint = fm
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: creds, Now: func() time.Time { return testNow }})
	})
	for _, c := range []struct {
		name string
		r    req
	}{
		{"anonymous", req{method: "POST", path: "/rustfs/admin/v1/heal", auth: authNone}},
		{"other key", req{method: "POST", path: "/rustfs/admin/v1/heal", accessKey: "AKIAOTHERUSER000", secret: "other-secret-key-0123456789"}},
		{"forged", req{method: "POST", path: "/rustfs/admin/v1/heal", forge: true}},
	} {
		res := e.do(c.r)
		if res.status != http.StatusForbidden {
			t.Errorf("%s: status %d %s, want 403", c.name, res.status, res.body)
		}
	}
	if fm.starts != 0 {
		t.Fatalf("a refused request started %d passes", fm.starts)
	}
	res := e.do(req{method: "POST", path: "/rustfs/admin/v1/heal"})
	var pr maint.Progress
	if res.status != http.StatusAccepted || json.Unmarshal(res.body, &pr) != nil || pr.ID != "p1" || !pr.Deep || fm.starts != 1 {
		t.Fatalf("POST heal: %d %s", res.status, res.body)
	}
	res = e.do(req{method: "GET", path: "/rustfs/admin/v1/heal"})
	var doc map[string]any
	if res.status != http.StatusOK || json.Unmarshal(res.body, &doc) != nil || doc["done"] != true || doc["objects_checked"] != 3.0 {
		t.Fatalf("GET heal: %d %s", res.status, res.body)
	}
	res = e.do(req{method: "GET", path: "/rustfs/admin/v1/status"})
	var st maint.Status
	if res.status != http.StatusOK || json.Unmarshal(res.body, &st) != nil || len(st.OSDs) != 1 || st.OSDs[0].State != "up" {
		t.Fatalf("GET status: %d %s", res.status, res.body)
	}
}

// downMaint reports one OSD down.
type downMaint struct{ fakeMaint }

func (d *downMaint) Status() maint.Status {
	return maint.Status{OSDs: []maint.OSDState{{ID: "osd-0", State: "up"}, {ID: "osd-4", State: "down"}}}
}

func TestReadySaysDegraded(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Maint = &downMaint{} })
	res := e.do(req{method: "GET", path: "/health/ready", auth: authNone})
	if res.status != http.StatusOK || !strings.Contains(string(res.body), "degraded") || !strings.Contains(string(res.body), "osd-4 down") {
		t.Fatalf("ready: %d %q", res.status, res.body)
	}
	e = newTestEnv(t, func(o *Options) { o.Maint = &fakeMaint{} })
	if res := e.do(req{method: "GET", path: "/health/ready", auth: authNone}); res.status != http.StatusOK || strings.Contains(string(res.body), "degraded") {
		t.Fatalf("healthy ready: %d %q", res.status, res.body)
	}
}
