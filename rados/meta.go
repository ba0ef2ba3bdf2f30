//go:build ceph

package rados

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ceph/go-ceph/rados"

	"github.com/tasmaniancloud/rustfs/storage"
)

// maxPutAttempts bounds the retries of an unconditional Put that meets a
// stored version from the future (a gateway with a faster clock), and of
// writes whose shard object vanished under them.
const maxPutAttempts = 16

// Meta is the omap metadata store (see the package documentation for the
// layout). It is safe for concurrent use by many goroutines and processes.
type Meta struct {
	io     *rados.IOContext
	shards int
	// verIO holds I/O contexts for operations that read the object version
	// (rados_get_last_version is per I/O context, so each is used by one
	// goroutine at a time).
	verIO chan *rados.IOContext
	now   func() time.Time
	last  atomic.Uint64 // highest version issued by this process
}

var _ storage.Meta = (*Meta)(nil)

// validateNS checks a namespace.
func validateNS(ns string) error {
	if ns == "" || len(ns) > storage.MaxKeyLen {
		return fmt.Errorf("rados: meta: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	return nil
}

// validate checks the namespace and key of Get, Put and Delete.
func validate(ns, key string) error {
	if err := validateNS(ns); err != nil {
		return err
	}
	if key == "" || len(key) > storage.MaxKeyLen {
		return fmt.Errorf("rados: meta: key of %d bytes: %w", len(key), storage.ErrInvalid)
	}
	return nil
}

// nextVersion issues a version above floor, above every version this
// process issued, and normally the wall clock in ns, so versions increase
// per key and are not reused after a delete and re-create.
func (m *Meta) nextVersion(floor uint64) uint64 {
	for {
		last := m.last.Load()
		v := max(uint64(max(m.now().UnixNano(), 0)), last+1, floor+1)
		if m.last.CompareAndSwap(last, v) {
			return v
		}
	}
}

// Get returns the value stored under key and its version.
func (m *Meta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if err := validate(ns, key); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	rec, err := m.readKey(shardOID(ns, keyShard(key, m.shards)), omapKey(dataPrefix, key))
	if err != nil {
		return nil, 0, fmt.Errorf("rados: get %s/%q: %w", ns, key, err)
	}
	val, v, err := decodeValue(rec)
	if err != nil {
		return nil, 0, fmt.Errorf("rados: get %s/%q: %w", ns, key, err)
	}
	return val, storage.Version(v), nil
}

// readKey returns the omap value of okey in oid; a missing object or key
// wraps storage.ErrNotFound.
func (m *Meta) readKey(oid, okey string) ([]byte, error) {
	op := rados.CreateReadOp()
	defer op.Release()
	step := op.GetOmapValuesByKeys([]string{okey})
	if err := op.Operate(m.io, oid, rados.OperationNoFlag); err != nil {
		return nil, classify(err)
	}
	kv, err := step.Next()
	if err != nil {
		return nil, classify(err)
	}
	if kv == nil {
		return nil, storage.ErrNotFound
	}
	return kv.Value, nil
}

// storedVersion reads the version of key in oid, 0 when absent.
func (m *Meta) storedVersion(oid, key string) (uint64, error) {
	b, err := m.readKey(oid, omapKey(versionPrefix, key))
	if err != nil {
		if isNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	v, ok := parseVersionText(b)
	if !ok {
		return 0, fmt.Errorf("version %q: %w", b, errCorrupt)
	}
	return v, nil
}

// Put stores val under key honouring cond, as one guarded RADOS write op:
// IfAbsent compares the version entry with "" (absent), IfVersion with the
// expected version, and an unconditional Put with "lower than the new
// version", which keeps versions increasing even across gateways whose
// clocks disagree.
func (m *Meta) Put(ctx context.Context, ns, key string, val []byte, cond storage.Cond) (storage.Version, error) {
	if err := validate(ns, key); err != nil {
		return 0, err
	}
	if len(val) > storage.MaxValueLen {
		return 0, fmt.Errorf("rados: put %s/%q: value of %d bytes: %w", ns, key, len(val), storage.ErrInvalid)
	}
	if cond.IfAbsent && cond.IfVersion != 0 {
		// An absent key has no version: the two guards never hold together.
		return 0, fmt.Errorf("rados: put %s/%q: IfAbsent with IfVersion %d: %w", ns, key, cond.IfVersion, storage.ErrPrecondition)
	}
	oid := shardOID(ns, keyShard(key, m.shards))
	g := guardedOp{dataKey: omapKey(dataPrefix, key), verKey: omapKey(versionPrefix, key)}
	v := m.nextVersion(uint64(cond.IfVersion))
	switch {
	case cond.IfAbsent:
		g.cmp = cmpEQ
	case cond.IfVersion != 0:
		g.cmp, g.want = cmpEQ, versionText(uint64(cond.IfVersion))
	default:
		g.cmp = cmpLT
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		g.record, g.version = encodeValue(val, v), versionText(v)
		if g.cmp == cmpLT {
			g.want = g.version
		}
		err := operateGuarded(m.io, oid, &g)
		switch {
		case err == nil:
			return storage.Version(v), nil
		case attempt == maxPutAttempts:
			return 0, fmt.Errorf("rados: put %s/%q: gave up after %d attempts: %w", ns, key, attempt, classify(err))
		case isErrno(err, enoent):
			// Shard objects are created on first use (and removed when empty).
			if err := m.io.Create(oid, rados.CreateIdempotent); err != nil {
				return 0, fmt.Errorf("rados: put %s/%q: create %s: %w", ns, key, oid, classify(err))
			}
		case isErrno(err, ecanceled) && g.cmp != cmpLT:
			return 0, fmt.Errorf("rados: put %s/%q: %w", ns, key, storage.ErrPrecondition)
		case isErrno(err, ecanceled):
			// The stored version is ahead of ours: go past it.
			sv, rerr := m.storedVersion(oid, key)
			if rerr != nil {
				return 0, fmt.Errorf("rados: put %s/%q: %w", ns, key, rerr)
			}
			v = m.nextVersion(sv)
		default:
			return 0, fmt.Errorf("rados: put %s/%q: %w", ns, key, classify(err))
		}
	}
}

// Delete removes key honouring cond.IfVersion, as one guarded RADOS write
// op. A shard object left without keys is removed afterwards.
func (m *Meta) Delete(ctx context.Context, ns, key string, cond storage.Cond) error {
	if err := validate(ns, key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	oid := shardOID(ns, keyShard(key, m.shards))
	g := guardedOp{dataKey: omapKey(dataPrefix, key), verKey: omapKey(versionPrefix, key), remove: true}
	if cond.IfVersion != 0 {
		g.cmp, g.want = cmpEQ, versionText(uint64(cond.IfVersion))
	} else {
		g.cmp = cmpGT // any stored version is greater than ""
	}
	err := operateGuarded(m.io, oid, &g)
	switch {
	case err == nil:
		m.dropIfEmpty(oid)
		return nil
	case isErrno(err, enoent):
		return fmt.Errorf("rados: delete %s/%q: %w", ns, key, storage.ErrNotFound)
	case isErrno(err, ecanceled) && cond.IfVersion == 0:
		return fmt.Errorf("rados: delete %s/%q: %w", ns, key, storage.ErrNotFound)
	case isErrno(err, ecanceled):
		sv, rerr := m.storedVersion(oid, key)
		switch {
		case rerr != nil:
			return fmt.Errorf("rados: delete %s/%q: %w", ns, key, rerr)
		case sv == 0:
			return fmt.Errorf("rados: delete %s/%q: %w", ns, key, storage.ErrNotFound)
		}
		return fmt.Errorf("rados: delete %s/%q: version %d, want %d: %w", ns, key, sv, cond.IfVersion, storage.ErrPrecondition)
	default:
		return fmt.Errorf("rados: delete %s/%q: %w", ns, key, classify(err))
	}
}

// dropIfEmpty removes shard object oid when it holds no keys, so that
// short-lived namespaces (part/<uploadID>) leave nothing behind. The remove
// asserts the object version seen by the emptiness check: a concurrent
// writer changes the version and the remove is refused. Best effort: any
// failure leaves an empty object, which is harmless.
func (m *Meta) dropIfEmpty(oid string) {
	var io *rados.IOContext
	select {
	case io = <-m.verIO:
	default:
		return // all busy; another Delete will get the next chance
	}
	defer func() { m.verIO <- io }()

	rop := rados.CreateReadOp()
	step := rop.GetOmapValues("", "", 1)
	err := rop.Operate(io, oid, rados.OperationNoFlag)
	var kv *rados.OmapKeyValue
	if err == nil {
		kv, err = step.Next()
	}
	rop.Release()
	if err != nil || kv != nil {
		return
	}
	ver, err := io.GetLastVersion()
	if err != nil {
		return
	}
	wop := rados.CreateWriteOp()
	wop.AssertVersion(ver)
	wop.Remove()
	_ = wop.Operate(io, oid, rados.OperationNoFlag)
	wop.Release()
}
