package object

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// BenchmarkListSeededLocal lists one page from versioned buckets of each
// size in $RUSTFS_BENCH_LIST (1,000 to 1,000,000 keys, one version each)
// on the embedded backend under storage/sealed, as the server stacks them
// ($RUSTFS_BENCH_OSDS OSDs, each holding a metadata replica, default 2;
// fsync off). The
// buckets are seeded once with metadata records only (listseed_test.go:
// listing reads no data shard, so none is written) and kept between runs.
// The time per page must not grow with the bucket. Pages:
//
//   - V2: ListObjectsV2, 1,000 keys after a start-after in the middle;
//   - V2prefix: prefix "dirNNN/" and delimiter "/", 1,000 keys after a
//     start-after inside the directory (fewer where a directory holds
//     fewer: 10 at 1,000 keys);
//   - V2delim: delimiter "/" at the top: the 100 common prefixes, each a
//     seek of the index;
//   - Versions: ListObjectVersions, 1,000 versions after a key-marker in
//     the middle.
func BenchmarkListSeededLocal(b *testing.B) {
	sizes := benchListSizes(b)
	osds := 2
	if v := os.Getenv("RUSTFS_BENCH_OSDS"); v != "" {
		var err error
		if osds, err = strconv.Atoi(v); err != nil || osds < 2 {
			b.Fatalf("RUSTFS_BENCH_OSDS=%q", v)
		}
	}
	for _, n := range sizes {
		s := localSeeded(b, osds, n)
		benchListPages(b, s, n)
	}
}

// benchListPages runs the page benchmarks over a store seeded with n keys.
func benchListPages(b *testing.B, s *Store, n int) {
	ctx := context.Background()
	dirKeys := n / 100
	// middle returns the start of the i-th page: a key with at least a
	// page of keys after it (the whole bucket when it is one page).
	middle := func(i int) string {
		if n <= listPage {
			return ""
		}
		return seedKey((i*7919)%(n-listPage), n)
	}
	b.Run(fmt.Sprintf("keys=%d/V2", n), func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuNow())
		for i := 0; b.Loop(); i++ {
			res, err := s.ListObjects(ctx, ListInput{Bucket: seedBucket, Marker: middle(i), MaxKeys: listPage})
			if err != nil || len(res.Objects) != listPage {
				b.Fatalf("page %d: %d keys, %v", i, len(res.Objects), err)
			}
		}
	})
	b.Run(fmt.Sprintf("keys=%d/V2prefix", n), func(b *testing.B) {
		want := min(listPage, dirKeys)
		b.ReportAllocs()
		defer reportCPU(b, cpuNow())
		for i := 0; b.Loop(); i++ {
			d := (i * 37) % 100
			in := ListInput{Bucket: seedBucket, Prefix: fmt.Sprintf("dir%03d/", d), Delimiter: "/", MaxKeys: listPage}
			if dirKeys > listPage {
				in.Marker = seedKey(d*dirKeys+(i*7919)%(dirKeys-listPage), n)
			}
			res, err := s.ListObjects(ctx, in)
			if err != nil || len(res.Objects) != want {
				b.Fatalf("page %d: %d keys, want %d, %v", i, len(res.Objects), want, err)
			}
		}
		b.ReportMetric(float64(want), "keys/page")
	})
	b.Run(fmt.Sprintf("keys=%d/V2delim", n), func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuNow())
		for b.Loop() {
			res, err := s.ListObjects(ctx, ListInput{Bucket: seedBucket, Delimiter: "/", MaxKeys: listPage})
			if err != nil || len(res.CommonPrefixes) != 100 {
				b.Fatalf("%d prefixes, %v", len(res.CommonPrefixes), err)
			}
		}
	})
	b.Run(fmt.Sprintf("keys=%d/Versions", n), func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuNow())
		for i := 0; b.Loop(); i++ {
			res, err := s.ListObjectVersions(ctx, VersionListInput{Bucket: seedBucket, KeyMarker: middle(i), MaxKeys: listPage})
			if err != nil || len(res.Versions) != listPage {
				b.Fatalf("page %d: %d versions, %v", i, len(res.Versions), err)
			}
		}
	})
}

// reportCPU reports the process CPU time per op since start (see cpuTime),
// and the OSDs' (osdCPU) when $RUSTFS_BENCH_OSD_PIDS names them.
func reportCPU(b *testing.B, start [2]int64) {
	if end := cpuTime(); end > 0 && b.N > 0 {
		b.ReportMetric(float64(end-start[0])/float64(b.N), "cpu-ns/op")
	}
	if end := osdCPU(); end >= 0 && start[1] >= 0 && b.N > 0 {
		b.ReportMetric(float64(end-start[1])/float64(b.N), "osd-cpu-ns/op")
	}
}

// cpuNow is the process's and the OSDs' CPU time so far, for reportCPU.
func cpuNow() [2]int64 { return [2]int64{cpuTime(), osdCPU()} }
