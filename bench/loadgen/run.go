package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// counters are the live totals the workers update and progress reads.
type counters struct {
	ops, bytes, errors, listed atomic.Int64
	next                       atomic.Int64 // next operation index
}

// object is a key the case wrote and its size.
type object struct {
	key  string
	size int64
}

// worker is one goroutine's state: its own random source, buffer and
// measurements, merged when the case ends.
type worker struct {
	id      int
	rnd     *mrand.Rand
	buf     []byte
	lat     []time.Duration
	ttfb    []time.Duration
	written []object
	token   string // list continuation
}

// runner runs one case.
type runner struct {
	t      Target
	o      Options
	c      *client
	run    string // unique key prefix of this run
	up     upload
	live   counters
	errMu  sync.Mutex
	errs   []string
	prep   []object // the prepared working set
	prefix string
}

// Run executes one case against t and returns its summary. Progress goes
// to progress (nil for none). Failed operations are counted, not fatal;
// Run fails only when the case cannot start (bad options, bucket creation,
// preparing the working set).
func Run(ctx context.Context, t Target, o Options, progress io.Writer) (*Summary, error) {
	return runWith(ctx, t, o, progress, NewPattern())
}

// runWith is Run with a shared Pattern (A/B mode makes it once).
func runWith(ctx context.Context, t Target, o Options, progress io.Writer, pat *Pattern) (*Summary, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	conns := o.Concurrency
	if o.Mode == "multipart-put" {
		conns *= o.PartsInFlight
	}
	c, err := newClient(t, conns, pat)
	if err != nil {
		return nil, err
	}
	defer c.close()
	var id [4]byte
	rand.Read(id[:])
	r := &runner{t: t, o: o, c: c, run: hex.EncodeToString(id[:]),
		up: upload{checksum: o.Checksum, signed: o.Payload == "signed"}}
	r.prefix = o.Prefix + r.run + "/"
	if err := c.createBucket(ctx, o.Bucket); err != nil {
		return nil, err
	}
	if err := r.prepare(ctx); err != nil {
		r.cleanup(nil)
		return nil, err
	}
	workers := make([]*worker, o.Concurrency)
	for i := range workers {
		workers[i] = &worker{id: i, rnd: mrand.New(mrand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), buf: make([]byte, 256<<10)}
	}
	var cpu0 time.Duration
	if t.ServerPID > 0 {
		if cpu0, err = ProcessCPU(t.ServerPID); err != nil {
			return nil, err
		}
	}
	self0 := selfCPU()
	label := o.Mode + " " + o.Sizes.String() + " c" + strconv.Itoa(o.Concurrency)
	prog := startProgress(progress, label, o, &r.live)
	start := time.Now()
	mctx := ctx
	if o.Duration > 0 {
		var cancel context.CancelFunc
		mctx, cancel = context.WithDeadline(ctx, start.Add(o.Duration))
		defer cancel()
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { r.loop(mctx, w) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	prog.end()
	s := r.summary(workers, elapsed)
	s.ClientCPUPerGB = perGB(selfCPU()-self0, s.Bytes)
	if t.ServerPID > 0 {
		if cpu1, err := ProcessCPU(t.ServerPID); err == nil {
			s.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
			s.ServerCPUPerGB = perGB(cpu1-cpu0, s.Bytes)
		}
	}
	if o.Cleanup {
		r.cleanup(workers)
	}
	if err := ctx.Err(); err != nil {
		return s, err
	}
	return s, nil
}

// perGB is d per 1e9 bytes of n (0 when nothing moved).
func perGB(d time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return d.Seconds() / (float64(n) / 1e9)
}

// prepare writes the working set that get-like, list and delete modes use.
func (r *runner) prepare(ctx context.Context) error {
	switch r.o.Mode {
	case "put", "multipart-put":
		return nil
	}
	rnd := mrand.New(mrand.NewPCG(1, 2))
	r.prep = make([]object, r.o.Objects)
	for i := range r.prep {
		size := r.o.Sizes.pick(rnd)
		if r.o.Mode == "list" || r.o.Mode == "delete" {
			size = min(size, 4<<10) // these modes measure requests, not bytes
		}
		r.prep[i] = object{key: r.prefix + "set/" + strconv.Itoa(i), size: size}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, r.o.Concurrency)
	for w := range r.o.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(r.prep) || ctx.Err() != nil {
					return
				}
				if _, err := r.c.put(ctx, r.o.Bucket, r.prep[i].key, r.prep[i].size, r.up); err != nil {
					errs[w] = fmt.Errorf("loadgen: preparing %d objects: %w", len(r.prep), err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// loop runs operations until the deadline, the count or cancellation.
func (r *runner) loop(ctx context.Context, w *worker) {
	for ctx.Err() == nil {
		i := r.live.next.Add(1) - 1
		if r.o.Count > 0 && i >= int64(r.o.Count) {
			return
		}
		if r.o.Mode == "delete" && i >= int64(len(r.prep)) {
			return
		}
		t0 := time.Now()
		n, ttfb, err := r.op(ctx, w, i)
		d := time.Since(t0)
		if err != nil {
			if ctx.Err() != nil && r.o.Duration > 0 {
				return // the deadline cut this operation short: not an error
			}
			r.live.errors.Add(1)
			r.errMu.Lock()
			if len(r.errs) < 5 {
				r.errs = append(r.errs, err.Error())
			}
			r.errMu.Unlock()
			continue
		}
		w.lat = append(w.lat, d)
		w.ttfb = append(w.ttfb, ttfb)
		r.live.ops.Add(1)
		r.live.bytes.Add(n)
	}
}

// op performs operation i and returns the object bytes moved.
func (r *runner) op(ctx context.Context, w *worker, i int64) (int64, time.Duration, error) {
	mode := r.o.Mode
	if mode == "mixed" {
		mode = "get"
		if w.rnd.IntN(r.o.GetRatio+r.o.PutRatio) >= r.o.GetRatio {
			mode = "put"
		}
	}
	switch mode {
	case "put", "multipart-put":
		size := r.o.Sizes.pick(w.rnd)
		key := r.prefix + "w" + strconv.Itoa(w.id) + "-" + strconv.FormatInt(i, 10)
		var ttfb time.Duration
		var err error
		if mode == "put" {
			ttfb, err = r.c.put(ctx, r.o.Bucket, key, size, r.up)
		} else {
			ttfb, err = r.c.multipartPut(ctx, r.o.Bucket, key, size, r.o.PartSize, r.o.PartsInFlight, r.up)
		}
		if err != nil {
			return 0, 0, err
		}
		w.written = append(w.written, object{key: key, size: size})
		return size, ttfb, nil
	case "get":
		ob := r.prep[w.rnd.IntN(len(r.prep))]
		return r.c.get(ctx, r.o.Bucket, ob.key, 0, -1, ob.size, w.buf, r.o.NoVerify)
	case "range-get":
		ob := r.prep[w.rnd.IntN(len(r.prep))]
		n := min(r.o.RangeSize, ob.size)
		if n == 0 {
			return r.c.get(ctx, r.o.Bucket, ob.key, 0, -1, 0, w.buf, r.o.NoVerify)
		}
		off := w.rnd.Int64N(ob.size - n + 1)
		return r.c.get(ctx, r.o.Bucket, ob.key, off, n, ob.size, w.buf, r.o.NoVerify)
	case "list":
		t0 := time.Now()
		n, next, err := r.c.listPage(ctx, r.o.Bucket, r.prefix+"set/", w.token, 1000)
		if err != nil {
			return 0, 0, err
		}
		w.token = next
		r.live.listed.Add(int64(n))
		return 0, time.Since(t0), nil
	case "delete":
		t0 := time.Now()
		if err := r.c.del(ctx, r.o.Bucket, r.prep[i].key); err != nil {
			return 0, 0, err
		}
		return 0, time.Since(t0), nil
	}
	return 0, 0, fmt.Errorf("loadgen: mode %q", mode)
}

// summary merges the workers' measurements.
func (r *runner) summary(workers []*worker, elapsed time.Duration) *Summary {
	var lat, ttfb []time.Duration
	for _, w := range workers {
		lat = append(lat, w.lat...)
		ttfb = append(ttfb, w.ttfb...)
	}
	s := &Summary{
		Endpoint: r.t.Endpoint, Mode: r.o.Mode, Sizes: r.o.Sizes.String(), Concurrency: r.o.Concurrency,
		Checksum: r.o.Checksum, Payload: r.o.Payload, Seconds: elapsed.Seconds(),
		Ops: r.live.ops.Load(), Bytes: r.live.bytes.Load(), Errors: r.live.errors.Load(), Listed: r.live.listed.Load(),
		Latency: percentiles(lat), TTFB: percentiles(ttfb), FirstErrors: r.errs,
	}
	if sec := elapsed.Seconds(); sec > 0 {
		s.MBps = float64(s.Bytes) / 1e6 / sec
		s.OpsPerSec = float64(s.Ops) / sec
	}
	return s
}

// cleanup deletes what the case wrote, best effort and unmeasured.
func (r *runner) cleanup(workers []*worker) {
	keys := make([]object, 0, len(r.prep))
	if r.o.Mode != "delete" {
		keys = append(keys, r.prep...)
	}
	for _, w := range workers {
		keys = append(keys, w.written...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range r.o.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				_ = r.c.del(ctx, r.o.Bucket, keys[i].key)
			}
		})
	}
	wg.Wait()
}
