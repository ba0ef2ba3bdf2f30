package sigv4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// End-to-end interop: the real aws-sdk-go-v2 S3 client talks to a tiny
// net/http server whose only logic is Verify + Body. Whatever payload mode
// the SDK picks (signed hex over http, aws-chunked with unsigned trailers
// over https, presigned URLs), the server must accept it and decode the
// exact bytes.

// seen is what the fake server recorded for one request.
type seen struct {
	method, path string
	mode         PayloadMode
	data         []byte
	trailers     map[string]string
}

// fakeS3 verifies every request and stores PUT bodies in memory.
type fakeS3 struct {
	v    *Verifier
	mu   sync.Mutex
	log  []seen
	objs map[string][]byte
}

// fromServer adapts a server-side net/http request (RequestURI is the raw
// request-target, exactly as sent).
func fromServer(req *http.Request) *Request {
	path, query, _ := strings.Cut(req.RequestURI, "?")
	h := map[string]string{}
	for k, vs := range req.Header {
		h[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if _, ok := h["content-length"]; !ok && req.ContentLength >= 0 && len(req.TransferEncoding) == 0 {
		h["content-length"] = itoa(req.ContentLength)
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	return &Request{
		Method: req.Method, RawPath: path, RawQuery: query, Host: req.Host,
		Header: func(n string) (string, bool) {
			if n == "host" {
				return req.Host, true
			}
			v, ok := h[n]
			return v, ok
		},
		HeaderNames: names,
	}
}

func (f *fakeS3) fail(w http.ResponseWriter, status int, err error) {
	code := "InternalError"
	var e *Error
	if errors.As(err, &e) {
		code = e.Code
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", code, err)
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r := fromServer(req)
	id, err := f.v.Verify(r)
	if err != nil {
		f.fail(w, http.StatusForbidden, err)
		return
	}
	body, err := f.v.Body(id, req.Body)
	if err != nil {
		f.fail(w, http.StatusBadRequest, err)
		return
	}
	data, err := io.ReadAll(body)
	if err != nil {
		f.fail(w, http.StatusBadRequest, err)
		return
	}
	f.mu.Lock()
	f.log = append(f.log, seen{method: req.Method, path: r.RawPath, mode: id.Mode, data: data, trailers: body.Trailers()})
	obj, have := f.objs[r.RawPath]
	if req.Method == http.MethodPut {
		f.objs[r.RawPath] = data
	}
	f.mu.Unlock()
	switch {
	case req.Method == http.MethodGet && strings.Contains(r.RawQuery, "list-type=2"):
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bucket</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>`)
	case req.Method == http.MethodGet && have:
		w.Header().Set("Content-Length", itoa(int64(len(obj))))
		w.Write(obj)
	case req.Method == http.MethodGet:
		f.fail(w, http.StatusNotFound, newErr("NoSuchKey", "no such key"))
	default:
		w.Header().Set("ETag", `"etag"`)
		w.WriteHeader(http.StatusOK)
	}
}

// last returns the most recent request the server saw.
func (f *fakeS3) last() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log[len(f.log)-1]
}

// newS3Pair starts the fake server (TLS or not) and a client for it.
func newS3Pair(t *testing.T, tls bool) (*fakeS3, *s3.Client, *http.Client) {
	t.Helper()
	f := &fakeS3{v: NewVerifier(Options{Region: testRegion, Creds: staticCreds{testAK: testSK}}), objs: map[string][]byte{}}
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(f)
	} else {
		srv = httptest.NewServer(f)
	}
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,
	})
	return f, c, srv.Client()
}

// onlyReader hides Seek so the SDK must stream (aws-chunked over TLS).
type onlyReader struct{ io.Reader }

var awkwardKeys = []string{
	"plain.txt",
	"dir/sub dir/file name.txt",
	"a+b=c&d!e'f(g)h*i~j@k$l;m:n,o?p#q[r]s",
	"percent%20literal%2F",
	"日本語/été/ü",
	"trailing/",
}

func TestS3ClientInterop(t *testing.T) {
	ctx := context.Background()
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			f, c, hc := newS3Pair(t, tls)
			payload := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160 000 bytes
			modes := map[PayloadMode]bool{}
			for _, key := range awkwardKeys {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String(key), Body: bytes.NewReader(payload),
				}); err != nil {
					t.Fatalf("PutObject %q: %v", key, err)
				}
				got := f.last()
				modes[got.mode] = true
				if !bytes.Equal(got.data, payload) {
					t.Fatalf("PutObject %q: server decoded %d bytes", key, len(got.data))
				}
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("GetObject %q: %v", key, err)
				}
				back, _ := io.ReadAll(out.Body)
				out.Body.Close()
				if !bytes.Equal(back, payload) {
					t.Fatalf("GetObject %q: %d bytes back", key, len(back))
				}
			}
			if tls {
				// Streaming bodies with each flexible checksum: aws-chunked
				// with an unsigned trailer.
				for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
					types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
					if _, err := c.PutObject(ctx, &s3.PutObjectInput{
						Bucket: aws.String("bucket"), Key: aws.String("stream/" + string(alg)),
						Body: onlyReader{bytes.NewReader(payload)}, ContentLength: aws.Int64(int64(len(payload))),
						ChecksumAlgorithm: alg,
					}); err != nil {
						t.Fatalf("streaming PutObject %s: %v", alg, err)
					}
					got := f.last()
					if got.mode != StreamingUnsignedTrailer || !bytes.Equal(got.data, payload) {
						t.Fatalf("%s: mode %v, %d bytes", alg, got.mode, len(got.data))
					}
					name := "x-amz-checksum-" + strings.ToLower(string(alg))
					if len(got.trailers) != 1 || got.trailers[name] == "" {
						t.Fatalf("%s: trailers %v", alg, got.trailers)
					}
				}
			}
			if _, err := c.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: aws.String("bucket"), Key: aws.String("mp"), UploadId: aws.String("upload~id_1.2-3"),
				PartNumber: aws.Int32(2), Body: bytes.NewReader(payload[:5000]),
			}); err != nil {
				t.Fatalf("UploadPart: %v", err)
			}
			if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
				Bucket: aws.String("bucket"), Prefix: aws.String("dir/sub dir/a+b"), Delimiter: aws.String("/"),
				StartAfter: aws.String("日本"), MaxKeys: aws.Int32(7),
			}); err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}

			// Presigned URLs, used with a plain HTTP client.
			pc := s3.NewPresignClient(c)
			put, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(awkwardKeys[2])},
				s3.WithPresignExpires(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			preq, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(payload[:100]))
			for k, vs := range put.SignedHeader {
				if !strings.EqualFold(k, "host") {
					preq.Header[k] = vs
				}
			}
			resp, err := hc.Do(preq)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("presigned PUT: %d %s", resp.StatusCode, msg)
			}
			if got := f.last(); got.mode != Presigned || !bytes.Equal(got.data, payload[:100]) {
				t.Fatalf("presigned PUT: mode %v, %d bytes", got.mode, len(got.data))
			}
			get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(awkwardKeys[4])})
			if err != nil {
				t.Fatal(err)
			}
			resp, err = hc.Get(get.URL)
			if err != nil {
				t.Fatal(err)
			}
			back, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(back, payload) {
				t.Fatalf("presigned GET: %d, %d bytes", resp.StatusCode, len(back))
			}
			t.Logf("payload modes used by the SDK for PutObject: %v", modes)
		})
	}
}

// TestS3ClientWrongSecretRefused makes sure the interop harness is not
// vacuous: a client with the wrong secret gets SignatureDoesNotMatch.
func TestS3ClientWrongSecretRefused(t *testing.T) {
	_, c, _ := newS3Pair(t, true)
	bad := s3.New(c.Options(), func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(testAK, "wrong-secret", "")
	})
	for _, body := range []io.Reader{strings.NewReader("x"), onlyReader{strings.NewReader("x")}} {
		_, err := bad.PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("bucket"), Key: aws.String("k"), Body: body, ContentLength: aws.Int64(1),
		})
		if err == nil || !strings.Contains(err.Error(), CodeSignatureDoesNotMatch) {
			t.Fatalf("err = %v", err)
		}
	}
}
