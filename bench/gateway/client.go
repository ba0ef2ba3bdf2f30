package gateway

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/sigv4"
)

// unsignedPayload is the x-amz-content-sha256 value of every request: the
// client hashes nothing, so its CPU stays out of the server's way.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// signedHeaders are the headers each request signs besides host. The
// random amz-sdk-invocation-id (as the AWS SDKs send) keeps two identical
// requests within one second from looking like a replay to the server.
var signedHeaders = []string{"amz-sdk-invocation-id", "x-amz-content-sha256", "x-amz-date"}

// copyBufferSize is the read size of downloads: large enough that a
// plaintext response body bypasses the transport's read buffer.
const copyBufferSize = 256 << 10

// ClientOptions configures NewClient.
type ClientOptions struct {
	// Endpoint is the gateway URL ("https://127.0.0.1:9000").
	Endpoint string
	// AccessKey, SecretKey and Region sign requests (Region default us-east-1).
	AccessKey, SecretKey, Region string
	// CAFile is the PEM certificate to trust for https ("" = system roots).
	CAFile string
	// MaxConns is the number of keep-alive connections kept (default 16);
	// it should cover the benchmark's concurrency.
	MaxConns int
	// Timeout bounds each request (default 10 minutes: 1 GiB bodies on a
	// busy two-vCPU box take a while).
	Timeout time.Duration
}

// Client is a lean S3 client: net/http over HTTP/1.1 with keep-alive,
// requests signed with sigv4.Sign and sent with UNSIGNED-PAYLOAD and no
// checksums. It speaks just the operations the benchmarks need. Object
// keys must be URL-safe ([A-Za-z0-9._~/-]); the client does not escape
// them.
type Client struct {
	base    string // scheme://host
	host    string
	creds   sigv4.ClientCredentials
	hc      *http.Client
	tr      *http.Transport
	bufPool sync.Pool
}

// NewClient returns a client for o.Endpoint.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway: endpoint %q: want http(s)://host:port", o.Endpoint)
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS13}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("gateway: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("gateway: CA file %s holds no certificate", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	tr := &http.Transport{
		TLSClientConfig:     tlsConf,
		MaxIdleConns:        o.MaxConns,
		MaxIdleConnsPerHost: o.MaxConns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		// The server speaks HTTP/1.1 only; an empty map keeps the
		// transport from offering h2.
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
		ReadBufferSize:  64 << 10,
		WriteBufferSize: 64 << 10,
	}
	c := &Client{
		base:  u.Scheme + "://" + u.Host,
		host:  u.Host,
		creds: sigv4.ClientCredentials{AccessKey: o.AccessKey, SecretKey: o.SecretKey, Region: o.Region},
		hc:    &http.Client{Transport: tr, Timeout: o.Timeout},
		tr:    tr,
	}
	c.bufPool.New = func() any { b := make([]byte, copyBufferSize); return &b }
	return c, nil
}

// Close drops the idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// objectPath is the path-style request path of bucket/key.
func objectPath(bucket, key string) string {
	if key == "" {
		return "/" + bucket
	}
	return "/" + bucket + "/" + key
}

// do sends one signed request. body may be nil (no body); size is its
// exact length. extra headers are sent unsigned. The caller closes the
// response body; a non-2xx status is returned as an error with the S3 error
// document attached.
func (c *Client) do(ctx context.Context, method, path, query string, body io.Reader, size int64, extra map[string]string) (*http.Response, error) {
	target := c.base + path
	if query != "" {
		target += "?" + query
	}
	if body == nil || size == 0 {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s %s: %w", method, path, err)
	}
	req.ContentLength = size
	now := time.Now().UTC()
	amzDate := now.Format("20060102T150405Z")
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	var id [16]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	invocation := hex.EncodeToString(id[:])
	req.Header.Set("Amz-Sdk-Invocation-Id", invocation)
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	sr := &sigv4.Request{
		Method: method, RawPath: path, RawQuery: query, Host: c.host,
		Header: func(name string) (string, bool) {
			switch name {
			case "x-amz-date":
				return amzDate, true
			case "x-amz-content-sha256":
				return unsignedPayload, true
			case "amz-sdk-invocation-id":
				return invocation, true
			}
			return "", false
		},
	}
	auth, _, err := sigv4.Sign(sr, c.creds, now, signedHeaders, unsignedPayload)
	if err != nil {
		return nil, fmt.Errorf("gateway: sign %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		doc, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		return nil, &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(doc)}
	}
	return resp, nil
}

// StatusError is a non-2xx answer of the gateway.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string // the S3 error document, truncated to 4 KiB
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("gateway: %s %s: HTTP %d: %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// finish drains and closes a response body so its connection is reused.
func finish(resp *http.Response) error {
	_, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}

// CreateBucket creates bucket; a bucket the caller already owns is fine.
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodPut, objectPath(bucket, ""), "", nil, 0, nil)
	var se *StatusError
	if errors.As(err, &se) && strings.Contains(se.Body, "BucketAlreadyOwnedByYou") {
		return nil
	}
	if err != nil {
		return err
	}
	return finish(resp)
}

// DeleteBucket removes an empty bucket.
func (c *Client) DeleteBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodDelete, objectPath(bucket, ""), "", nil, 0, nil)
	if err != nil {
		return err
	}
	return finish(resp)
}

// Put uploads size bytes from body as bucket/key and returns the ETag as
// sent (quoted).
func (c *Client) Put(ctx context.Context, bucket, key string, body io.Reader, size int64) (string, error) {
	resp, err := c.do(ctx, http.MethodPut, objectPath(bucket, key), "", body, size, nil)
	if err != nil {
		return "", err
	}
	return resp.Header.Get("ETag"), finish(resp)
}

// Get copies bucket/key to w: the whole object when n < 0, else n bytes
// from off (a Range request; n == 0 sends nothing). It returns the bytes
// copied and fails when the server sent fewer than it announced.
func (c *Client) Get(ctx context.Context, bucket, key string, off, n int64, w io.Writer) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	var extra map[string]string
	if n >= 0 {
		extra = map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", off, off+n-1)}
	}
	path := objectPath(bucket, key)
	resp, err := c.do(ctx, http.MethodGet, path, "", nil, 0, extra)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	bp := c.bufPool.Get().(*[]byte)
	defer c.bufPool.Put(bp)
	got, err := copyPlain(w, resp.Body, *bp)
	if err != nil {
		return got, fmt.Errorf("gateway: GET %s: after %d bytes: %w", path, got, err)
	}
	if resp.ContentLength >= 0 && got != resp.ContentLength {
		return got, fmt.Errorf("gateway: GET %s: %d of %d bytes", path, got, resp.ContentLength)
	}
	return got, nil
}

// copyPlain copies r to w through buf with plain Read and Write calls:
// io.Copy would hand io.Discard's small pooled buffer to r instead.
func copyPlain(w io.Writer, r io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Delete removes bucket/key.
func (c *Client) Delete(ctx context.Context, bucket, key string) error {
	resp, err := c.do(ctx, http.MethodDelete, objectPath(bucket, key), "", nil, 0, nil)
	if err != nil {
		return err
	}
	return finish(resp)
}
