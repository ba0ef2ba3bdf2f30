package dataplane

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/chunker"
	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Engine writes and reads data streams on one backend. It is safe for
// concurrent use; buffers are pooled across requests.
type Engine struct {
	b     storage.Backend
	o     Options
	coder *erasure.Coder
	plain *chunker.Pool // plaintext chunk buffers
	pool  *stripePool   // stripes for o's geometry

	byID map[string]storage.OSD // the backend's OSDs at New
	ids  io.Reader              // source of data IDs: crypto/rand (tests pin it)

	mu     sync.Mutex
	coders map[[2]int]*erasure.Coder // for layouts written with another k+m
	pools  map[[3]int]*stripePool    // for layouts with another geometry
}

// New returns an engine writing to b with options o (zero fields take their
// defaults). b must have at least K+M OSDs.
func New(b storage.Backend, o Options) (*Engine, error) {
	if b == nil {
		return nil, errors.New("dataplane: nil backend")
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if n := len(b.OSDs()); n < o.K+o.M {
		return nil, fmt.Errorf("dataplane: %d OSDs, %d+%d needs %d", n, o.K, o.M, o.K+o.M)
	}
	c, err := erasure.New(o.K, o.M)
	if err != nil {
		return nil, err
	}
	g := newGeometry(0, o.ChunkSize, o.K, o.M)
	byID := make(map[string]storage.OSD)
	for _, osd := range b.OSDs() {
		byID[osd.ID()] = osd
	}
	return &Engine{
		b: b, o: o, coder: c, byID: byID, ids: rand.Reader,
		plain:  chunker.NewPoolKeep(o.ChunkSize, o.keep()),
		pool:   newStripePool(g, o.keep()),
		coders: map[[2]int]*erasure.Coder{{o.K, o.M}: c},
		pools:  map[[3]int]*stripePool{},
	}, nil
}

// Options returns the engine's effective options (defaults filled in).
func (e *Engine) Options() Options { return e.o }

// Layout says where a stream's shards are and how to read them. It is stored
// in the object manifest.
type Layout struct {
	DataID    [16]byte
	Part      uint32
	Size      int64
	ChunkSize int
	K, M      int
	OSDs      []string // per shard index; "" = shard not written (below quorum it never commits)
}

// PutRequest describes one stream to write.
type PutRequest struct {
	Key     *aead.Key
	Part    uint32
	Body    io.Reader
	Size    int64                // -1 unknown
	MaxSize int64                // EntityTooLarge beyond it (0 = 5 GiB)
	Hashes  map[string]hash.Hash // whole-object digests to compute (md5, sha256, crc32, ...); unused once Put returns
	// CRC32C asks for PutResult.CRC32C. It is folded in while the body
	// is read (cache-hot, no goroutine of its own), so a caller that needs
	// the stream's CRC-32C should ask for it here rather than in Hashes;
	// without it no pass over the body is made for a CRC nobody reads.
	CRC32C bool

	// K and M choose this stream's redundancy (0 = the engine's K or M):
	// K=1, M=2 is 3x replication, one copy per rack. See Engine.redundancy
	// for the write quorum a stream gets.
	K, M int
}

// PutResult is a written (committed, not yet visible) stream.
type PutResult struct {
	Layout Layout
	Sums   map[string][]byte // Sum(nil) per PutRequest.Hashes name
	CRC32C uint32            // CRC-32C of the whole stream, when PutRequest.CRC32C asked for it (else 0)
}

// redundancy resolves a stream's k+m (0 = engine default) and its write
// quorum: Options.WriteQuorum when it fits the stream (k ≤ quorum ≤ k+m),
// else k+1 capped at k+m. So 4+2 keeps the configured quorum (default 5) and
// 3x (1+2) writes with 2 of 3 copies.
func (e *Engine) redundancy(k, m int) (int, int, int, error) {
	if k == 0 {
		k = e.o.K
	}
	if m == 0 {
		m = e.o.M
	}
	if k < 1 || m < 1 || k+m > erasure.MaxShards {
		return 0, 0, 0, fmt.Errorf("dataplane: put: invalid erasure layout %d+%d: %w", k, m, ErrLayout)
	}
	if n := len(e.b.OSDs()); k+m > n {
		return 0, 0, 0, fmt.Errorf("dataplane: put: %d+%d needs %d OSDs, have %d: %w", k, m, k+m, n, ErrLayout)
	}
	q := e.o.WriteQuorum
	if q < k || q > k+m {
		q = min(k+1, k+m)
	}
	return k, m, q, nil
}

// coderFor returns the coder for k+m, creating and caching it on first use.
func (e *Engine) coderFor(k, m int) (*erasure.Coder, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.coders[[2]int{k, m}]; ok {
		return c, nil
	}
	c, err := erasure.New(k, m)
	if err != nil {
		return nil, err
	}
	e.coders[[2]int{k, m}] = c
	return c, nil
}

// poolFor returns a stripe pool for geometry g.
func (e *Engine) poolFor(g geometry) *stripePool {
	if e.pool.matches(g) {
		return e.pool
	}
	key := [3]int{g.k, g.m, g.pFull}
	e.mu.Lock()
	defer e.mu.Unlock()
	sp, ok := e.pools[key]
	if !ok {
		sp = newStripePool(g, e.o.InFlight)
		e.pools[key] = sp
	}
	return sp
}

// osdByID finds an OSD of the backend by ID; OSDs added to the backend
// after New are found by a scan.
func (e *Engine) osdByID(id string) storage.OSD {
	if o, ok := e.byID[id]; ok {
		return o
	}
	for _, o := range e.b.OSDs() {
		if o.ID() == id {
			return o
		}
	}
	return nil
}

// Delete removes every shard of the stream. Missing shards are not errors;
// failures are returned joined.
func (e *Engine) Delete(ctx context.Context, l Layout) error {
	errs := make([]error, len(l.OSDs))
	var wg sync.WaitGroup
	for j, id := range l.OSDs {
		if id == "" {
			continue
		}
		osd := e.osdByID(id)
		if osd == nil {
			errs[j] = fmt.Errorf("dataplane: delete shard %d: unknown OSD %q", j, id)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := osd.Remove(ctx, ShardName(l.DataID, j)); err != nil {
				errs[j] = fmt.Errorf("dataplane: delete shard %d on %s: %w", j, id, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
