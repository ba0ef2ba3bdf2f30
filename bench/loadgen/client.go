package loadgen

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/sigv4"
)

// unsignedPayload is the x-amz-content-sha256 of a body that is not hashed.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// client is a lean S3 client over net/http: keep-alive HTTP/1.1, requests
// signed with sigv4.Signer, bodies streamed from the Pattern.
type client struct {
	base   string // scheme://host
	hc     *http.Client
	tr     *http.Transport
	signer *sigv4.Signer
	pat    *Pattern
}

// newClient builds a client for t with room for conns keep-alive
// connections.
func newClient(t Target, conns int, pat *Pattern) (*client, error) {
	u, err := url.Parse(t.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loadgen: endpoint %q: want http(s)://host:port", t.Endpoint)
	}
	if t.AccessKey == "" || t.SecretKey == "" {
		return nil, fmt.Errorf("loadgen: endpoint %s: no credentials", t.Endpoint)
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.Insecure} //nolint:gosec // operator's choice (--insecure)
	if t.CACert != "" {
		pem, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("loadgen: CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("loadgen: CA certificate %s holds no certificate", t.CACert)
		}
		tlsConf.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:               nil, // a load generator talks to the server itself
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConf,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		// S3 servers speak HTTP/1.1; an empty map keeps h2 out of the way.
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
		ReadBufferSize:  256 << 10,
		WriteBufferSize: 256 << 10,
	}
	return &client{
		base:   u.Scheme + "://" + u.Host,
		hc:     &http.Client{Transport: tr},
		tr:     tr,
		signer: sigv4.NewSigner(sigv4.ClientCredentials{AccessKey: t.AccessKey, SecretKey: t.SecretKey, Region: t.Region}),
		pat:    pat,
	}, nil
}

// close drops idle connections.
func (c *client) close() { c.tr.CloseIdleConnections() }

// StatusError is a non-2xx answer.
type StatusError struct {
	Op     string
	Status int
	Body   string // the S3 error document, truncated
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("loadgen: %s: HTTP %d: %s", e.Op, e.Status, strings.TrimSpace(e.Body))
}

// body describes an upload: bytes [off, off+n) of key's pattern.
type body struct {
	key    string
	off, n int64
}

// upload is how request bodies are protected.
type upload struct {
	checksum string // none, crc32, crc32c, sha256
	signed   bool
}

// checksumHeader is the x-amz-checksum-* header of algorithm.
func checksumHeader(algorithm string) string { return "X-Amz-Checksum-" + strings.ToUpper(algorithm) }

// digests reads b once and returns its checksum (base64, "" for none) and,
// when signed, its hex SHA-256: the work an SDK does before sending.
func (c *client) digests(b body, u upload) (sum, payload string, err error) {
	var hs []io.Writer
	var ck, sh hash.Hash
	switch u.checksum {
	case "crc32":
		ck = crc32.NewIEEE()
	case "crc32c":
		ck = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "sha256":
		ck = sha256.New()
	}
	if ck != nil {
		hs = append(hs, ck)
	}
	if u.signed {
		sh = sha256.New()
		hs = append(hs, sh)
	}
	payload = unsignedPayload
	if len(hs) == 0 {
		return "", payload, nil
	}
	if _, err := c.pat.Reader(b.key, b.off, b.n).WriteTo(io.MultiWriter(hs...)); err != nil {
		return "", "", err
	}
	if ck != nil {
		sum = base64.StdEncoding.EncodeToString(ck.Sum(nil))
	}
	if sh != nil {
		payload = hex.EncodeToString(sh.Sum(nil))
	}
	return sum, payload, nil
}

// do signs and sends one request and returns the response once its headers
// arrived (the time to first byte). A non-2xx status becomes a
// *StatusError and the body is closed.
func (c *client) do(ctx context.Context, op, method, path, query string, hdr map[string]string, bd io.Reader, size int64, payload string) (*http.Response, error) {
	target := c.base + path
	if query != "" {
		target += "?" + query
	}
	if bd == nil {
		bd = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bd)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", op, err)
	}
	req.ContentLength = size
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if err := c.signer.Sign(req, payload, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		doc, _ := io.ReadAll(io.LimitReader(resp.Body, 2<<10))
		resp.Body.Close()
		return nil, &StatusError{Op: op, Status: resp.StatusCode, Body: string(doc)}
	}
	return resp, nil
}

// drain reads and closes a response body so its connection is reused.
func drain(resp *http.Response) error {
	_, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}

// escapeKey percent-encodes a key for the request path, keeping slashes.
func escapeKey(key string) string {
	return strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
}

// createBucket creates bucket unless the caller already owns it.
func (c *client) createBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, "create bucket", http.MethodPut, "/"+bucket, "", nil, nil, 0, emptySHA256)
	var se *StatusError
	if errors.As(err, &se) && (strings.Contains(se.Body, "BucketAlreadyOwnedByYou") || strings.Contains(se.Body, "BucketAlreadyExists")) {
		return nil
	}
	if err != nil {
		return err
	}
	return drain(resp)
}

// put uploads key with n bytes and returns the time to first byte of the
// answer.
func (c *client) put(ctx context.Context, bucket, key string, n int64, u upload) (time.Duration, error) {
	b := body{key: key, n: n}
	sum, payload, err := c.digests(b, u)
	if err != nil {
		return 0, err
	}
	var hdr map[string]string
	if sum != "" {
		hdr = map[string]string{checksumHeader(u.checksum): sum}
	}
	t0 := time.Now()
	resp, err := c.do(ctx, "put "+key, http.MethodPut, "/"+bucket+"/"+escapeKey(key), "", hdr, c.pat.Reader(key, 0, n), n, payload)
	if err != nil {
		return 0, err
	}
	ttfb := time.Since(t0)
	return ttfb, drain(resp)
}

// get reads n bytes of key from off (the whole object when n < 0, whose
// size is then size) into buf, comparing them with the pattern unless
// noVerify. It returns the bytes read and the time to first byte.
func (c *client) get(ctx context.Context, bucket, key string, off, n, size int64, buf []byte, noVerify bool) (int64, time.Duration, error) {
	var hdr map[string]string
	want := size
	if n >= 0 {
		hdr = map[string]string{"Range": "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+n-1, 10)}
		want = n
	}
	t0 := time.Now()
	resp, err := c.do(ctx, "get "+key, http.MethodGet, "/"+bucket+"/"+escapeKey(key), "", hdr, nil, 0, emptySHA256)
	if err != nil {
		return 0, 0, err
	}
	ttfb := time.Since(t0)
	defer resp.Body.Close()
	var w io.Writer = io.Discard
	if !noVerify {
		w = &verifier{r: *c.pat.Reader(key, max(off, 0), want)}
	}
	got, err := copyBuf(w, resp.Body, buf)
	if err != nil {
		return got, ttfb, fmt.Errorf("loadgen: get %s: after %d bytes: %w", key, got, err)
	}
	if got != want {
		return got, ttfb, fmt.Errorf("loadgen: get %s: %d of %d bytes", key, got, want)
	}
	return got, ttfb, nil
}

// copyBuf copies r to w through buf with plain Read and Write calls.
func copyBuf(w io.Writer, r io.Reader, buf []byte) (int64, error) {
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

// del removes key.
func (c *client) del(ctx context.Context, bucket, key string) error {
	resp, err := c.do(ctx, "delete "+key, http.MethodDelete, "/"+bucket+"/"+escapeKey(key), "", nil, nil, 0, emptySHA256)
	if err != nil {
		return err
	}
	return drain(resp)
}

// listPage lists up to max keys under prefix after token and returns the
// key count and the next continuation token ("" at the end).
func (c *client) listPage(ctx context.Context, bucket, prefix, token string, maxKeys int) (int, string, error) {
	q := url.Values{"list-type": {"2"}, "prefix": {prefix}, "max-keys": {strconv.Itoa(maxKeys)}}
	if token != "" {
		q.Set("continuation-token", token)
	}
	resp, err := c.do(ctx, "list "+prefix, http.MethodGet, "/"+bucket, strings.ReplaceAll(q.Encode(), "+", "%20"), nil, nil, 0, emptySHA256)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var doc struct {
		KeyCount              int
		Contents              []struct{ Key string }
		NextContinuationToken string
		IsTruncated           bool
	}
	if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return 0, "", fmt.Errorf("loadgen: list %s: %w", prefix, err)
	}
	if !doc.IsTruncated {
		doc.NextContinuationToken = ""
	}
	return len(doc.Contents), doc.NextContinuationToken, nil
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
