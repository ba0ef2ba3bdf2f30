package object

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// Seeded listing stores (the benchmarks are in list1m_bench_test.go).
//
// Seeding through PutObject costs 5–7 ms a key (data shards, an ML-DSA
// signature, a sealed metadata Put), two hours for a million keys. Listing
// reads metadata only, so the seeder writes just the metadata records a
// versioned PUT leaves behind (ver/<bucket> key+"\x00"+version id, and the
// current copy in obj/<bucket>) through the server's own stack: the object
// layer's naming and version-id functions, manifest.Marshal, and the
// storage/sealed Meta over the real backend, in parallel so concurrent
// index inserts share leaf writes. Each record is a real manifest (one
// small object put through the object layer) re-marshalled with its own
// bucket, key and version id; it keeps the template's signature, so a
// GET or HEAD of a seeded key fails verification (listing parses manifests
// without verifying them), and no data shard exists.
//
// A seeded store is kept for the next run: a local one in a directory under
// $RUSTFS_BENCH_DIR (default the system temp directory) named by the seed
// format, the OSD count and the size; a RADOS one in a namespace named the
// same way. Either counts as complete only once its marker record (written
// last) is there; an incomplete one is wiped and seeded again.

// seedFormat versions the seeded layout; bump it when the seeder, the
// manifest or the sealed format changes, so old stores are not reused.
const seedFormat = 1

// seedBucket is the versioned bucket of every seeded store.
const seedBucket = "lbench"

// seedMarker is the Meta key, in the "bench" namespace, written once
// seeding finished: its value is the number of keys.
const seedMarker = "seeded"

// seedKey is key i of n, in byte order of i: 100 directories of n/100 keys.
func seedKey(i, n int) string {
	return fmt.Sprintf("dir%03d/key%08d", i*100/n, i)
}

// benchBase is the directory holding seeded local stores.
func benchBase() string {
	if d := os.Getenv("RUSTFS_BENCH_DIR"); d != "" {
		return d
	}
	return os.TempDir()
}

// seedName names a seeded store of n keys on backend kind.
func seedName(kind string, n int) string {
	return fmt.Sprintf("rustfs-list-v%d-%s-n%d", seedFormat, kind, n)
}

// openBenchStore builds the server's stack (storage/sealed over b, the
// engine, a kdf service over the root key file keyPath) for a benchmark.
func openBenchStore(tb testing.TB, b storage.Backend, keyPath string) *Store {
	tb.Helper()
	kr, err := kdf.OpenLocal(keyPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { kr.Close() })
	ks, err := kdf.New(kdf.Options{Keyring: kr, CacheBytes: 1 << 20, Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ks.Close() })
	sb, err := sealed.Open(context.Background(), b, ks.MetadataKey, sealed.Options{Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	// 4+2 where the backend has six OSDs, else k+1 (the one template
	// object needs a data path; nothing else is written through it).
	do := dataplane.Options{ChunkSize: testChunk}
	if n := len(b.OSDs()); n < 6 {
		do.K, do.M = max(1, n-1), 1
	}
	eng, err := dataplane.New(sb, do)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(Options{Backend: sb, Engine: eng, Keys: ks, Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// localSeeded returns a Store over a local backend of osds OSDs (metadata
// replicated on each, the server's NoIndex setting, fsync off) holding a
// seeded bucket of n keys, seeding it unless a complete one is kept.
func localSeeded(tb testing.TB, osds, n int) *Store {
	tb.Helper()
	dir := filepath.Join(benchBase(), seedName(fmt.Sprintf("local%d", osds), n))
	keyPath := filepath.Join(dir, "root.key")
	open := func() *Store {
		layout := make([]local.OSDSpec, osds)
		for i := range layout {
			layout[i] = local.OSDSpec{ID: fmt.Sprintf("osd%d", i), Rack: fmt.Sprintf("rack%d", i%3), Path: filepath.Join(dir, "data", fmt.Sprintf("osd%d", i))}
		}
		lb, err := local.Open(local.Options{Dir: filepath.Join(dir, "data"), Layout: layout, Fsync: local.FsyncNever, NoIndex: true, Logger: quietLogger()})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { lb.Close() })
		return openBenchStore(tb, lb, keyPath)
	}
	if _, err := os.Stat(keyPath); err == nil {
		s := open()
		if seededCount(tb, s) == n {
			return s
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		tb.Fatal(err)
	}
	// Each record is a file of ~4.8 KB (a manifest carries an ML-KEM
	// ciphertext and an ML-DSA signature), two 4 KiB blocks, on every OSD.
	need := int64(n) * 2 * int64(osds) * 8 << 10
	if free := freeBytes(benchBase()); free >= 0 && free < need+need/4 {
		tb.Skipf("seeding %d keys on %d OSDs needs ~%d GiB, %s has %d GiB free", n, osds, need>>30, benchBase(), free>>30)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	s := open()
	seed(tb, s, n)
	return s
}

// seededCount reads the marker: the number of keys seeded, 0 when none.
func seededCount(tb testing.TB, s *Store) int {
	tb.Helper()
	raw, _, err := s.meta.Get(context.Background(), "bench", seedMarker)
	if errors.Is(err, storage.ErrNotFound) {
		return 0
	}
	if err != nil {
		tb.Fatalf("seed marker: %v", err)
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0
	}
	return n
}

// seed fills the store s (empty, or partly seeded by an interrupted run) with a versioned bucket of n keys, one
// version each, then writes the marker.
func seed(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	for _, b := range []string{seedBucket, seedBucket + "-tmpl"} {
		// An interrupted seeding (kept RADOS namespaces) is resumed.
		if err := s.CreateBucket(ctx, b, "alice", "us-east-1"); err != nil && !errors.Is(err, ErrBucketAlreadyOwned) {
			tb.Fatal(err)
		}
		if err := s.PutBucketVersioning(ctx, b, VersioningEnabled); err != nil {
			tb.Fatal(err)
		}
	}
	put(tb, s, seedBucket+"-tmpl", "template", []byte("x"))
	raw, _, err := s.meta.Get(ctx, nsObjects(seedBucket+"-tmpl"), "template")
	if err != nil {
		tb.Fatal(err)
	}
	tmpl, err := manifest.Unmarshal(raw)
	if err != nil {
		tb.Fatal(err)
	}
	// 32 writers by default; $RUSTFS_BENCH_SEED_WORKERS sets another count
	// (more writers share more of each index leaf write).
	workers := 32
	if w, err := strconv.Atoi(os.Getenv("RUSTFS_BENCH_SEED_WORKERS")); err == nil && w > 0 {
		workers = w
	}
	var next atomic.Int64
	// An interrupted seed starts again from key 0, rewriting the same
	// records; $RUSTFS_BENCH_SEED_FROM skips the keys below it, which the
	// interrupted run's progress lines show done (every key below the
	// count printed minus the writers is complete).
	if from, err := strconv.Atoi(os.Getenv("RUSTFS_BENCH_SEED_FROM")); err == nil && from > 0 {
		next.Store(int64(min(from, n)))
	}
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	const base = 1_800_000_000_000_000_000 // a fixed commit time (2027)
	// A long seed (a million keys take the better part of an hour on
	// RADOS) reports its progress on stderr every minute.
	stop, reported := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(reported)
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				done, el := min(int(next.Load()), n), time.Since(start)
				fmt.Fprintf(os.Stderr, "seed %d: %d keys in %v (%.0f keys/s)\n", n, done, el.Round(time.Second), float64(done)/el.Seconds())
			}
		}
	}()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := seedOne(ctx, s, tmpl, seedKey(i, n), base+int64(i)); err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-reported
	if firstErr != nil {
		tb.Fatalf("seed %d keys: %v", n, firstErr)
	}
	if _, err := s.meta.Put(ctx, "bench", seedMarker, []byte(strconv.Itoa(n)), storage.Cond{}); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d keys (%d metadata records) in %v", n, 2*n, time.Since(start).Round(time.Second))
}

// seedOne writes what a versioned PUT of key commits: the version record in
// ver/, then the current copy in obj/ (the order of syncCurrent).
func seedOne(ctx context.Context, s *Store, tmpl *manifest.Manifest, key string, at int64) error {
	// A fixed id (time digits, then the key's number) makes seeding again
	// over an interrupted run rewrite the same records.
	id := invTimeHex(at) + fmt.Sprintf("%016x", at)
	m := *tmpl
	m.Bucket, m.Key, m.VersionID = seedBucket, key, id
	raw, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("marshal %s: %w", key, err)
	}
	if _, err := s.meta.Put(ctx, nsVersions(seedBucket), versionKey(key, id), raw, storage.Cond{}); err != nil {
		return fmt.Errorf("version record %s: %w", key, err)
	}
	if _, err := s.meta.Put(ctx, nsObjects(seedBucket), key, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("current record %s: %w", key, err)
	}
	return nil
}

// benchListSizes parses $RUSTFS_BENCH_LIST ("1000,100000,1000000"); the
// seeded benchmarks skip when it is unset, so they never run in make test.
func benchListSizes(b *testing.B) []int {
	env := os.Getenv("RUSTFS_BENCH_LIST")
	if env == "" {
		b.Skip("RUSTFS_BENCH_LIST is not set (e.g. 1000,100000,1000000; make bench-list)")
	}
	var out []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 {
			b.Fatalf("RUSTFS_BENCH_LIST: %q is not a size of at least 100", f)
		}
		out = append(out, n)
	}
	return out
}
