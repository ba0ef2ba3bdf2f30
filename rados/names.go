package rados

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// maxNameLen bounds shard names and rack names; RADOS object names may be
// longer, but nothing the engine produces comes close.
const maxNameLen = 200

// unreserved reports the bytes allowed verbatim in shard and rack names and
// kept verbatim when escaping namespaces.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// validName reports whether s is a non-empty name of unreserved bytes that
// does not start with '.'; the same rule as the local backend, so a shard
// name is valid on both.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return false
		}
	}
	return true
}

// pieceOID is the RADOS object holding piece n of shard name on slot.
// Piece names end in "." + digits and the last '.' splits such a name
// uniquely, so no two shards' pieces collide.
func pieceOID(slot, name string, n int) string {
	return slot + "/" + name + "." + strconv.Itoa(n)
}

// escapeNS maps a namespace to a string of unreserved bytes except '.', so
// that "ns." + escapeNS(ns) + "." + shard is unambiguous: every other byte
// becomes %XX.
func escapeNS(ns string) string {
	var b strings.Builder
	b.Grow(len(ns) + 8)
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if unreserved(c) && c != '.' {
			b.WriteByte(c)
			continue
		}
		var h [2]byte
		hex.Encode(h[:], []byte{c})
		b.WriteByte('%')
		b.Write(h[:])
	}
	return b.String()
}

// shardOID is the omap object holding shard i of namespace ns.
func shardOID(ns string, i int) string {
	return "ns." + escapeNS(ns) + "." + strconv.Itoa(i)
}

// keyShard picks the omap shard of key: FNV-1a over its bytes, then the
// splitmix64 finaliser so similar keys spread evenly. The function is part of
// the on-cluster format.
func keyShard(key string, shards int) int {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return int(h % uint64(shards))
}

// Omap key encoding. librados takes omap start-after and prefix filters as
// C strings, so keys must not contain NUL, yet Meta keys may (the mpu
// namespace joins object key and upload id with "\x00"). escapeKey maps
// 0x00 → 0x01 0x01 and 0x01 → 0x01 0x02 and keeps every other byte: the
// code is prefix-free and preserves byte order and prefixes, so omap order
// is Meta order and a key prefix is an omap prefix.
func escapeKey(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		switch c := key[i]; c {
		case 0, 1:
			dst = append(dst, 1, c+1)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// unescapeKey reverses escapeKey; ok is false for a string escapeKey never
// produces.
func unescapeKey(s string) (string, bool) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	if strings.IndexByte(s, 1) < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 1 {
			b = append(b, c)
			continue
		}
		if i+1 == len(s) || (s[i+1] != 1 && s[i+1] != 2) {
			return "", false
		}
		b = append(b, s[i+1]-1)
		i++
	}
	return string(b), true
}

// Omap entry prefixes: dataPrefix+key holds the value record and
// versionPrefix+key the version, as 16 lower-case hex digits. Hex keeps every
// byte below 0x80: Ceph compares omap values as (signed) chars, and hex digits
// order the same either way.
const (
	dataPrefix    = 'k'
	versionPrefix = 'v'
)

// omapKey returns prefix + escapeKey(key).
func omapKey(prefix byte, key string) string {
	b := make([]byte, 0, len(key)+8)
	b = append(b, prefix)
	return string(escapeKey(b, key))
}

// versionText renders v as the fixed-width hex stored under versionPrefix.
func versionText(v uint64) []byte {
	var b [16]byte
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return b[:]
}

// parseVersionText reverses versionText.
func parseVersionText(b []byte) (uint64, bool) {
	if len(b) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b), 16, 64)
	return v, err == nil
}
