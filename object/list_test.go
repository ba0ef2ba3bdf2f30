package object

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// modelList is the reference listing the layer must agree with.
func modelList(keys []string, prefix, delim, marker string, maxKeys int) (objs, cps []string, truncated bool) {
	if maxKeys == 0 {
		return nil, nil, false // documented: an empty, untruncated page
	}
	count := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= marker {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if cp <= marker || (len(cps) > 0 && cps[len(cps)-1] == cp) {
					continue
				}
				if count == maxKeys {
					return objs, cps, true
				}
				count++
				cps = append(cps, cp)
				continue
			}
		}
		if count == maxKeys {
			return objs, cps, true
		}
		count++
		objs = append(objs, k)
	}
	return objs, cps, false
}

func listKeys() []string {
	var keys []string
	for i := 0; i < 60; i++ {
		keys = append(keys, fmt.Sprintf("a/%03d", i))
	}
	for i := 0; i < 40; i++ {
		keys = append(keys, fmt.Sprintf("b/x/%02d", i), fmt.Sprintf("b/y%02d", i))
	}
	for i := 0; i < 100; i++ {
		keys = append(keys, fmt.Sprintf("c%03d", i))
	}
	keys = append(keys, "d/e/f/g", "d/e/h", "d-e", "d.e", "z", "ünï/cödé", "a", "a-", "b/")
	slices.Sort(keys)
	return keys
}

func TestListObjects(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("list")
	keys := listKeys()
	for _, k := range keys {
		put(t, e.s, "list", k, []byte(k))
	}
	cases := []struct{ prefix, delim, marker string }{
		{"", "", ""}, {"", "/", ""}, {"a/", "", ""}, {"a/", "/", ""}, {"b/", "/", ""},
		{"b", "/", ""}, {"", "/", "b/"}, {"", "/", "b/x/05"}, {"", "/", "c050"}, {"d", "/", ""},
		{"d/", "e", ""}, {"", "x", ""}, {"nothing", "", ""}, {"", "", "zzz"}, {"c0", "", "c005"},
		{"", "0", ""}, {"ü", "/", ""},
	}
	for _, c := range cases {
		for _, maxKeys := range []int{0, 1, 2, 7, 1000} {
			name := fmt.Sprintf("prefix=%q delim=%q marker=%q max=%d", c.prefix, c.delim, c.marker, maxKeys)
			res, err := e.s.ListObjects(ctx, ListInput{Bucket: "list", Prefix: c.prefix, Delimiter: c.delim, Marker: c.marker, MaxKeys: maxKeys})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			wantObjs, wantCPs, wantTrunc := modelList(keys, c.prefix, c.delim, c.marker, maxKeys)
			var gotObjs []string
			for _, o := range res.Objects {
				gotObjs = append(gotObjs, o.Key)
				if o.Size != int64(len(o.Key)) || o.ETag == "" || o.LastModified.IsZero() || o.Bucket != "list" {
					t.Fatalf("%s: entry %+v", name, o)
				}
			}
			if !slices.Equal(gotObjs, wantObjs) || !slices.Equal(res.CommonPrefixes, wantCPs) || res.IsTruncated != wantTrunc {
				t.Fatalf("%s:\n got %q %q %v\nwant %q %q %v", name, gotObjs, res.CommonPrefixes, res.IsTruncated, wantObjs, wantCPs, wantTrunc)
			}
			if maxKeys != 7 && maxKeys != 1000 {
				continue // paging one key at a time is covered by max=7's odd page edges
			}
			// Paging with NextMarker visits everything exactly once.
			var pagedObjs, pagedCPs []string
			marker := c.marker
			for pages := 0; ; pages++ {
				if pages > len(keys)+1 {
					t.Fatalf("%s: paging does not end", name)
				}
				r, err := e.s.ListObjects(ctx, ListInput{Bucket: "list", Prefix: c.prefix, Delimiter: c.delim, Marker: marker, MaxKeys: maxKeys})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range r.Objects {
					pagedObjs = append(pagedObjs, o.Key)
				}
				pagedCPs = append(pagedCPs, r.CommonPrefixes...)
				if !r.IsTruncated {
					if r.NextMarker != "" {
						t.Fatalf("%s: NextMarker %q on the last page", name, r.NextMarker)
					}
					break
				}
				marker = r.NextMarker
			}
			allObjs, allCPs, _ := modelList(keys, c.prefix, c.delim, c.marker, len(keys)+1)
			if !slices.Equal(pagedObjs, allObjs) || !slices.Equal(pagedCPs, allCPs) {
				t.Fatalf("%s paged:\n got %q %q\nwant %q %q", name, pagedObjs, pagedCPs, allObjs, allCPs)
			}
		}
	}
	// Negative MaxKeys is the default (1000).
	res, err := e.s.ListObjects(ctx, ListInput{Bucket: "list", MaxKeys: -1})
	if err != nil || len(res.Objects) != len(keys) || res.IsTruncated {
		t.Fatalf("default max keys: %d %v %v", len(res.Objects), res.IsTruncated, err)
	}
}

// countingMeta counts the entries Meta.List returns.
type countingMeta struct {
	storage.Meta
	calls, entries atomic.Int64
}

func (c *countingMeta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	out, err := c.Meta.List(ctx, ns, prefix, after, limit)
	c.calls.Add(1)
	c.entries.Add(int64(len(out)))
	return out, err
}

// TestListSkipsLargeFolders checks that a common prefix is rolled up
// without scanning the keys under it.
func TestListSkipsLargeFolders(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("big")
	put(t, e.s, "big", "seed", []byte("x"))
	raw, _, err := e.s.meta.Get(ctx, nsObjects("big"), "seed")
	if err != nil {
		t.Fatal(err)
	}
	// Listing parses but does not verify manifests, so one manifest's bytes
	// stand in for many objects here.
	const folder = 600
	for i := 0; i < folder; i++ {
		for _, dir := range []string{"huge/", "more/"} {
			if _, err := e.s.meta.Put(ctx, nsObjects("big"), fmt.Sprintf("%s%05d", dir, i), raw, storage.Cond{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cm := &countingMeta{Meta: e.s.meta}
	e.s.meta = cm
	res, err := e.s.ListObjects(ctx, ListInput{Bucket: "big", Delimiter: "/", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.CommonPrefixes, []string{"huge/", "more/"}) || len(res.Objects) != 1 || res.IsTruncated {
		t.Fatalf("got %q %d objects truncated=%v", res.CommonPrefixes, len(res.Objects), res.IsTruncated)
	}
	if n := cm.entries.Load(); n > 3*delimiterPage {
		t.Fatalf("listing scanned %d entries of %d keys", n, 2*folder+1)
	}
}

// TestListDelimiterReadsLittlePerPrefix: a roll-up into many common
// prefixes reads a few entries per prefix, not a delimiter page each.
func TestListDelimiterReadsLittlePerPrefix(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("dirs")
	put(t, e.s, "dirs", "seed", []byte("x"))
	raw, _, err := e.s.meta.Get(ctx, nsObjects("dirs"), "seed")
	if err != nil {
		t.Fatal(err)
	}
	const dirs, per = 50, 20
	for d := 0; d < dirs; d++ {
		for i := 0; i < per; i++ {
			if _, err := e.s.meta.Put(ctx, nsObjects("dirs"), fmt.Sprintf("d%02d/%03d", d, i), raw, storage.Cond{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cm := &countingMeta{Meta: e.s.meta}
	e.s.meta = cm
	res, err := e.s.ListObjects(ctx, ListInput{Bucket: "dirs", Delimiter: "/", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CommonPrefixes) != dirs || len(res.Objects) != 1 || res.IsTruncated {
		t.Fatalf("got %d prefixes, %d objects, truncated=%v", len(res.CommonPrefixes), len(res.Objects), res.IsTruncated)
	}
	// One seekPage-entry page per prefix (plus the first, larger page).
	if n := cm.entries.Load(); n > int64(delimiterPage+dirs*seekPage) {
		t.Fatalf("%d prefixes read %d entries", dirs, n)
	}
}
