package object

import (
	"context"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// cursor pages through one Meta namespace in key order.
type cursor struct {
	s                 *Store
	ns, prefix, after string
	// limit is the next page's size: small after a seek (a common prefix
	// often needs only its first entry), doubling up to max.
	limit, max int
	// want, when set, caps the next page: the caller needs no more
	// entries than that (a page's last look-ahead needs one, not max).
	want int
	page []storage.Entry
	i    int
	done bool
}

// seekPage is a cursor's first page size after a seek.
const seekPage = 8

// peek returns the next entry without consuming it (nil at the end).
func (c *cursor) peek(ctx context.Context) (*storage.Entry, error) {
	if c.i < len(c.page) {
		return &c.page[c.i], nil
	}
	if c.done {
		return nil, nil
	}
	if c.limit == 0 {
		c.limit = c.max
	}
	lim := c.limit
	if c.want > 0 {
		lim = min(lim, c.want)
	}
	page, err := c.s.meta.List(ctx, c.ns, c.prefix, c.after, lim)
	if err != nil {
		return nil, err
	}
	c.page, c.i = page, 0
	c.done = len(page) < lim
	c.limit = min(2*c.limit, c.max)
	if len(page) == 0 {
		return nil, nil
	}
	c.after = page[len(page)-1].Key
	return &c.page[0], nil
}

func (c *cursor) next() { c.i++ }

// seek restarts the cursor strictly after after.
func (c *cursor) seek(after string) {
	c.after, c.page, c.i, c.done = after, nil, 0, false
	c.limit = min(seekPage, c.max)
}

// ListObjectVersions lists every version and delete marker of a bucket,
// keys in byte order and each key's versions newest first, with S3's
// prefix, delimiter, key-marker, version-id-marker and max-keys.
//
// It merges two ordered namespaces page by page: ver/ (every version of a
// key that ever changed in a versioned bucket) and obj/ (objects written
// before versioning, or in a bucket never versioned, which are their key's
// only, null, version). An obj/ entry whose key has ver/ entries is a copy
// of one of them and is skipped. Cost is O(page): a common prefix skips
// both cursors past itself (restarting each with a page of seekPage
// entries), and otherwise nothing is read beyond the page but one
// look-ahead entry per cursor. Like ListObjects it parses manifests without verifying
// signatures.
func (s *Store) ListObjectVersions(ctx context.Context, in VersionListInput) (VersionListResult, error) {
	if _, _, err := s.bucket(ctx, in.Bucket); err != nil {
		return VersionListResult{}, err
	}
	var res VersionListResult
	maxKeys := in.MaxKeys
	if maxKeys < 0 || maxKeys > listPage {
		maxKeys = listPage
	}
	if in.VersionIDMarker != "" {
		if in.KeyMarker == "" {
			return res, fmt.Errorf("%w: a version-id-marker cannot be specified without a key-marker", ErrInvalidArgument)
		}
		if err := checkVersionID(in.VersionIDMarker); err != nil {
			return res, err
		}
	}
	if maxKeys == 0 {
		return res, nil
	}
	limit := min(listPage, maxKeys+1)
	if in.Delimiter != "" {
		limit = min(limit, delimiterPage)
	}
	objs := &cursor{s: s, ns: nsObjects(in.Bucket), prefix: in.Prefix, after: in.KeyMarker, max: limit}
	vers := &cursor{s: s, ns: nsVersions(in.Bucket), prefix: in.Prefix, max: limit}
	// prevKey is the key of the last ver/ entry seen: the next entry of
	// the same key is not the latest version.
	prevKey := ""
	if in.KeyMarker != "" {
		vers.after = in.KeyMarker + "\x01" // past every version of KeyMarker
		if in.VersionIDMarker != "" {
			prevKey = in.KeyMarker
			seg := in.VersionIDMarker
			if seg == NullVersion {
				seg = "\xff" // not found below: resume after the key
				if e, ok, err := s.findVersion(ctx, in.Bucket, in.KeyMarker, NullVersion); err != nil {
					return res, err
				} else if ok {
					seg = e.seg
				}
			}
			vers.after = versionKey(in.KeyMarker, seg)
		}
	}
	count := 0
	for {
		if err := ctx.Err(); err != nil {
			return VersionListResult{}, fmt.Errorf("object: list versions %s: %w", in.Bucket, err)
		}
		// Neither cursor needs more than the entries still to return and
		// one look-ahead: without this cap a full page's last look-ahead
		// read a second page of each namespace.
		objs.want, vers.want = maxKeys-count+1, maxKeys-count+1
		o, err := objs.peek(ctx)
		if err != nil {
			return VersionListResult{}, fmt.Errorf("object: list versions %s: %w", in.Bucket, err)
		}
		v, err := vers.peek(ctx)
		if err != nil {
			return VersionListResult{}, fmt.Errorf("object: list versions %s: %w", in.Bucket, err)
		}
		if o == nil && v == nil {
			return res, nil
		}
		var key, seg string
		fromVer := false
		if v != nil {
			vk, vs, ok := splitVersionKey(v.Key)
			if !ok {
				vers.next()
				continue
			}
			if o == nil || vk <= o.Key {
				key, seg, fromVer = vk, vs, true
				if o != nil && o.Key == vk {
					objs.next() // a copy of one of vk's versions
				}
			}
		}
		if !fromVer {
			key = o.Key
		}
		if cp, isPrefix := commonPrefix(key, in.Prefix, in.Delimiter); isPrefix {
			if cp > in.KeyMarker {
				if count == maxKeys {
					res.IsTruncated = true
					return res, nil
				}
				count++
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextKeyMarker, res.NextVersionIDMarker = cp, ""
			}
			objs.seek(cp + afterPrefix)
			vers.seek(cp + afterPrefix)
			continue
		}
		var item VersionInfo
		var ok bool
		if fromVer {
			item, ok = s.listedVersion(in.Bucket, key, seg, v.Value)
			item.IsLatest = key != prevKey
			prevKey = key
		} else {
			var info ObjectInfo
			info, ok = s.listedInfo(in.Bucket, *o)
			item = VersionInfo{ObjectInfo: info, IsLatest: true}
			item.VersionID = NullVersion
		}
		if !ok {
			// Damaged entry: skipped and logged, never fatal.
			if fromVer {
				vers.next()
			} else {
				objs.next()
			}
			continue
		}
		if count == maxKeys {
			res.IsTruncated = true
			return res, nil
		}
		count++
		res.Versions = append(res.Versions, item)
		res.NextKeyMarker, res.NextVersionIDMarker = key, item.VersionID
		if fromVer {
			vers.next()
		} else {
			objs.next()
		}
	}
}

// listedVersion describes one ver/ entry.
func (s *Store) listedVersion(bucket, key, seg string, raw []byte) (VersionInfo, bool) {
	if isMarker(raw) {
		r, err := decodeMarker(raw)
		if err != nil {
			s.log.Warn("object: damaged delete marker skipped in listing", "bucket", bucket, "key", key, "err", err)
			return VersionInfo{}, false
		}
		return VersionInfo{DeleteMarker: true, ObjectInfo: ObjectInfo{
			Bucket: bucket, Key: key, VersionID: r.VersionID, Owner: r.Owner,
			LastModified: time.Unix(0, r.Modified).UTC(),
		}}, true
	}
	m, err := manifest.Unmarshal(raw)
	if err != nil {
		s.log.Warn("object: damaged version skipped in listing", "bucket", bucket, "key", key, "version", seg, "err", err)
		return VersionInfo{}, false
	}
	info := manifestInfo(m)
	info.Bucket, info.Key, info.VersionID = bucket, key, reportedVersion(m.VersionID)
	return VersionInfo{ObjectInfo: info}, true
}
