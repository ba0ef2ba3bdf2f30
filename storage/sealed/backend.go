package sealed

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Format marker: one plaintext record in the wrapped store, outside every
// hashed namespace, saying the store is sealed and under which root.
const (
	markerNS  = "rustfs-format"
	markerKey = "metadata"
	formatV1  = "sealed-v1"
)

// marker is the format record. Check proves the key without revealing it.
type marker struct {
	Format string `json:"format"`
	Root   string `json:"root"`
	Check  string `json:"check"`
}

// plaintextNamespaces are written by every store that ever held a bucket
// or a user; finding one unsealed means a store from before sealing.
var plaintextNamespaces = []string{"buckets", "iam", "bpolicy", "sys/gc"}

// ErrPlaintextStore reports a store written before metadata sealing.
var ErrPlaintextStore = errors.New("sealed: this store holds plaintext metadata from before sealed-v1; it cannot be opened sealed (start on an empty data directory, or copy the objects over with an S3 client)")

// KeyFunc returns the metadata key derived from the root named rootID (""
// for the current root) and that root's id: kdf.Service.MetadataKey.
type KeyFunc func(ctx context.Context, rootID string) ([32]byte, string, error)

// Open seals b's metadata: on a new store it writes the format marker
// under the current root; on an existing one it derives the key from the
// root the marker names (which must be configured, current or old) and
// checks it. A store that has plaintext metadata and no marker is refused
// with ErrPlaintextStore.
func Open(ctx context.Context, b storage.Backend, key KeyFunc, o Options) (*Backend, error) {
	inner := b.Meta()
	raw, _, err := inner.Get(ctx, markerNS, markerKey)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		for _, ns := range plaintextNamespaces {
			es, lerr := inner.List(ctx, ns, "", "", 1)
			if lerr != nil {
				return nil, fmt.Errorf("sealed: probe for plaintext metadata: %w", lerr)
			}
			if len(es) > 0 {
				return nil, fmt.Errorf("%w (found namespace %q)", ErrPlaintextStore, ns)
			}
		}
		k, id, kerr := key(ctx, "")
		if kerr != nil {
			return nil, kerr
		}
		mk := marker{Format: formatV1, Root: id, Check: checkValue(k)}
		val, _ := json.Marshal(mk)
		if _, perr := inner.Put(ctx, markerNS, markerKey, val, storage.Cond{IfAbsent: true}); perr != nil && !errors.Is(perr, storage.ErrPrecondition) {
			return nil, fmt.Errorf("sealed: write format marker: %w", perr)
		}
		// Another process may have won the race: read back what stands.
		return Open(ctx, b, key, o)
	case err != nil:
		return nil, fmt.Errorf("sealed: read format marker: %w", err)
	}
	var mk marker
	if err := json.Unmarshal(raw, &mk); err != nil || mk.Format != formatV1 {
		return nil, fmt.Errorf("sealed: unknown metadata format marker %q", raw)
	}
	k, _, err := key(ctx, mk.Root)
	if err != nil {
		return nil, fmt.Errorf("sealed: this store's metadata is sealed under root key %s: %w", mk.Root, err)
	}
	if checkValue(k) != mk.Check {
		return nil, fmt.Errorf("sealed: the metadata key from root %s does not match this store", mk.Root)
	}
	o.Key = k
	m, err := New(inner, o)
	if err != nil {
		return nil, err
	}
	return &Backend{Backend: b, meta: m}, nil
}

func checkValue(k [32]byte) string {
	c := derive(k, "rustfs/meta/v1/check")
	return hex.EncodeToString(c[:16])
}

// Backend is a storage.Backend whose Meta is sealed; OSDs and Close are the
// wrapped backend's.
type Backend struct {
	storage.Backend
	meta *Meta
}

// Wrap returns b with m as its Meta (m should wrap b.Meta()).
func Wrap(b storage.Backend, m *Meta) *Backend { return &Backend{Backend: b, meta: m} }

// Meta returns the sealed store.
func (b *Backend) Meta() storage.Meta { return b.meta }

// Unwrap returns the wrapped backend, for backend-specific hooks.
func (b *Backend) Unwrap() storage.Backend { return b.Backend }

// SweepTemp forwards to the wrapped backend when it sweeps.
func (b *Backend) SweepTemp(ctx context.Context, cutoff time.Time) (int, int64, error) {
	if ts, ok := b.Backend.(storage.TempSweeper); ok {
		return ts.SweepTemp(ctx, cutoff)
	}
	return 0, 0, nil
}

var (
	_ storage.Backend     = (*Backend)(nil)
	_ storage.TempSweeper = (*Backend)(nil)
)
