package object

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// MaxPartNumber is the highest S3 part number.
const MaxPartNumber = 10000

// GetObject opens an object for streaming: the manifest is loaded and its
// ML-DSA signature verified before anything from it is used, conditions and
// the range or partNumber are resolved, and WriteTo decrypts only the
// stripes the range needs.
//
// Unless in.HeadOnly, the part holding the range's first byte is opened and
// its first stripe decoded before GetObject returns, so an object that
// cannot be read fails here (an S3 error) rather than after a 200. WriteTo
// must then be called, or the opened part waits openIdle before it is
// released.
func (s *Store) GetObject(ctx context.Context, in GetInput) (*Object, error) {
	var lastVer storage.Version
	for attempt := 0; ; attempt++ {
		obj, ver, err := s.getObject(ctx, in)
		// Shards gone between the manifest read and the open: most likely
		// an overwrite or delete committed meanwhile. Nothing has been
		// answered yet, so try the key's new state (a bounded few times).
		if err == nil || !dataVanished(err) || attempt == 3 || (attempt > 0 && ver == lastVer) {
			return obj, err
		}
		lastVer = ver
	}
}

// getObject is one attempt of GetObject; it also returns the manifest
// version it used.
func (s *Store) getObject(ctx context.Context, in GetInput) (*Object, storage.Version, error) {
	m, ver, err := s.openManifest(ctx, in.Bucket, in.Key)
	if err != nil {
		return nil, 0, err
	}
	info := manifestInfo(m)
	if err := checkConditions(m.ETag, info.LastModified, in.Cond, false); err != nil {
		return nil, ver, fmt.Errorf("object: get %s/%s: %w", in.Bucket, in.Key, err)
	}
	tags, err := s.objectTags(ctx, m)
	if err != nil {
		return nil, ver, fmt.Errorf("object: get %s/%s: %w", in.Bucket, in.Key, err)
	}
	info.TagCount = len(tags)
	rng, partial, err := selectRange(m, in)
	if err != nil {
		return nil, ver, fmt.Errorf("object: get %s/%s: %w", in.Bucket, in.Key, err)
	}
	obj := &Object{Info: info, Range: rng, Partial: partial}
	var first *openPart
	if !in.HeadOnly && rng.Length > 0 {
		if first, err = s.openFirst(ctx, m, rng); err != nil {
			return nil, ver, err
		}
	}
	obj.WriteTo = func(ctx context.Context, w io.Writer) (int64, error) {
		return s.readRange(ctx, m, ver, rng, w, first)
	}
	return obj, ver, nil
}

// HeadObject returns the metadata of an object after verifying its manifest
// and evaluating conditions. A partNumber is validated (ErrInvalidPartNumber)
// but the whole-object info is returned; a gateway answering HEAD with a
// Range or partNumber calls GetObject and skips WriteTo instead, which reads
// no data.
func (s *Store) HeadObject(ctx context.Context, in GetInput) (ObjectInfo, error) {
	in.HeadOnly = true
	obj, err := s.GetObject(ctx, in)
	if err != nil {
		return ObjectInfo{}, err
	}
	return obj.Info, nil
}

// selectRange resolves the Range header or partNumber of in against m.
func selectRange(m *manifest.Manifest, in GetInput) (Range, bool, error) {
	if in.PartNumber == 0 {
		return parseRange(in.RangeHeader, m.Size)
	}
	if in.RangeHeader != "" {
		return Range{}, false, fmt.Errorf("%w: Range and partNumber together", ErrInvalidArgument)
	}
	if in.PartNumber < 0 || in.PartNumber > MaxPartNumber {
		return Range{}, false, fmt.Errorf("%w: partNumber %d", ErrInvalidArgument, in.PartNumber)
	}
	if m.UploadID == "" {
		if in.PartNumber != 1 {
			return Range{}, false, fmt.Errorf("%w: partNumber %d of a single-part object", ErrInvalidPartNumber, in.PartNumber)
		}
		return Range{Start: 0, Length: m.Size}, false, nil
	}
	if in.PartNumber > len(m.Parts) {
		return Range{}, false, fmt.Errorf("%w: partNumber %d of %d", ErrInvalidPartNumber, in.PartNumber, len(m.Parts))
	}
	var off int64
	for i := 0; i < in.PartNumber-1; i++ {
		off += m.Parts[i].Size
	}
	return Range{Start: off, Length: m.Parts[in.PartNumber-1].Size}, true, nil
}

// openManifest loads and authenticates the manifest of bucket/key. A missing
// manifest is ErrNoSuchKey (or ErrNoSuchBucket when the bucket is gone); a
// manifest that does not parse, does not verify, names another bucket/key
// (swapped in from elsewhere) or is internally inconsistent is ErrTampered.
func (s *Store) openManifest(ctx context.Context, bucket, key string) (*manifest.Manifest, storage.Version, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	if !ValidBucketName(bucket) {
		return nil, 0, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	raw, ver, err := s.meta.Get(ctx, nsObjects(bucket), key)
	if errors.Is(err, storage.ErrNotFound) {
		if _, _, berr := s.bucket(ctx, bucket); berr != nil {
			return nil, 0, berr
		}
		return nil, 0, fmt.Errorf("object: %s/%s: %w", bucket, key, ErrNoSuchKey)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("object: %s/%s: %w", bucket, key, err)
	}
	m, err := s.verifyManifest(ctx, raw, bucket, key)
	if err != nil {
		return nil, 0, err
	}
	return m, ver, nil
}

// verifyManifest parses, authenticates and sanity-checks stored manifest
// bytes for bucket/key.
func (s *Store) verifyManifest(ctx context.Context, raw []byte, bucket, key string) (*manifest.Manifest, error) {
	m, err := manifest.Unmarshal(raw)
	if err != nil {
		return nil, fmt.Errorf("object: %s/%s: %w: %w: %w", bucket, key, ErrDamagedMetadata, ErrTampered, err)
	}
	if err := s.keys.VerifyManifest(ctx, m); err != nil {
		if errors.Is(err, kdf.ErrTampered) || errors.Is(err, kdf.ErrUnsupported) {
			return nil, fmt.Errorf("object: %s/%s: %w: %w: %w", bucket, key, ErrDamagedMetadata, ErrTampered, err)
		}
		return nil, fmt.Errorf("object: %s/%s: verify manifest: %w", bucket, key, err)
	}
	if m.Bucket != bucket || m.Key != key {
		return nil, fmt.Errorf("object: %s/%s: %w: %w: manifest belongs to %s/%s", bucket, key, ErrDamagedMetadata, ErrTampered, m.Bucket, m.Key)
	}
	if err := checkManifestShape(m); err != nil {
		return nil, fmt.Errorf("object: %s/%s: %w: %w: %w", bucket, key, ErrDamagedMetadata, ErrTampered, err)
	}
	return m, nil
}

// checkManifestShape rejects manifests whose parts do not add up, so later
// offset arithmetic cannot go wrong even on a validly signed bad manifest.
func checkManifestShape(m *manifest.Manifest) error {
	if len(m.Parts) == 0 {
		return errors.New("no parts")
	}
	if m.UploadID == "" && len(m.Parts) != 1 {
		return fmt.Errorf("single-part object with %d parts", len(m.Parts))
	}
	var total int64
	for i := range m.Parts {
		p := &m.Parts[i]
		if p.Size < 0 || p.K == 0 || p.ChunkSize == 0 || len(p.OSDs) != int(p.K)+int(p.M) {
			return fmt.Errorf("part %d: bad layout", p.Number)
		}
		total += p.Size
		if total < 0 {
			return errors.New("size overflow")
		}
	}
	if total != m.Size {
		return fmt.Errorf("parts hold %d bytes, object %d", total, m.Size)
	}
	return nil
}

// readRange writes rng of the object described by m to w, crossing part
// boundaries (each part has its own layout and data id). If the shards have
// vanished before the first byte was written, the manifest was most likely
// replaced by a concurrent overwrite: the reader re-reads it once and, if it
// still describes the same bytes (same ETag and size, e.g. a copy onto
// itself), retries; otherwise the response headers already describe an
// object that no longer exists, so it fails with ErrDataUnavailable (503,
// which clients retry) or ErrNoSuchKey.
func (s *Store) readRange(ctx context.Context, m *manifest.Manifest, ver storage.Version, rng Range, w io.Writer, first *openPart) (int64, error) {
	n, err := s.readParts(ctx, m, rng, w, first)
	if err == nil || n > 0 || !dataVanished(err) {
		return n, err
	}
	raw, ver2, gerr := s.meta.Get(ctx, nsObjects(m.Bucket), m.Key)
	switch {
	case errors.Is(gerr, storage.ErrNotFound):
		return 0, fmt.Errorf("object: get %s/%s: deleted during read: %w", m.Bucket, m.Key, ErrNoSuchKey)
	case gerr != nil || ver2 == ver:
		return 0, err
	}
	m2, verr := s.verifyManifest(ctx, raw, m.Bucket, m.Key)
	if verr != nil {
		return 0, verr
	}
	if m2.ETag != m.ETag || m2.Size != m.Size {
		return 0, fmt.Errorf("object: get %s/%s: overwritten during read: %w", m.Bucket, m.Key, ErrDataUnavailable)
	}
	return s.readParts(ctx, m2, rng, w, nil)
}

// dataVanished reports errors that mean "the shards are gone" rather than
// "the shards are damaged".
func dataVanished(err error) bool {
	return errors.Is(err, dataplane.ErrUnrecoverable) || errors.Is(err, storage.ErrNotFound)
}

// readParts streams rng through the engine part by part, starting with the
// pre-opened first part when there is one. Each part is opened before its
// bytes flow; one that met bad shards queues the object for heal.
func (s *Store) readParts(ctx context.Context, m *manifest.Manifest, rng Range, w io.Writer, first *openPart) (int64, error) {
	if rng.Length <= 0 {
		return 0, nil
	}
	var key *aead.Key
	if first != nil && first.start() {
		defer first.release()
		key = first.key
	} else {
		first = nil
		k, err := s.keys.OpenObjectKey(ctx, keyContext(m), m.Envelope)
		if err != nil {
			return 0, mapEngineErr(fmt.Sprintf("get %s/%s: open key", m.Bucket, m.Key), err)
		}
		defer k.Destroy()
		key = k
	}
	var written, partStart int64
	end := rng.Start + rng.Length
	for i := range m.Parts {
		p := &m.Parts[i]
		partEnd := partStart + p.Size
		if partEnd > rng.Start && partStart < end {
			off := max(rng.Start, partStart) - partStart
			n := min(end, partEnd) - partStart - off
			got, err := s.readPart(ctx, m, i, key, off, n, w, first)
			written += got
			if err == nil && got != n {
				err = fmt.Errorf("%w: engine returned %d of %d bytes", dataplane.ErrUnrecoverable, got, n)
			}
			if err != nil {
				return written, mapEngineErr(fmt.Sprintf("get %s/%s part %d", m.Bucket, m.Key, p.Number), err)
			}
		}
		partStart = partEnd
		if partStart >= end {
			break
		}
	}
	return written, nil
}

// readPart streams [off, off+n) of part i, through first's reader when it
// is that part.
func (s *Store) readPart(ctx context.Context, m *manifest.Manifest, i int, key *aead.Key, off, n int64, w io.Writer, first *openPart) (int64, error) {
	rd := (*dataplane.Reader)(nil)
	if first != nil && first.index == i {
		rd = first.rd
	} else {
		var err error
		if rd, err = s.engine.Open(ctx, layoutOf(&m.Parts[i]), key, off, n); err != nil {
			return 0, err
		}
		defer rd.Close()
	}
	got, err := rd.WriteTo(w)
	s.noteDegraded(ctx, m, rd)
	return got, err
}

// keyContext is the kdf context an object's key is bound to.
func keyContext(m *manifest.Manifest) kdf.Context {
	return kdf.Context{Account: m.Owner, Bucket: m.Bucket, Key: m.Key, UploadID: m.UploadID}
}
