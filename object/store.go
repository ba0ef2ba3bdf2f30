package object

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/md5x"
	"github.com/tasmaniancloud/rustfs/storage"
)

// ETag modes of Options.ETag.
const (
	// ETagMD5 makes a single PUT's ETag the hex MD5 of its plaintext, as
	// AWS does for SSE-S3. Clients such as rclone and s3cmd rely on it to
	// verify transfers. MD5 is the one serial per-stream stage (≈0.8 GB/s
	// per core), so it caps a single stream's ingest rate.
	ETagMD5 = "md5"
	// ETagFast makes a single PUT's ETag an opaque 32-hex value derived from
	// the object's random data id, skipping MD5 unless the client sent
	// Content-MD5. rclone and s3cmd treat single-part ETags as MD5 and will
	// report "corrupted on transfer" against such a server, so this mode is
	// an explicit operator choice. Multipart parts always use MD5 (the
	// multipart ETag is defined as MD5 of the part MD5s).
	ETagFast = "fast"
)

// Options configure a Store.
type Options struct {
	// Backend holds the OSDs and the metadata store.
	Backend storage.Backend
	// Engine streams object data to and from Backend's OSDs.
	Engine *dataplane.Engine
	// Keys derives per-object keys and signs manifests.
	Keys *kdf.Service
	// ETag is ETagMD5 (default) or ETagFast.
	ETag string
	// MD5 hands out the whole-object MD5 hashers of PUT, UploadPart, POST
	// and copy (nil: crypto/md5). The caller owns it and closes it after
	// the Store is done.
	MD5 *md5x.Provider
	// MultipartExpiry is the age after which an unfinished multipart upload
	// is aborted by ExpireUploads / RunUploadExpiry; 0 keeps uploads forever.
	MultipartExpiry time.Duration
	// Logger receives best-effort cleanup failures (default slog.Default()).
	Logger *slog.Logger
	// Now returns the current time (default time.Now); tests pin it.
	Now func() time.Time
	// ReadGrace is how long the data of an overwritten or deleted object
	// stays readable for GETs that are already streaming it; 0 deletes it at
	// once. Deletions waiting out the grace are durable sys/gc records that
	// RunGC carries out.
	ReadGrace time.Duration
	// Redundancy is the layout of buckets created without one of their own
	// (zero: the engine's default, 4+2). Each bucket records its layout at
	// creation, so changing this default never changes existing buckets.
	Redundancy Redundancy
}

// keyService is what the layer needs from package kdf. *kdf.Service
// implements it; the indirection exists so a benchmark can measure the
// layer without the envelope.
type keyService interface {
	NewObjectKey(ctx context.Context, c kdf.Context) (*aead.Key, kdf.Envelope, error)
	OpenObjectKey(ctx context.Context, c kdf.Context, env kdf.Envelope) (*aead.Key, error)
	SignManifest(ctx context.Context, m *manifest.Manifest) error
	VerifyManifest(ctx context.Context, m *manifest.Manifest) error
}

// Store is the object layer over one backend. It keeps no state of its own
// beyond configuration: buckets, manifests and multipart uploads all live in
// storage.Meta, so any number of Stores (gateway processes) can share one
// backend.
type Store struct {
	backend storage.Backend
	meta    storage.Meta
	engine  *dataplane.Engine
	keys    keyService
	fast    bool
	md5     *md5x.Provider
	expiry  time.Duration
	log     *slog.Logger
	now     func() time.Time
	// minPart is the smallest non-last part CompleteMultipartUpload
	// accepts: MinPartSize, lowered only by tests to keep them fast.
	minPart int64
	// grace is Options.ReadGrace: the delay of every sys/gc record.
	grace time.Duration
	// red is Options.Redundancy: the layout of new buckets.
	red Redundancy
}

var _ Layer = (*Store)(nil)

// New checks o and returns a Store.
func New(o Options) (*Store, error) {
	if o.Keys == nil {
		return nil, errors.New("object: Options.Keys is required")
	}
	return newStore(o, o.Keys)
}

// newStore builds a Store with an explicit key service.
func newStore(o Options, keys keyService) (*Store, error) {
	if o.Backend == nil || o.Engine == nil || keys == nil {
		return nil, errors.New("object: Options.Backend, Engine and Keys are required")
	}
	s := &Store{
		backend: o.Backend,
		meta:    o.Backend.Meta(),
		engine:  o.Engine,
		keys:    keys,
		expiry:  o.MultipartExpiry,
		log:     o.Logger,
		now:     o.Now,
		minPart: MinPartSize,
		grace:   o.ReadGrace,
		red:     o.Redundancy,
		md5:     o.MD5,
	}
	if s.md5 == nil {
		p, err := md5x.New(md5x.Scalar) // crypto/md5: nothing to close
		if err != nil {
			return nil, fmt.Errorf("object: %w", err)
		}
		s.md5 = p
	}
	if !o.Redundancy.IsZero() {
		if _, err := ParseRedundancy(o.Redundancy.String()); err != nil {
			return nil, fmt.Errorf("object: Options.Redundancy: %w", err)
		}
		if err := checkRedundancy(o.Backend.OSDs(), o.Redundancy); err != nil {
			return nil, fmt.Errorf("object: Options.Redundancy: %w", err)
		}
	}
	switch o.ETag {
	case "", ETagMD5:
	case ETagFast:
		s.fast = true
	default:
		return nil, fmt.Errorf("object: unknown ETag mode %q (want %q or %q)", o.ETag, ETagMD5, ETagFast)
	}
	if o.MultipartExpiry < 0 {
		return nil, fmt.Errorf("object: negative MultipartExpiry %v", o.MultipartExpiry)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// cleanupCtx detaches best-effort cleanup from the request context: a
// client that hangs up must not leave half-deleted shards behind.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
}

// deleteData removes the shards of layouts, logging (not returning)
// failures: unreferenced shards are garbage, never visible data.
func (s *Store) deleteData(ctx context.Context, why string, layouts ...dataplane.Layout) {
	if len(layouts) == 0 {
		return
	}
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	for _, l := range layouts {
		if err := s.engine.Delete(cctx, l); err != nil {
			s.log.Warn("object: shard cleanup failed", "why", why, "data", fmt.Sprintf("%x", l.DataID), "err", err)
		}
	}
}

// mapEngineErr translates dataplane and storage errors into layer errors,
// keeping the original in the chain.
func mapEngineErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dataplane.ErrTooLarge):
		return fmt.Errorf("object: %s: %w: %w", op, ErrEntityTooLarge, err)
	case errors.Is(err, dataplane.ErrShortBody), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("object: %s: %w: %w", op, ErrIncompleteBody, err)
	case errors.Is(err, aead.ErrOpen), errors.Is(err, kdf.ErrTampered):
		return fmt.Errorf("object: %s: %w: %w", op, ErrTampered, err)
	case errors.Is(err, dataplane.ErrUnrecoverable), errors.Is(err, dataplane.ErrWriteQuorum):
		return fmt.Errorf("object: %s: %w: %w", op, ErrDataUnavailable, err)
	case errors.Is(err, dataplane.ErrRange):
		return fmt.Errorf("object: %s: %w: %w", op, ErrInvalidRange, err)
	}
	return fmt.Errorf("object: %s: %w", op, err)
}
