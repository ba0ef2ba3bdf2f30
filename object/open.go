package object

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/manifest"
)

// openIdle bounds how long a GET's pre-opened first part waits for WriteTo:
// a caller that never streams (a client gone before the body) must not pin
// shard handles and buffers for ever.
const openIdle = 2 * time.Minute

// openPart is the first part of a GET's range, opened (its first stripe
// decoded) before the response is answered, so an unreadable object gets
// an S3 error instead of a 200 it cannot finish.
type openPart struct {
	index int // into m.Parts
	key   *aead.Key
	rd    *dataplane.Reader
	timer *time.Timer

	mu      sync.Mutex
	started bool
	closed  bool
}

// openFirst opens the part holding rng.Start. It queues the object for
// heal when the open met bad shards.
func (s *Store) openFirst(ctx context.Context, m *manifest.Manifest, rng Range) (*openPart, error) {
	key, err := s.openKey(ctx, keyContext(m), m.Envelope)
	if err != nil {
		return nil, mapEngineErr(fmt.Sprintf("get %s/%s: open key", m.Bucket, m.Key), err)
	}
	var partStart int64
	for i := range m.Parts {
		p := &m.Parts[i]
		if partStart+p.Size <= rng.Start {
			partStart += p.Size
			continue
		}
		off := rng.Start - partStart
		n := min(rng.Start+rng.Length, partStart+p.Size) - partStart - off
		rd, err := s.engine.Open(ctx, layoutOf(p), key, off, n)
		if err != nil {
			key.Destroy()
			return nil, mapEngineErr(fmt.Sprintf("get %s/%s part %d", m.Bucket, m.Key, p.Number), err)
		}
		s.noteDegraded(ctx, m, rd)
		op := &openPart{index: i, key: key, rd: rd}
		op.timer = time.AfterFunc(openIdle, func() { op.abandon() })
		return op, nil
	}
	key.Destroy()
	return nil, fmt.Errorf("object: get %s/%s: range beyond the parts: %w", m.Bucket, m.Key, ErrInvalidRange)
}

// start claims the open part for streaming; false when it was abandoned.
func (op *openPart) start() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.closed || op.started {
		return false
	}
	op.started = true
	op.timer.Stop()
	return true
}

// abandon releases the part unless streaming has started.
func (op *openPart) abandon() {
	op.mu.Lock()
	if op.started || op.closed {
		op.mu.Unlock()
		return
	}
	op.closed = true
	op.mu.Unlock()
	op.release()
}

// release closes the reader and destroys the key.
func (op *openPart) release() {
	op.rd.Close()
	op.key.Destroy()
}

// noteDegraded queues a heal of m's object when rd met bad shards (best
// effort: the scrubber finds it otherwise).
func (s *Store) noteDegraded(ctx context.Context, m *manifest.Manifest, rd *dataplane.Reader) {
	if bad := rd.Degraded(); len(bad) > 0 {
		s.log.Warn("object: degraded read", "bucket", m.Bucket, "key", m.Key, "shards", bad)
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		s.queueHealBestEffort(cctx, healObjectKey(m.Bucket, m.Key), "degraded read")
	}
}
