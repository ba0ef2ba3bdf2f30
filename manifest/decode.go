package manifest

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"unicode/utf8"
)

// Minimal encoded sizes, used to bound counts by the bytes that remain
// before anything is allocated.
const (
	minPartSize  = 1 + 16 + 1 + 1 + 1 + 1 + 1 + 2 + 1 // empty OSDs, etag and checksums
	minEntrySize = 2                                  // empty key and value
)

// Unmarshal decodes a canonical manifest encoding. It rejects a wrong
// magic, an unknown version (ErrUnsupportedVersion), truncated input,
// lengths over the format's limits, non-shortest varints, unsorted or
// duplicate map keys, a non-canonical OSD table, invalid UTF-8 in keys, and
// trailing bytes (all ErrMalformed). It never panics, and it allocates at
// most a small multiple of len(b).
func Unmarshal(b []byte) (*Manifest, error) {
	if len(b) < len(magic)+1 || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	v := b[len(magic)]
	if v != Version && v != VersionLocked {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupportedVersion, v)
	}
	// One copy of the input backs every string field.
	d := decoder{s: string(b), off: len(magic) + 1}
	m := &Manifest{}
	m.Bucket = d.key("bucket")
	m.Key = d.key("key")
	m.Size = d.size("size")
	m.ETag = d.str(MaxString, "etag")
	m.Modified = d.i64()
	m.Owner = d.str(MaxString, "owner")
	m.ContentType = d.str(MaxString, "content-type")
	m.ContentEncoding = d.str(MaxString, "content-encoding")
	m.ContentDisposition = d.str(MaxString, "content-disposition")
	m.ContentLanguage = d.str(MaxString, "content-language")
	m.CacheControl = d.str(MaxString, "cache-control")
	m.Expires = d.str(MaxString, "expires")
	m.UserMeta = d.userMeta()
	m.Checksums = d.strMap(MaxChecksums, "checksums")
	m.ChecksumType = d.str(MaxString, "checksum-type")
	m.UploadID = d.str(MaxString, "upload-id")
	m.Parts = d.parts()
	m.Envelope.Suite = d.u8()
	m.Envelope.RootKeyID = d.str(MaxString, "root-key-id")
	m.Envelope.CustomerKeyID = d.str(MaxString, "customer-key-id")
	m.Envelope.KEMCiphertext = d.bytes(MaxKEMCiphertext, "kem-ciphertext")
	m.Envelope.Salt = d.bytes(MaxBytes, "salt")
	m.Envelope.Commitment = d.bytes(MaxBytes, "commitment")
	if v == VersionLocked {
		m.VersionID = d.str(MaxString, "version-id")
		m.LockMode = d.str(MaxString, "lock-mode")
		m.RetainUntil = d.i64()
		switch d.u8() {
		case 0:
		case 1:
			m.LegalHold = true
		default:
			d.fail("legal-hold byte not 0 or 1")
		}
		if d.err == nil && !m.hasV3() {
			d.fail("version 3 without version or lock fields")
		}
	}
	m.SigKeyID = d.str(MaxString, "sig-key-id")
	m.Signature = d.bytes(MaxSignature, "signature")
	if d.err == nil && d.off != len(d.s) {
		d.fail("%d trailing bytes", len(d.s)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

// decoder reads fields from s, remembering the first error; after an error
// every read returns a zero value without advancing.
type decoder struct {
	s   string
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrMalformed, fmt.Sprintf(format, args...), d.off)
	}
}

func (d *decoder) left() int { return len(d.s) - d.off }

// take returns the next n bytes, or fails on truncation.
func (d *decoder) take(n int, what string) string {
	if d.err != nil {
		return ""
	}
	if n < 0 || n > d.left() {
		d.fail("%s truncated", what)
		return ""
	}
	s := d.s[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) u8() uint8 {
	s := d.take(1, "byte")
	if s == "" {
		return 0
	}
	return s[0]
}

func (d *decoder) u32() uint32 {
	s := d.take(4, "u32")
	if s == "" {
		return 0
	}
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func (d *decoder) i64() int64 {
	s := d.take(8, "i64")
	if s == "" {
		return 0
	}
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return int64(v)
}

func (d *decoder) size(what string) int64 {
	v := d.i64()
	if v < 0 {
		d.fail("%s %d is negative", what, v)
	}
	return v
}

// uv reads a shortest-form unsigned varint no larger than limit.
func (d *decoder) uv(limit uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for i := 0; ; i++ {
		if d.off >= len(d.s) {
			d.fail("%s truncated", what)
			return 0
		}
		c := d.s[d.off]
		d.off++
		if i == 9 && c > 1 {
			d.fail("%s overflows", what)
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				d.fail("%s is not in shortest form", what)
				return 0
			}
			break
		}
	}
	if v > limit {
		d.fail("%s %d exceeds %d", what, v, limit)
		return 0
	}
	return v
}

func (d *decoder) str(limit int, what string) string {
	n := d.uv(uint64(limit), what+" length")
	return d.take(int(n), what)
}

func (d *decoder) key(what string) string {
	s := d.str(MaxKey, what)
	if d.err == nil && !utf8.ValidString(s) {
		d.fail("%s is not valid UTF-8", what)
	}
	return s
}

// bytes returns a fresh slice (nil when empty), so callers may keep or
// modify it without aliasing anything.
func (d *decoder) bytes(limit int, what string) []byte {
	s := d.str(limit, what)
	if s == "" {
		return nil
	}
	return []byte(s)
}

// count reads an element count, bounded by limit and by the bytes left at
// minSize bytes per element.
func (d *decoder) count(limit, minSize int, what string) int {
	n := d.uv(uint64(limit), what+" count")
	if d.err == nil && n > uint64(d.left()/minSize) {
		d.fail("%s count %d exceeds the input", what, n)
		return 0
	}
	return int(n)
}

// strMap reads a map whose keys must be strictly increasing.
func (d *decoder) strMap(limit int, what string) map[string]string {
	n := d.count(limit, minEntrySize, what)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	prev := ""
	for i := range n {
		k := d.key(what + " key")
		v := d.str(MaxString, what+" value")
		if d.err != nil {
			return nil
		}
		if i > 0 && k <= prev {
			d.fail("%s keys not strictly increasing", what)
			return nil
		}
		m[k], prev = v, k
	}
	return m
}

func (d *decoder) userMeta() map[string]string {
	m := d.strMap(MaxUserMeta, "user-meta")
	total := 0
	for k, v := range m {
		total += len(k) + len(v)
	}
	if total > MaxUserMeta {
		d.fail("user metadata of %d bytes exceeds %d", total, MaxUserMeta)
		return nil
	}
	return m
}

// parts reads the OSD table and the parts. The table must be exactly the
// distinct IDs in order of first use, as Marshal writes it.
func (d *decoder) parts() []Part {
	tn := d.count(MaxParts*MaxOSDsPerPart, 1, "OSD table")
	var table []string
	if tn > 0 {
		table = make([]string, tn)
		seen := make(map[string]struct{}, tn)
		for i := range table {
			table[i] = d.str(MaxString, "OSD id")
			if d.err != nil {
				return nil
			}
			if _, dup := seen[table[i]]; dup {
				d.fail("OSD id %q listed twice", table[i])
				return nil
			}
			seen[table[i]] = struct{}{}
		}
	}
	pn := d.count(MaxParts, minPartSize, "part")
	if pn == 0 {
		if tn != 0 {
			d.fail("OSD table without parts")
		}
		return nil
	}
	ps := make([]Part, pn)
	used := 0 // table entries referenced so far
	for i := range ps {
		p := &ps[i]
		p.Number = uint32(d.uv(math.MaxUint32, "part number"))
		copy(p.DataID[:], d.take(16, "data id"))
		p.Size = int64(d.uv(math.MaxInt64, "part size"))
		p.ChunkSize = uint32(d.uv(math.MaxUint32, "chunk size"))
		p.K = d.u8()
		p.M = d.u8()
		on := d.count(MaxOSDsPerPart, 1, "part OSD")
		if on > 0 {
			p.OSDs = make([]string, on)
			for j := range p.OSDs {
				idx := d.uv(uint64(used), "OSD index")
				if d.err != nil {
					return nil
				}
				if idx == uint64(used) {
					if used == len(table) {
						d.fail("OSD index %d beyond the table", idx)
						return nil
					}
					used++
				}
				p.OSDs[j] = table[idx]
			}
		}
		p.ETag = d.etag()
		p.Checksums = d.sums()
		if d.err != nil {
			return nil
		}
	}
	if used != len(table) {
		d.fail("%d of %d OSD table entries unused", len(table)-used, len(table))
		return nil
	}
	return ps
}

// etag reads a part ETag (see encoder.etag); a text ETag that Marshal
// would have written in binary is not canonical.
func (d *decoder) etag() string {
	switch d.u8() {
	case tagBinary:
		raw := d.take(16, "part etag")
		if d.err != nil {
			return ""
		}
		return hex.EncodeToString([]byte(raw))
	case tagText:
		s := d.str(MaxString, "part etag")
		if d.err == nil && hexETag(s) {
			d.fail("part etag %q in text form", s)
		}
		return s
	default:
		d.fail("bad part etag tag")
		return ""
	}
}

// sums reads a part's checksum map (see encoder.sums).
func (d *decoder) sums() map[string]string {
	n := d.count(MaxChecksums, minEntrySize+1, "part checksums")
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	prev := ""
	for i := range n {
		k := d.key("part checksums key")
		var v string
		switch d.u8() {
		case tagBinary:
			b := d.str(MaxString, "part checksum")
			if d.err == nil && b == "" {
				d.fail("empty binary part checksum")
			}
			v = base64.StdEncoding.EncodeToString([]byte(b))
		case tagText:
			v = d.str(MaxString, "part checksum")
			if _, ok := canonicalBase64(v); d.err == nil && ok {
				d.fail("part checksum %q in text form", v)
			}
		default:
			d.fail("bad part checksum tag")
		}
		if d.err != nil {
			return nil
		}
		if i > 0 && k <= prev {
			d.fail("part checksums keys not strictly increasing")
			return nil
		}
		m[k], prev = v, k
	}
	return m
}
