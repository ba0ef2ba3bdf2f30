package object

import (
	"context"
	"fmt"
	"strings"
)

// ListParts lists an upload's parts in part-number order, starting after
// marker. maxParts < 0 means the default 1000; values above 1000 are
// capped. next is the last part number returned when truncated.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, marker, maxParts int) ([]PartInfo, bool, int, error) {
	if _, _, err := s.loadUpload(ctx, bucket, key, uploadID, false); err != nil {
		return nil, false, 0, err
	}
	if maxParts < 0 || maxParts > listPage {
		maxParts = listPage
	}
	if maxParts == 0 {
		return nil, false, 0, nil
	}
	after := ""
	if marker > 0 {
		after = partKey(min(marker, MaxPartNumber))
	}
	page, err := s.meta.List(ctx, nsParts(uploadID), "", after, maxParts+1)
	if err != nil {
		return nil, false, 0, fmt.Errorf("object: list parts of %s: %w", uploadID, err)
	}
	truncated := len(page) > maxParts
	if truncated {
		page = page[:maxParts]
	}
	out := make([]PartInfo, 0, len(page))
	for _, e := range page {
		var pr partRecord
		if err := decodeRecord(e.Value, &pr, &pr.V); err != nil {
			return nil, false, 0, fmt.Errorf("object: upload %s part %s: %w", uploadID, e.Key, err)
		}
		out = append(out, pr.info())
	}
	next := 0
	if truncated && len(out) > 0 {
		next = out[len(out)-1].PartNumber
	}
	return out, truncated, next, nil
}

// ListMultipartUploads lists uploads in progress, ordered by key and then
// upload id (S3 orders one key's uploads by initiation time; ids here are
// random, so the order among one key's uploads is arbitrary but stable).
// keyMarker alone skips every upload of keys up to and including it;
// with uploadIDMarker, uploads of keyMarker after that id are included.
// A delimiter rolls keys up into common prefixes, which count against
// maxUploads (< 0: default 1000; capped at 1000). The caller derives
// NextKeyMarker / NextUploadIdMarker from the last upload or prefix.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket, prefix, delimiter, keyMarker, uploadIDMarker string, maxUploads int) ([]Upload, []string, bool, error) {
	if _, _, err := s.bucket(ctx, bucket); err != nil {
		return nil, nil, false, err
	}
	if maxUploads < 0 || maxUploads > listPage {
		maxUploads = listPage
	}
	if maxUploads == 0 {
		return nil, nil, false, nil
	}
	after := ""
	switch {
	case keyMarker != "" && uploadIDMarker != "":
		after = uploadKey(keyMarker, uploadIDMarker)
	case keyMarker != "":
		after = keyMarker + "\x00" + afterPrefix
	}
	var (
		uploads  []Upload
		prefixes []string
		count    int
	)
	ns := nsUploads(bucket)
	for {
		limit := min(listPage, maxUploads-count+1)
		if delimiter != "" {
			limit = min(limit, delimiterPage)
		}
		page, err := s.meta.List(ctx, ns, prefix, after, limit)
		if err != nil {
			return nil, nil, false, fmt.Errorf("object: list uploads of %s: %w", bucket, err)
		}
		restart := false
		for _, e := range page {
			key, _, _ := strings.Cut(e.Key, "\x00")
			cp, isPrefix := commonPrefix(key, prefix, delimiter)
			if isPrefix && cp <= keyMarker {
				after, restart = cp+afterPrefix, true
				break
			}
			if count == maxUploads {
				return uploads, prefixes, true, nil
			}
			count++
			if isPrefix {
				prefixes = append(prefixes, cp)
				after, restart = cp+afterPrefix, true
				break
			}
			var rec uploadRecord
			after = e.Key
			if err := decodeRecord(e.Value, &rec, &rec.V); err != nil {
				// Listed by name so the client can still abort it.
				s.log.Warn("object: damaged upload record", "key", e.Key, "err", err)
				key, id, _ := strings.Cut(e.Key, "\x00")
				rec = uploadRecord{Bucket: bucket, Key: key, UploadID: id}
			}
			uploads = append(uploads, rec.info())
		}
		if !restart && len(page) < limit {
			return uploads, prefixes, false, nil
		}
	}
}
