package object

import (
	"errors"
	"strings"
	"testing"
)

func TestValidBucketName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my-bucket.example", true},
		{"a1b2c3", true},
		{"1bucket9", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"MyBucket", false},
		{"my_bucket", false},
		{"-bucket", false},
		{"bucket-", false},
		{".bucket", false},
		{"bucket.", false},
		{"my..bucket", false},
		{"foo-.bar", false},
		{"foo.-bar", false},
		{"foo-bar.baz-qux", true},
		{"192.168.5.4", false},
		{"192.168.05.4", false},
		{"1.2.3.4", false},
		{"1.2.3.4.5", true},
		{"1.2.3", true},
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"amzn-s3-demo-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"bucket.mrap", false},
		{"bucket--x-s3", false},
		{"bucket--table-s3", false},
		{"bucket s", false},
		{"bücket", false},
	}
	for _, tt := range tests {
		if got := ValidBucketName(tt.name); got != tt.ok {
			t.Errorf("ValidBucketName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
		err := checkBucketName(tt.name)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidBucketName)) {
			t.Errorf("checkBucketName(%q) = %v", tt.name, err)
		}
	}
}

func FuzzValidBucketName(f *testing.F) {
	for _, s := range []string{"abc", "192.168.1.1", "a..b", "xn--a", "a-s3alias", "UPPER", "a.b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !ValidBucketName(name) {
			return
		}
		// Every accepted name must satisfy the invariants independently.
		if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") || strings.ToLower(name) != name {
			t.Fatalf("accepted %q", name)
		}
		if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
			t.Fatalf("accepted %q with foreign characters", name)
		}
	})
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key  string
		want error
	}{
		{"a", nil},
		{"dir/sub/file.txt", nil},
		{"ünïcödé/☃", nil},
		{strings.Repeat("k", MaxKeyLength), nil},
		{"", ErrInvalidKey},
		{strings.Repeat("k", MaxKeyLength+1), ErrKeyTooLong},
		{"bad\xffutf8", ErrInvalidKey},
		{"nul\x00inside", ErrInvalidKey},
	}
	for _, tt := range tests {
		err := checkKey(tt.key)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("checkKey(%.20q) = %v, want %v", tt.key, err, tt.want)
		}
	}
}

func TestCheckMeta(t *testing.T) {
	ok := ObjectMeta{User: map[string]string{"k": strings.Repeat("v", MaxUserMetaSize-1)}}
	if err := checkMeta(ok); err != nil {
		t.Fatalf("2 KiB of metadata refused: %v", err)
	}
	big := ObjectMeta{User: map[string]string{"k": strings.Repeat("v", MaxUserMetaSize)}}
	if err := checkMeta(big); !errors.Is(err, ErrMetadataTooLarge) {
		t.Fatalf("2 KiB + 1 of metadata: %v", err)
	}
}
