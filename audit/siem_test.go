package audit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// collector is a SIEM endpoint that refuses posts while down.
type collector struct {
	down  atomic.Bool
	mu    sync.Mutex
	lines [][]byte
	fails atomic.Int64
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if c.down.Load() {
		c.fails.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	c.mu.Lock()
	c.lines = append(c.lines, bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))...)
	c.mu.Unlock()
}

func (c *collector) got() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.lines...)
}

// seqs returns the seq of every request record received, in order.
func seqs(t *testing.T, lines [][]byte) []uint64 {
	var out []uint64
	for _, l := range lines {
		var r Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		if r.Type == TypeRequest {
			out = append(out, r.Seq)
		}
	}
	return out
}

func newTestSIEM(t *testing.T, url, spool string) *SIEMSink {
	s, err := NewSIEM(SIEMOptions{URL: url, SpoolDir: spool, BatchLines: 7, SegmentBytes: 4 << 10, FlushInterval: 10 * time.Millisecond,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, CloseTimeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSIEMDownLosesNothingAndKeepsOrder(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	spool := t.TempDir()
	siem := newTestSIEM(t, srv.URL, spool)
	l, err := New(Options{Signer: testSigner(t), Sinks: []Sink{siem}, CheckpointEvery: 25, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if i == 50 {
			c.down.Store(true)
		}
		if i == 250 {
			c.down.Store(false)
		}
		if i >= 50 && i < 250 && i%20 == 0 {
			time.Sleep(5 * time.Millisecond) // let retries happen while down
		}
		l.Log(Record{Operation: "GetObject", RequestID: "r"})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if c.fails.Load() == 0 {
		t.Fatal("the endpoint was never found down; the test proves nothing")
	}
	got := seqs(t, c.got())
	if len(got) != n {
		t.Fatalf("received %d records, want %d", len(got), n)
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("record %d has seq %d: order lost", i, s)
		}
	}
	if ents, _ := os.ReadDir(spool); len(ents) != 0 {
		t.Fatalf("%d spool segments left after delivery", len(ents))
	}
}

func TestSIEMSpoolSurvivesRestart(t *testing.T) {
	c := &collector{}
	c.down.Store(true)
	srv := httptest.NewServer(c)
	defer srv.Close()
	spool := t.TempDir()
	siem := newTestSIEM(t, srv.URL, spool)
	siem.o.CloseTimeout = 50 * time.Millisecond
	l, err := New(Options{Signer: testSigner(t), Sinks: []Sink{siem}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		l.Log(Record{Operation: "PutObject"})
	}
	l.Close() // endpoint still down: everything stays spooled
	if len(c.got()) != 0 {
		t.Fatal("delivered while down")
	}
	c.down.Store(false)
	siem2 := newTestSIEM(t, srv.URL, spool)
	deadline := time.Now().Add(5 * time.Second)
	for len(seqs(t, c.got())) < 30 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	siem2.Close()
	got := seqs(t, c.got())
	if len(got) != 30 || got[0] != 1 || got[29] != 30 {
		t.Fatalf("after restart received %v", got)
	}
}
