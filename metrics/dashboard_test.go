package metrics

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// failingOSD fails every Remove.
type failingOSD struct{ storage.OSD }

func (failingOSD) Remove(context.Context, string) error { return errors.New("disk on fire") }

// TestDashboardNamesExist keeps docs/grafana-dashboard.json honest: every
// rustfs_*, go_* and process_* series it queries is one /metrics exports.
func TestDashboardNamesExist(t *testing.T) {
	dash, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.ObserveRequest("PutObject", 200, time.Millisecond, 1, 1)
	m.AuditDropped(1)
	if err := m.RegisterPipeline(&dataplane.Stats{}); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterKeyCache(func() (uint64, uint64) { return 1, 1 }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterMaint(func() MaintProgress { return MaintProgress{} }); err != nil {
		t.Fatal(err)
	}
	o := m.WrapOSD(failingOSD{storagetest.NewDiscard(1).OSDs()[0]})
	if err := o.Remove(context.Background(), "x"); err == nil {
		t.Fatal("remove error lost")
	}
	text := scrape(t, m)
	names := regexp.MustCompile(`\b(rustfs|go|process)_[a-z_]+`).FindAllString(string(dash), -1)
	if len(names) < 10 {
		t.Fatalf("only %d metric names in the dashboard", len(names))
	}
	for _, n := range names {
		if !strings.Contains(text, "\n"+n) {
			t.Errorf("dashboard queries %s, which /metrics does not export", n)
		}
	}
}
