package object

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// errSourceDone unblocks a copy's source reader once the destination stopped
// reading.
var errSourceDone = errors.New("object: copy destination finished")

// CopyObject copies src to dstBucket/dstKey. The source is decrypted
// through the engine and re-encrypted under a fresh key for the destination
// (a new envelope bound to the new bucket/key), never copied as ciphertext:
// keys are bound to their object context. Metadata is copied unless
// src.ReplaceMeta; copying an object onto itself without REPLACE is the
// illegal copy S3 refuses (ErrInvalidArgument). With REPLACE a self-copy
// re-encrypts the object, which is how an operator rotates a key.
func (s *Store) CopyObject(ctx context.Context, src CopyInput, dstBucket, dstKey string) (ObjectInfo, error) {
	if err := checkKey(dstKey); err != nil {
		return ObjectInfo{}, err
	}
	if src.ReplaceMeta {
		if err := checkMeta(src.Meta); err != nil {
			return ObjectInfo{}, err
		}
	}
	if src.SrcBucket == dstBucket && src.SrcKey == dstKey && !src.ReplaceMeta {
		return ObjectInfo{}, fmt.Errorf("%w: this copy request is illegal because it is trying to copy an object to itself without changing the metadata", ErrInvalidArgument)
	}
	if src.ReplaceTags {
		if err := ValidateTags(src.Tags, MaxObjectTags); err != nil {
			return ObjectInfo{}, err
		}
	}
	m, ver, err := s.copySource(ctx, src)
	if err != nil {
		return ObjectInfo{}, err
	}
	tags := src.Tags
	if !src.ReplaceTags {
		if tags, err = s.objectTags(ctx, m); err != nil {
			return ObjectInfo{}, fmt.Errorf("object: copy %s/%s: %w", src.SrcBucket, src.SrcKey, err)
		}
	}
	bk, _, err := s.bucket(ctx, dstBucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	meta := manifestMeta(m)
	if src.ReplaceMeta {
		meta = src.Meta
	}
	in := PutInput{Bucket: dstBucket, Key: dstKey, Size: m.Size, Meta: meta, Owner: src.Owner}
	// Carry the source's checksum algorithm over; a full-object value is
	// also claimed, which re-checks the plaintext end to end for free.
	for algo, v := range m.Checksums {
		in.ChecksumAlgorithm = algo
		if m.ChecksumType == ChecksumFullObject {
			in.Checksums = map[string]string{algo: v}
		}
	}
	key, env, err := s.keys.NewObjectKey(ctx, kdf.Context{Account: bk.Owner, Bucket: dstBucket, Key: dstKey})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: copy to %s/%s: new key: %w", dstBucket, dstKey, err)
	}
	defer key.Destroy()
	var res dataResult
	err = s.streamSource(ctx, m, ver, Range{Start: 0, Length: m.Size}, func(r io.Reader) error {
		in.Body = r
		var werr error
		res, werr = s.writeData(ctx, dataSpec{in: &in, key: key, md5: !s.fast, red: s.layoutOf(bk)})
		return werr
	})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: copy %s/%s to %s/%s: %w", src.SrcBucket, src.SrcKey, dstBucket, dstKey, err)
	}
	etag := fastETag(res.layout.DataID)
	if !s.fast {
		etag = hex.EncodeToString(res.md5)
	}
	dst := &manifest.Manifest{
		Bucket: dstBucket, Key: dstKey, Size: res.layout.Size, ETag: etag,
		Modified: s.now().UnixNano(), Owner: bk.Owner,
		Parts:    []manifest.Part{manifestPart(res.layout, etag, nil)},
		Envelope: env,
	}
	setMeta(dst, meta)
	setChecksums(dst, res.sums, ChecksumFullObject)
	if err := s.commitObject(ctx, dst, WriteCondition{}, res.layout); err != nil {
		return ObjectInfo{}, err
	}
	s.applyWriteTags(ctx, dst, tags)
	return manifestInfo(dst), nil
}

// copySource opens and authenticates a copy source and evaluates the
// x-amz-copy-source-if-* conditions (failures are 412, never 304).
func (s *Store) copySource(ctx context.Context, src CopyInput) (*manifest.Manifest, storage.Version, error) {
	m, ver, err := s.openManifest(ctx, src.SrcBucket, src.SrcKey)
	if err != nil {
		return nil, 0, err
	}
	if err := checkConditions(m.ETag, manifestInfo(m).LastModified, src.Cond, true); err != nil {
		return nil, 0, fmt.Errorf("object: copy source %s/%s: %w", src.SrcBucket, src.SrcKey, err)
	}
	return m, ver, nil
}

// streamSource runs consume on a reader that yields rng of the object m,
// decrypted by a goroutine through an io.Pipe (no buffering of the whole
// object). A source failure is reported in preference to the consumer's
// error, since it is the cause (for example ErrTampered).
func (s *Store) streamSource(ctx context.Context, m *manifest.Manifest, ver storage.Version, rng Range, consume func(io.Reader) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.readRange(ctx, m, ver, rng, pw, nil)
		pw.CloseWithError(err)
		done <- err
	}()
	err := consume(pr)
	pr.CloseWithError(errSourceDone)
	cancel()
	if rerr := <-done; rerr != nil && !errors.Is(rerr, errSourceDone) && !errors.Is(rerr, context.Canceled) {
		return rerr
	}
	return err
}
