// Package md5x provides the whole-object MD5 hashers of the write path
// (single-PUT ETags, part ETags, Content-MD5 checks).
//
// MD5 is inherently serial within one stream, so it cannot be split across
// cores; but concurrent streams (parts of a multipart upload in flight, many
// small PUTs) can share one core's SIMD lanes. A Provider therefore hands out
// either crypto/md5 hashers ("scalar") or hashers of a multi-buffer server
// (github.com/minio/md5-simd: 16 lanes with AVX-512, 8 with AVX2), chosen
// once from the CPU features package cpu reports.
//
// Every Hasher must be closed after use, on error and abort paths too: a
// multi-buffer hasher holds a client slot in its server until closed.
// Closed hashers go back to an idle pool and are reused after Reset, which
// also works around md5-simd v1.1.2 never forgetting a closed client: its
// server keeps every client it ever saw in a map it walks on each round, so
// hashers are recycled instead of closed, and a server that has had
// maxDead hashers truly closed is retired (closed once its last hasher
// returns) and replaced by a fresh one.
package md5x

import (
	"crypto/md5"
	"fmt"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	md5simd "github.com/minio/md5-simd"

	"github.com/tasmaniancloud/rustfs/cpu"
)

// Modes of New.
const (
	// Auto uses the multi-buffer kernel when the CPU has AVX2 (or AVX-512)
	// and the stream has company: a hasher requested when no more than
	// shareFrom hashers were active at once within the last one to two
	// peakWindows is crypto/md5, since a stream with few others in the
	// multi-buffer server costs more CPU than crypto/md5
	// (one alone ~1.45x: it is copied into the server's buffers and
	// handed over a channel per 32 KiB), see shareFrom. Without AVX2,
	// always crypto/md5.
	Auto = "auto"
	// SIMD requires the multi-buffer kernel and uses it for every stream;
	// New fails without AVX2.
	SIMD = "simd"
	// Scalar always uses crypto/md5.
	Scalar = "scalar"
)

// ImplScalar is Impl's name for crypto/md5.
const ImplScalar = "scalar"

// Pool bounds of one multi-buffer server (see the package comment).
const (
	defaultMaxIdle = md5simd.Lanes
	defaultMaxDead = 32
	// shareFrom is how many other hashers must be active for Auto to hand
	// out a multi-buffer one. Measured here (BenchmarkMD5, MB per CPU-s,
	// AVX-512, four runs on a loaded machine): 1 stream 0.69x crypto/md5,
	// 2 streams 0.85x, 4 streams 1.03-1.3x, 8 streams 2.1-2.5x, 16 streams
	// 3.0-3.4x. md5-simd hashes fewer than 3 ready lanes with scalar code
	// (after copying them into its buffers) and otherwise always runs the
	// 16-lane kernel, whose cost per round does not depend on how many
	// lanes are filled; so it starts to pay at about 4 concurrent streams
	// (a multipart upload's 4 parts in flight), and costs CPU below that.
	shareFrom = 3
	// peakWindow is how long Auto remembers the peak concurrency: streams
	// that run in batches (a multipart upload's parts in flight finish
	// together, and the next batch starts from one) share lanes from the
	// first stream of the batch on.
	peakWindow = 2 * time.Second
)

// Hasher is a hash.Hash that must be closed after use. Close is idempotent;
// a closed Hasher must not be used again (its state may already serve
// another stream).
type Hasher interface {
	hash.Hash
	Close()
}

// Provider hands out MD5 hashers. It is safe for concurrent use.
type Provider struct {
	impl    string // ImplScalar or a cpu.MultiBufferMD5 name
	always  bool   // SIMD mode: multi-buffer even for a lone stream
	maxIdle int
	maxDead int
	active  atomic.Int64

	mu  sync.Mutex
	cur *lanes // nil when scalar or closed
	// Auto's concurrency memory, under mu: the most hashers active at
	// once in the window starting at winStart, and in the one before.
	now               func() time.Time
	winStart          time.Time
	curPeak, prevPeak int64
}

// lanes is one md5-simd server and the hashers it has handed out.
type lanes struct {
	srv     md5simd.Server
	idle    []md5simd.Hasher // reset, ready for reuse
	live    int              // handed out, not yet closed
	dead    int              // truly closed: leaked client entries
	retired bool             // no longer handing out; close at live == 0
}

// New returns a Provider for mode (Auto, SIMD or Scalar; "" means Auto).
// The choice of kernel is made here, from cpu.Detect, and nowhere else.
func New(mode string) (*Provider, error) {
	return newProvider(mode, cpu.MultiBufferMD5(cpu.Detect(), runtime.GOARCH))
}

// newProvider is New with the multi-buffer kernel name given ("" when the
// CPU has none).
func newProvider(mode, kernel string) (*Provider, error) {
	p := &Provider{impl: ImplScalar, maxIdle: defaultMaxIdle, maxDead: defaultMaxDead, now: time.Now}
	switch mode {
	case "", Auto:
		if kernel != "" {
			p.impl = kernel
		}
	case SIMD:
		if kernel == "" {
			return nil, fmt.Errorf("md5x: --md5 simd needs AVX2 or AVX-512 on amd64; this CPU has %s", cpu.Detect())
		}
		p.impl, p.always = kernel, true
	case Scalar:
	default:
		return nil, fmt.Errorf("md5x: unknown MD5 mode %q (want %s, %s or %s)", mode, Auto, SIMD, Scalar)
	}
	if p.impl != ImplScalar {
		p.cur = &lanes{srv: md5simd.NewServer()}
	}
	return p, nil
}

// Impl names the implementation in use: "scalar" (crypto/md5),
// "avx512x16" or "avx2x8" (md5-simd).
func (p *Provider) Impl() string { return p.impl }

// Active reports the hashers handed out and not yet closed.
func (p *Provider) Active() int { return int(p.active.Load()) }

// New returns a fresh MD5 hasher. After Close it returns crypto/md5
// hashers, so a request racing shutdown still completes.
func (p *Provider) New() Hasher {
	n := p.active.Add(1)
	p.mu.Lock()
	l := p.cur
	if l == nil || (!p.always && !p.crowded(n)) {
		p.mu.Unlock()
		return &hasher{Hash: md5.New(), p: p}
	}
	var in md5simd.Hasher
	if n := len(l.idle); n > 0 {
		in, l.idle[n-1] = l.idle[n-1], nil
		l.idle = l.idle[:n-1]
	}
	l.live++
	p.mu.Unlock()
	if in == nil {
		in = l.srv.NewHash()
	}
	return &hasher{Hash: in, p: p, l: l, in: in}
}

// crowded records that n hashers are active and reports whether more than
// shareFrom were active at once in the current or the previous peakWindow.
// The caller holds p.mu.
func (p *Provider) crowded(n int64) bool {
	now := p.now()
	if d := now.Sub(p.winStart); d >= peakWindow {
		p.prevPeak = p.curPeak
		if d >= 2*peakWindow {
			p.prevPeak = 0
		}
		p.curPeak, p.winStart = 0, now
	}
	p.curPeak = max(p.curPeak, n)
	return max(p.curPeak, p.prevPeak) > shareFrom
}

// Close retires the multi-buffer server: it stops once every hasher handed
// out has been closed. Hashers requested afterwards are crypto/md5.
func (p *Provider) Close() error {
	p.mu.Lock()
	l := p.cur
	p.cur = nil
	var idle []md5simd.Hasher
	stop := false
	if l != nil {
		l.retired = true
		idle, l.idle = l.idle, nil
		stop = l.live == 0
	}
	p.mu.Unlock()
	for _, h := range idle {
		h.Close()
	}
	if stop {
		l.srv.Close()
	}
	return nil
}

// release takes back a multi-buffer hasher: reset into the idle pool, or
// closed when the pool is full or its server retired.
func (p *Provider) release(l *lanes, in md5simd.Hasher) {
	// Reset clears the stream's state in the server (and waits for any
	// blocks still queued, e.g. after an abort); done outside the lock.
	in.Reset()
	p.mu.Lock()
	l.live--
	if !l.retired && len(l.idle) < p.maxIdle {
		l.idle = append(l.idle, in)
		p.mu.Unlock()
		return
	}
	l.dead++
	var idle []md5simd.Hasher
	if !l.retired && l.dead >= p.maxDead && p.cur == l {
		l.retired = true
		idle, l.idle = l.idle, nil
		p.cur = &lanes{srv: md5simd.NewServer()}
	}
	stop := l.retired && l.live == 0
	p.mu.Unlock()
	in.Close()
	for _, h := range idle {
		h.Close()
	}
	if stop {
		l.srv.Close()
	}
}

// hasher is a Hasher handed out by a Provider.
type hasher struct {
	hash.Hash
	p  *Provider
	l  *lanes         // nil for crypto/md5
	in md5simd.Hasher // the pooled multi-buffer hasher, when l != nil
}

// Close returns the hasher to its Provider; later calls do nothing.
func (h *hasher) Close() {
	if h.p == nil {
		return
	}
	p := h.p
	h.p, h.Hash = nil, nil
	p.active.Add(-1)
	if h.l != nil {
		p.release(h.l, h.in)
		h.l, h.in = nil, nil
	}
}
