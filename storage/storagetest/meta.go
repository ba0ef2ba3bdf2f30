package storagetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func runMeta(t *testing.T, open func(*testing.T) *fixture) {
	t.Run("GetMissing", func(t *testing.T) {
		f := open(t)
		m := f.b.Meta()
		_, _, err := m.Get(t.Context(), f.name("never-written"), "k")
		wantErr(t, err, storage.ErrNotFound, "Get in a missing namespace")
		put(t, m, f.name("ns"), "other", []byte("x"), storage.Cond{})
		_, _, err = m.Get(t.Context(), f.name("ns"), "k")
		wantErr(t, err, storage.ErrNotFound, "Get of a missing key")
	})

	t.Run("PutGetOverwrite", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		v1 := put(t, m, ns, "key", []byte("one"), storage.Cond{})
		if v1 == 0 {
			t.Fatal("Put returned the zero Version")
		}
		checkGet(t, m, ns, "key", []byte("one"), v1)
		v2 := put(t, m, ns, "key", []byte("two"), storage.Cond{})
		if v2 == 0 || v2 == v1 {
			t.Fatalf("overwrite returned version %d after %d", v2, v1)
		}
		checkGet(t, m, ns, "key", []byte("two"), v2)
	})

	t.Run("EmptyValue", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		v := put(t, m, ns, "empty", nil, storage.Cond{})
		checkGet(t, m, ns, "empty", nil, v)
	})

	t.Run("Limits", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		big := pattern(7, storage.MaxValueLen)
		v := put(t, m, ns, "big", big, storage.Cond{})
		checkGet(t, m, ns, "big", big, v)
		_, err := m.Put(t.Context(), ns, "bigger", pattern(7, storage.MaxValueLen+1), storage.Cond{})
		wantErr(t, err, storage.ErrInvalid, "Put of MaxValueLen+1 bytes")

		long := strings.Repeat("k", storage.MaxKeyLen)
		v = put(t, m, ns, long, []byte("long"), storage.Cond{})
		checkGet(t, m, ns, long, []byte("long"), v)
		_, err = m.Put(t.Context(), ns, long+"k", []byte("x"), storage.Cond{})
		wantErr(t, err, storage.ErrInvalid, "Put of a MaxKeyLen+1 key")
		_, err = m.Put(t.Context(), ns, "", []byte("x"), storage.Cond{})
		wantErr(t, err, storage.ErrInvalid, "Put of an empty key")
		_, err = m.Put(t.Context(), "", "k", []byte("x"), storage.Cond{})
		wantErr(t, err, storage.ErrInvalid, "Put in an empty namespace")
	})

	t.Run("ValuesAreCopied", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		val := []byte("original")
		v := put(t, m, ns, "k", val, storage.Cond{})
		copy(val, "XXXXXXXX")
		got, _, err := m.Get(t.Context(), ns, "k")
		if err != nil {
			t.Fatal(err)
		}
		copy(got, "YYYYYYYY")
		checkGet(t, m, ns, "k", []byte("original"), v)
	})

	t.Run("NamespacesAreSeparate", func(t *testing.T) {
		f := open(t)
		m := f.b.Meta()
		a, b, c := f.name("a"), f.name("b"), f.name("a/b")
		put(t, m, a, "k", []byte("in a"), storage.Cond{})
		vb := put(t, m, b, "k", []byte("in b"), storage.Cond{})
		vc := put(t, m, c, "k", []byte("in a/b"), storage.Cond{})
		if err := m.Delete(t.Context(), a, "k", storage.Cond{}); err != nil {
			t.Fatal(err)
		}
		checkGet(t, m, b, "k", []byte("in b"), vb)
		checkGet(t, m, c, "k", []byte("in a/b"), vc)
		_, err := m.Put(t.Context(), b, "k", []byte("again"), storage.Cond{IfAbsent: true})
		wantErr(t, err, storage.ErrPrecondition, "IfAbsent Put over a key present in this namespace")
		put(t, m, a, "k", []byte("a again"), storage.Cond{IfAbsent: true})
	})

	t.Run("IfAbsent", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		v := put(t, m, ns, "k", []byte("first"), storage.Cond{IfAbsent: true})
		_, err := m.Put(t.Context(), ns, "k", []byte("second"), storage.Cond{IfAbsent: true})
		wantErr(t, err, storage.ErrPrecondition, "IfAbsent Put over an existing key")
		checkGet(t, m, ns, "k", []byte("first"), v)
	})

	t.Run("IfVersion", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		_, err := m.Put(t.Context(), ns, "k", []byte("x"), storage.Cond{IfVersion: 12345})
		wantErr(t, err, storage.ErrPrecondition, "IfVersion Put of a missing key")
		wantMissing(t, m, ns, "k")

		v1 := put(t, m, ns, "k", []byte("one"), storage.Cond{})
		v2 := put(t, m, ns, "k", []byte("two"), storage.Cond{IfVersion: v1})
		if v2 == v1 {
			t.Fatalf("CAS kept version %d", v1)
		}
		_, err = m.Put(t.Context(), ns, "k", []byte("stale"), storage.Cond{IfVersion: v1})
		wantErr(t, err, storage.ErrPrecondition, "IfVersion Put with a stale version")
		checkGet(t, m, ns, "k", []byte("two"), v2)
	})

	t.Run("Delete", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		err := m.Delete(t.Context(), ns, "k", storage.Cond{})
		wantErr(t, err, storage.ErrNotFound, "Delete of a missing key")
		err = m.Delete(t.Context(), ns, "k", storage.Cond{IfVersion: 99})
		wantErr(t, err, storage.ErrNotFound, "IfVersion Delete of a missing key")

		v1 := put(t, m, ns, "k", []byte("one"), storage.Cond{})
		v2 := put(t, m, ns, "k", []byte("two"), storage.Cond{})
		err = m.Delete(t.Context(), ns, "k", storage.Cond{IfVersion: v1})
		wantErr(t, err, storage.ErrPrecondition, "IfVersion Delete with a stale version")
		checkGet(t, m, ns, "k", []byte("two"), v2)
		if err := m.Delete(t.Context(), ns, "k", storage.Cond{IfVersion: v2}); err != nil {
			t.Fatalf("IfVersion Delete: %v", err)
		}
		wantMissing(t, m, ns, "k")
		err = m.Delete(t.Context(), ns, "k", storage.Cond{})
		wantErr(t, err, storage.ErrNotFound, "second Delete")

		// The key can be created again, and a plain Delete removes it.
		v3 := put(t, m, ns, "k", []byte("three"), storage.Cond{IfAbsent: true})
		checkGet(t, m, ns, "k", []byte("three"), v3)
		if err := m.Delete(t.Context(), ns, "k", storage.Cond{}); err != nil {
			t.Fatal(err)
		}
		wantMissing(t, m, ns, "k")
	})

	t.Run("SpecialKeys", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		keys := specialKeys()
		versions := map[string]storage.Version{}
		for i, k := range keys {
			versions[k] = put(t, m, ns, k, pattern(i, i*3), storage.Cond{IfAbsent: true})
		}
		for i, k := range keys {
			checkGet(t, m, ns, k, pattern(i, i*3), versions[k])
		}
		// Keys that differ only by escaping-sensitive bytes stay distinct.
		for _, k := range keys {
			if err := m.Delete(t.Context(), ns, k, storage.Cond{IfVersion: versions[k]}); err != nil {
				t.Fatalf("Delete %q: %v", k, err)
			}
			wantMissing(t, m, ns, k)
		}
	})
}

// specialKeys are keys that stress escaping and ordering: separators,
// dots, escape characters, control bytes, unicode, and long keys.
func specialKeys() []string {
	return []string{
		"a", "A", "a/b", "a/b/c", "a/", "/lead", "trail/", "a//b", "a b", "a+b",
		".", "..", ".hidden", "~tilde", "%41", "%2F", "a%2Fb", "x\x00y", "\x01",
		"tab\there", "new\nline", "é", "e\u0301", "日本語/キー", "emoji😀", "\u00ff", "\u0100",
		"key-with_dots.and~all", "UPPER", "lower",
		strings.Repeat("z", storage.MaxKeyLen),
		strings.Repeat("ü", 150), // 300 bytes: long once escaped
		strings.Repeat("/", 70),
	}
}

func put(t *testing.T, m storage.Meta, ns, key string, val []byte, c storage.Cond) storage.Version {
	t.Helper()
	v, err := m.Put(t.Context(), ns, key, val, c)
	if err != nil {
		t.Fatalf("Put %s/%q: %v", ns, key, err)
	}
	if v == 0 {
		t.Fatalf("Put %s/%q returned the zero Version", ns, key)
	}
	return v
}

func checkGet(t *testing.T, m storage.Meta, ns, key string, want []byte, wantV storage.Version) {
	t.Helper()
	got, v, err := m.Get(t.Context(), ns, key)
	if err != nil {
		t.Fatalf("Get %s/%q: %v", ns, key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get %s/%q = %q, want %q", ns, key, clip(got), clip(want))
	}
	if v != wantV {
		t.Fatalf("Get %s/%q version = %d, want %d", ns, key, v, wantV)
	}
}

func wantMissing(t *testing.T, m storage.Meta, ns, key string) {
	t.Helper()
	_, _, err := m.Get(t.Context(), ns, key)
	wantErr(t, err, storage.ErrNotFound, "Get of "+clip([]byte(key)))
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

// clip shortens long values in failure messages.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
