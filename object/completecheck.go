package object

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// maxCompleteParts is the most parts one object can have (S3's limit), and
// so the largest "-N" suffix a composite checksum can carry.
const maxCompleteParts = 10000

// completeWant is a syntactically valid CompleteOptions: what the finished
// object must look like before its manifest may be committed.
type completeWant struct {
	algo, value string // lower-case algorithm and base64 value, or ""
	parts       int    // "-N" suffix of a composite value, 0 when absent
	typ         string // FULL_OBJECT, COMPOSITE or ""
	size        int64  // -1: not declared
}

// parse validates the options before anything is claimed, so a malformed
// declaration costs no Meta round trip and never touches the upload.
func (o CompleteOptions) parse() (completeWant, error) {
	w := completeWant{size: -1}
	if len(o.Checksums) > 1 {
		return w, fmt.Errorf("%w: more than one whole-object checksum", ErrInvalidArgument)
	}
	for algo, v := range o.Checksums {
		w.algo = strings.ToLower(algo)
		if _, ok := checksumAlgos[w.algo]; !ok {
			return w, fmt.Errorf("%w: checksum algorithm %q", ErrInvalidArgument, algo)
		}
		w.value = v
		if base, n, ok := strings.Cut(v, "-"); ok {
			parts, err := strconv.Atoi(n)
			if err != nil || parts < 1 || parts > maxCompleteParts || n != strconv.Itoa(parts) {
				return w, fmt.Errorf("%w: x-amz-checksum-%s value %q", ErrInvalidArgument, w.algo, v)
			}
			w.value, w.parts = base, parts
		}
		if _, err := decodeChecksum(w.algo, w.value); err != nil {
			return w, err
		}
	}
	if o.ChecksumType != "" {
		w.typ = strings.ToUpper(o.ChecksumType)
		if w.typ != ChecksumFullObject && w.typ != ChecksumComposite {
			return w, fmt.Errorf("%w: checksum type %q", ErrInvalidArgument, o.ChecksumType)
		}
	}
	if o.CheckObjectSize {
		if o.ObjectSize < 0 {
			return w, fmt.Errorf("%w: object size %d", ErrInvalidArgument, o.ObjectSize)
		}
		w.size = o.ObjectSize
	}
	return w, nil
}

// check compares the built (not yet committed) manifest of an upload with
// the declaration. rec.Algo and rec.Type are the upload's checksum settings;
// m.Checksums holds the computed object checksum under rec.Algo.
func (w completeWant) check(rec *uploadRecord, m *manifest.Manifest) error {
	if w.typ != "" && w.typ != rec.Type {
		have := rec.Type
		if have == "" {
			have = "no checksum"
		}
		return fmt.Errorf("object: complete upload %s: checksum type %s, upload has %s: %w", rec.UploadID, w.typ, have, ErrChecksumMismatch)
	}
	if w.algo != "" {
		if w.algo != rec.Algo {
			have := rec.Algo
			if have == "" {
				have = "none"
			}
			return fmt.Errorf("object: complete upload %s: checksum algorithm %s, upload has %s: %w", rec.UploadID, w.algo, have, ErrChecksumAlgorithmMismatch)
		}
		if !w.checksumMatches(rec.Type, m.Checksums[rec.Algo], len(m.Parts)) {
			return fmt.Errorf("object: complete upload %s: declared %s checksum does not match the object's: %w", rec.UploadID, w.algo, ErrChecksumMismatch)
		}
	}
	if w.size >= 0 && w.size != m.Size {
		return fmt.Errorf("object: complete upload %s: declared size %d, object has %d bytes: %w", rec.UploadID, w.size, m.Size, ErrObjectSizeMismatch)
	}
	return nil
}

// checksumMatches compares the declared value with the computed one. A
// FULL_OBJECT checksum is one value with no suffix; a COMPOSITE one is
// "<value>-<parts>", and clients may send it with or without the suffix.
func (w completeWant) checksumMatches(typ, got string, parts int) bool {
	if typ != ChecksumComposite {
		return w.parts == 0 && got == w.value
	}
	if w.parts != 0 && w.parts != parts {
		return false
	}
	base, _, _ := strings.Cut(got, "-")
	return base != "" && base == w.value
}
