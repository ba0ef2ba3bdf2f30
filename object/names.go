package object

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits from the S3 specification that the layer enforces itself, so every
// gateway front end gets the same answers.
const (
	// MaxKeyLength is the longest object key in bytes (UTF-8).
	MaxKeyLength = 1024
	// MaxUserMetaSize bounds the sum of the byte lengths of every
	// x-amz-meta-* name and value.
	MaxUserMetaSize = 2 << 10
)

// reservedBucketPrefixes and reservedBucketSuffixes are the name patterns AWS
// reserves for access points, aliases and directory buckets; accepting them
// would make our buckets unaddressable by clients that special-case them.
var (
	reservedBucketPrefixes = [...]string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = [...]string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// ValidBucketName reports whether name follows the S3 general-purpose bucket
// naming rules: 3–63 characters of lower-case letters, digits, '-' and '.',
// starting and ending with a letter or digit, no "..", not formatted like an
// IPv4 address, and none of the reserved prefixes or suffixes.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	// Each dot-separated label starts and ends with a letter or digit, as
	// DNS labels do: "a..b", "foo-.bar" and "foo.-bar" are invalid in S3.
	if strings.Contains(name, "..") || strings.Contains(name, "-.") || strings.Contains(name, ".-") {
		return false
	}
	if looksLikeIPv4(name) {
		return false
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range reservedBucketSuffixes {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// looksLikeIPv4 reports whether name is formatted like a dotted-quad
// address: four dot-separated groups of 1–3 digits. S3 forbids such names
// (virtual-host addressing would be ambiguous) and counts "192.168.05.4"
// too, so this checks the shape rather than parsing an address. It runs on
// every request, so it does not allocate.
func looksLikeIPv4(name string) bool {
	groups, digits := 1, 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= '0' && c <= '9':
			digits++
			if digits > 3 {
				return false
			}
		case c == '.':
			if digits == 0 {
				return false
			}
			groups, digits = groups+1, 0
		default:
			return false
		}
	}
	return groups == 4 && digits > 0
}

// checkBucketName returns ErrInvalidBucketName with context for bad names.
func checkBucketName(name string) error {
	if !ValidBucketName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidBucketName, name)
	}
	return nil
}

// checkKey validates an object key: 1..1024 bytes of valid UTF-8 without
// NUL. NUL is refused because it separates key and upload id in the
// multipart index and cannot be carried in S3's XML listings anyway.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	case len(key) > MaxKeyLength:
		return fmt.Errorf("%w: %d bytes", ErrKeyTooLong, len(key))
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidKey)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: contains NUL", ErrInvalidKey)
	}
	return nil
}

// checkMeta enforces the 2 KiB user-metadata limit (sum of the UTF-8 byte
// lengths of names and values, as AWS measures it).
func checkMeta(m ObjectMeta) error {
	n := 0
	for k, v := range m.User {
		n += len(k) + len(v)
	}
	if n > MaxUserMetaSize {
		return fmt.Errorf("%w: %d bytes of user metadata (limit %d)", ErrMetadataTooLarge, n, MaxUserMetaSize)
	}
	return nil
}
