package metrics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// scrape returns the text exposition of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	return rec.Body.String()
}

// has fails unless every line appears in text.
func has(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, l) {
			t.Errorf("missing %q", l)
		}
	}
}

func TestRequestsAndHooks(t *testing.T) {
	m := New()
	m.ObserveRequest("PutObject", 200, 3*time.Millisecond, 1000, 0)
	m.ObserveRequest("PutObject", 200, time.Millisecond, 24, 0)
	m.ObserveRequest("GetObject", 404, time.Millisecond, 0, 300)
	m.AuditDropped(3)
	if err := m.RegisterKeyCache(func() (uint64, uint64) { return 3, 1 }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterMaint(func() MaintProgress { return MaintProgress{HealQueued: 7, ScrubPassFraction: 0.25} }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterMaint(func() MaintProgress { return MaintProgress{} }); err == nil {
		t.Error("second RegisterMaint accepted")
	}
	text := scrape(t, m)
	has(t, text,
		`rustfs_s3_requests_total{op="PutObject",status="200"} 2`,
		`rustfs_s3_requests_total{op="GetObject",status="404"} 1`,
		`rustfs_s3_received_bytes_total{op="PutObject"} 1024`,
		`rustfs_s3_sent_bytes_total{op="GetObject"} 300`,
		`rustfs_s3_request_duration_seconds_count{op="PutObject"} 2`,
		`rustfs_audit_dropped_total 3`,
		`rustfs_keycache_hit_ratio 0.75`,
		`rustfs_keycache_lookups_total{result="miss"} 1`,
		`rustfs_maint_heal_queued 7`,
		`rustfs_maint_scrub_pass_fraction 0.25`,
		`go_goroutines`, `process_cpu_seconds_total`,
		`go_gc_heap_live_bytes`, `go_gc_heap_goal_bytes`, `go_gc_cycles_total_gc_cycles_total`,
		`go_cpu_classes_gc_total_cpu_seconds_total`, `go_cpu_classes_scavenge_total_cpu_seconds_total`,
	)
	var nilM *Metrics // instrumented code may hold a nil *Metrics
	nilM.ObserveRequest("x", 200, 0, 1, 1)
	nilM.AuditDropped(1)
	if nilM.WrapBackend(nil) != nil || nilM.RegisterPipeline(&dataplane.Stats{}) != nil {
		t.Error("nil Metrics did something")
	}
}

// TestPipelineAndOSDs runs a real engine Put and Get over a wrapped local
// backend and checks the pipeline and per-OSD metrics moved.
func TestPipelineAndOSDs(t *testing.T) {
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := New()
	wb := m.WrapBackend(b)
	osds := wb.OSDs()
	if osds[0] != wb.OSDs()[0] {
		t.Fatal("OSDs wrapped anew on every call")
	}
	// The wrapper keeps the optional interfaces the local OSD has.
	_, isW := b.OSDs()[0].(storage.Walker)
	_, wIsW := osds[0].(storage.Walker)
	_, isS := b.OSDs()[0].(storage.TempSweeper)
	_, wIsS := osds[0].(storage.TempSweeper)
	if isW != wIsW || isS != wIsS {
		t.Fatalf("optional interfaces: walker %v→%v sweeper %v→%v", isW, wIsW, isS, wIsS)
	}
	if u, ok := osds[0].(interface{ Unwrap() storage.OSD }); !ok || u.Unwrap() != b.OSDs()[0] {
		t.Fatal("Unwrap")
	}
	var st dataplane.Stats
	if err := m.RegisterPipeline(&st); err != nil {
		t.Fatal(err)
	}
	e, err := dataplane.New(wb, dataplane.Options{ChunkSize: dataplane.MinChunkSize, Stats: &st})
	if err != nil {
		t.Fatal(err)
	}
	k, err := aead.NewKey(bytes.Repeat([]byte{7}, aead.KeySize), sha256.Sum256([]byte("metrics")))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("rustfs"), 50000)
	res, err := e.Put(context.Background(), dataplane.PutRequest{Key: k, Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(context.Background(), res.Layout, k, 0, -1, io.Discard); err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	id := b.OSDs()[0].ID()
	has(t, text,
		`rustfs_pipeline_stripes_total 5`,
		`rustfs_pipeline_stripes_in_flight 0`,
		`rustfs_pipeline_busy_seconds_total{stage="seal"}`,
		`rustfs_pipeline_write_quorum_shortfalls_total 0`,
		`rustfs_osd_op_duration_seconds_count{op="write",osd="`+id+`"}`,
		`rustfs_osd_op_duration_seconds_count{op="commit",osd="`,
		`rustfs_osd_op_duration_seconds_count{op="read",osd="`,
	)
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "rustfs_osd_errors_total{") && !strings.HasSuffix(l, " 0") {
			t.Errorf("OSD errors on a clean run: %s", l)
		}
	}
}
