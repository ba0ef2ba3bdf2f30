package s3api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// sdkClient returns an aws-sdk-go-v2 S3 client talking to the server over
// the given dialer.
func sdkClient(endpoint string, tr *http.Transport) *s3.Client {
	return s3.New(s3.Options{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		HTTPClient:   &http.Client{Transport: tr, Timeout: 30 * time.Second},
	})
}

// realClockEnv is a test server whose verifier uses the real clock, as
// the SDK signs with it.
func realClockEnv(t testing.TB) *testEnv {
	return newTestEnv(t, func(o *Options) {
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: iam.NewRoot(testAK, testSK)})
	})
}

// TestSDKInterop drives the server with the real AWS SDK for Go v2: its
// signer, default checksums, XML parsers and upload manager.
func TestSDKInterop(t *testing.T) {
	e := realClockEnv(t)
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return e.ln.Dial() }}
	c := sdkClient("http://localhost:9000", tr)
	ctx := context.Background()

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sdk")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("sdk-data-"), 20000)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("sdk"), Key: aws.String("dir/file.bin"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/x-test"), Metadata: map[string]string{"Color": "blue"},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.ChecksumCRC32C) != checksumOf("crc32c", body) {
		t.Errorf("PUT checksum %q", aws.ToString(put.ChecksumCRC32C))
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String("dir/file.bin"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) || get.Metadata["color"] != "blue" || aws.ToString(get.ContentType) != "application/x-test" {
		t.Errorf("GET: %d bytes, meta %v, type %q", len(got), get.Metadata, aws.ToString(get.ContentType))
	}
	rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String("dir/file.bin"), Range: aws.String("bytes=9-17")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(part) != "sdk-data-" || aws.ToString(rng.ContentRange) != "bytes 9-17/180000" {
		t.Errorf("range: %q %q", part, aws.ToString(rng.ContentRange))
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sdk"), Key: aws.String("nope")}); err == nil {
		t.Error("HEAD of a missing key succeeded")
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String("nope")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("missing key error %T %v", err, err)
	}

	// Multipart through the upload manager (3 parts of 5 MiB minimum).
	big := bytes.Repeat([]byte{7}, 11<<20)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 2 })
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("sdk"), Key: aws.String("big"), Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	if o := e.layer.buckets["sdk"].objects["big"]; o == nil || !bytes.Equal(o.data, big) || o.info.PartsCount != 3 {
		t.Fatal("multipart upload through the manager failed")
	}

	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sdk"), Key: aws.String("copy"),
		CopySource: aws.String("sdk/dir/file.bin")}); err != nil {
		t.Fatal(err)
	}
	lst, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("sdk"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lst.Contents) != 2 || len(lst.CommonPrefixes) != 1 || aws.ToString(lst.CommonPrefixes[0].Prefix) != "dir/" {
		t.Errorf("list: %+v", lst)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("sdk"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("copy")}, {Key: aws.String("big")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Deleted) != 2 {
		t.Errorf("deleted %d", len(del.Deleted))
	}

	// Presigned GET with a plain HTTP client.
	ps, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sdk"), Key: aws.String("dir/file.bin")},
		s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(pg, body) {
		t.Errorf("presigned GET: %d, %d bytes", resp.StatusCode, len(pg))
	}

	// Errors come back as S3 API errors with their codes.
	bad := s3.New(s3.Options{Region: testRegion, BaseEndpoint: aws.String("http://localhost:9000"), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, "wrong-secret-00000000", ""),
		HTTPClient:  &http.Client{Transport: tr}})
	_, err = bad.ListBuckets(ctx, &s3.ListBucketsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
}

// TestSDKOverTLS: the SDK over HTTPS switches to aws-chunked uploads with a
// trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER), and the handshake
// uses the hybrid post-quantum group.
func TestSDKOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _, err := EnsureSelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	layer := newMemLayer()
	s := NewServer(Options{
		Layer: layer, TLS: TLSConfig(cert), Logger: testLogger(),
		Verifier: sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: iam.NewRoot(testAK, testSK)}),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	c := sdkClient("https://"+ln.Addr().String(), tr)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tls")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 100<<10)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tls"), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if o := layer.buckets["tls"].objects["k"]; o == nil || !bytes.Equal(o.data, body) {
		t.Fatal("TLS upload not stored")
	}
	if len(layer.lastTrailers) == 0 {
		t.Logf("note: SDK did not use a trailing checksum (input %+v)", layer.lastPut.Checksums)
	}

	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	if st.Version != tls.VersionTLS13 || st.CurveID != tls.X25519MLKEM768 {
		t.Fatalf("version %x curve %v, want TLS 1.3 with X25519MLKEM768", st.Version, st.CurveID)
	}
	// TLS 1.2 is refused.
	if c12, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}); err == nil {
		c12.Close()
		t.Fatal("TLS 1.2 handshake succeeded")
	}
	if !strings.Contains(strings.Join(cert.Leaf.DNSNames, ","), "localhost") {
		t.Errorf("SANs %v", cert.Leaf.DNSNames)
	}
}
