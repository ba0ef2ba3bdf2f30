package gateway

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmark settings (go test ./bench/gateway -args -gateway.fsync=always ...).
var (
	flagParent = flag.String("gateway.dir", "", "parent of the gateways' data directories (default /dev/shm)")
	flagFsync  = flag.String("gateway.fsync", "never", "local backend fsync: never|always")
	flagETag   = flag.String("gateway.etag", "md5", "single-PUT ETag: md5|fast")
	flagBinary = flag.Bool("gateway.binary", false, "BenchmarkGateway: run the server as the rustfs binary, not in-process")
)

// built is the rustfs binary built for this test run (once, lazily).
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain keeps the kdf's development-keyring warning (logged through
// slog's default logger) out of test and benchmark output, and removes the
// binary built for the run.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binary returns the rustfs binary of this checkout, built on first use
// (with the ceph tag when this test binary has it).
func binary(tb testing.TB) string {
	tb.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "rustfs-bench-bin-*"); built.err != nil {
			return
		}
		built.path, built.err = BuildBinary(context.Background(), built.dir, buildTags...)
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

// options are the flag-selected gateway options.
func options(plaintext bool) Options {
	return Options{Parent: *flagParent, Fsync: *flagFsync, ETag: *flagETag, Plaintext: plaintext}
}

// startInProcess starts an in-process gateway, closed when tb ends.
func startInProcess(tb testing.TB, o Options) *Gateway {
	tb.Helper()
	g, err := Start(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := g.Close(); err != nil {
			tb.Error(err)
		}
	})
	return g
}

// startProcess starts the rustfs binary, stopped when tb ends.
func startProcess(tb testing.TB, o Options) *Process {
	tb.Helper()
	p, err := StartProcess(binary(tb), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Error(err)
		}
	})
	return p
}

// clientFor returns a client of g, closed when tb ends.
func clientFor(tb testing.TB, g *Gateway, conns int) *Client {
	tb.Helper()
	c, err := g.Client(conns)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// sizeName renders 4096 as "4KiB", 1<<20 as "1MiB".
func sizeName(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// runStats is what one timed run measured.
type runStats struct {
	elapsed time.Duration
	selfCPU time.Duration // this process: client (and server when in-process)
	srvCPU  time.Duration // the server process; 0 when in-process
	ops     int
}

// runOps times b.N calls of op spread over conc workers (op gets the
// worker number and the operation index) and reports req/s. op must be
// safe for concurrent use. When pid is not 0 the server's CPU time is read
// from /proc as well.
func runOps(b *testing.B, conc, pid int, op func(worker, i int) error) runStats {
	b.Helper()
	runtime.GC()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	srv0 := procCPU(b, pid)
	cpu0 := SelfCPU()
	b.ResetTimer()
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(w, int(i)); err != nil {
					errOnce.Do(func() { firstErr = err })
					next.Store(int64(b.N)) // the others stop too
					return
				}
			}
		})
	}
	wg.Wait()
	st := runStats{elapsed: time.Since(start), ops: b.N}
	b.StopTimer()
	st.selfCPU = SelfCPU() - cpu0
	st.srvCPU = procCPU(b, pid) - srv0
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/st.elapsed.Seconds(), "req/s")
	return st
}

// procCPU is process pid's CPU time (0 for pid 0).
func procCPU(b *testing.B, pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, err := ProcCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// reportCPU reports CPU seconds per GB of object data moved: the whole
// process's as "CPU-s/GB" for an in-process server (client and server
// together), else the server's as "srv-CPU-s/GB" and the client's as
// "cli-CPU-s/GB". Small objects report CPU microseconds per request
// instead, which is what they cost.
func reportCPU(b *testing.B, st runStats, bytesPerOp int64) {
	perGB := func(d time.Duration) float64 {
		return d.Seconds() / (float64(bytesPerOp) * float64(st.ops) / 1e9)
	}
	perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(st.ops) }
	small := bytesPerOp < 1<<20
	report := func(d time.Duration, name string) {
		if small {
			b.ReportMetric(perReq(d), name+"-µs/req")
		} else {
			b.ReportMetric(perGB(d), name+"-s/GB")
		}
	}
	if st.srvCPU == 0 {
		report(st.selfCPU, "CPU")
		return
	}
	report(st.srvCPU, "srv-CPU")
	report(st.selfCPU, "cli-CPU")
}

// verifyWriter checks that what is written equals block from offset pos.
type verifyWriter struct {
	block Block
	pos   int64
	bad   int64 // first mismatching position + 1; 0 when none
}

// Write compares p with the block.
func (v *verifyWriter) Write(p []byte) (int, error) {
	for i, c := range p {
		if v.bad == 0 && c != v.block.At(v.pos+int64(i)) {
			v.bad = v.pos + int64(i) + 1
		}
	}
	v.pos += int64(len(p))
	return len(p), nil
}
