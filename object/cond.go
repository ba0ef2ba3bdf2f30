package object

import (
	"fmt"
	"strings"
	"time"
)

// checkConditions evaluates conditional headers against an existing object
// with the given ETag (unquoted) and modification time, in S3's order:
//
//  1. If-Match false → 412. If-Match true disables If-Unmodified-Since.
//  2. If-Unmodified-Since (only without If-Match) false → 412.
//  3. If-None-Match matching → 304. If-None-Match not matching disables
//     If-Modified-Since.
//  4. If-Modified-Since (only without If-None-Match) not modified → 304.
//
// For CopyObject / UploadPartCopy (copy=true) the x-amz-copy-source-if-*
// headers use the same rules but every failure is 412, never 304.
// HTTP dates have whole-second precision, so the comparison truncates the
// object's time to seconds.
func checkConditions(etag string, modified time.Time, c Conditions, copy bool) error {
	mod := modified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !etagListMatches(c.IfMatch, etag) {
			return fmt.Errorf("%w: If-Match", ErrPreconditionFailed)
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mod.After(c.IfUnmodifiedSince) {
		return fmt.Errorf("%w: If-Unmodified-Since", ErrPreconditionFailed)
	}
	notModified := ErrNotModified
	if copy {
		notModified = ErrPreconditionFailed
	}
	if c.IfNoneMatch != "" {
		if etagListMatches(c.IfNoneMatch, etag) {
			return fmt.Errorf("%w: If-None-Match", notModified)
		}
	} else if !c.IfModifiedSince.IsZero() && !mod.After(c.IfModifiedSince) {
		return fmt.Errorf("%w: If-Modified-Since", notModified)
	}
	return nil
}

// etagListMatches reports whether an If-Match / If-None-Match value (a
// comma-separated list of entity tags, quoted or not, possibly weak, or "*")
// names etag. S3 clients are inconsistent about quoting, so both forms count.
func etagListMatches(list, etag string) bool {
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		item = strings.TrimSuffix(strings.TrimPrefix(item, `"`), `"`)
		if item != "" && item == etag {
			return true
		}
	}
	return false
}
