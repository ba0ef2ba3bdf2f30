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
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// tlsRealEnv is the real object layer behind a TLS server, driven by the
// AWS SDK; keys is its key service (to issue KMS key ids).
type tlsRealEnv struct {
	c    *s3.Client
	keys *kdf.Service
	addr string
	pool *x509.CertPool
}

func newTLSRealEnv(t *testing.T, mods ...func(*Options)) *tlsRealEnv {
	t.Helper()
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	eng, err := dataplane.New(b, dataplane.Options{ChunkSize: dataplane.MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := kdf.OpenLocal(filepath.Join(t.TempDir(), "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	ks, err := kdf.New(kdf.Options{Keyring: kr, CacheBytes: 1 << 20, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	store, err := object.New(object.Options{Backend: b, Engine: eng, Keys: ks, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, _, err := EnsureSelfSigned(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Layer: store, TLS: TLSConfig(cert), Logger: testLogger(),
		Verifier: sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: iam.NewRoot(testAK, testSK)}),
	}
	for _, mod := range mods {
		mod(&o)
	}
	s := NewServer(o)
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
	return &tlsRealEnv{c: sdkClient("https://"+ln.Addr().String(), tr), keys: ks, addr: ln.Addr().String(), pool: pool}
}

// apiCode returns the S3 error code and HTTP status of an SDK error.
func apiCode(err error) (string, int) {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re interface{ HTTPStatusCode() int }
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func TestSDKSSEC(t *testing.T) {
	env := newTLSRealEnv(t)
	c, ctx := env.c, context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ssec")}); err != nil {
		t.Fatal(err)
	}
	key1, md51 := ssecTriple(bytes.Repeat([]byte{1}, 32))
	key2, md52 := ssecTriple(bytes.Repeat([]byte{2}, 32))
	aes := aws.String("AES256")
	body := bytes.Repeat([]byte("secret "), 40000)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"), Body: bytes.NewReader(body),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.SSECustomerAlgorithm) != "AES256" || aws.ToString(put.SSECustomerKeyMD5) != md51 || put.ServerSideEncryption != "" {
		t.Fatalf("PUT echo: %q %q %q", aws.ToString(put.SSECustomerAlgorithm), aws.ToString(put.SSECustomerKeyMD5), put.ServerSideEncryption)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) || aws.ToString(get.SSECustomerKeyMD5) != md51 {
		t.Fatal("GET with the key: wrong body or echo")
	}
	// Wrong key: 403; no key: 400 (GET and HEAD alike).
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)})
	if code, st := apiCode(err); st != 403 || code != "AccessDenied" {
		t.Fatalf("wrong key: %d %q %v", st, code, err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k")})
	if code, st := apiCode(err); st != 400 || code != "InvalidRequest" {
		t.Fatalf("no key: %d %q %v", st, code, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)})
	if _, st := apiCode(err); st != 403 {
		t.Fatalf("HEAD wrong key: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k")}); err == nil {
		t.Fatal("HEAD without the key succeeded")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.SSECustomerAlgorithm) != "AES256" {
		t.Fatalf("HEAD with key: %v", err)
	}

	// Copy: SSE-C source (key1) to SSE-C destination (key2).
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("ssec"), Key: aws.String("copy"), CopySource: aws.String("ssec/k"),
		CopySourceSSECustomerAlgorithm: aes, CopySourceSSECustomerKey: aws.String(key1), CopySourceSSECustomerKeyMD5: aws.String(md51),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)})
	if err != nil || aws.ToString(cp.SSECustomerKeyMD5) != md52 {
		t.Fatalf("copy: %v", err)
	}
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("copy"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) {
		t.Fatal("copy body differs")
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("ssec"), Key: aws.String("copy2"), CopySource: aws.String("ssec/k")})
	if _, st := apiCode(err); st != 400 {
		t.Fatalf("copy without the source key: %v", err)
	}

	// Multipart under SSE-C, one part uploaded and one copied.
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("ssec"), Key: aws.String("mp"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil || aws.ToString(mp.SSECustomerKeyMD5) != md51 {
		t.Fatalf("create: %v", err)
	}
	p1 := bytes.Repeat([]byte("p"), 5<<20)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("ssec"), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(p1),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)})
	if _, st := apiCode(err); st != 403 {
		t.Fatalf("part with the wrong key: %v", err)
	}
	up1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("ssec"), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(p1),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil {
		t.Fatal(err)
	}
	up2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("ssec"), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(2), CopySource: aws.String("ssec/k"),
		CopySourceSSECustomerAlgorithm: aes, CopySourceSSECustomerKey: aws.String(key1), CopySourceSSECustomerKeyMD5: aws.String(md51),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("ssec"), Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up1.ETag}, {PartNumber: aws.Int32(2), ETag: up2.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("mp"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key1), SSECustomerKeyMD5: aws.String(md51)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, append(p1, body...)) {
		t.Fatal("multipart body differs")
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("mp")}); err == nil {
		t.Fatal("multipart SSE-C object read without the key")
	}
	// Key rotation in place: a self-copy to a new customer key is legal.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"), CopySource: aws.String("ssec/k"),
		CopySourceSSECustomerAlgorithm: aes, CopySourceSSECustomerKey: aws.String(key1), CopySourceSSECustomerKeyMD5: aws.String(md51),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)}); err != nil {
		t.Fatalf("self-copy to a new key: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(key2), SSECustomerKeyMD5: aws.String(md52)}); err != nil {
		t.Fatalf("rotated object: %v", err)
	}
}

func TestSDKBucketKMSKey(t *testing.T) {
	env := newTLSRealEnv(t)
	c, ctx := env.c, context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kms")}); err != nil {
		t.Fatal(err)
	}
	id, err := env.keys.KMSKeyID(ctx, iam.RootAccount, "team")
	if err != nil {
		t.Fatal(err)
	}
	forged := id[:len(id)-4] + "0000"
	if forged == id {
		forged = id[:len(id)-4] + "1111"
	}
	cfg := func(keyID string) *s3.PutBucketEncryptionInput {
		return &s3.PutBucketEncryptionInput{Bucket: aws.String("kms"), ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
			Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyID)}}}}}
	}
	_, err = c.PutBucketEncryption(ctx, cfg(forged))
	if code, st := apiCode(err); st != 400 || code != "KMS.NotFoundException" {
		t.Fatalf("unknown key id: %d %q %v", st, code, err)
	}
	if _, err := c.PutBucketEncryption(ctx, cfg(id)); err != nil {
		t.Fatal(err)
	}
	ge, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("kms")})
	if err != nil {
		t.Fatal(err)
	}
	if d := ge.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault; d.SSEAlgorithm != types.ServerSideEncryptionAwsKms || aws.ToString(d.KMSMasterKeyID) != id {
		t.Fatalf("GetBucketEncryption: %+v", d)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("k"), Body: strings.NewReader("hello")})
	if err != nil || put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(put.SSEKMSKeyId) != id {
		t.Fatalf("PUT: %v %q %q", err, put.ServerSideEncryption, aws.ToString(put.SSEKMSKeyId))
	}
	// aws:kms without a key id takes the bucket's default key.
	put, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("k0"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	if err != nil || aws.ToString(put.SSEKMSKeyId) != id {
		t.Fatalf("aws:kms without an id: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("kms"), Key: aws.String("k")})
	if err != nil || head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != id {
		t.Fatalf("HEAD: %v", err)
	}
	// Per object: AES256 asked explicitly still takes the bucket default
	// only when nothing is asked; an explicit KMS key id on PUT and copy.
	id2, _ := env.keys.KMSKeyID(ctx, iam.RootAccount, "other")
	put, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("k2"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(id2)})
	if err != nil || aws.ToString(put.SSEKMSKeyId) != id2 {
		t.Fatalf("PUT with key id: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("k3"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(forged)})
	if code, _ := apiCode(err); code != "KMS.NotFoundException" {
		t.Fatalf("PUT with an unknown key id: %v", err)
	}
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("kms"), Key: aws.String("k4"), CopySource: aws.String("kms/k"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(id2)})
	if err != nil || cp.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(cp.SSEKMSKeyId) != id2 {
		t.Fatalf("copy: %v", err)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kms"), Key: aws.String("k4")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(b) != "hello" || aws.ToString(get.SSEKMSKeyId) != id2 {
		t.Fatalf("GET copy: %q", b)
	}
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("kms"), Key: aws.String("mp")})
	if err != nil || aws.ToString(mp.SSEKMSKeyId) != id {
		t.Fatalf("create: %v", err)
	}
	up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("kms"), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil || aws.ToString(up.SSEKMSKeyId) != id {
		t.Fatalf("part: %v", err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("kms"), Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}})
	if err != nil || aws.ToString(done.SSEKMSKeyId) != id || done.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		t.Fatalf("complete: %v", err)
	}
	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("kms")}); err != nil {
		t.Fatal(err)
	}
	put, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("k5"), Body: strings.NewReader("x")})
	if err != nil || put.ServerSideEncryption != types.ServerSideEncryptionAes256 || put.SSEKMSKeyId != nil {
		t.Fatalf("after delete: %v %q", err, put.ServerSideEncryption)
	}
}
