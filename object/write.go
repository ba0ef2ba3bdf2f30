package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
)

// dataSpec describes one data stream (an object body or a part) to store.
type dataSpec struct {
	in   *PutInput
	key  *aead.Key
	part uint32
	// md5 forces the MD5 digest (md5 ETag mode, multipart parts); it is
	// also computed whenever the client sent Content-MD5.
	md5 bool
	// uploadAlgo is the multipart upload's checksum algorithm, computed for
	// every part so the object checksum can be built at completion.
	uploadAlgo string
	maxSize    int64
	// red is the bucket's layout (zero: the engine's default).
	red Redundancy
}

// dataResult is what a verified stream produced.
type dataResult struct {
	layout dataplane.Layout
	md5    []byte            // nil unless computed
	sums   map[string]string // flexible checksums to store, base64
}

// checksumPlan is the flexible checksum a request involves: at most one
// algorithm, as S3 allows, plus the value the client claimed up front.
type checksumPlan struct {
	algo  string
	claim []byte // nil when none was sent as a header
}

// planChecksum validates the checksum headers of in against the upload's
// algorithm. Unknown algorithms and mixed algorithms are ErrInvalidArgument:
// silently dropping integrity data the client asked for is worse than a 400.
func planChecksum(in *PutInput, uploadAlgo string) (checksumPlan, error) {
	var p checksumPlan
	use := func(algo string) error {
		algo = strings.ToLower(algo)
		if !ValidChecksumAlgorithm(algo) {
			return fmt.Errorf("%w: unsupported checksum algorithm %q", ErrInvalidArgument, algo)
		}
		if p.algo != "" && p.algo != algo {
			return fmt.Errorf("%w: checksum algorithms %s and %s both requested", ErrInvalidArgument, p.algo, algo)
		}
		p.algo = algo
		return nil
	}
	if uploadAlgo != "" {
		if err := use(uploadAlgo); err != nil {
			return p, err
		}
	}
	if in.ChecksumAlgorithm != "" {
		if err := use(in.ChecksumAlgorithm); err != nil {
			return p, err
		}
	}
	for name, v := range in.Checksums {
		if err := use(name); err != nil {
			return p, err
		}
		raw, err := decodeChecksum(p.algo, v)
		if err != nil {
			return p, err
		}
		p.claim = raw
	}
	return p, nil
}

// writeData streams spec.in.Body through the engine and verifies every
// digest the client supplied once the body has ended. On any failure the
// written shards are deleted, so nothing of a rejected upload remains.
// Digests run inside the engine, concurrently with sealing; no byte is
// hashed twice (SHA-256 serves x-amz-content-sha256 and the sha256
// checksum at once).
func (s *Store) writeData(ctx context.Context, spec dataSpec) (dataResult, error) {
	in := spec.in
	if len(in.ContentMD5) != 0 && len(in.ContentMD5) != md5.Size {
		return dataResult{}, fmt.Errorf("%w: Content-MD5 of %d bytes", ErrInvalidArgument, len(in.ContentMD5))
	}
	if len(in.ContentSHA256) != 0 && len(in.ContentSHA256) != sha256.Size {
		return dataResult{}, fmt.Errorf("%w: x-amz-content-sha256 of %d bytes", ErrInvalidArgument, len(in.ContentSHA256))
	}
	plan, err := planChecksum(in, spec.uploadAlgo)
	if err != nil {
		return dataResult{}, err
	}
	hashes := make(map[string]hash.Hash, 3)
	if spec.md5 || in.ContentMD5 != nil {
		// The engine is done with the hashes when Put returns, on every
		// path: a multi-buffer hasher goes back to the provider then.
		h := s.md5.New()
		defer h.Close()
		hashes["md5"] = h
	}
	if in.ContentSHA256 != nil || plan.algo == "sha256" {
		hashes["sha256"] = sha256.New()
	}
	// A CRC-32C checksum is the engine's own stream CRC, folded in while
	// the body is read, not another pass over it on a digest goroutine.
	streamCRC := plan.algo == "crc32c"
	if plan.algo != "" && !streamCRC && hashes[plan.algo] == nil {
		hashes[plan.algo] = newChecksumHash(plan.algo)
	}
	var body io.Reader = strictBody{in.Body}
	if in.Body == nil {
		body = bytes.NewReader(nil)
	}
	res, err := s.engine.Put(ctx, dataplane.PutRequest{
		Key: spec.key, Part: spec.part, Body: body, Size: in.Size,
		MaxSize: spec.maxSize, Hashes: hashes, CRC32C: streamCRC, K: spec.red.K, M: spec.red.M,
	})
	if err != nil {
		return dataResult{}, mapEngineErr("write", err)
	}
	if streamCRC {
		res.Sums["crc32c"] = binary.BigEndian.AppendUint32(nil, res.CRC32C) // hash/crc32's Sum form
	}
	out := dataResult{layout: res.Layout, md5: res.Sums["md5"]}
	if err := verifyDigests(in, plan, res.Sums); err != nil {
		s.deleteData(ctx, "rejected upload", res.Layout)
		return dataResult{}, err
	}
	if plan.algo != "" {
		out.sums = map[string]string{plan.algo: base64.StdEncoding.EncodeToString(res.Sums[plan.algo])}
	}
	return out, nil
}

// errTruncatedBody reports a body reader that failed with
// io.ErrUnexpectedEOF (what HTTP servers return for a connection cut short).
var errTruncatedBody = fmt.Errorf("object: body ended early: %w", ErrIncompleteBody)

// strictBody keeps a source's io.ErrUnexpectedEOF from being mistaken for
// the end of the stream: chunkers built on io.ReadFull treat that error as a
// short final read, which would commit a truncated object of unknown size.
type strictBody struct{ r io.Reader }

func (b strictBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && errors.Is(err, io.ErrUnexpectedEOF) {
		err = errTruncatedBody
	}
	return n, err
}

// verifyDigests compares the computed sums with Content-MD5,
// x-amz-content-sha256 and the claimed checksums (headers and trailers).
func verifyDigests(in *PutInput, plan checksumPlan, sums map[string][]byte) error {
	if in.ContentMD5 != nil && !bytes.Equal(in.ContentMD5, sums["md5"]) {
		return fmt.Errorf("object: %w", ErrBadDigest)
	}
	if in.ContentSHA256 != nil && !bytes.Equal(in.ContentSHA256, sums["sha256"]) {
		return fmt.Errorf("object: %w", ErrSHA256Mismatch)
	}
	if plan.claim != nil && !bytes.Equal(plan.claim, sums[plan.algo]) {
		return fmt.Errorf("object: x-amz-checksum-%s: %w", plan.algo, ErrChecksumMismatch)
	}
	if in.TrailerChecksums == nil {
		return nil
	}
	for name, v := range in.TrailerChecksums() {
		algo := strings.ToLower(name)
		if algo != plan.algo {
			// The trailer must have been announced (x-amz-trailer, passed
			// as ChecksumAlgorithm); an unannounced one was not computed
			// and cannot be verified, so it is refused, not ignored.
			return fmt.Errorf("%w: trailer checksum %q was not announced", ErrInvalidArgument, name)
		}
		raw, err := decodeChecksum(algo, v)
		if err != nil {
			return err
		}
		if !bytes.Equal(raw, sums[algo]) {
			return fmt.Errorf("object: trailer x-amz-checksum-%s: %w", algo, ErrChecksumMismatch)
		}
	}
	return nil
}

// fastETag derives an opaque 32-hex ETag from a data id. Hashing keeps the
// shard file names (hex data id) unlinkable from the S3-visible ETag.
func fastETag(dataID [16]byte) string {
	h := sha256.New()
	io.WriteString(h, "rustfs/v1/etag")
	h.Write(dataID[:])
	return fmt.Sprintf("%x", h.Sum(nil)[:16])
}
