package local

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func TestEscapeName(t *testing.T) {
	tests := []struct{ key, want string }{
		{"abc", "abc"},
		{"a/b", "a%2Fb"},
		{".", "%2E"},
		{"..", "%2E."},
		{".hidden", "%2Ehidden"},
		{"a.b", "a.b"},
		{"~x", "%7Ex"},
		{"%", "%25"},
		{"é", "%C3%A9"},
		{"x\x00y", "x%00y"},
		{"A-Z_0.9", "A-Z_0.9"},
	}
	for _, tc := range tests {
		if got := escapeName(tc.key); got != tc.want {
			t.Errorf("escapeName(%q) = %q, want %q", tc.key, got, tc.want)
		}
		if back, ok := unescapeName(tc.want); !ok || back != tc.key {
			t.Errorf("unescapeName(%q) = %q, %v", tc.want, back, ok)
		}
	}
	for _, key := range []string{"", strings.Repeat("a", 201), strings.Repeat("/", 67), strings.Repeat("k", storage.MaxKeyLen)} {
		if n := escapeName(key); !isHashName(n) {
			t.Errorf("escapeName(%d-byte key) = %q, want a hash name", len(key), n)
		}
	}
	if n := escapeName(strings.Repeat("a", 200)); isHashName(n) {
		t.Error("200-byte key was hashed")
	}
}

func TestUnescapeRejectsNonCanonical(t *testing.T) {
	for _, name := range []string{
		"", ".", "..", ".lock", "%41", "%2e", "%2f", "a%2", "a%", "%G0", "a b", "a%2E", "~abc",
		strings.Repeat("a", 201),
	} {
		if k, ok := unescapeName(name); ok {
			t.Errorf("unescapeName(%q) = %q, want rejection", name, k)
		}
	}
}

// FuzzEscape checks that escaping is injective, order-compatible for prefix
// tests, yields safe file names, and that unescaping accepts exactly the
// canonical names.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a", ".", "..", "a/b", "é", "%41", "~", "\x00", "日本語", ".x"} {
		f.Add(s, "b")
	}
	f.Fuzz(func(t *testing.T, key, other string) {
		n := escapeName(key)
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") || len(n) > 255 || n[0] == '.' {
			t.Fatalf("escapeName(%q) = unsafe name %q", key, n)
		}
		if !isHashName(n) {
			back, ok := unescapeName(n)
			if !ok || back != key {
				t.Fatalf("unescapeName(escapeName(%q)) = %q, %v", key, back, ok)
			}
			if o := escapeName(other); !isHashName(o) {
				if (o == n) != (other == key) {
					t.Fatalf("escapeName not injective: %q, %q -> %q, %q", key, other, n, o)
				}
				if strings.HasPrefix(other, key) && key != "" && !strings.HasPrefix(o, n) {
					t.Fatalf("prefix %q of %q not kept: %q, %q", key, other, n, o)
				}
			}
		}
		// Any name the decoder accepts must be the canonical encoding of its key.
		if k, ok := unescapeName(key); ok && escapeName(k) != key {
			t.Fatalf("unescapeName accepted non-canonical %q (-> %q -> %q)", key, k, escapeName(k))
		}
	})
}

func TestValueFileRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		key string
		val []byte
	}{{"k", []byte("v")}, {"", nil}, {strings.Repeat("é", 512), bytes.Repeat([]byte{0}, 1000)}} {
		img := encodeValue(tc.key, tc.val, 77)
		k, v, ver, err := decodeValue(img)
		if err != nil || k != tc.key || !bytes.Equal(v, tc.val) || ver != 77 {
			t.Fatalf("decodeValue = %q, %q, %d, %v", k, v, ver, err)
		}
	}
}

func TestValueFileRejects(t *testing.T) {
	good := encodeValue("key", []byte("value"), 5)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"empty":         nil,
		"short":         good[:10],
		"truncated":     good[:len(good)-1],
		"trailing":      append(append([]byte(nil), good...), 0),
		"bad magic":     mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"bad format":    mut(func(b []byte) []byte { b[4] = 3; return b }),
		"bad flags":     mut(func(b []byte) []byte { b[5] = 2; return b }),
		"live tomb":     mut(func(b []byte) []byte { b[5] = flagTombstone; return b }),
		"reserved":      mut(func(b []byte) []byte { b[6] = 1; return b }),
		"zero version":  encodeValue("key", []byte("value"), 0),
		"flipped value": mut(func(b []byte) []byte { b[len(b)-5] ^= 0x80; return b }),
		"huge key len":  mut(func(b []byte) []byte { b[19] = 0xff; return b }),
	}
	for name, img := range cases {
		if _, _, _, err := decodeValue(img); err == nil {
			t.Errorf("%s: decodeValue accepted", name)
		}
	}
}

// FuzzDecodeValue feeds arbitrary file images to the value-file parser,
// which reads whatever is on disk: it must never panic, and anything it
// accepts must re-encode to the same bytes.
func FuzzDecodeValue(f *testing.F) {
	f.Add(encodeValue("k", []byte("v"), 1))
	f.Add(encodeValue("", nil, 1<<40))
	f.Add(encodeValue("日本", bytes.Repeat([]byte("x"), 300), 3))
	f.Add(encodeTombstone("gone", 9))
	f.Add([]byte("RFMV"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		if r.v == 0 || len(r.key) > storage.MaxKeyLen || len(r.val) > storage.MaxValueLen || (r.tomb && len(r.val) > 0) {
			t.Fatalf("accepted out-of-range fields: %d-byte key, %d-byte value, version %d", len(r.key), len(r.val), r.v)
		}
		if !bytes.Equal(encodeRecord(r), b) {
			t.Fatal("accepted image does not re-encode identically")
		}
	})
}
