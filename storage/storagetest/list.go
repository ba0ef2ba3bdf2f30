package storagetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// model is the expected content of one namespace.
type model map[string]stored

type stored struct {
	val []byte
	v   storage.Version
}

// expect computes the listing the contract demands from the model.
func (md model) expect(prefix, after string, limit int) []string {
	var keys []string
	for k := range md {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // Go string order is byte order
	if len(keys) > limit {
		keys = keys[:limit]
	}
	return keys
}

func runList(t *testing.T, open func(*testing.T) *fixture) {
	t.Run("Queries", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		md := model{}
		keys := append(specialKeys(),
			"photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/a.jpg", "photos/", "photos",
			"photos0", "photos/2024", "docs/readme", "docs/a/b/c", "b", "ba", "bb", "é/1", "é/2", "日本語")
		for i, k := range keys {
			md[k] = stored{pattern(i, i%50), put(t, m, ns, k, pattern(i, i%50), storage.Cond{})}
		}
		// Overwrite and delete some keys so listings reflect the latest state.
		md["b"] = stored{[]byte("new b"), put(t, m, ns, "b", []byte("new b"), storage.Cond{})}
		for _, k := range []string{"ba", "photos/2024"} {
			if err := m.Delete(t.Context(), ns, k, storage.Cond{}); err != nil {
				t.Fatal(err)
			}
			delete(md, k)
		}

		queries := []struct{ prefix, after string }{
			{"", ""},
			{"photos/", ""},
			{"photos", ""},
			{"photos/2024/", ""},
			{"photos/", "photos/2024/a.jpg"},
			{"photos/", "photos/2024/zzz"},
			{"photos/", "a"},          // after sorts before the prefix
			{"photos/", "zzz"},        // after sorts beyond the prefix
			{"photos/2024/a.jpg", ""}, // a key is its own prefix
			{"nothing-here", ""},
			{"", "日本語"},
			{"", "\xff"},
			{"é", ""},
			{"é/", "é/1"},
			{"a", "a/"},
			{".", ""},
			{"%", ""},
			{"/", ""},
			{"x\x00", ""},
		}
		for _, q := range queries {
			for _, limit := range []int{1, 2, 5, 1000} {
				checkList(t, m, ns, md, q.prefix, q.after, limit)
			}
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		md := model{}
		for i := range 37 {
			k := fmt.Sprintf("dir%d/obj%03d", i%3, i)
			md[k] = stored{[]byte(k), put(t, m, ns, k, []byte(k), storage.Cond{})}
		}
		for _, prefix := range []string{"", "dir1/"} {
			for _, page := range []int{1, 3, 7, 100} {
				var got []string
				after := ""
				for {
					es, err := m.List(t.Context(), ns, prefix, after, page)
					if err != nil {
						t.Fatal(err)
					}
					if len(es) > page {
						t.Fatalf("List limit %d returned %d entries", page, len(es))
					}
					for _, e := range es {
						got = append(got, e.Key)
					}
					if len(es) < page {
						break
					}
					after = es[len(es)-1].Key
				}
				want := md.expect(prefix, "", len(md))
				if !slices.Equal(got, want) {
					t.Fatalf("paged listing (prefix %q, page %d) = %q, want %q", prefix, page, got, want)
				}
			}
		}
	})

	t.Run("MissingNamespace", func(t *testing.T) {
		f := open(t)
		es, err := f.b.Meta().List(t.Context(), f.name("never-written"), "", "", 10)
		if err != nil || len(es) != 0 {
			t.Fatalf("List of a missing namespace = %v, %v; want nothing", es, err)
		}
	})

	t.Run("NamespacesAreSeparate", func(t *testing.T) {
		f := open(t)
		m := f.b.Meta()
		put(t, m, f.name("x"), "k1", nil, storage.Cond{})
		put(t, m, f.name("x/y"), "k2", nil, storage.Cond{})
		put(t, m, f.name("xy"), "k3", nil, storage.Cond{})
		for ns, want := range map[string]string{"x": "k1", "x/y": "k2", "xy": "k3"} {
			es, err := m.List(t.Context(), f.name(ns), "", "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 || es[0].Key != want {
				t.Fatalf("namespace %s lists %v, want only %s", ns, entryKeys(es), want)
			}
		}
	})

	t.Run("Random", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		rng := rand.New(rand.NewPCG(42, 42))
		alphabet := []string{"a", "b", "/", ".", "é", "z", "0", "%", "~", "\x00", "日"}
		md := model{}
		for len(md) < 120 {
			var sb strings.Builder
			for range 1 + rng.IntN(6) {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			k := sb.String()
			md[k] = stored{[]byte(k), put(t, m, ns, k, []byte(k), storage.Cond{})}
		}
		keys := make([]string, 0, len(md))
		for k := range md {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for range 150 {
			k := keys[rng.IntN(len(keys))]
			prefix := k[:rng.IntN(len(k)+1)]
			after := ""
			switch rng.IntN(3) {
			case 1:
				after = keys[rng.IntN(len(keys))]
			case 2:
				after = keys[rng.IntN(len(keys))] + alphabet[rng.IntN(len(alphabet))]
			}
			checkList(t, m, ns, md, prefix, after, 1+rng.IntN(40))
		}
	})
}

// checkList compares one List call with the model, including values and
// versions of the returned entries.
func checkList(t *testing.T, m storage.Meta, ns string, md model, prefix, after string, limit int) {
	t.Helper()
	es, err := m.List(t.Context(), ns, prefix, after, limit)
	if err != nil {
		t.Fatalf("List(prefix %q, after %q, limit %d): %v", prefix, after, limit, err)
	}
	want := md.expect(prefix, after, limit)
	if got := entryKeys(es); !slices.Equal(got, want) {
		t.Fatalf("List(prefix %q, after %q, limit %d) = %q, want %q", prefix, after, limit, got, want)
	}
	for _, e := range es {
		s := md[e.Key]
		if !bytes.Equal(e.Value, s.val) || e.Version != s.v {
			t.Fatalf("List entry %q = (%q, v%d), want (%q, v%d)", e.Key, clip(e.Value), e.Version, clip(s.val), s.v)
		}
	}
}

func entryKeys(es []storage.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}
