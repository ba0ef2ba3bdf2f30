package object

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for the object layer's checks of client-chosen input that
// the S3 front end passes through unparsed (issue 12): object keys, tag
// sets and checksum values.

func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"k", "a/b/c", "", "\x00", "\xff", strings.Repeat("k", MaxKeyLength+1), "ü/\x01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := checkKey(key)
		valid := key != "" && len(key) <= MaxKeyLength && utf8.ValidString(key) && !strings.Contains(key, "\x00")
		if (err == nil) != valid {
			t.Fatalf("checkKey(%q) = %v", key, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) && !errors.Is(err, ErrKeyTooLong) {
			t.Fatalf("checkKey(%q): unmapped error %v", key, err)
		}
	})
}

// FuzzValidateTags checks the tag rules against an independent statement
// of them, on sets of up to 11 tags cut from one fuzzed string.
func FuzzValidateTags(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "aws:x=1", "a=1&a=2", "=v", strings.Repeat("é", 129) + "=v", "k=\xff", "a&b&c&d&e&f&g&h&i&j&k"} {
		f.Add(s, uint8(10))
	}
	f.Fuzz(func(t *testing.T, s string, max uint8) {
		var tags []Tag
		for p := range strings.SplitSeq(s, "&") {
			k, v, _ := strings.Cut(p, "=")
			tags = append(tags, Tag{Key: k, Value: v})
			if len(tags) > 60 {
				break
			}
		}
		limit := int(max%60) + 1
		err := ValidateTags(tags, limit)
		ok := len(tags) <= limit
		seen := map[string]bool{}
		for _, tg := range tags {
			if tg.Key == "" || !utf8.ValidString(tg.Key) || !utf8.ValidString(tg.Value) ||
				utf8.RuneCountInString(tg.Key) > MaxTagKeyLen || utf8.RuneCountInString(tg.Value) > MaxTagValueLen ||
				strings.HasPrefix(strings.ToLower(tg.Key), "aws:") || seen[tg.Key] {
				ok = false
			}
			seen[tg.Key] = true
		}
		if (err == nil) != ok {
			t.Fatalf("ValidateTags(%q, %d) = %v", tags, limit, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidTag) {
			t.Fatalf("unmapped error %v", err)
		}
	})
}

func FuzzDecodeChecksum(f *testing.F) {
	for _, c := range [][2]string{{"crc32", "AAAAAA=="}, {"sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, {"crc64nvme", "AAAAAAAAAAA="}, {"md5", "x"}, {"crc32c", "AAAA"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, algo, v string) {
		raw, err := decodeChecksum(algo, v)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("unmapped error %v", err)
			}
			return
		}
		if n, known := checksumAlgos[algo]; !known || len(raw) != n {
			t.Fatalf("decodeChecksum(%q, %q) accepted %d bytes", algo, v, len(raw))
		}
	})
}
