package object

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ExpireUploads aborts every multipart upload initiated before olderThan,
// in every bucket, and returns how many it aborted. It is safe to run from
// several gateway processes at once: each abort is a conditional delete, and
// an upload someone else removed first is simply skipped.
func (s *Store) ExpireUploads(ctx context.Context, olderThan time.Time) (int, error) {
	buckets, err := s.ListBuckets(ctx, "")
	if err != nil {
		return 0, err
	}
	cutoff := olderThan.UnixNano()
	n := 0
	for _, b := range buckets {
		after := ""
		for {
			page, err := s.meta.List(ctx, nsUploads(b.Name), "", after, listPage)
			if err != nil {
				return n, fmt.Errorf("object: expire uploads in %s: %w", b.Name, err)
			}
			for _, e := range page {
				after = e.Key
				var rec uploadRecord
				if err := decodeRecord(e.Value, &rec, &rec.V); err != nil {
					s.log.Warn("object: unreadable upload record", "bucket", b.Name, "key", e.Key, "err", err)
					continue
				}
				if rec.Initiated >= cutoff {
					continue
				}
				key, id, _ := strings.Cut(e.Key, "\x00")
				err := s.AbortMultipartUpload(ctx, b.Name, key, id)
				switch {
				case err == nil:
					n++
				case errors.Is(err, ErrNoSuchUpload):
					// Completed, aborted or claimed meanwhile.
				default:
					return n, err
				}
			}
			if len(page) < listPage {
				break
			}
		}
	}
	return n, nil
}

// RunUploadExpiry calls ExpireUploads every interval with the cutoff
// now − Options.MultipartExpiry until ctx ends; the server starts it in a
// goroutine. It returns immediately when MultipartExpiry is 0 (uploads are
// kept forever). Failures are logged and retried at the next tick.
func (s *Store) RunUploadExpiry(ctx context.Context, interval time.Duration) {
	if s.expiry <= 0 || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.ExpireUploads(ctx, s.now().Add(-s.expiry))
			if err != nil && ctx.Err() == nil {
				s.log.Warn("object: upload expiry", "err", err)
			}
			if n > 0 {
				s.log.Info("object: expired multipart uploads", "count", n)
			}
		}
	}
}
