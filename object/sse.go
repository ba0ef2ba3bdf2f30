package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Encryption is a request's choice of object key, beyond the default every
// object gets (its bucket owner's key, or the bucket's default KMS key).
// It travels in the request context (WithEncryption) rather than in each
// input struct because one request can derive several keys (a copy reads
// one object and writes another) and every Layer method that derives a
// key must see it, including ones whose signatures predate it.
type Encryption struct {
	// KMSKeyID asks for this KMS key (x-amz-server-side-encryption:
	// aws:kms); "" takes the bucket default.
	KMSKeyID string
	// CustomerKey is the SSE-C key of the object the request writes or
	// reads (32 bytes), or nil. It is mixed into the key derivation and
	// never stored.
	CustomerKey []byte
	// CopySourceCustomerKey is the SSE-C key of a copy source, or nil.
	CopySourceCustomerKey []byte
}

// EncryptionInfo is how a stored object (or upload) is encrypted, for the
// x-amz-server-side-encryption response headers.
type EncryptionInfo struct {
	// KMSKeyID is the KMS key the object is sealed under ("" = SSE-S3).
	KMSKeyID string
	// CustomerKey reports an SSE-C object.
	CustomerKey bool
}

// changesKey reports whether e asks for a destination key of its own (a
// KMS key or SSE-C): a copy onto itself then re-encrypts, which S3 allows.
func (e Encryption) changesKey() bool { return e.KMSKeyID != "" || e.CustomerKey != nil }

type encryptionCtxKey struct{}

// WithEncryption returns ctx carrying e for the Layer calls made with it.
func WithEncryption(ctx context.Context, e Encryption) context.Context {
	return context.WithValue(ctx, encryptionCtxKey{}, e)
}

// encryptionFrom returns the Encryption ctx carries (zero if none).
func encryptionFrom(ctx context.Context) Encryption {
	e, _ := ctx.Value(encryptionCtxKey{}).(Encryption)
	return e
}

// asCopySource returns ctx in which a copy source is read: its customer
// key is the request's copy-source key.
func asCopySource(ctx context.Context) context.Context {
	e := encryptionFrom(ctx)
	if e.CustomerKey == nil && e.CopySourceCustomerKey == nil {
		return ctx
	}
	return WithEncryption(ctx, Encryption{CustomerKey: e.CopySourceCustomerKey})
}

// Encryption errors; package s3err maps each to S3's answer.
var (
	// ErrKMSKeyNotFound: a KMS key id that does not name a key of the
	// bucket owner (S3 KMS.NotFoundException, 400).
	ErrKMSKeyNotFound = errors.New("object: KMS key not found")
	// ErrKMSUnsupported: the key service cannot do per-request key choices.
	ErrKMSUnsupported = errors.New("object: key choice not supported by the key service")
)

// keyChooser is the part of *kdf.Service beyond keyService that per-bucket
// KMS keys and SSE-C need. A key service without it (a benchmark's) serves
// only the default key.
type keyChooser interface {
	NewObjectKeyWith(ctx context.Context, c kdf.Context, kc kdf.KeyChoice) (*aead.Key, kdf.Envelope, error)
	OpenObjectKeyWith(ctx context.Context, c kdf.Context, env kdf.Envelope, customerKey []byte) (*aead.Key, error)
	CheckKMSKey(ctx context.Context, account, id string) (string, error)
}

// newKey creates the data key of a new object or upload in bucket bk under
// the request's choice: SSE-C, an explicit KMS key, else the bucket's
// default KMS key, else the owner's key.
func (s *Store) newKey(ctx context.Context, bk *bucketRecord, c kdf.Context) (*aead.Key, kdf.Envelope, error) {
	e := encryptionFrom(ctx)
	kc := kdf.KeyChoice{KMSKeyID: e.KMSKeyID, CustomerKey: e.CustomerKey}
	if kc.KMSKeyID == "" && kc.CustomerKey == nil {
		kc.KMSKeyID = bk.KMSKeyID
	}
	if kc.KMSKeyID == "" && kc.CustomerKey == nil {
		return s.keys.NewObjectKey(ctx, c)
	}
	ch, ok := s.keys.(keyChooser)
	if !ok {
		return nil, kdf.Envelope{}, ErrKMSUnsupported
	}
	kc.KMSKeyID = kdf.BareKMSKeyID(kc.KMSKeyID)
	key, env, err := ch.NewObjectKeyWith(ctx, c, kc)
	return key, env, mapKeyErr(err)
}

// openKey opens the data key of envelope env for context c with the
// request's customer key (ctx; see asCopySource for copy sources).
func (s *Store) openKey(ctx context.Context, c kdf.Context, env kdf.Envelope) (*aead.Key, error) {
	ck := encryptionFrom(ctx).CustomerKey
	ch, ok := s.keys.(keyChooser)
	if !ok {
		if ck != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, kdf.ErrCustomerKeyNotApplicable)
		}
		return s.keys.OpenObjectKey(ctx, c, env)
	}
	key, err := ch.OpenObjectKeyWith(ctx, c, env, ck)
	return key, mapKeyErr(err)
}

// checkCustomerKey verifies the request's customer key against m without
// reading data (HEAD, GetObjectAttributes): an SSE-C object needs the right
// key, any other object refuses one.
func (s *Store) checkCustomerKey(ctx context.Context, m *manifest.Manifest) error {
	info := envelopeInfo(m.Envelope)
	if !info.CustomerKey && encryptionFrom(ctx).CustomerKey == nil {
		return nil
	}
	key, err := s.openKey(ctx, keyContext(m), m.Envelope)
	if err != nil {
		return mapEngineErr(fmt.Sprintf("%s/%s: open key", m.Bucket, m.Key), err)
	}
	key.Destroy()
	return nil
}

// mapKeyErr keeps kdf's key-choice errors (mapped by s3err) and marks an
// unknown KMS key with ErrKMSKeyNotFound.
func mapKeyErr(err error) error {
	if errors.Is(err, kdf.ErrUnknownKMSKey) {
		return fmt.Errorf("%w: %w", ErrKMSKeyNotFound, err)
	}
	return err
}

// envelopeInfo describes env; an envelope this build cannot describe reads
// as SSE-S3 (opening it fails anyway).
func envelopeInfo(env manifest.Envelope) EncryptionInfo {
	d, err := kdf.DescribeEnvelope(env)
	if err != nil {
		return EncryptionInfo{}
	}
	return EncryptionInfo{KMSKeyID: d.KMSKeyID, CustomerKey: d.CustomerKey}
}

// PutBucketEncryption sets the bucket's default encryption: kmsKeyID names
// a KMS key of the bucket owner that new objects are sealed under, "" is
// SSE-S3 (the owner's key). An unknown id is ErrKMSKeyNotFound. Existing
// objects keep their keys.
func (s *Store) PutBucketEncryption(ctx context.Context, bucket, kmsKeyID string) error {
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		rec, ver, err := s.bucket(ctx, bucket)
		if err != nil {
			return err
		}
		id := ""
		if kmsKeyID != "" {
			ch, ok := s.keys.(keyChooser)
			if !ok {
				return ErrKMSUnsupported
			}
			if id, err = ch.CheckKMSKey(ctx, rec.Owner, kmsKeyID); err != nil {
				return fmt.Errorf("object: bucket %q encryption: %w", bucket, mapKeyErr(err))
			}
		}
		rec.KMSKeyID = id
		raw, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("object: bucket %q encryption: %w", bucket, err)
		}
		_, err = s.meta.Put(ctx, nsBuckets, bucket, raw, storage.Cond{IfVersion: ver})
		if errors.Is(err, storage.ErrPrecondition) {
			continue // the record changed meanwhile: re-read it
		}
		if err != nil {
			return fmt.Errorf("object: bucket %q encryption: %w", bucket, err)
		}
		return nil
	}
	return fmt.Errorf("object: bucket %q encryption: %w", bucket, storage.ErrPrecondition)
}
