package kdf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Meta namespaces Rotate walks (the object layer's layout, docs/DESIGN.md).
const (
	bucketsNamespace   = "buckets"
	objectNamespacePfx = "obj/"
)

// ManifestContext is the key context of a committed object: the owner
// account, bucket, key and (for multipart objects) upload id recorded in its
// manifest. The object layer derives object keys with the same context.
func ManifestContext(m *manifest.Manifest) Context {
	return Context{Account: m.Owner, Bucket: m.Bucket, Key: m.Key, UploadID: m.UploadID}
}

// RotateOptions configures Rotate (the logic of `rustfs keys rotate`).
type RotateOptions struct {
	// Buckets limits the walk; nil walks every bucket in Meta.
	Buckets []string
	// Context maps a manifest to its key context (default ManifestContext).
	Context func(m *manifest.Manifest) Context
	// DryRun verifies and counts but writes nothing.
	DryRun bool
	// PageSize is the Meta.List page size (default 1000).
	PageSize int
	// Logger receives per-object problems (default slog.Default()).
	Logger *slog.Logger
}

// RotateReport counts what Rotate saw and did.
type RotateReport struct {
	Buckets int // buckets walked
	Scanned int // manifests read
	Current int // already signed with the current key: unchanged
	// Resigned manifests were re-signed with the current key (in a dry
	// run: would have been).
	Resigned int
	// OldEnvelopes use a non-current root or customer epoch. They stay
	// readable while that root/epoch is accepted; retiring it requires
	// re-encrypting these objects (a copy onto themselves).
	OldEnvelopes int
	// Tampered manifests failed verification and were left untouched.
	Tampered int
	// Unsupported manifests name keys this service does not accept.
	Unsupported int
	// Conflicts were rewritten concurrently by a writer (which signs with
	// the current key anyway) and were skipped.
	Conflicts int
}

// String formats the report as one log line.
func (r RotateReport) String() string {
	return fmt.Sprintf("buckets=%d scanned=%d current=%d resigned=%d old_envelopes=%d tampered=%d unsupported=%d conflicts=%d",
		r.Buckets, r.Scanned, r.Current, r.Resigned, r.OldEnvelopes, r.Tampered, r.Unsupported, r.Conflicts)
}

// Rotate walks every committed manifest and re-signs those not signed with
// the current signing key, after verifying each under the accepted keys and
// checking that its envelope opens. Writes are guarded by the version read,
// so a concurrent PUT wins. Tampered or unsupported manifests are counted
// and logged, never re-signed. A storage or keyring error stops the walk
// and is returned with the report so far.
func Rotate(ctx context.Context, s *Service, meta storage.Meta, o RotateOptions) (RotateReport, error) {
	var r RotateReport
	if o.Context == nil {
		o.Context = ManifestContext
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	buckets := o.Buckets
	if buckets == nil {
		var err error
		if buckets, err = listKeys(ctx, meta, bucketsNamespace, o.PageSize); err != nil {
			return r, err
		}
	}
	for _, b := range buckets {
		r.Buckets++
		if err := rotateBucket(ctx, s, meta, b, o, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// rotateBucket processes the manifests of one bucket page by page.
func rotateBucket(ctx context.Context, s *Service, meta storage.Meta, bucket string, o RotateOptions, r *RotateReport) error {
	ns := objectNamespacePfx + bucket
	after := ""
	for {
		page, err := meta.List(ctx, ns, "", after, o.PageSize)
		if err != nil {
			return fmt.Errorf("kdf: rotate: list %s: %w", ns, err)
		}
		for _, e := range page {
			if err := rotateOne(ctx, s, meta, ns, bucket, e, o, r); err != nil {
				return err
			}
		}
		if len(page) < o.PageSize {
			return nil
		}
		after = page[len(page)-1].Key
	}
}

// rotateOne verifies, and if needed re-signs and stores, one manifest.
func rotateOne(ctx context.Context, s *Service, meta storage.Meta, ns, bucket string, e storage.Entry, o RotateOptions, r *RotateReport) error {
	r.Scanned++
	m, err := manifest.Unmarshal(e.Value)
	if err == nil && (m.Bucket != bucket || m.Key != e.Key) {
		err = fmt.Errorf("%w: manifest names %s/%s", ErrTampered, m.Bucket, m.Key)
	}
	if err != nil {
		r.Tampered++
		o.Logger.Warn("kdf: rotate: unreadable manifest left untouched", "bucket", bucket, "key", e.Key, "err", err)
		return nil
	}
	needs := s.NeedsResign(m)
	c := o.Context(m)
	if o.DryRun {
		err = s.check(ctx, c, m)
	} else {
		err = s.Rewrap(ctx, c, m)
	}
	switch {
	case errors.Is(err, ErrTampered):
		r.Tampered++
		o.Logger.Warn("kdf: rotate: manifest failed verification; left untouched", "bucket", bucket, "key", e.Key, "err", err)
		return nil
	case errors.Is(err, ErrUnsupported):
		r.Unsupported++
		o.Logger.Warn("kdf: rotate: manifest uses keys not accepted; left untouched", "bucket", bucket, "key", e.Key, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("kdf: rotate %s/%s: %w", bucket, e.Key, err)
	}
	if !s.EnvelopeCurrent(m.Envelope) {
		r.OldEnvelopes++
	}
	if !needs {
		r.Current++
		return nil
	}
	if o.DryRun {
		r.Resigned++
		return nil
	}
	raw, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("kdf: rotate %s/%s: encode: %w", bucket, e.Key, err)
	}
	if _, err := meta.Put(ctx, ns, e.Key, raw, storage.Cond{IfVersion: e.Version}); err != nil {
		if errors.Is(err, storage.ErrPrecondition) {
			r.Conflicts++
			return nil
		}
		return fmt.Errorf("kdf: rotate %s/%s: store: %w", bucket, e.Key, err)
	}
	r.Resigned++
	return nil
}

// check verifies m and opens its envelope without changing anything.
func (s *Service) check(ctx context.Context, c Context, m *manifest.Manifest) error {
	if err := s.VerifyManifest(ctx, m); err != nil {
		return err
	}
	if m.Envelope.Suite == 0 && len(m.Envelope.KEMCiphertext) == 0 {
		return nil
	}
	if _, id, err := s.checkEnvelope(&m.Envelope); err != nil {
		return err
	} else if id.sseC {
		// An SSE-C envelope opens only with the client's key, which is
		// never stored: the verified signature vouches for it instead.
		return nil
	}
	k, err := s.OpenObjectKey(ctx, c, m.Envelope)
	if err != nil {
		return err
	}
	k.Destroy()
	return nil
}

// listKeys returns every key of a namespace.
func listKeys(ctx context.Context, meta storage.Meta, ns string, pageSize int) ([]string, error) {
	var keys []string
	after := ""
	for {
		page, err := meta.List(ctx, ns, "", after, pageSize)
		if err != nil {
			return nil, fmt.Errorf("kdf: rotate: list %s: %w", ns, err)
		}
		for _, e := range page {
			keys = append(keys, e.Key)
		}
		if len(page) < pageSize {
			return keys, nil
		}
		after = page[len(page)-1].Key
	}
}
