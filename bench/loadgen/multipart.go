package loadgen

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// completePart is one <Part> of CompleteMultipartUpload.
type completePart struct {
	PartNumber     int
	ETag           string
	ChecksumCRC32  string `xml:",omitempty"`
	ChecksumCRC32C string `xml:",omitempty"`
	ChecksumSHA256 string `xml:",omitempty"`
}

// setChecksum stores sum as the part checksum of algorithm.
func (p *completePart) setChecksum(algorithm, sum string) {
	switch algorithm {
	case "crc32":
		p.ChecksumCRC32 = sum
	case "crc32c":
		p.ChecksumCRC32C = sum
	case "sha256":
		p.ChecksumSHA256 = sum
	}
}

// multipartPut uploads key as parts of partSize, inFlight at a time, and
// returns the time to the first part's answer.
func (c *client) multipartPut(ctx context.Context, bucket, key string, size, partSize int64, inFlight int, u upload) (time.Duration, error) {
	path := "/" + bucket + "/" + escapeKey(key)
	var hdr map[string]string
	if u.checksum != "none" {
		hdr = map[string]string{"X-Amz-Checksum-Algorithm": strings.ToUpper(u.checksum)}
	}
	t0 := time.Now()
	resp, err := c.do(ctx, "create upload "+key, http.MethodPost, path, "uploads=", hdr, nil, 0, emptySHA256)
	if err != nil {
		return 0, err
	}
	var created struct{ UploadId string }
	err = xml.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.UploadId == "" {
		return 0, fmt.Errorf("loadgen: create upload %s: no upload id (%v)", key, err)
	}
	uploadQ := "uploadId=" + url.QueryEscape(created.UploadId)
	nparts := int(max((size+partSize-1)/partSize, 1))
	parts := make([]completePart, nparts)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		ttfb     time.Duration
	)
	sem := make(chan struct{}, inFlight)
	for i := range nparts {
		sem <- struct{}{}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			off := int64(i) * partSize
			n := min(partSize, size-off)
			b := body{key: key, off: off, n: n}
			sum, payload, err := c.digests(b, u)
			var phdr map[string]string
			if err == nil && sum != "" {
				phdr = map[string]string{checksumHeader(u.checksum): sum}
			}
			var resp *http.Response
			if err == nil {
				q := "partNumber=" + strconv.Itoa(i+1) + "&" + uploadQ
				resp, err = c.do(ctx, fmt.Sprintf("upload part %d of %s", i+1, key), http.MethodPut, path, q, phdr,
					c.pat.Reader(key, off, n), n, payload)
			}
			if err == nil {
				parts[i] = completePart{PartNumber: i + 1, ETag: resp.Header.Get("ETag")}
				parts[i].setChecksum(u.checksum, sum)
				err = drain(resp)
			}
			mu.Lock()
			defer mu.Unlock()
			if i == 0 {
				ttfb = time.Since(t0)
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		c.abort(key, path, uploadQ)
		return 0, firstErr
	}
	doc, err := xml.Marshal(struct {
		XMLName xml.Name       `xml:"CompleteMultipartUpload"`
		Parts   []completePart `xml:"Part"`
	}{Parts: parts})
	if err != nil {
		return 0, err
	}
	resp, err = c.do(ctx, "complete upload "+key, http.MethodPost, path, uploadQ, nil, strings.NewReader(string(doc)), int64(len(doc)), sha256Hex(doc))
	if err != nil {
		c.abort(key, path, uploadQ)
		return 0, err
	}
	// Complete may answer 200 with an error document: S3's quirk.
	var done struct {
		XMLName xml.Name
		Code    string
	}
	err = xml.NewDecoder(resp.Body).Decode(&done)
	resp.Body.Close()
	if err != nil || done.XMLName.Local == "Error" {
		return 0, fmt.Errorf("loadgen: complete upload %s: %s %v", key, done.Code, err)
	}
	return ttfb, nil
}

// abort abandons an upload, best effort, so failed runs leave no parts.
func (c *client) abort(key, path, uploadQ string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if resp, err := c.do(ctx, "abort upload "+key, http.MethodDelete, path, uploadQ, nil, nil, 0, emptySHA256); err == nil {
		drain(resp)
	}
}
