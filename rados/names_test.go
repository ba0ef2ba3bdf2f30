package rados

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestEscapeKey(t *testing.T) {
	cases := []struct{ in, out string }{
		{"", ""},
		{"plain/key.txt", "plain/key.txt"},
		{"a\x00b", "a\x01\x01b"},
		{"\x01", "\x01\x02"},
		{"\x00\x01\x02", "\x01\x01\x01\x02\x02"},
		{"日本語", "日本語"},
	}
	for _, c := range cases {
		got := string(escapeKey(nil, c.in))
		if got != c.out {
			t.Errorf("escapeKey(%q) = %q, want %q", c.in, got, c.out)
		}
		if strings.IndexByte(got, 0) >= 0 {
			t.Errorf("escapeKey(%q) contains NUL", c.in)
		}
		back, ok := unescapeKey(got)
		if !ok || back != c.in {
			t.Errorf("unescapeKey(%q) = %q, %v", got, back, ok)
		}
	}
	for _, bad := range []string{"\x01", "a\x01", "\x01\x03", "\x01\x00"} {
		if _, ok := unescapeKey(bad); ok {
			t.Errorf("unescapeKey(%q) accepted", bad)
		}
	}
}

// TestEscapeKeyOrder: byte order and prefixes survive escaping, which is
// what lets List use omap order and omap prefix filters.
func TestEscapeKeyOrder(t *testing.T) {
	keys := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x01", "\x01\x00", "\x02", "a", "a\x00", "a\x00b",
		"a\x01", "a\x02", "ab", "b", "\xff", "\xff\x00"}
	for _, x := range keys {
		for _, y := range keys {
			ex, ey := string(escapeKey(nil, x)), string(escapeKey(nil, y))
			if (x < y) != (ex < ey) {
				t.Errorf("order of %q, %q not preserved: %q, %q", x, y, ex, ey)
			}
			if strings.HasPrefix(y, x) != strings.HasPrefix(ey, ex) {
				t.Errorf("prefix relation of %q, %q not preserved", x, y)
			}
		}
	}
}

func TestNames(t *testing.T) {
	if got := pieceOID("rack0-a", "00ff.3", 12); got != "rack0-a/00ff.3.12" {
		t.Errorf("pieceOID = %q", got)
	}
	if got := shardOID("obj/my.bucket", 7); got != "ns.obj%2fmy%2ebucket.7" {
		t.Errorf("shardOID = %q", got)
	}
	// Distinct namespaces never share shard objects.
	if shardOID("a.1", 2) == shardOID("a", 12) {
		t.Error("namespace escaping is ambiguous")
	}
	for _, n := range []string{"abc.0", "A_b-c.9"} {
		if !validName(n) {
			t.Errorf("validName(%q) = false", n)
		}
	}
	for _, n := range []string{"", ".x", "a/b", "a b", "a\x00", strings.Repeat("x", maxNameLen+1)} {
		if validName(n) {
			t.Errorf("validName(%q) = true", n)
		}
	}
	counts := make([]int, 16)
	for i := range 1600 {
		counts[keyShard(strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune(i)), 16)]++
	}
	if slices.Min(counts) == 0 {
		t.Errorf("keyShard leaves shards empty: %v", counts)
	}
}

func TestVersionText(t *testing.T) {
	vs := []uint64{1, 9, 10, 255, 256, 1 << 40, 1<<63 - 1, 1 << 63, 1<<64 - 1}
	for i, v := range vs {
		txt := versionText(v)
		for _, c := range txt {
			if c >= 0x80 {
				t.Fatalf("versionText(%d) has a byte ≥ 0x80", v)
			}
		}
		back, ok := parseVersionText(txt)
		if !ok || back != v {
			t.Fatalf("parseVersionText(%q) = %d, %v", txt, back, ok)
		}
		if i > 0 && bytes.Compare(versionText(vs[i-1]), txt) >= 0 {
			t.Fatalf("versionText order broken at %d", v)
		}
	}
	for _, bad := range []string{"", "12", "000000000000000g", "00000000000000000"} {
		if _, ok := parseVersionText([]byte(bad)); ok {
			t.Errorf("parseVersionText(%q) accepted", bad)
		}
	}
}

func TestRecords(t *testing.T) {
	rec := encodeCommit(12345, 32<<20)
	size, piece, err := decodeCommit(rec)
	if err != nil || size != 12345 || piece != 32<<20 {
		t.Fatalf("decodeCommit = %d, %d, %v", size, piece, err)
	}
	bad := [][]byte{
		nil,
		rec[:commitLen-1],
		append(slices.Clone(rec), 0),
		append([]byte("XFSC"), rec[4:]...),
		encodeCommit(1, 0),
		encodeCommit(1, maxObjectSize+1),
		encodeCommit(-1, 1),
	}
	flipped := slices.Clone(rec)
	flipped[4] = 2
	bad = append(bad, flipped)
	for i, b := range bad {
		if _, _, err := decodeCommit(b); !errors.Is(err, errCorrupt) {
			t.Errorf("bad commit record %d accepted", i)
		}
	}

	val, v, err := decodeValue(encodeValue([]byte("hello"), 42))
	if err != nil || string(val) != "hello" || v != 42 {
		t.Fatalf("decodeValue = %q, %d, %v", val, v, err)
	}
	val, v, err = decodeValue(encodeValue(nil, 7))
	if err != nil || len(val) != 0 || v != 7 {
		t.Fatalf("decodeValue(empty) = %q, %d, %v", val, v, err)
	}
	for i, b := range [][]byte{nil, {1}, {2, 0, 0, 0, 0, 0, 0, 0, 1}, encodeValue(nil, 0)} {
		if _, _, err := decodeValue(b); !errors.Is(err, errCorrupt) {
			t.Errorf("bad value record %d accepted", i)
		}
	}
}

func FuzzUnescapeKey(f *testing.F) {
	for _, s := range []string{"", "a", "\x01\x01", "\x01\x02", "\x01", "a\x01\x03", "x\x00y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, ok := unescapeKey(s); ok {
			if got := string(escapeKey(nil, k)); got != s {
				t.Fatalf("escapeKey(unescapeKey(%q)) = %q", s, got)
			}
		}
		e := string(escapeKey(nil, s))
		if k, ok := unescapeKey(e); !ok || k != s {
			t.Fatalf("unescapeKey(escapeKey(%q)) = %q, %v", s, k, ok)
		}
	})
}

func FuzzDecodeCommit(f *testing.F) {
	f.Add(encodeCommit(0, 1))
	f.Add(encodeCommit(1<<40, 32<<20))
	f.Add([]byte("RFSC"))
	f.Fuzz(func(t *testing.T, b []byte) {
		size, piece, err := decodeCommit(b)
		if err != nil {
			return
		}
		if size < 0 || piece <= 0 || piece > maxObjectSize {
			t.Fatalf("accepted size %d piece %d", size, piece)
		}
		if !bytes.Equal(encodeCommit(size, piece), b) {
			t.Fatalf("record %x does not round-trip", b)
		}
	})
}

func FuzzDecodeValue(f *testing.F) {
	f.Add(encodeValue([]byte("v"), 1))
	f.Add(encodeValue(nil, 1<<63))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		val, v, err := decodeValue(b)
		if err != nil {
			return
		}
		if v == 0 || !bytes.Equal(encodeValue(val, v), b) {
			t.Fatalf("record %x does not round-trip", b)
		}
	})
}
