package maint

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"
)

func newTestScheduler(t *testing.T, f *fakeObjects, o Options) *Scheduler {
	t.Helper()
	o.Objects = f
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestRunPassRepairsAndReports(t *testing.T) {
	f := &fakeObjects{objs: []*fakeObj{
		{bucket: "b", key: "whole", size: 4000, healthy: 6},
		{bucket: "b", key: "degraded", size: 8000, healthy: 4},
		{bucket: "c", key: "lost", size: 400, healthy: 3, lost: true},
	}}
	meta := &fakeMeta{}
	clk := newFakeClock()
	s := newTestScheduler(t, f, Options{Meta: meta, Clock: clk, ScrubRate: 1000})
	var seen []Progress
	rep, err := s.RunPass(context.Background(), true, func(p Progress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 3 || rep.ShardsRepaired != 2 || rep.BytesRewritten != 4000 || rep.Unrecoverable != 1 || !rep.Done || rep.Phase != "done" {
		t.Fatalf("report %+v", rep.Progress)
	}
	want := map[string]Count{"6/6": {2, 12000}, "3/6": {1, 400}}
	if len(rep.ByRedundancy) != 2 || rep.ByRedundancy["6/6"] != want["6/6"] || rep.ByRedundancy["3/6"] != want["3/6"] {
		t.Fatalf("histogram %v, want %v", rep.ByRedundancy, want)
	}
	if len(seen) == 0 || !seen[len(seen)-1].Done {
		t.Fatalf("progress callbacks %v end without done", seen)
	}
	if f.objs[1].healthy != 6 {
		t.Fatal("the degraded object was not repaired")
	}
	// The histogram is recorded for every gateway.
	b, _, err := meta.Get(context.Background(), StatsNS, StatsKey)
	if err != nil {
		t.Fatal(err)
	}
	var stored Report
	if err := json.Unmarshal(b, &stored); err != nil || stored.ByRedundancy["6/6"] != want["6/6"] || stored.ID != rep.ID {
		t.Fatalf("stored stats %s (%v)", b, err)
	}
	st := s.Status()
	if st.LastPass == nil || st.LastPass.ID != rep.ID || st.Heal.ShardsRepaired != 2 || st.Heal.Passes != 1 || st.Running != nil {
		t.Fatalf("status %+v", st)
	}
	// A new scheduler (another gateway) reports the recorded pass.
	s2 := newTestScheduler(t, f, Options{Meta: meta, ScrubInterval: -1})
	s2.Start(context.Background())
	if st := s2.Status(); st.LastPass == nil || st.LastPass.ID != rep.ID {
		t.Fatalf("second gateway's status %+v", st)
	}
}

func TestRunPassThrottles(t *testing.T) {
	f := &fakeObjects{objs: []*fakeObj{{bucket: "b", key: "k", size: 4_000_000, healthy: 5}}}
	clk := newFakeClock()
	s := newTestScheduler(t, f, Options{Clock: clk, ScrubRate: 1_000_000})
	if _, err := s.RunPass(context.Background(), true, nil); err != nil {
		t.Fatal(err)
	}
	// 5 MB read + 1 MB written at 1 MB/s, less the 100 kB bucket.
	if want := 5900 * time.Millisecond; clk.slept < want-10*time.Millisecond || clk.slept > want+10*time.Millisecond {
		t.Fatalf("slept %v, want %v", clk.slept, want)
	}
}

func TestRunPassSingleFlight(t *testing.T) {
	f := &fakeObjects{
		objs: []*fakeObj{{bucket: "b", key: "1", size: 4, healthy: 6}, {bucket: "b", key: "2", size: 4, healthy: 5}},
		gate: make(chan struct{}),
	}
	s := newTestScheduler(t, f, Options{ScrubRate: -1})
	var wg sync.WaitGroup
	reps := make([]Report, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		reps[0], _ = s.RunPass(context.Background(), true, nil)
	}()
	f.gate <- struct{}{} // the first pass is inside HealObject
	joined, started := s.startPass(false, "admin")
	if started {
		t.Fatal("a second pass started while one runs")
	}
	close(f.gate)
	wg.Wait()
	<-joined.done
	if f.walks != 1 {
		t.Fatalf("%d walks, want 1", f.walks)
	}
	if reps[0].ID == "" || reps[0].ID != joined.rep.ID || reps[0].Checked != 2 || reps[0].ShardsRepaired != 1 {
		t.Fatalf("reports %+v / %+v", reps[0].Progress, joined.rep.Progress)
	}
	// Once it is done, a new request starts a new pass.
	rep, err := s.RunPass(context.Background(), true, nil)
	if err != nil || rep.ID == reps[0].ID || f.walks != 2 {
		t.Fatalf("third pass %+v, err %v, walks %d", rep.Progress, err, f.walks)
	}
}

func TestRunPassReportsWalkError(t *testing.T) {
	f := &fakeObjects{walkErr: context.DeadlineExceeded}
	s := newTestScheduler(t, f, Options{ScrubRate: -1})
	rep, err := s.RunPass(context.Background(), true, nil)
	if err == nil || rep.Error == "" || !rep.Done {
		t.Fatalf("walk error: err %v, report %+v", err, rep.Progress)
	}
}

func TestBackgroundJobsAndStop(t *testing.T) {
	before := runtime.NumGoroutine()
	f := &fakeObjects{queued: 5, gcBytes: 1234}
	var swept sync.WaitGroup
	swept.Add(1)
	var once sync.Once
	filled := make(chan string, 1)
	replaced := []string{"osd-3"}
	var mu sync.Mutex
	s, err := New(Options{
		Objects: f, Logger: quietLogger(), ScrubRate: -1,
		HealEvery: time.Millisecond, GCEvery: time.Millisecond, OrphanEvery: time.Millisecond,
		RefillEvery: time.Millisecond, ScrubInterval: time.Hour, HealBatch: 2,
		SweepTemp: func(ctx context.Context, cutoff time.Time) (int, int64, error) {
			once.Do(swept.Done)
			return 2, 99, nil
		},
		Replaced: func() []string { mu.Lock(); defer mu.Unlock(); return replaced },
		MarkFilled: func(id string) error {
			mu.Lock()
			replaced = nil
			mu.Unlock()
			filled <- id
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	swept.Wait()
	if id := <-filled; id != "osd-3" {
		t.Fatalf("filled %q", id)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.Status()
		if st.Heal.QueueHealed == 5 && st.GC.Bytes >= 2*1234 && st.GC.TempBytes >= 99 && st.Heal.Passes >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background jobs did not run: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	s.Stop()
	gc := f.called("gc")
	time.Sleep(5 * time.Millisecond)
	if f.called("gc") != gc {
		t.Fatal("GC still runs after Stop")
	}
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i > 1000 {
			t.Fatalf("%d goroutines after Stop, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}
