package object

import (
	"bytes"
	"context"
	"testing"

	"github.com/tasmaniancloud/rustfs/kdf"
)

// sseCtx returns a context carrying e.
func sseCtx(e Encryption) context.Context { return WithEncryption(context.Background(), e) }

func putWith(t *testing.T, s *Store, ctx context.Context, bucket, key string, data []byte) (ObjectInfo, error) {
	t.Helper()
	return s.PutObject(ctx, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Owner: "alice"})
}

func readWith(t *testing.T, s *Store, ctx context.Context, bucket, key string) ([]byte, error) {
	t.Helper()
	obj, err := s.GetObject(ctx, GetInput{Bucket: bucket, Key: key})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = obj.WriteTo(ctx, &buf)
	return buf.Bytes(), err
}

func TestSSECPutGetHeadCopy(t *testing.T) {
	e := newEnv(t)
	e.bucket("bkt")
	s := e.s
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	data := randBytes(1, 300<<10)
	info, err := putWith(t, s, sseCtx(Encryption{CustomerKey: k1}), "bkt", "secret", data)
	if err != nil || !info.Encryption.CustomerKey {
		t.Fatalf("put: %+v %v", info.Encryption, err)
	}
	got, err := readWith(t, s, sseCtx(Encryption{CustomerKey: k1}), "bkt", "secret")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get with key: %v", err)
	}
	_, err = readWith(t, s, sseCtx(Encryption{CustomerKey: k2}), "bkt", "secret")
	wantErr(t, err, kdf.ErrCustomerKeyMismatch)
	_, err = readWith(t, s, context.Background(), "bkt", "secret")
	wantErr(t, err, kdf.ErrCustomerKeyRequired)
	for _, tc := range []struct {
		ck   []byte
		want error
	}{{k2, kdf.ErrCustomerKeyMismatch}, {nil, kdf.ErrCustomerKeyRequired}} {
		_, err = s.HeadObject(sseCtx(Encryption{CustomerKey: tc.ck}), GetInput{Bucket: "bkt", Key: "secret"})
		wantErr(t, err, tc.want)
		_, err = s.GetObjectAttributes(sseCtx(Encryption{CustomerKey: tc.ck}), "bkt", "secret")
		wantErr(t, err, tc.want)
	}
	if hi, err := s.HeadObject(sseCtx(Encryption{CustomerKey: k1}), GetInput{Bucket: "bkt", Key: "secret"}); err != nil || !hi.Encryption.CustomerKey {
		t.Fatalf("head with key: %+v %v", hi, err)
	}
	// A key sent for a plain object is refused too.
	put(t, s, "bkt", "plain", []byte("x"))
	_, err = s.HeadObject(sseCtx(Encryption{CustomerKey: k1}), GetInput{Bucket: "bkt", Key: "plain"})
	wantErr(t, err, kdf.ErrCustomerKeyNotApplicable)

	// Copy: SSE-C source to an SSE-C destination under another key.
	if _, err := s.CopyObject(sseCtx(Encryption{CustomerKey: k2, CopySourceCustomerKey: k1}), CopyInput{SrcBucket: "bkt", SrcKey: "secret", Owner: "alice"}, "bkt", "copy"); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if got, err := readWith(t, s, sseCtx(Encryption{CustomerKey: k2}), "bkt", "copy"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read copy: %v", err)
	}
	// Without the source key the copy fails, and a wrong one too.
	_, err = s.CopyObject(sseCtx(Encryption{}), CopyInput{SrcBucket: "bkt", SrcKey: "secret", Owner: "alice"}, "bkt", "copy2")
	wantErr(t, err, kdf.ErrCustomerKeyRequired)
	_, err = s.CopyObject(sseCtx(Encryption{CopySourceCustomerKey: k2}), CopyInput{SrcBucket: "bkt", SrcKey: "secret", Owner: "alice"}, "bkt", "copy2")
	wantErr(t, err, kdf.ErrCustomerKeyMismatch)
	// SSE-C source to a plain destination: readable without a key.
	if _, err := s.CopyObject(sseCtx(Encryption{CopySourceCustomerKey: k1}), CopyInput{SrcBucket: "bkt", SrcKey: "secret", Owner: "alice"}, "bkt", "open"); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, s, "bkt", "open"); !bytes.Equal(got, data) {
		t.Fatal("plain copy differs")
	}
	// A second gateway (empty key cache) still needs the key.
	s2 := e.open()
	_, err = readWith(t, s2, sseCtx(Encryption{CustomerKey: k2}), "bkt", "secret")
	wantErr(t, err, kdf.ErrCustomerKeyMismatch)
}

func TestSSECMultipart(t *testing.T) {
	e := newEnv(t)
	e.bucket("bkt")
	s := e.s
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	ctx := sseCtx(Encryption{CustomerKey: k1})
	src := randBytes(3, 1000)
	if _, err := putWith(t, s, sseCtx(Encryption{CustomerKey: k2}), "bkt", "src", src); err != nil {
		t.Fatal(err)
	}
	up, err := s.CreateMultipartUpload(ctx, "bkt", "mp", ObjectMeta{}, "", "alice")
	if err != nil || !up.Encryption.CustomerKey {
		t.Fatalf("create: %+v %v", up, err)
	}
	p1 := randBytes(2, 5<<20)
	if _, err := s.UploadPart(sseCtx(Encryption{CustomerKey: k2}), up.UploadID, 1, PutInput{Bucket: "bkt", Key: "mp", Body: bytes.NewReader(p1), Size: int64(len(p1))}); err == nil {
		t.Fatal("part with the wrong key accepted")
	}
	pi1, err := s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "bkt", Key: "mp", Body: bytes.NewReader(p1), Size: int64(len(p1))})
	if err != nil {
		t.Fatal(err)
	}
	pi2, err := s.UploadPartCopy(sseCtx(Encryption{CustomerKey: k1, CopySourceCustomerKey: k2}), up.UploadID, 2, "bkt", "mp", CopyInput{SrcBucket: "bkt", SrcKey: "src", Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.CompleteMultipartUpload(context.Background(), "bkt", "mp", up.UploadID,
		[]CompletePart{{PartNumber: 1, ETag: pi1.ETag}, {PartNumber: 2, ETag: pi2.ETag}}, CompleteOptions{})
	if err != nil || !info.Encryption.CustomerKey {
		t.Fatalf("complete: %+v %v", info, err)
	}
	got, err := readWith(t, s, ctx, "bkt", "mp")
	if err != nil || !bytes.Equal(got, append(p1, src...)) {
		t.Fatalf("read: %v", err)
	}
	_, err = readWith(t, s, context.Background(), "bkt", "mp")
	wantErr(t, err, kdf.ErrCustomerKeyRequired)
}

func TestBucketKMSKey(t *testing.T) {
	e := newEnv(t)
	e.bucket("bkt")
	s := e.s
	ctx := context.Background()
	kr, err := kdf.OpenLocal(e.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	ks, err := kdf.New(kdf.Options{Keyring: kr, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	id, err := ks.KMSKeyID(ctx, "alice", "team")
	if err != nil {
		t.Fatal(err)
	}
	otherID, _ := ks.KMSKeyID(ctx, "bob", "team")
	wantErr(t, s.PutBucketEncryption(ctx, "bkt", otherID), ErrKMSKeyNotFound)
	wantErr(t, s.PutBucketEncryption(ctx, "bkt", "nonsense"), ErrKMSKeyNotFound)
	if err := s.PutBucketEncryption(ctx, "bkt", "arn:aws:kms:us-east-1:1:key/"+id); err != nil {
		t.Fatal(err)
	}
	if bi, _ := s.HeadBucket(ctx, "bkt"); bi.KMSKeyID != id {
		t.Fatalf("bucket default %q", bi.KMSKeyID)
	}
	info := put(t, s, "bkt", "k", []byte("hello"))
	if info.Encryption.KMSKeyID != id {
		t.Fatalf("object not under the bucket key: %+v", info.Encryption)
	}
	if got := mustRead(t, s, "bkt", "k"); string(got) != "hello" {
		t.Fatal("read back")
	}
	// An explicit request key overrides; SSE-C overrides the default.
	id2, _ := ks.KMSKeyID(ctx, "alice", "other")
	if info, err := putWith(t, s, sseCtx(Encryption{KMSKeyID: id2}), "bkt", "k2", []byte("x")); err != nil || info.Encryption.KMSKeyID != id2 {
		t.Fatalf("explicit key: %+v %v", info.Encryption, err)
	}
	_, err = putWith(t, s, sseCtx(Encryption{KMSKeyID: otherID}), "bkt", "k3", []byte("x"))
	wantErr(t, err, ErrKMSKeyNotFound)
	if info, err := putWith(t, s, sseCtx(Encryption{CustomerKey: bytes.Repeat([]byte{9}, 32)}), "bkt", "k4", []byte("x")); err != nil || info.Encryption.KMSKeyID != "" || !info.Encryption.CustomerKey {
		t.Fatalf("sse-c in a kms bucket: %+v %v", info.Encryption, err)
	}
	// Back to SSE-S3: new objects use the owner key, old ones stay readable.
	if err := s.PutBucketEncryption(ctx, "bkt", ""); err != nil {
		t.Fatal(err)
	}
	if info := put(t, s, "bkt", "k5", []byte("y")); info.Encryption.KMSKeyID != "" {
		t.Fatalf("default not reset: %+v", info.Encryption)
	}
	if got := mustRead(t, e.open(), "bkt", "k"); string(got) != "hello" {
		t.Fatal("read back on a second gateway")
	}
	// A copy onto itself that changes the key is legal and re-encrypts.
	if info, err := s.CopyObject(sseCtx(Encryption{KMSKeyID: id2}), CopyInput{SrcBucket: "bkt", SrcKey: "k", Owner: "alice"}, "bkt", "k"); err != nil || info.Encryption.KMSKeyID != id2 {
		t.Fatalf("self-copy to a KMS key: %+v %v", info.Encryption, err)
	}
	_, err = s.CopyObject(context.Background(), CopyInput{SrcBucket: "bkt", SrcKey: "k", Owner: "alice"}, "bkt", "k")
	wantErr(t, err, ErrInvalidArgument)
}
