package local

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxEscaped is the longest file name an escaped key may take before it is
// replaced by a hash name; it stays well under the usual 255-byte limit.
const maxEscaped = 200

// hashPrefix starts the names of files whose key is too long (or empty) to
// escape; such files carry the real key inside. '~' is never produced by
// escaping, and '.' (internal files) never starts an escaped name.
const hashPrefix = '~'

// unreserved reports the bytes kept verbatim in escaped names.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// validName reports whether s is a safe file name made of unreserved bytes
// only: shard names and OSD IDs.
func validName(s string) bool {
	if s == "" || len(s) > maxEscaped || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return false
		}
	}
	return true
}

// escapeName maps a key (or namespace) to its file name. Every byte outside
// [A-Za-z0-9._-] becomes %XX (upper-case hex), as does a leading '.', so no
// escaped name is "", ".", ".." or a hidden internal file. The mapping is
// per byte, hence order-preserving for prefix tests, and injective. Empty
// keys and names longer than maxEscaped use "~" + SHA-256(key) instead.
func escapeName(key string) string {
	n := 0
	for i := 0; i < len(key); i++ {
		if unreserved(key[i]) && (i > 0 || key[i] != '.') {
			n++
		} else {
			n += 3
		}
	}
	if n == 0 || n > maxEscaped {
		return hashName(key)
	}
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if unreserved(c) && (i > 0 || c != '.') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

// hashName is the file name of a key too long (or empty) to escape.
func hashName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return string(hashPrefix) + hex.EncodeToString(sum[:])
}

// isHashName reports names produced by hashName.
func isHashName(name string) bool {
	return len(name) == 1+2*sha256.Size && name[0] == hashPrefix
}

// unescapeName inverts escapeName for non-hash names. It accepts only the
// canonical escaping of some key, so stray files (editor backups, names
// with lower-case %xx) are never mistaken for keys.
func unescapeName(name string) (string, bool) {
	if name == "" || name[0] == '.' || name[0] == hashPrefix || len(name) > maxEscaped {
		return "", false
	}
	var b []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			if !unreserved(c) {
				return "", false
			}
			b = append(b, c)
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		hi, ok1 := upperHex(name[i+1])
		lo, ok2 := upperHex(name[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		v := hi<<4 | lo
		// An escaped byte that would have been kept verbatim is not canonical.
		if unreserved(v) && (len(b) > 0 || v != '.') {
			return "", false
		}
		b = append(b, v)
		i += 2
	}
	return string(b), true
}

func upperHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// fanout is the two-character subdirectory of a shard name. Shard names
// start with the hex of a random data id, so their first two characters are
// already uniform and let an operator find a shard by eye; any other name
// falls back to hex digits of a hash, keeping 256 directories either way.
func fanout(name string) string {
	if len(name) >= 2 && lowerHex(name[0]) && lowerHex(name[1]) {
		return name[:2]
	}
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:1])
}

func lowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }
