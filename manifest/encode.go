package manifest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Marshal returns the canonical encoding of m: the same Manifest always
// gives the same bytes. It fails (with ErrMalformed) when a field exceeds
// its limit, a key is not valid UTF-8, or a size is negative.
func (m *Manifest) Marshal() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil manifest", ErrMalformed)
	}
	return m.encode(nil, m.Signature)
}

// SigningBytes returns what the manifest signature covers: a domain prefix,
// then the canonical encoding with Signature empty. SigKeyID is included,
// so it must be set before signing. It fails where Marshal would, so a
// manifest that can be signed can also be stored.
func (m *Manifest) SigningBytes() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil manifest", ErrMalformed)
	}
	if len(m.Signature) > MaxSignature {
		return nil, fmt.Errorf("%w: signature of %d bytes exceeds %d", ErrMalformed, len(m.Signature), MaxSignature)
	}
	return m.encode([]byte(signingDomain), nil)
}

// encode appends the encoding of m, with sig as its signature, to dst.
func (m *Manifest) encode(dst, sig []byte) ([]byte, error) {
	e := encoder{b: slices.Grow(dst, m.sizeHint())}
	e.b = append(e.b, magic...)
	e.b = append(e.b, m.version())
	e.key(m.Bucket, "bucket")
	e.key(m.Key, "key")
	e.size(m.Size, "size")
	e.str(m.ETag, MaxString, "etag")
	e.i64(m.Modified)
	e.str(m.Owner, MaxString, "owner")
	e.str(m.ContentType, MaxString, "content-type")
	e.str(m.ContentEncoding, MaxString, "content-encoding")
	e.str(m.ContentDisposition, MaxString, "content-disposition")
	e.str(m.ContentLanguage, MaxString, "content-language")
	e.str(m.CacheControl, MaxString, "cache-control")
	e.str(m.Expires, MaxString, "expires")
	e.userMeta(m.UserMeta)
	e.strMap(m.Checksums, MaxChecksums, "checksums")
	e.str(m.ChecksumType, MaxString, "checksum-type")
	e.str(m.UploadID, MaxString, "upload-id")
	e.parts(m.Parts)
	e.b = append(e.b, m.Envelope.Suite)
	e.str(m.Envelope.RootKeyID, MaxString, "root-key-id")
	e.str(m.Envelope.CustomerKeyID, MaxString, "customer-key-id")
	e.bytes(m.Envelope.KEMCiphertext, MaxKEMCiphertext, "kem-ciphertext")
	e.bytes(m.Envelope.Salt, MaxBytes, "salt")
	e.bytes(m.Envelope.Commitment, MaxBytes, "commitment")
	if m.version() == VersionLocked {
		e.str(m.VersionID, MaxString, "version-id")
		e.str(m.LockMode, MaxString, "lock-mode")
		e.i64(m.RetainUntil)
		e.b = append(e.b, boolByte(m.LegalHold))
	}
	e.str(m.SigKeyID, MaxString, "sig-key-id")
	e.bytes(sig, MaxSignature, "signature")
	if e.err != nil {
		return nil, e.err
	}
	return e.b, nil
}

// sizeHint estimates the encoded size so Marshal allocates once.
func (m *Manifest) sizeHint() int {
	n := 256 + len(m.Bucket) + len(m.Key) + len(m.ETag) + len(m.Owner) + len(m.ContentType) +
		len(m.Envelope.KEMCiphertext) + len(m.Envelope.Salt) + len(m.Envelope.Commitment) +
		len(m.Signature) + len(m.SigKeyID)
	for k, v := range m.UserMeta {
		n += 4 + len(k) + len(v)
	}
	for i := range m.Parts {
		n += 32 + len(m.Parts[i].OSDs) + len(m.Parts[i].ETag) + 48*len(m.Parts[i].Checksums)
	}
	return n
}

// encoder appends fields, remembering the first error.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
}

func (e *encoder) uv(v uint64)   { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) u32(v uint32)  { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) i64(v int64)   { e.b = binary.LittleEndian.AppendUint64(e.b, uint64(v)) }
func (e *encoder) raw(s string)  { e.uv(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) rawB(p []byte) { e.uv(uint64(len(p))); e.b = append(e.b, p...) }

func (e *encoder) size(v int64, what string) {
	if v < 0 {
		e.fail("%s %d is negative", what, v)
	}
	e.i64(v)
}

func (e *encoder) str(s string, limit int, what string) {
	if len(s) > limit {
		e.fail("%s of %d bytes exceeds %d", what, len(s), limit)
	}
	e.raw(s)
}

// key encodes a string that must be valid UTF-8 of at most MaxKey bytes.
func (e *encoder) key(s, what string) {
	if !utf8.ValidString(s) {
		e.fail("%s %q is not valid UTF-8", what, s)
	}
	e.str(s, MaxKey, what)
}

func (e *encoder) bytes(p []byte, limit int, what string) {
	if len(p) > limit {
		e.fail("%s of %d bytes exceeds %d", what, len(p), limit)
	}
	e.rawB(p)
}

// strMap encodes m sorted by key, with at most limit entries.
func (e *encoder) strMap(m map[string]string, limit int, what string) {
	if len(m) > limit {
		e.fail("%s has %d entries, limit %d", what, len(m), limit)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.uv(uint64(len(keys)))
	for _, k := range keys {
		e.key(k, what+" key")
		e.str(m[k], MaxString, what+" value")
	}
}

func (e *encoder) userMeta(m map[string]string) {
	total := 0
	for k, v := range m {
		total += len(k) + len(v)
	}
	if total > MaxUserMeta {
		e.fail("user metadata of %d bytes exceeds %d", total, MaxUserMeta)
	}
	e.strMap(m, MaxUserMeta, "user-meta")
}

func (e *encoder) parts(ps []Part) {
	if len(ps) > MaxParts {
		e.fail("%d parts exceed %d", len(ps), MaxParts)
		return
	}
	// The OSD table: distinct IDs in order of first use.
	index := map[string]uint64{}
	var table []string
	for i := range ps {
		for _, id := range ps[i].OSDs {
			if _, ok := index[id]; !ok {
				index[id] = uint64(len(table))
				table = append(table, id)
			}
		}
	}
	e.uv(uint64(len(table)))
	for _, id := range table {
		e.str(id, MaxString, "OSD id")
	}
	e.uv(uint64(len(ps)))
	for i := range ps {
		p := &ps[i]
		e.uv(uint64(p.Number))
		e.b = append(e.b, p.DataID[:]...)
		if p.Size < 0 {
			e.fail("part %d size %d is negative", p.Number, p.Size)
		}
		e.uv(uint64(p.Size))
		e.uv(uint64(p.ChunkSize))
		e.b = append(e.b, p.K, p.M)
		if len(p.OSDs) > MaxOSDsPerPart {
			e.fail("part %d has %d OSDs, limit %d", p.Number, len(p.OSDs), MaxOSDsPerPart)
		}
		e.uv(uint64(len(p.OSDs)))
		for _, id := range p.OSDs {
			e.uv(index[id])
		}
		e.etag(p.ETag)
		e.sums(p.Checksums)
	}
}

// Compact value tags of part ETags and checksums (format version 2): a
// 10,000-part manifest with checksums must fit one 1 MiB Meta value.
const (
	tagText   = 0 // the string as is
	tagBinary = 1 // ETag: 16 bytes of a 32-digit lowercase hex string; checksum: the bytes of a canonical std base64 string
)

// hexETag reports whether s is 32 lowercase hex digits (an MD5 ETag).
func hexETag(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// etag writes a part ETag, binary when it is an MD5 in hex.
func (e *encoder) etag(s string) {
	if hexETag(s) {
		e.b = append(e.b, tagBinary)
		e.b, _ = hex.AppendDecode(e.b, []byte(s)) // hexETag checked the digits
		return
	}
	e.b = append(e.b, tagText)
	e.str(s, MaxString, "part etag")
}

// canonicalBase64 returns the bytes of s when s is a non-empty, canonical
// std-padded base64 string (what S3 checksum headers hold).
func canonicalBase64(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// sums writes a part's checksum map: keys sorted, values binary when they
// are canonical base64.
func (e *encoder) sums(m map[string]string) {
	if len(m) > MaxChecksums {
		e.fail("part checksums has %d entries, limit %d", len(m), MaxChecksums)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.uv(uint64(len(keys)))
	for _, k := range keys {
		e.key(k, "part checksums key")
		if b, ok := canonicalBase64(m[k]); ok {
			e.b = append(e.b, tagBinary)
			e.bytes(b, MaxString, "part checksum")
			continue
		}
		e.b = append(e.b, tagText)
		e.str(m[k], MaxString, "part checksum")
	}
}

// version returns the encoding version m needs (see VersionLocked).
func (m *Manifest) version() uint8 {
	if m.hasV3() {
		return VersionLocked
	}
	return Version
}

// hasV3 reports whether any version-3 field is set.
func (m *Manifest) hasV3() bool {
	return m.VersionID != "" || m.LockMode != "" || m.RetainUntil != 0 || m.LegalHold
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
