package object

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// metaCounts counts the metadata operations the object layer asks of its
// Meta, by operation and namespace family ("Put part", "Get mpu", ...).
type metaCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *metaCounts) add(op, ns string) {
	fam, _, _ := strings.Cut(ns, "/")
	if fam == "sys" {
		fam = ns
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op+" "+fam]++
}

// take returns the counts since the last take and starts again.
func (c *metaCounts) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = nil
	if out == nil {
		out = map[string]int{}
	}
	return out
}

// countMeta is a storage.Meta that counts what passes through it.
type countMeta struct {
	storage.Meta
	c *metaCounts
}

func (m countMeta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	m.c.add("Get", ns)
	return m.Meta.Get(ctx, ns, key)
}

func (m countMeta) Put(ctx context.Context, ns, key string, val []byte, cond storage.Cond) (storage.Version, error) {
	m.c.add("Put", ns)
	return m.Meta.Put(ctx, ns, key, val, cond)
}

func (m countMeta) Delete(ctx context.Context, ns, key string, cond storage.Cond) error {
	m.c.add("Delete", ns)
	return m.Meta.Delete(ctx, ns, key, cond)
}

func (m countMeta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	m.c.add("List", ns)
	return m.Meta.List(ctx, ns, prefix, after, limit)
}

// countReserveMeta also passes index reservations and index drops
// (storage/sealed) on.
type countReserveMeta struct {
	countMeta
	r indexReserver
	d indexDropper // nil: the Meta has none
}

func (m countReserveMeta) DropEmptyIndex(ctx context.Context, ns string) (bool, error) {
	m.c.add("DropIndex", ns)
	if m.d == nil {
		return false, nil
	}
	return m.d.DropEmptyIndex(ctx, ns)
}

func (m countReserveMeta) Reserve(ctx context.Context, ns, key string) (func(), error) {
	m.c.add("Reserve", ns)
	return m.r.Reserve(ctx, ns, key)
}

type countBackend struct {
	storage.Backend
	c *metaCounts
}

func (b countBackend) Meta() storage.Meta {
	cm := countMeta{Meta: b.Backend.Meta(), c: b.c}
	if r, ok := b.Backend.Meta().(indexReserver); ok {
		d, _ := b.Backend.Meta().(indexDropper)
		return countReserveMeta{countMeta: cm, r: r, d: d}
	}
	return cm
}

// withMetaCounts makes the Store's Meta count its operations into c (the
// engine keeps the uncounted backend: it touches no metadata).
func withMetaCounts(c *metaCounts) func(*Options) {
	return func(o *Options) { o.Backend = countBackend{Backend: o.Backend, c: c} }
}

// fmtCounts renders counts in a stable order for failure messages.
func fmtCounts(m map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, " %s=%d", k, m[k])
	}
	return b.String()
}

// TestMultipartMetaOps pins the metadata operations a multipart upload
// costs, over the sealed metadata the server runs (each Put or Delete
// there is a record plus an index change, each written to every replica,
// so these counts are most of multipart's fixed cost per part). A change
// that adds an operation per part or per Complete fails here; lower the
// figures when one is removed.
func TestMultipartMetaOps(t *testing.T) {
	ctx := context.Background()
	var c metaCounts
	e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key"), sealed: true}
	e.s = e.open(withMetaCounts(&c))
	smallParts(e.s)
	e.bucket("data")
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	c.take()

	const parts = 5
	var list []CompletePart
	var want []byte
	for n := 1; n <= parts; n++ {
		d := randBytes(uint64(n), 1000+n)
		p := uploadPart(t, e.s, "data", "k", up.UploadID, n, d)
		list = append(list, CompletePart{PartNumber: n, ETag: p.ETag})
		want = append(want, d...)
		// Per part:
		//   Get mpu:      the upload record, for its key, layout and state;
		//   Reserve part: the part key's index entry, beside the data write;
		//   Put part:     the part record, IfAbsent (nothing to read first
		//                 for a part number's first upload);
		//   Get mpu:      the upload record again after the commit, the
		//                 authoritative check against a racing Complete or
		//                 Abort (see storePart).
		wantCounts(t, fmt.Sprintf("part %d", n), c.take(), map[string]int{
			"Get mpu": 2, "Reserve part": 1, "Put part": 1,
		})
	}
	// A resend of a part number: the IfAbsent write fails, the record is
	// read and replaced by version, and the replaced data gets a GC record
	// (carried out and deleted at once: no read grace here).
	d := randBytes(99, 1003)
	p := uploadPart(t, e.s, "data", "k", up.UploadID, 3, d)
	list[2].ETag = p.ETag
	want = append(append(append([]byte{}, want[:2003]...), d...), want[2003+1003:]...)
	wantCounts(t, "resent part", c.take(), map[string]int{
		"Get mpu": 2, "Reserve part": 1, "Put part": 2, "Get part": 1, "Put sys/gc": 1, "Delete sys/gc": 1,
	})

	if _, err := e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, list, CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Complete:
	//   Get mpu, Put mpu:  read and claim the upload record;
	//   Reserve obj:       the key's index entry, beside the part checks;
	//   List part:         the part records to build the manifest from;
	//   Get buckets:       versioning and lock settings for the commit;
	//   Get obj, Put obj:  the current object and the commit over it;
	//   Delete part ×N:    the records listed, each at the version read;
	//   List part:         a last page proving no other record is left;
	//   DropIndex part:    the emptied part namespace's index (else its
	//                      head leaf stays forever);
	//   Delete mpu:        the upload record, last.
	wantCounts(t, "complete", c.take(), map[string]int{
		"Get mpu": 1, "Put mpu": 1, "Reserve obj": 1, "List part": 2, "DropIndex part": 1, "Get buckets": 1,
		"Get obj": 1, "Put obj": 1, "Delete part": parts, "Delete mpu": 1,
	})
	if got := mustRead(t, e.s, "data", "k"); !bytes.Equal(got, want) {
		t.Fatal("completed object reads other bytes")
	}
	if left, err := e.s.meta.List(ctx, nsParts(up.UploadID), "", "", 10); err != nil || len(left) != 0 {
		t.Fatalf("%d part records left after complete (%v)", len(left), err)
	}
}

func wantCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("%s: metadata operations%s, want%s", what, fmtCounts(got), fmtCounts(want))
	}
}

// BenchmarkCompleteMultipart64Parts is the latency of CompleteMultipartUpload
// of 64 parts (1 KiB each: the data is not what is measured) on the real
// disk with fsync and sealed metadata, as in the server (dir: the
// benchmark's TempDir, so run it with TMPDIR on the disk to measure).
// Each iteration uploads the parts untimed, then times the Complete. It
// also reports what the Complete asked of the metadata store under the
// sealing (inner-*/op: each Put or Delete there is a file written and
// fsynced on every replica) and what one part's upload asked of it.
func BenchmarkCompleteMultipart64Parts(b *testing.B) {
	const parts = 64
	ctx := context.Background()
	var inner metaCounts
	e := &testEnv{t: b, dir: b.TempDir(), keyPath: filepath.Join(b.TempDir(), "root.key"),
		sealed: true, fsync: local.FsyncAlways,
		wrapInner: func(lb storage.Backend) storage.Backend { return countBackend{Backend: lb, c: &inner} }}
	e.s = e.open()
	smallParts(e.s)
	e.bucket("bench")
	data := randBytes(1, 1024)
	i := 0
	var inPart, inComplete map[string]int
	add := func(to *map[string]int, from map[string]int) {
		if *to == nil {
			*to = map[string]int{}
		}
		for k, v := range from {
			op, _, _ := strings.Cut(k, " ")
			(*to)[op] += v
		}
	}
	for b.Loop() {
		b.StopTimer()
		key := fmt.Sprintf("obj-%d", i)
		i++
		up, err := e.s.CreateMultipartUpload(ctx, "bench", key, ObjectMeta{}, "", "alice")
		if err != nil {
			b.Fatal(err)
		}
		list := make([]CompletePart, parts)
		errs := make([]error, parts)
		var wg sync.WaitGroup
		for n := 1; n <= parts; n++ {
			wg.Go(func() {
				p, err := e.s.UploadPart(ctx, up.UploadID, n, PutInput{Bucket: "bench", Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
				list[n-1], errs[n-1] = CompletePart{PartNumber: n, ETag: p.ETag}, err
			})
			if n%8 == 0 {
				wg.Wait()
			}
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		add(&inPart, inner.take())
		b.StartTimer()
		if _, err := e.s.CompleteMultipartUpload(ctx, "bench", key, up.UploadID, list, CompleteOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		add(&inComplete, inner.take())
		b.StartTimer()
	}
	for _, op := range []string{"Get", "Put", "Delete", "List"} {
		b.ReportMetric(float64(inComplete[op])/float64(i), "inner-"+op+"/op")
		b.ReportMetric(float64(inPart[op])/float64(i*parts), "inner-"+op+"/part")
	}
}
