package object

import (
	"context"
	"fmt"
	"strings"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// listPage is the most entries a listing returns (S3's MaxKeys cap) and the
// largest Meta page it requests.
const listPage = 1000

// delimiterPage is the Meta page size of a listing with a delimiter. Pages
// carry whole manifests (several KiB each), and after the first key of a
// common prefix the rest of the page is wasted, so smaller pages bound what
// a roll-up of a large folder reads.
const delimiterPage = 128

// afterPrefix is appended to a common prefix to form a List "after" bound
// past every key that starts with it: keys are valid UTF-8, which never
// contains the byte 0xFF, so prefix+"\xff" sorts after all of them.
const afterPrefix = "\xff"

// ListObjects lists bucket keys in byte order (ListObjects V1/V2 share it).
//
// With a delimiter, keys sharing Prefix+…+Delimiter roll up into one common
// prefix that counts against MaxKeys like a key; after emitting it the scan
// skips straight past the prefix (after = prefix+"\xff"), so a folder of a
// million keys costs one Meta request, not a million entries. A common
// prefix at or before Marker is not repeated, so NextMarker (the last key or
// prefix returned) works as the next request's Marker / continuation token.
// MaxKeys: < 0 means the default 1000, 0 returns an empty, untruncated page,
// and values above 1000 are capped.
//
// Listing parses manifests without verifying their signatures: it returns no
// object data, and verification (≈36 µs per ML-DSA-65 check) on every entry
// would dominate listing cost. GET and HEAD always verify.
func (s *Store) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	if _, _, err := s.bucket(ctx, in.Bucket); err != nil {
		return ListResult{}, err
	}
	maxKeys := in.MaxKeys
	if maxKeys < 0 || maxKeys > listPage {
		maxKeys = listPage
	}
	var res ListResult
	if maxKeys == 0 {
		return res, nil
	}
	ns := nsObjects(in.Bucket)
	after := in.Marker
	count := 0
	// After a common prefix the next Meta page starts at seekPage entries
	// (the next prefix often needs only its first key) and doubles up to
	// delimiterPage while plain keys follow: a roll-up of P prefixes reads
	// about 8·P records rather than 128·P.
	delimLimit := delimiterPage
	for {
		limit := min(listPage, maxKeys-count+1)
		if in.Delimiter != "" {
			limit = min(limit, delimLimit)
		}
		// A delimiter listing may take many pages; stop between them
		// once the client has gone (the request context is cancelled).
		if err := ctx.Err(); err != nil {
			return ListResult{}, fmt.Errorf("object: list %s: %w", in.Bucket, err)
		}
		page, err := s.meta.List(ctx, ns, in.Prefix, after, limit)
		if err != nil {
			return ListResult{}, fmt.Errorf("object: list %s: %w", in.Bucket, err)
		}
		restart := false
		for _, e := range page {
			cp, isPrefix := commonPrefix(e.Key, in.Prefix, in.Delimiter)
			if isPrefix && cp <= in.Marker {
				after, restart = cp+afterPrefix, true
				break
			}
			var info ObjectInfo
			if !isPrefix {
				var ok bool
				if info, ok = s.listedInfo(in.Bucket, e); !ok {
					after = e.Key // damaged manifest: skipped, logged
					continue
				}
			}
			if count == maxKeys {
				res.IsTruncated = true
				return res, nil
			}
			count++
			if isPrefix {
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextMarker = cp
				after, restart = cp+afterPrefix, true
				break
			}
			res.Objects = append(res.Objects, info)
			res.NextMarker = e.Key
			after = e.Key
		}
		if !restart && len(page) < limit {
			res.NextMarker = "" // only meaningful when truncated
			return res, nil
		}
		if restart {
			delimLimit = seekPage
		} else {
			delimLimit = min(2*delimLimit, delimiterPage)
		}
	}
}

// commonPrefix reports the common prefix key rolls up into, if any.
func commonPrefix(key, prefix, delimiter string) (string, bool) {
	if delimiter == "" {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}

// listedInfo describes a listed manifest. An unparseable manifest is
// skipped (ok false) and logged, so one damaged key never fails or
// poisons the listing of its bucket; reading that key fails with
// ErrDamagedMetadata, and DELETE or PUT of it still work.
func (s *Store) listedInfo(bucket string, e storage.Entry) (ObjectInfo, bool) {
	m, err := manifest.Unmarshal(e.Value)
	if err != nil {
		s.log.Warn("object: damaged manifest skipped in listing", "bucket", bucket, "key", e.Key, "err", err)
		return ObjectInfo{}, false
	}
	info := manifestInfo(m)
	info.Bucket, info.Key = bucket, e.Key
	return info, true
}
