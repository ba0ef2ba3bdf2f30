package bench

import (
	"context"
	"crypto/md5"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/cpu"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// rate runs op until at least minDur has passed (and at least twice) and
// returns the throughput in MB/s for bytesPerOp bytes per call.
func rate(bytesPerOp int64, minDur time.Duration, op func()) float64 {
	op() // warm up: pools, caches, page cache
	start := time.Now()
	n := 0
	for n < 2 || time.Since(start) < minDur {
		op()
		n++
	}
	return float64(bytesPerOp) * float64(n) / time.Since(start).Seconds() / 1e6
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pair is an engine measurement and the kernel ceiling it is judged by.
type pair struct {
	name                string
	ceiling, engine     func()
	ceilBytes, engBytes int64
	ceilRate, engRate   []float64
	ratios              []float64
}

// BenchmarkTargets checks the engine against its kernel ceilings in one
// process (1 MiB chunks): Put without MD5 vs AES-GCM Seal, Put with MD5 vs
// MD5, Get vs AES-GCM Open. The machine this runs on is shared and noisy, so
// each pair is measured in many short rounds, ceiling and engine back to back
// (alternating which goes first), and the metric is the median of the
// per-round ratios. The put-null pairs repeat the Puts against OSDs that drop
// the bytes, separating the engine's own cost from the kernel's tmpfs
// writes, and put/tmpfs-write compares Put with just writing its shard files
// (6 goroutines, no crypto): the storage ceiling on this machine. Run it
// with -benchtime 1x; it loops internally.
func BenchmarkTargets(b *testing.B) {
	const chunk, rounds = 1 << 20, 15
	const dur = 150 * time.Millisecond
	b.Logf("kernels: %s", cpu.Paths())
	for _, workers := range []int{2, 1} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			e, _ := engineFor(b, chunk, workers)
			null, err := dataplane.New(storagetest.NewDiscard(6), dataplane.Options{ChunkSize: chunk, Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			k := testKey(b)
			src := NewSource(1 << 20)
			s := testStream(b)
			pt := NewSource(chunk).block
			ct := s.Seal(nil, pt, 0, false)
			dst := make([]byte, 0, chunk+aead.Overhead)
			stored := putOnce(b, e, src, objectSize, false).Layout
			h := md5.New()

			seal := func() { s.Seal(dst[:0], pt, 1, false) }
			hashMD5 := func() { h.Write(pt) }
			putTo := func(eng *dataplane.Engine, withMD5 bool) func() {
				return func() {
					res := putOnce(b, eng, src, objectSize, withMD5)
					if eng == e {
						e.Delete(context.Background(), res.Layout)
					}
				}
			}
			shardDir := b.TempDir()
			if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
				shardDir = "/dev/shm"
			}
			writeShards := func() {
				if _, err := WriteShards(shardDir, objectSize, (chunk+aead.Overhead+3)/4); err != nil {
					b.Fatal(err)
				}
			}
			pairs := []*pair{
				{name: "put/seal", ceiling: seal, engine: putTo(e, false)},
				{name: "put/tmpfs-write", ceiling: writeShards, ceilBytes: objectSize, engine: putTo(e, false)},
				{name: "put-null/seal", ceiling: seal, engine: putTo(null, false)},
				{name: "put+md5/md5", ceiling: hashMD5, engine: putTo(e, true)},
				{name: "put-null+md5/md5", ceiling: hashMD5, engine: putTo(null, true)},
				{name: "get/open", ceiling: func() { s.Open(dst[:0], ct, 0, false) }, engine: func() {
					if _, err := e.Get(context.Background(), stored, k, 0, -1, io.Discard); err != nil {
						b.Fatal(err)
					}
				}},
			}
			for b.Loop() {
				for r := range rounds {
					for _, p := range pairs {
						var c, g float64
						cb := int64(chunk)
						if p.ceilBytes != 0 {
							cb = p.ceilBytes
						}
						if r%2 == 0 {
							c = rate(cb, dur, p.ceiling)
							g = rate(objectSize, dur, p.engine)
						} else {
							g = rate(objectSize, dur, p.engine)
							c = rate(cb, dur, p.ceiling)
						}
						p.ceilRate = append(p.ceilRate, c)
						p.engRate = append(p.engRate, g)
						p.ratios = append(p.ratios, g/c)
					}
				}
			}
			for _, p := range pairs {
				b.ReportMetric(median(p.ratios)*100, p.name+"-%")
				b.Logf("%-17s engine %6.0f MB/s  ceiling %6.0f MB/s  ratio median %5.1f%%  (min %5.1f%%, max %5.1f%%)",
					p.name, median(p.engRate), median(p.ceilRate), median(p.ratios)*100,
					slices.Min(p.ratios)*100, slices.Max(p.ratios)*100)
			}
		})
	}
}
