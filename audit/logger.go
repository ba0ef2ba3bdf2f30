package audit

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sink is one output of the audit log. The logger calls it from a single
// goroutine, in chain order: Write for every line (rec is nil for
// checkpoints; line ends in '\n' and is valid only during the call), then
// Flush after each batch. A Sink must not block for long: the SIEM sink
// spools to disk and sends in the background.
type Sink interface {
	Write(line []byte, rec *Record) error
	Flush() error
	Close() error
}

// rotator is a Sink that wants a fresh file now and then; the logger
// writes a checkpoint before rotating it, so every closed file ends signed.
type rotator interface {
	NeedRotate() bool
	Rotate() error
}

// Options configures a Logger. Signer is required.
type Options struct {
	// GatewayID names this gateway in every record and checkpoint.
	GatewayID string
	// Signer signs checkpoints.
	Signer *Signer
	// Sinks receive every line.
	Sinks []Sink
	// Start is where the chain continues (FileSink.Head after a restart);
	// the zero Head starts a new chain.
	Start Head
	// QueueSize bounds the records waiting for the writer (default 8192).
	QueueSize int
	// EnqueueWait is how long Log waits for room in a full queue before
	// dropping the record (default 50ms): a stalled disk slows requests
	// a little, never stops them.
	EnqueueWait time.Duration
	// CheckpointInterval and CheckpointEvery: a checkpoint is signed when
	// either has passed since the last one with new records (defaults
	// 10s and 10000 records).
	CheckpointInterval time.Duration
	CheckpointEvery    int
	// OnDrop is told about every dropped record (metrics).
	OnDrop func(n int)
	// Logger receives warnings: drops, sink errors (default slog.Default).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.Signer == nil || o.Signer.Sign == nil {
		return o, errors.New("audit: Options.Signer is required")
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.EnqueueWait <= 0 {
		o.EnqueueWait = 50 * time.Millisecond
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 10 * time.Second
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Logger chains records and writes them to its sinks from one goroutine.
// Log is safe for concurrent use.
type Logger struct {
	o Options
	q chan Record

	mu     sync.RWMutex // Log holds it shared; Close exclusively
	closed bool

	dropped  atomic.Uint64 // total
	pending  atomic.Uint64 // dropped since the last "dropped" record
	lastWarn atomic.Int64  // unix nanos of the last drop warning

	head       Head
	checkpoint Head // head at the last checkpoint
	sinceCP    int
	sinkErrs   uint64
	done       chan error
}

// New starts a Logger; Close stops it.
func New(o Options) (*Logger, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := prevBytes(o.Start.Hash); err != nil {
		return nil, err
	}
	l := &Logger{o: o, q: make(chan Record, o.QueueSize), head: o.Start, checkpoint: Head{Seq: ^uint64(0)}, done: make(chan error, 1)}
	go l.run()
	return l, nil
}

// Log queues r. When the queue is full it waits at most EnqueueWait, then
// drops r: the drop is counted (Dropped, OnDrop), warned about, and
// recorded in the chain itself by a "dropped" record.
func (l *Logger) Log(r Record) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.drop()
		return
	}
	select {
	case l.q <- r:
		return
	default:
	}
	t := time.NewTimer(l.o.EnqueueWait)
	defer t.Stop()
	select {
	case l.q <- r:
	case <-t.C:
		l.drop()
	}
}

// drop counts one lost record and warns at most once a second.
func (l *Logger) drop() {
	n := l.dropped.Add(1)
	l.pending.Add(1)
	if l.o.OnDrop != nil {
		l.o.OnDrop(1)
	}
	now := time.Now().UnixNano()
	last := l.lastWarn.Load()
	if now-last >= int64(time.Second) && l.lastWarn.CompareAndSwap(last, now) {
		l.o.Logger.Warn("audit: queue full, records dropped", "dropped_total", n)
	}
}

// Dropped returns how many records were dropped since New.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Close writes what is queued, signs a final checkpoint, and closes the
// sinks. Records logged after Close are counted as dropped.
func (l *Logger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("audit: logger already closed")
	}
	l.closed = true
	close(l.q)
	l.mu.Unlock()
	return <-l.done
}

// run is the writer goroutine.
func (l *Logger) run() {
	tick := time.NewTicker(l.o.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-l.q:
			if !ok {
				l.done <- l.finish()
				return
			}
			l.record(r)
			l.drain()
		case <-tick.C:
			l.noteDrops()
			if l.head != l.checkpoint {
				l.signHead(false)
			}
			l.flush()
		}
	}
}

// drain writes up to a batch of queued records, then flushes once.
func (l *Logger) drain() {
	for range 512 {
		select {
		case r, ok := <-l.q:
			if !ok {
				l.flush()
				return
			}
			l.record(r)
			continue
		default:
		}
		break
	}
	l.noteDrops()
	l.flush()
}

// noteDrops chains a "dropped" record for records lost since the last one.
func (l *Logger) noteDrops() {
	if n := l.pending.Swap(0); n > 0 {
		l.write(&Record{Type: TypeDropped, Time: l.o.Now(), GatewayID: l.o.GatewayID, Dropped: n})
	}
}

// record chains r, then checkpoints and rotates as due.
func (l *Logger) record(r Record) {
	l.noteDrops()
	if r.GatewayID == "" {
		r.GatewayID = l.o.GatewayID
	}
	l.write(&r)
	if l.sinceCP >= l.o.CheckpointEvery {
		l.signHead(false)
	}
	l.rotate()
}

// write seals r after the head and hands the line to every sink.
func (l *Logger) write(r *Record) {
	line, head, err := seal(r, l.head)
	if err != nil {
		l.sinkError(err)
		return
	}
	l.head = head
	l.sinceCP++
	for _, s := range l.o.Sinks {
		if err := s.Write(line, r); err != nil {
			l.sinkError(err)
		}
	}
}

// signHead writes a checkpoint of the current head to every sink.
func (l *Logger) signHead(final bool) error {
	line, err := signCheckpoint(l.o.Signer, l.head, l.o.GatewayID, l.o.Now(), final)
	if err != nil {
		l.sinkError(err)
		return err
	}
	l.checkpoint, l.sinceCP = l.head, 0
	for _, s := range l.o.Sinks {
		if err := s.Write(line, nil); err != nil {
			l.sinkError(err)
		}
	}
	return nil
}

// rotate checkpoints and rotates the sinks that ask for it.
func (l *Logger) rotate() {
	var due []rotator
	for _, s := range l.o.Sinks {
		if r, ok := s.(rotator); ok && r.NeedRotate() {
			due = append(due, r)
		}
	}
	if len(due) == 0 {
		return
	}
	if l.head != l.checkpoint {
		l.signHead(false)
	}
	for _, r := range due {
		if err := r.Rotate(); err != nil {
			l.sinkError(err)
		}
	}
}

func (l *Logger) flush() {
	for _, s := range l.o.Sinks {
		if err := s.Flush(); err != nil {
			l.sinkError(err)
		}
	}
}

// sinkError logs a failed write; the first and then every 1000th is logged.
func (l *Logger) sinkError(err error) {
	l.sinkErrs++
	if l.sinkErrs == 1 || l.sinkErrs%1000 == 0 {
		l.o.Logger.Error("audit: write failed", "err", err, "errors", l.sinkErrs)
	}
}

// finish signs the final checkpoint and closes the sinks.
func (l *Logger) finish() error {
	l.noteDrops()
	errs := []error{l.signHead(true)}
	for _, s := range l.o.Sinks {
		errs = append(errs, s.Flush(), s.Close())
	}
	return errors.Join(errs...)
}
