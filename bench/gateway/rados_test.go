//go:build ceph

package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	goceph "github.com/ceph/go-ceph/rados"
	"github.com/tasmaniancloud/rustfs/rados"
	"github.com/tasmaniancloud/rustfs/server"
	"github.com/tasmaniancloud/rustfs/storage"
)

// rados bench settings.
var (
	flagRadosSeconds = flag.Int("gateway.rados-seconds", 10, "rados bench: seconds per phase")
	flagRadosObjects = flag.Int("gateway.rados-objects", 256, "rados bench: at most this many 4 MiB objects (memstore keeps them in RAM)")
)

// cephEnv is the cluster of scripts/ceph-up.sh, from its exports.
type cephEnv struct{ conf, keyring, user string }

// cephCluster returns the cluster settings or skips when none is set up.
func cephCluster(tb testing.TB) cephEnv {
	tb.Helper()
	e := cephEnv{os.Getenv("RUSTFS_CEPH_CONF"), os.Getenv("RUSTFS_CEPH_KEYRING"), os.Getenv("RUSTFS_CEPH_USER")}
	if e.conf == "" {
		tb.Skip(`RUSTFS_CEPH_CONF is not set; eval "$(bash scripts/ceph-up.sh)" first`)
	}
	return e
}

// cephCPU is the CPU time the cluster's daemons (mon, mgr, OSDs; pid files
// in <conf dir>/pids, written by ceph-up.sh) have used so far, or 0 when
// they cannot be read; a daemon that restarted in between makes a
// difference meaningless, which is why callers also watch the pids.
func cephCPU(e cephEnv) (time.Duration, []int) {
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(e.conf), "pids", "*.pid"))
	var total time.Duration
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, nil
		}
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err != nil {
			return 0, nil
		}
		d, err := ProcCPU(pid)
		if err != nil {
			return 0, nil
		}
		total += d
		pids = append(pids, pid)
	}
	return total, pids
}

// cephCPUDelta measures the daemons' CPU over fn; ok is false when it
// could not be measured or a daemon restarted meanwhile.
func cephCPUDelta(e cephEnv, fn func()) (d time.Duration, ok bool) {
	c0, p0 := cephCPU(e)
	fn()
	c1, p1 := cephCPU(e)
	return c1 - c0, len(p0) > 0 && fmt.Sprint(p0) == fmt.Sprint(p1)
}

// radosOptions are the backend options of a fresh RADOS namespace, purged
// with everything in it when tb ends so that the RAM-backed OSDs get
// their memory back.
func radosOptions(tb testing.TB, e cephEnv) rados.Options {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	o := rados.Options{ConfPath: e.conf, Keyring: e.keyring, User: e.user, Namespace: "bench-gw-" + hex.EncodeToString(b[:])}
	tb.Cleanup(func() {
		if err := purgeNamespace(o); err != nil {
			tb.Error(err)
		}
	})
	return o
}

// purgeNamespace deletes every object of o.Namespace in the metadata and
// data pools.
func purgeNamespace(o rados.Options) error {
	user := o.User
	if user == "" {
		user = rados.DefaultUser
	}
	conn, err := goceph.NewConnWithUser(user)
	if err != nil {
		return err
	}
	if err := conn.ReadConfigFile(o.ConfPath); err != nil {
		return err
	}
	if o.Keyring != "" {
		if err := conn.SetConfigOption("keyring", o.Keyring); err != nil {
			return err
		}
	}
	if err := conn.Connect(); err != nil {
		return err
	}
	defer conn.Shutdown()
	pools := []string{rados.DefaultMetaPool}
	for _, p := range rados.DefaultDataPools() {
		pools = append(pools, p.Pool)
	}
	var errs []error
	for _, pool := range pools {
		io, err := conn.OpenIOContext(pool)
		if err != nil {
			errs = append(errs, fmt.Errorf("purge %s: %w", pool, err))
			continue
		}
		io.SetNamespace(o.Namespace)
		var oids []string
		if err := io.ListObjects(func(oid string) { oids = append(oids, oid) }); err != nil {
			errs = append(errs, fmt.Errorf("purge %s: list: %w", pool, err))
		}
		for _, oid := range oids {
			if err := io.Delete(oid); err != nil && !errors.Is(err, goceph.ErrNotFound) {
				errs = append(errs, fmt.Errorf("purge %s/%s: %w", pool, oid, err))
			}
		}
		io.Destroy()
	}
	return errors.Join(errs...)
}

// startRadosGateway starts an in-process gateway on the rados backend.
func startRadosGateway(tb testing.TB, ro rados.Options, plain bool) *Gateway {
	tb.Helper()
	o := options(plain)
	o.Backend = "rados"
	o.OpenBackend = func(context.Context, server.Config) (storage.Backend, error) { return rados.Open(ro) }
	return startInProcess(tb, o)
}

// radosSizes and radosConc are the cells of BenchmarkGatewayRados: 4 MiB
// objects like rados bench, and 64 MiB ones.
var (
	radosSizes = []int64{4 << 20, 64 << 20}
	radosConc  = []int{1, 4}
)

// BenchmarkGatewayRados measures PUT and GET through the gateway on the
// RADOS backend (plaintext HTTP, so that the backend rather than TLS is
// what differs from BenchmarkGateway) and, in the same run, `rados bench`
// 4 MiB writes and sequential reads on pool rustfs.rack0, once before and
// once after the gateway cells. Each cell reports the earlier rados bench
// figure (rados-MB/s) and the ratio gateway MB/s ÷ rados bench MB/s
// (x-rados-write, x-rados-seq) in object bytes: the gateway also writes the
// 50 % parity of 4+2 while rados bench writes size-1 objects. The log
// repeats the ratios against the mean of both rados bench runs.
//
//	eval "$(bash scripts/ceph-up.sh)"
//	go test -tags ceph -run '^$' -bench GatewayRados -benchtime 8x ./bench/gateway
func BenchmarkGatewayRados(b *testing.B) {
	e := cephCluster(b)
	ctx := context.Background()
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		b.Fatal(err)
	}
	rb := RadosBench{Conf: e.conf, Keyring: e.keyring, User: e.user, Pool: "rustfs.rack0",
		Seconds: *flagRadosSeconds, MaxObjects: *flagRadosObjects, RunName: "rustfs-gw-bench-" + hex.EncodeToString(id[:])}
	radosRun := func() (w, r RadosBenchResult) {
		b.Helper()
		defer func() {
			if err := rb.Cleanup(ctx); err != nil {
				b.Error(err)
			}
		}()
		var werr, rerr error
		wCPU, wok := cephCPUDelta(e, func() { w, werr = rb.Write(ctx) })
		if werr != nil {
			b.Fatal(werr)
		}
		rCPU, rok := cephCPUDelta(e, func() { r, rerr = rb.Seq(ctx) })
		if rerr != nil {
			b.Fatal(rerr)
		}
		// Both phases move 4 MiB objects; CPU per GB counts those bytes.
		wGB, rGB := float64(w.Objects)*(4<<20)/1e9, float64(r.Objects)*(4<<20)/1e9
		b.Logf("rados bench %s: write %.0f MB/s (%.0f IOPS, %v avg, ceph daemons %s), seq %.0f MB/s (%.0f IOPS, %v avg, ceph daemons %s)",
			rb.Pool, w.MBps, w.IOPS, w.AvgLatency, perGB(wCPU, wGB, wok), r.MBps, r.IOPS, r.AvgLatency, perGB(rCPU, rGB, rok))
		return w, r
	}
	w1, r1 := radosRun()

	type cell struct {
		name string
		mbps float64
		put  bool
	}
	var cells []cell
	b.Run("plain", func(b *testing.B) {
		g := startRadosGateway(b, radosOptions(b, e), true)
		c := clientFor(b, g, 8)
		if err := c.CreateBucket(ctx, "rados"); err != nil {
			b.Fatal(err)
		}
		block := NewBlock(1<<20+4093, 11)
		for _, size := range radosSizes {
			for _, put := range []bool{true, false} {
				if !put {
					for w := range 4 {
						if _, err := c.Put(ctx, "rados", fmt.Sprintf("get-%d", w), block.Body(size, 0), size); err != nil {
							b.Fatal(err)
						}
					}
				}
				for _, conc := range radosConc {
					op := map[bool]string{true: "PUT", false: "GET"}[put]
					b.Run(fmt.Sprintf("%s/%s/c%d", op, sizeName(size), conc), func(b *testing.B) {
						b.SetBytes(size)
						b.ReportAllocs()
						var st runStats
						cephD, ok := cephCPUDelta(e, func() {
							st = runOps(b, conc, 0, func(w, i int) error {
								if put {
									_, err := c.Put(ctx, "rados", fmt.Sprintf("put-%d", w), block.Body(size, int64(i)), size)
									return err
								}
								_, err := c.Get(ctx, "rados", fmt.Sprintf("get-%d", w), 0, -1, discard{})
								return err
							})
						})
						reportCPU(b, st, size)
						if ok {
							b.ReportMetric(cephD.Seconds()/(float64(size)*float64(st.ops)/1e9), "ceph-CPU-s/GB")
						}
						mbps := float64(size) * float64(st.ops) / st.elapsed.Seconds() / 1e6
						ref, unit := r1.MBps, "x-rados-seq"
						if put {
							ref, unit = w1.MBps, "x-rados-write"
						}
						b.ReportMetric(ref, "rados-MB/s")
						b.ReportMetric(mbps/ref, unit)
						// The N=1 probe run and the timed run share a name: keep the last.
						if n := len(cells); n > 0 && cells[n-1].name == b.Name() {
							cells = cells[:n-1]
						}
						cells = append(cells, cell{b.Name(), mbps, put})
					})
				}
				for w := range 4 {
					for _, k := range []string{fmt.Sprintf("get-%d", w), fmt.Sprintf("put-%d", w)} {
						if err := c.Delete(ctx, "rados", k); err != nil {
							var se *StatusError
							if !errors.As(err, &se) || se.Status != 404 {
								b.Fatal(err)
							}
						}
					}
				}
			}
		}
	})

	w2, r2 := radosRun()
	wMean, rMean := (w1.MBps+w2.MBps)/2, (r1.MBps+r2.MBps)/2
	for _, c := range cells {
		ref, what := rMean, "seq"
		if c.put {
			ref, what = wMean, "write"
		}
		b.Logf("%s: %.0f MB/s = %.2f x rados bench %s (%.0f MB/s)", c.name, c.mbps, c.mbps/ref, what, ref)
	}
}

// perGB renders CPU seconds per GB, or "n/a" when not measured.
func perGB(d time.Duration, gb float64, ok bool) string {
	if !ok || gb <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f CPU-s/GB", d.Seconds()/gb)
}

// TestGatewayRadosHarness starts the gateway on the rados backend once and
// round-trips one object through it.
func TestGatewayRadosHarness(t *testing.T) {
	e := cephCluster(t)
	g := startRadosGateway(t, radosOptions(t, e), true)
	c := clientFor(t, g, 2)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "harness"); err != nil {
		t.Fatal(err)
	}
	block := NewBlock(64<<10+13, 9)
	const size = 3<<20 + 17
	if _, err := c.Put(ctx, "harness", "obj", block.Body(size, 0), size); err != nil {
		t.Fatal(err)
	}
	v := &verifyWriter{block: block}
	if n, err := c.Get(ctx, "harness", "obj", 0, -1, v); err != nil || n != size || v.bad != 0 {
		t.Fatalf("GET: %d bytes, mismatch at %d, %v", n, v.bad-1, err)
	}
	if err := c.Delete(ctx, "harness", "obj"); err != nil {
		t.Fatal(err)
	}
}
