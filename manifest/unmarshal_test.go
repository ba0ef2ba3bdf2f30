package manifest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// Segments of a hand-built encoding, in field order; rejection tests swap
// one segment for a malformed one.
const (
	segHeader = iota
	segBucket
	segKey
	segSize
	segETag
	segModified
	segOwner
	segContent // six strings
	segUserMeta
	segChecksums
	segChecksumType
	segUploadID
	segOSDTable
	segParts
	segEnvelope
	segSigKeyID
	segSignature
	segCount
)

func uvB(n uint64) []byte  { return binary.AppendUvarint(nil, n) }
func strB(s string) []byte { return append(uvB(uint64(len(s))), s...) }
func i64B(v int64) []byte  { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// partB encodes one part with the given OSD indices.
func partB(number uint32, size int64, idx ...uint64) []byte {
	b := uvB(uint64(number))
	b = append(b, make([]byte, 16)...)
	if size < 0 {
		b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01) // 2^64-1: beyond int64
	} else {
		b = append(b, uvB(uint64(size))...)
	}
	b = append(b, uvB(1<<20)...)
	b = append(b, 1, 1)
	b = append(b, uvB(uint64(len(idx)))...)
	for _, i := range idx {
		b = append(b, uvB(i)...)
	}
	return append(b, 0, 0, 0) // text etag "", no checksums
}

// baseSegs is a valid encoding of a one-part manifest with OSDs "a", "b".
func baseSegs() [][]byte {
	s := make([][]byte, segCount)
	s[segHeader] = []byte("RFSM\x02")
	s[segBucket] = strB("bucket")
	s[segKey] = strB("key")
	s[segSize] = i64B(10)
	s[segETag] = strB("etag")
	s[segModified] = i64B(1)
	s[segOwner] = strB("owner")
	s[segContent] = make([]byte, 6)
	s[segUserMeta] = cat(uvB(1), strB("k"), strB("v"))
	s[segChecksums] = uvB(0)
	s[segChecksumType] = uvB(0)
	s[segUploadID] = uvB(0)
	s[segOSDTable] = cat(uvB(2), strB("a"), strB("b"))
	s[segParts] = cat(uvB(1), partB(1, 10, 0, 1))
	s[segEnvelope] = cat([]byte{1}, strB("root"), strB(""), strB("ct"), strB("salt"), strB("commit"))
	s[segSigKeyID] = strB("sig")
	s[segSignature] = strB("signature")
	return s
}

func with(seg int, b []byte) []byte {
	s := baseSegs()
	s[seg] = b
	return cat(s...)
}

func TestBaseSegmentsAreValid(t *testing.T) {
	b := cat(baseSegs()...)
	m, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Key != "key" || len(m.Parts) != 1 || m.Parts[0].OSDs[1] != "b" || m.UserMeta["k"] != "v" {
		t.Fatalf("decoded %+v", m)
	}
	if again, err := m.Marshal(); err != nil || !bytes.Equal(again, b) {
		t.Fatalf("hand-built encoding is not canonical (%v)", err)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	valid := cat(baseSegs()...)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"magic only", []byte("RFSM"), ErrMalformed},
		{"bad magic", append([]byte("RFSX"), valid[4:]...), ErrMalformed},
		{"version 0", with(segHeader, []byte("RFSM\x00")), ErrUnsupportedVersion},
		{"version 1", with(segHeader, []byte("RFSM\x01")), ErrUnsupportedVersion},
		{"version 4", with(segHeader, []byte("RFSM\x04")), ErrUnsupportedVersion},
		{"trailing byte", append(append([]byte(nil), valid...), 0), ErrMalformed},
		{"key too long", with(segKey, strB(strings.Repeat("k", MaxKey+1))), ErrMalformed},
		{"bucket too long", with(segBucket, strB(strings.Repeat("b", MaxKey+1))), ErrMalformed},
		{"string too long", with(segETag, strB(strings.Repeat("e", MaxString+1))), ErrMalformed},
		{"length beyond input", with(segSignature, uvB(100)), ErrMalformed},
		{"huge length", with(segETag, uvB(1<<62)), ErrMalformed},
		{"varint overflow", with(segETag, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), ErrMalformed},
		{"non-shortest varint", with(segETag, []byte{0x84, 0x00, 'e', 't', 'a', 'g'}), ErrMalformed},
		{"invalid UTF-8 key", with(segKey, strB("a\xffb")), ErrMalformed},
		{"invalid UTF-8 bucket", with(segBucket, strB("\xed\xa0\x80")), ErrMalformed},
		{"invalid UTF-8 meta key", with(segUserMeta, cat(uvB(1), strB("\xff"), strB("v"))), ErrMalformed},
		{"negative size", with(segSize, i64B(-1)), ErrMalformed},
		{"unsorted map", with(segUserMeta, cat(uvB(2), strB("b"), strB("1"), strB("a"), strB("2"))), ErrMalformed},
		{"duplicate map key", with(segUserMeta, cat(uvB(2), strB("a"), strB("1"), strB("a"), strB("2"))), ErrMalformed},
		{"user meta too large", with(segUserMeta, cat(uvB(2), strB("a"), strB(strings.Repeat("x", 1500)), strB("b"), strB(strings.Repeat("y", 1500)))), ErrMalformed},
		{"too many checksums", with(segChecksums, cat(uvB(MaxChecksums+1), bytes.Repeat([]byte{0}, 2*(MaxChecksums+1)))), ErrMalformed},
		{"map count beyond input", with(segChecksums, uvB(10)), ErrMalformed},
		{"OSD table unused entry", with(segOSDTable, cat(uvB(3), strB("a"), strB("b"), strB("c"))), ErrMalformed},
		{"OSD table duplicate", with(segOSDTable, cat(uvB(2), strB("a"), strB("a"))), ErrMalformed},
		{"OSD table out of order", with(segParts, cat(uvB(1), partB(1, 10, 1, 0))), ErrMalformed},
		{"OSD index beyond table", with(segParts, cat(uvB(1), partB(1, 10, 0, 1, 2))), ErrMalformed},
		{"OSD table without parts", with(segParts, uvB(0)), ErrMalformed},
		{"too many OSDs in a part", with(segParts, cat(uvB(1), partB(1, 10, append([]uint64{0, 1}, make([]uint64, MaxOSDsPerPart)...)...))), ErrMalformed},
		{"too many parts", with(segParts, cat(uvB(MaxParts+1), bytes.Repeat(partB(1, 0), MaxParts+1))), ErrMalformed},
		{"part count beyond input", with(segParts, cat(uvB(5000), partB(1, 10, 0, 1))), ErrMalformed},
		{"part size beyond int64", with(segParts, cat(uvB(1), partB(1, -5, 0, 1))), ErrMalformed},
		{"hex etag in text form", with(segParts, cat(uvB(1), partB(1, 10, 0, 1)[:len(partB(1, 10, 0, 1))-2], []byte{0}, strB(strings.Repeat("ab", 16)), []byte{0})), ErrMalformed},
		{"base64 checksum in text form", with(segParts, cat(uvB(1), partB(1, 10, 0, 1)[:len(partB(1, 10, 0, 1))-1], uvB(1), strB("crc32"), []byte{0}, strB("AAAAAA=="))), ErrMalformed},
		{"bad etag tag", with(segParts, cat(uvB(1), partB(1, 10, 0, 1)[:len(partB(1, 10, 0, 1))-2], []byte{7, 0})), ErrMalformed},
		{"kem ciphertext too large", with(segEnvelope, cat([]byte{1}, strB(""), strB(""), strB(strings.Repeat("c", MaxKEMCiphertext+1)), strB(""), strB(""))), ErrMalformed},
		{"signature too large", with(segSignature, strB(strings.Repeat("s", MaxSignature+1))), ErrMalformed},
	}
	for _, tc := range cases {
		m, err := Unmarshal(tc.in)
		if !errors.Is(err, tc.want) || m != nil {
			t.Errorf("%s: Unmarshal = %v, %v; want %v", tc.name, m, err, tc.want)
		}
	}
}

// TestUnmarshalRejectsEveryTruncation cuts valid encodings at every length.
func TestUnmarshalRejectsEveryTruncation(t *testing.T) {
	for _, m := range []*Manifest{sample(), single(), {}} {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(b) {
			if _, err := Unmarshal(b[:n]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("prefix of %d/%d bytes: err = %v", n, len(b), err)
			}
		}
	}
}

// TestUnmarshalAllocationBound feeds inputs that claim huge counts and
// lengths: the decoder must notice before allocating for them, and a valid
// input costs a small multiple of its size.
func TestUnmarshalAllocationBound(t *testing.T) {
	big, err := many().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	inputs := [][]byte{
		with(segParts, cat(uvB(MaxParts), partB(1, 10, 0, 1))),
		with(segOSDTable, cat(uvB(600_000), strB("a"))),
		with(segUserMeta, uvB(MaxUserMeta)),
		with(segSignature, uvB(MaxSignature)),
		big,
	}
	for i, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			Unmarshal(in)
		}
		runtime.ReadMemStats(&after)
		perCall := (after.TotalAlloc - before.TotalAlloc) / 10
		if limit := uint64(16*len(in) + 64<<10); perCall > limit {
			t.Errorf("input %d (%d bytes): Unmarshal allocated %d bytes, bound %d", i, len(in), perCall, limit)
		}
	}
}

func TestBytesDoNotAlias(t *testing.T) {
	b, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	m.Signature[0] ^= 0xff
	m.Envelope.Salt[0] ^= 0xff
	m2, _ := Unmarshal(b)
	if m2.Signature[0] == m.Signature[0] || m2.Envelope.Salt[0] == m.Envelope.Salt[0] {
		t.Fatal("decoded byte slices alias the input")
	}
}
