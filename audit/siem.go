package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SIEMOptions configures a SIEMSink.
type SIEMOptions struct {
	// URL receives POSTs of JSON lines (application/x-ndjson).
	URL string
	// SpoolDir holds every line until the endpoint has taken it; lines
	// left there (endpoint down at shutdown) are sent at the next start.
	SpoolDir string
	// Client sends the batches (default: 10s timeout, system roots).
	Client *http.Client
	// Header is added to every POST (an API token, say).
	Header http.Header
	// BatchLines bounds one POST (default 500).
	BatchLines int
	// SegmentBytes closes a spool segment once it holds this much (default
	// 4 MiB), so a long outage leaves many bounded files rather than one
	// the sender would have to read whole.
	SegmentBytes int64
	// FlushInterval is the longest a line waits before it is sent
	// (default 1s).
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the retry delay after a failed POST
	// (defaults 200ms and 30s; it doubles per failure).
	MinBackoff, MaxBackoff time.Duration
	// CloseTimeout is how long Close keeps sending (default 5s).
	CloseTimeout time.Duration
	// Logger receives delivery failures (default slog.Default).
	Logger *slog.Logger
}

func (o SIEMOptions) withDefaults() (SIEMOptions, error) {
	if o.URL == "" || o.SpoolDir == "" {
		return o, errors.New("audit: SIEM sink needs a URL and a spool directory")
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.BatchLines <= 0 {
		o.BatchLines = 500
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 4 << 20
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// SIEMSink delivers lines to an HTTP(S) endpoint, at least once and in
// order. Write appends to a spool segment on disk; a background sender
// seals segments and POSTs them in batches, retrying with backoff, and
// deletes a segment once all of it was accepted. A batch interrupted by
// shutdown is sent again at the next start, so the receiver may see a line
// twice (deduplicate by seq and hash), never lose one.
type SIEMSink struct {
	o SIEMOptions

	mu      sync.Mutex
	active  *os.File
	w       *bufio.Writer
	lines   int   // in the active segment
	bytes   int64 // in the active segment
	nextSeg uint64

	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	ctx     context.Context // cancelled when Close gives up
	cancel  context.CancelFunc
}

// NewSIEM opens the spool and starts the sender; segments already spooled
// are sent first.
func NewSIEM(o SIEMOptions) (*SIEMSink, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: spool directory: %w", err)
	}
	segs, err := listSegments(o.SpoolDir)
	if err != nil {
		return nil, err
	}
	s := &SIEMSink{o: o, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	if n := len(segs); n > 0 {
		s.nextSeg = segs[n-1] + 1
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.sender()
	return s, nil
}

// segName is a spool segment's file name.
func segName(dir string, n uint64) string { return filepath.Join(dir, fmt.Sprintf("%020d.jsonl", n)) }

// listSegments returns the spool's segment numbers in order.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: read spool: %w", err)
	}
	var out []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".jsonl")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(name, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Write implements Sink: the line goes to the active spool segment.
func (s *SIEMSink) Write(line []byte, _ *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		f, err := os.OpenFile(segName(s.o.SpoolDir, s.nextSeg), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("audit: spool: %w", err)
		}
		s.nextSeg++
		s.active = f
		if s.w == nil {
			s.w = bufio.NewWriterSize(f, 64<<10)
		} else {
			s.w.Reset(f)
		}
	}
	if _, err := s.w.Write(line); err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	s.lines++
	s.bytes += int64(len(line))
	if s.bytes >= s.o.SegmentBytes {
		return s.sealLocked()
	}
	return nil
}

// Flush implements Sink: the spooled lines reach the file, and a full
// batch wakes the sender.
func (s *SIEMSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	if s.lines >= s.o.BatchLines {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// seal closes the active segment so the sender may take it.
func (s *SIEMSink) seal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sealLocked()
}

func (s *SIEMSink) sealLocked() error {
	if s.active == nil {
		return nil
	}
	err := s.w.Flush()
	if e := s.active.Close(); err == nil {
		err = e
	}
	s.active, s.lines, s.bytes = nil, 0, 0
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	return nil
}

// Close seals the spool and keeps sending for up to CloseTimeout; what is
// still undelivered stays spooled for the next start.
func (s *SIEMSink) Close() error {
	err := s.seal()
	close(s.stop)
	t := time.AfterFunc(s.o.CloseTimeout, s.cancel)
	<-s.stopped
	t.Stop()
	s.cancel()
	return err
}

// sender delivers sealed segments in order until Close.
func (s *SIEMSink) sender() {
	defer close(s.stopped)
	tick := time.NewTicker(s.o.FlushInterval)
	defer tick.Stop()
	for {
		stopping := false
		select {
		case <-s.stop:
			stopping = true
		case <-s.kick:
		case <-tick.C:
		}
		if !stopping {
			if err := s.seal(); err != nil {
				s.o.Logger.Error("audit: SIEM spool", "err", err)
			}
		}
		if err := s.deliver(); err != nil {
			s.o.Logger.Warn("audit: SIEM delivery stopped, lines stay spooled", "err", err)
		}
		if stopping {
			return
		}
	}
}

// deliver sends every sealed segment, oldest first, retrying each batch
// until it is accepted or the sink shuts down.
func (s *SIEMSink) deliver() error {
	segs, err := listSegments(s.o.SpoolDir)
	if err != nil {
		return err
	}
	s.mu.Lock()
	activeSeg := s.nextSeg - 1
	hasActive := s.active != nil
	s.mu.Unlock()
	for _, n := range segs {
		if hasActive && n == activeSeg {
			break
		}
		name := segName(s.o.SpoolDir, n)
		data, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("audit: spool segment %d: %w", n, err)
		}
		for len(data) > 0 {
			batch := data
			if i := nthLineEnd(data, s.o.BatchLines); i > 0 {
				batch = data[:i]
			}
			if err := s.post(batch); err != nil {
				return err
			}
			data = data[len(batch):]
		}
		if err := os.Remove(name); err != nil {
			return fmt.Errorf("audit: spool segment %d: %w", n, err)
		}
	}
	return nil
}

// nthLineEnd returns the offset just past the n-th '\n' in b, or 0 when b
// has fewer lines.
func nthLineEnd(b []byte, n int) int {
	off := 0
	for range n {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return 0
		}
		off += i + 1
	}
	return off
}

// post sends one batch until the endpoint accepts it (2xx), backing off
// between tries; it gives up only when the sink's context ends.
func (s *SIEMSink) post(batch []byte) error {
	delay := s.o.MinBackoff
	for attempt := 1; ; attempt++ {
		err := s.postOnce(batch)
		if err == nil {
			if attempt > 1 {
				s.o.Logger.Info("audit: SIEM endpoint accepting again", "attempts", attempt)
			}
			return nil
		}
		if attempt == 1 || attempt%10 == 0 {
			s.o.Logger.Warn("audit: SIEM post failed, retrying", "err", err, "attempt", attempt, "backoff", delay)
		}
		select {
		case <-s.ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, s.o.MaxBackoff)
	}
}

func (s *SIEMSink) postOnce(batch []byte) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.o.URL, bytes.NewReader(batch))
	if err != nil {
		return fmt.Errorf("audit: SIEM request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	for k, v := range s.o.Header {
		req.Header[k] = v
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("audit: SIEM post: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("audit: SIEM post: status %d", resp.StatusCode)
	}
	return nil
}
