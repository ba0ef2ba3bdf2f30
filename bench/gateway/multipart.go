package gateway

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// CreateUpload starts a multipart upload of bucket/key and returns its id.
func (c *Client) CreateUpload(ctx context.Context, bucket, key string) (string, error) {
	resp, err := c.do(ctx, http.MethodPost, objectPath(bucket, key), "uploads=", nil, 0, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var doc struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&doc); err != nil {
		return "", fmt.Errorf("gateway: CreateMultipartUpload %s/%s: %w", bucket, key, err)
	}
	if doc.UploadID == "" {
		return "", fmt.Errorf("gateway: CreateMultipartUpload %s/%s: no UploadId", bucket, key)
	}
	return doc.UploadID, finish(resp)
}

// uploadQuery is the query of UploadPart (part > 0) or of Complete/Abort.
func uploadQuery(uploadID string, part int) string {
	q := "uploadId=" + url.QueryEscape(uploadID)
	if part > 0 {
		q = "partNumber=" + strconv.Itoa(part) + "&" + q
	}
	return q
}

// UploadPart uploads part number part (1-based) of size bytes and returns
// its ETag as sent (quoted).
func (c *Client) UploadPart(ctx context.Context, bucket, key, uploadID string, part int, body io.Reader, size int64) (string, error) {
	resp, err := c.do(ctx, http.MethodPut, objectPath(bucket, key), uploadQuery(uploadID, part), body, size, nil)
	if err != nil {
		return "", err
	}
	etag := resp.Header.Get("ETag")
	if err := finish(resp); err != nil {
		return "", err
	}
	if etag == "" {
		return "", fmt.Errorf("gateway: UploadPart %s/%s #%d: no ETag", bucket, key, part)
	}
	return etag, nil
}

// CompleteUpload completes the upload with etags[i] as part i+1. The
// gateway may answer 200 and report a failure in the body, as S3 does;
// that is returned as an error.
func (c *Client) CompleteUpload(ctx context.Context, bucket, key, uploadID string, etags []string) error {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for i, e := range etags {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, xmlEscape(e))
	}
	b.WriteString("</CompleteMultipartUpload>")
	doc := b.String()
	resp, err := c.do(ctx, http.MethodPost, objectPath(bucket, key), uploadQuery(uploadID, 0),
		strings.NewReader(doc), int64(len(doc)), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("gateway: CompleteMultipartUpload %s/%s: %w", bucket, key, err)
	}
	if strings.Contains(string(body), "<Error>") {
		return fmt.Errorf("gateway: CompleteMultipartUpload %s/%s: %s", bucket, key, strings.TrimSpace(string(body)))
	}
	return nil
}

// xmlEscape escapes s for XML character data.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// AbortUpload aborts the upload and discards its parts.
func (c *Client) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	resp, err := c.do(ctx, http.MethodDelete, objectPath(bucket, key), uploadQuery(uploadID, 0), nil, 0, nil)
	if err != nil {
		return err
	}
	return finish(resp)
}

// Upload writes size bytes of block as bucket/key with a multipart upload
// of partSize parts, parallel of them in flight: what an SDK's upload
// manager does. On failure the upload is aborted.
func (c *Client) Upload(ctx context.Context, bucket, key string, block Block, size, partSize int64, parallel int) error {
	if partSize <= 0 || parallel <= 0 || size <= 0 {
		return fmt.Errorf("gateway: upload %s/%s: size %d, part size %d, parallel %d", bucket, key, size, partSize, parallel)
	}
	id, err := c.CreateUpload(ctx, bucket, key)
	if err != nil {
		return err
	}
	parts := int((size + partSize - 1) / partSize)
	etags := make([]string, parts)
	err = forEach(ctx, parts, parallel, func(ctx context.Context, i int) error {
		off := int64(i) * partSize
		n := min(partSize, size-off)
		etag, err := c.UploadPart(ctx, bucket, key, id, i+1, block.Body(n, off), n)
		etags[i] = etag
		return err
	})
	if err == nil {
		err = c.CompleteUpload(ctx, bucket, key, id, etags)
	}
	if err != nil {
		_ = c.AbortUpload(context.WithoutCancel(ctx), bucket, key, id)
		return err
	}
	return nil
}

// Download reads size bytes of bucket/key as ranged GETs of rangeSize,
// parallel of them in flight, each range written to sink(i) (i = range
// index; nil sink discards). It is the matching download of Upload.
func (c *Client) Download(ctx context.Context, bucket, key string, size, rangeSize int64, parallel int, sink func(i int) io.Writer) error {
	if rangeSize <= 0 || parallel <= 0 || size < 0 {
		return fmt.Errorf("gateway: download %s/%s: size %d, range size %d, parallel %d", bucket, key, size, rangeSize, parallel)
	}
	ranges := int((size + rangeSize - 1) / rangeSize)
	return forEach(ctx, ranges, parallel, func(ctx context.Context, i int) error {
		off := int64(i) * rangeSize
		n := min(rangeSize, size-off)
		var w io.Writer = io.Discard
		if sink != nil {
			w = sink(i)
		}
		got, err := c.Get(ctx, bucket, key, off, n, w)
		if err == nil && got != n {
			err = fmt.Errorf("gateway: download %s/%s: range %d: %d of %d bytes", bucket, key, i, got, n)
		}
		return err
	})
}

// forEach runs fn(0..n-1) on parallel goroutines, handing out indexes in
// order, and returns the first error; the others stop taking work once an
// error is seen (their context is cancelled too).
func forEach(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		next     int
		firstErr error
		wg       sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || firstErr != nil {
			return 0, false
		}
		next++
		return next - 1, true
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for range min(parallel, n) {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				if err := fn(ctx, i); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}
