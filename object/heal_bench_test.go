package object

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage/local"
)

// BenchmarkRefillOSD measures how long a full shallow heal pass takes to
// rebuild every shard of one emptied OSD (what a replaced OSD needs), per
// GiB of object data stored, on 4+2 and 3x buckets: 48 objects of 4 MiB,
// fsync on, 1 MiB chunks, no rate limit. MB/s is object data covered per
// second; s/GiB the time a replaced OSD's refill takes per GiB stored.
func BenchmarkRefillOSD(b *testing.B) {
	for _, red := range []Redundancy{RedundancyEC42, Redundancy3x} {
		b.Run(red.String(), func(b *testing.B) {
			e := &testEnv{t: b, dir: b.TempDir(), keyPath: filepath.Join(b.TempDir(), "root.key"),
				fsync: local.FsyncAlways, chunk: 1 << 20}
			e.s = e.open()
			ctx := context.Background()
			if err := e.s.CreateBucketWith(ctx, CreateBucketInput{Bucket: "refill", Owner: "alice", Redundancy: red}); err != nil {
				b.Fatal(err)
			}
			const objects, size = 48, 4 << 20
			data := randBytes(9, size)
			for i := range objects {
				_, err := e.s.PutObject(ctx, PutInput{Bucket: "refill", Key: fmt.Sprintf("o%03d", i), Body: bytes.NewReader(data), Size: size})
				if err != nil {
					b.Fatal(err)
				}
			}
			lb, ok := e.s.backend.(*local.Backend)
			if !ok {
				b.Fatal("not the local backend")
			}
			osd := lb.LocalOSDs()[0].Path()
			var rewritten int64
			b.SetBytes(objects * size)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				e.emptyShards(osd)
				b.StartTimer()
				var total HealResult
				err := e.s.WalkObjects(ctx, func(bucket, key string) error {
					r, err := e.s.HealObject(ctx, bucket, key, HealOptions{})
					total.add(r)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				if total.Unrecoverable != 0 || total.ShardsRepaired == 0 {
					b.Fatalf("refill pass: %+v", total)
				}
				rewritten += total.BytesRewritten
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/(float64(objects*size)/(1<<30)), "s/GiB")
			b.ReportMetric(float64(rewritten)/float64(b.N)/(1<<20), "MiB-rewritten/op")
		})
	}
}

// emptyShards deletes every committed shard file of the OSD directory dir,
// as if its disk had been swapped for an empty one.
func (e *testEnv) emptyShards(dir string) {
	e.t.Helper()
	n := 0
	for _, p := range e.shardFiles() {
		if strings.HasPrefix(p, dir+string(filepath.Separator)) {
			if err := os.Remove(p); err != nil {
				e.t.Fatal(err)
			}
			n++
		}
	}
	if n == 0 {
		e.t.Fatalf("no shard files under %s", dir)
	}
}
