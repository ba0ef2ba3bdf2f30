package kdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// memMeta is a minimal in-memory storage.Meta for Rotate tests.
type memMeta struct {
	mu   sync.Mutex
	ver  storage.Version
	data map[string]map[string]storage.Entry
	// beforePut, when set, runs before each Put (to simulate a racing writer).
	beforePut func(ns, key string)
	failList  bool
}

func newMemMeta() *memMeta { return &memMeta{data: map[string]map[string]storage.Entry{}} }

func (m *memMeta) Get(_ context.Context, ns, key string) ([]byte, storage.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[ns][key]
	if !ok {
		return nil, 0, storage.ErrNotFound
	}
	return bytes.Clone(e.Value), e.Version, nil
}

func (m *memMeta) Put(_ context.Context, ns, key string, val []byte, c storage.Cond) (storage.Version, error) {
	if m.beforePut != nil {
		m.beforePut(ns, key)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, exists := m.data[ns][key]
	if (c.IfAbsent && exists) || (c.IfVersion != 0 && (!exists || cur.Version != c.IfVersion)) {
		return 0, storage.ErrPrecondition
	}
	if m.data[ns] == nil {
		m.data[ns] = map[string]storage.Entry{}
	}
	m.ver++
	m.data[ns][key] = storage.Entry{Key: key, Value: bytes.Clone(val), Version: m.ver}
	return m.ver, nil
}

func (m *memMeta) Delete(_ context.Context, ns, key string, _ storage.Cond) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[ns][key]; !ok {
		return storage.ErrNotFound
	}
	delete(m.data[ns], key)
	return nil
}

func (m *memMeta) List(_ context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failList {
		return nil, storage.ErrUnavailable
	}
	var out []storage.Entry
	for k, e := range m.data[ns] {
		if strings.HasPrefix(k, prefix) && k > after {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// storeObject signs a manifest for bucket/key with s and stores it.
func storeObject(t *testing.T, s *Service, meta *memMeta, bucket, key string) *manifest.Manifest {
	t.Helper()
	ctx := context.Background()
	meta.Put(ctx, bucketsNamespace, bucket, []byte("{}"), storage.Cond{})
	k, m := newSignedObject(t, s, Context{Account: "acct-1", Bucket: bucket, Key: key})
	k.Destroy()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meta.Put(ctx, objectNamespacePfx+bucket, key, raw, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	v1 := newTestService(t, kr, nil)
	meta := newMemMeta()
	for b := range 3 {
		for k := range 7 {
			storeObject(t, v1, meta, fmt.Sprint("bucket-", b), fmt.Sprintf("obj/%02d", k))
		}
	}
	// One tampered manifest, one stored under the wrong key, one garbage value.
	raw, _, _ := meta.Get(ctx, "obj/bucket-1", "obj/03")
	m, _ := manifest.Unmarshal(raw)
	m.Size++
	tampered, _ := m.Marshal()
	meta.Put(ctx, "obj/bucket-1", "obj/03", tampered, storage.Cond{})
	raw, _, _ = meta.Get(ctx, "obj/bucket-2", "obj/00")
	meta.Put(ctx, "obj/bucket-2", "moved", raw, storage.Cond{})
	meta.Put(ctx, "obj/bucket-2", "garbage", []byte("not a manifest"), storage.Cond{})

	v2 := newTestService(t, kr, func(o *Options) { o.SigningKeyVersion = 2; o.CustomerEpoch = 2 })
	opts := RotateOptions{PageSize: 4, Logger: v2.log}

	dry := opts
	dry.DryRun = true
	before := snapshot(meta)
	r, err := Rotate(ctx, v2, meta, dry)
	if err != nil {
		t.Fatal(err)
	}
	want := RotateReport{Buckets: 3, Scanned: 23, Resigned: 20, Tampered: 3, OldEnvelopes: 20}
	if r != want {
		t.Fatalf("dry run report %v, want %v", r, want)
	}
	if snapshot(meta) != before {
		t.Fatal("dry run wrote to Meta")
	}

	r, err = Rotate(ctx, v2, meta, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r != want {
		t.Fatalf("report %v, want %v", r, want)
	}
	// Every genuine manifest now verifies under a service that accepts only
	// signing key version 2, and still opens (envelopes untouched).
	strict := newTestService(t, kr, func(o *Options) {
		o.SigningKeyVersion, o.MinSigningKeyVersion, o.CustomerEpoch = 2, 2, 2
	})
	r, err = Rotate(ctx, strict, meta, RotateOptions{Logger: v2.log, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Current != 20 || r.Resigned != 0 || r.Tampered != 2 || r.Unsupported != 1 { // the tampered v1 manifest is now also a retired version
		t.Fatalf("second pass %v", r)
	}

	// Only selected buckets; storage errors stop the walk.
	r, err = Rotate(ctx, v2, meta, RotateOptions{Buckets: []string{"bucket-0"}, Logger: v2.log})
	if err != nil || r.Buckets != 1 || r.Scanned != 7 || r.Current != 7 {
		t.Fatalf("one bucket: %v %v", r, err)
	}
	meta.failList = true
	if _, err := Rotate(ctx, v2, meta, opts); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("list failure: %v", err)
	}
}

func TestRotateLosesToConcurrentWriter(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	v1 := newTestService(t, kr, nil)
	meta := newMemMeta()
	storeObject(t, v1, meta, "b", "k")
	v2 := newTestService(t, kr, func(o *Options) { o.SigningKeyVersion = 2 })
	raced := false
	meta.beforePut = func(ns, key string) {
		if raced {
			return
		}
		raced = true // a PUT replaces the object between read and write
		raw, v, _ := meta.Get(ctx, ns, key)
		meta.Put(ctx, ns, key, raw, storage.Cond{IfVersion: v})
	}
	r, err := Rotate(ctx, v2, meta, RotateOptions{Logger: v2.log})
	if err != nil {
		t.Fatal(err)
	}
	if r.Conflicts != 1 || r.Resigned != 0 {
		t.Fatalf("report %v, want one conflict", r)
	}
	if !strings.Contains(r.String(), "conflicts=1") {
		t.Fatalf("String() = %q", r.String())
	}
}

// snapshot renders meta's contents for equality checks.
func snapshot(m *memMeta) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	var nss []string
	for ns := range m.data {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		var keys []string
		for k := range m.data[ns] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s/%s=%x@%d\n", ns, k, m.data[ns][k].Value, m.data[ns][k].Version)
		}
	}
	return b.String()
}
