package audit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blockingSink stalls every Write until release is closed.
type blockingSink struct {
	release chan struct{}
	lines   [][]byte
	recs    []Record
}

func (s *blockingSink) Write(line []byte, r *Record) error {
	<-s.release
	s.lines = append(s.lines, append([]byte(nil), line...))
	if r != nil {
		s.recs = append(s.recs, *r)
	}
	return nil
}
func (s *blockingSink) Flush() error { return nil }
func (s *blockingSink) Close() error { return nil }

func TestFullQueueDropsCountedAndChained(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	var hook atomic.Int64
	l, err := New(Options{Signer: testSigner(t), Sinks: []Sink{sink}, QueueSize: 4,
		EnqueueWait: 5 * time.Millisecond, OnDrop: func(n int) { hook.Add(int64(n)) }, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	// The writer takes one record and stalls in the sink; four more fill
	// the queue; the rest must come back within about EnqueueWait each.
	start := time.Now()
	for range 20 {
		l.Log(Record{Operation: "GetObject"})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Log blocked %v with a stalled sink", d)
	}
	if l.Dropped() < 14 || l.Dropped() != uint64(hook.Load()) {
		t.Fatalf("dropped %d, hook %d", l.Dropped(), hook.Load())
	}
	close(sink.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var kept, noted uint64
	for _, r := range sink.recs {
		switch r.Type {
		case TypeRequest:
			kept++
		case TypeDropped:
			noted += r.Dropped
		}
	}
	if kept+noted != 20 || noted != l.Dropped() {
		t.Fatalf("kept %d + noted %d dropped != 20 (dropped %d)", kept, noted, l.Dropped())
	}
}

func TestConcurrentLogKeepsOneChain(t *testing.T) {
	path := tempLog(t)
	fs, err := OpenFile(FileOptions{Path: path, MaxSize: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{Signer: testSigner(t), Sinks: []Sink{fs}, CheckpointEvery: 50, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				l.Log(Record{Operation: "PutObject", Status: 200 + g, BytesIn: int64(i)})
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(logFiles(t, path), VerifyOptions{})
	if err != nil || rep.Records != 400 || l.Dropped() != 0 {
		t.Fatalf("Verify = %+v, %v (dropped %d)", rep, err, l.Dropped())
	}
}

func TestLogAfterCloseIsCounted(t *testing.T) {
	l, err := New(Options{Signer: testSigner(t), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	l.Log(Record{})
	if l.Dropped() != 1 {
		t.Fatalf("dropped %d", l.Dropped())
	}
}
