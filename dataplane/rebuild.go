package dataplane

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Repair reconstructs the shards listed in bad, stripe by stripe, from any
// k verified shards of the others (no object key needed), writes them with
// fresh tags through the normal ShardWriter Create/Commit under
// ShardName(l.DataID, j) on targets[x] for bad[x] (a stale or corrupt file
// of that name is replaced by the commit, atomically), and returns l with
// OSDs[j] set to the targets' IDs. throttle, when set, is called before each
// read of n bytes. The caller re-signs and swaps the manifest. On error
// nothing is committed on an OSD new to the layout.
func (e *Engine) Repair(ctx context.Context, l Layout, bad []int, targets []storage.OSD,
	throttle func(context.Context, int) error) (Layout, RepairStats, error) {
	g, err := e.checkLayout(l)
	if err != nil {
		return l, RepairStats{}, err
	}
	if err := checkBad(l, bad); err != nil {
		return l, RepairStats{}, err
	}
	if len(targets) != len(bad) || slices.Contains(targets, nil) {
		return l, RepairStats{}, fmt.Errorf("dataplane: repair: %d targets for %d shards: %w", len(targets), len(bad), ErrLayout)
	}
	if len(bad) == 0 {
		return l, RepairStats{}, nil
	}
	coder, err := e.coderFor(l.K, l.M)
	if err != nil {
		return l, RepairStats{}, fmt.Errorf("dataplane: repair: %w", err)
	}
	rb := &rebuild{e: e, ctx: ctx, l: l, g: g, coder: coder, ident: erasure.NewIdentity(l.DataID),
		bad: bad, throttle: throttle}
	defer rb.closeSources()
	rb.openSources()
	if err := rb.createTargets(targets); err != nil {
		return l, RepairStats{}, err
	}
	for i := range g.count {
		if err := rb.stripe(i); err != nil {
			rb.abort()
			return l, RepairStats{}, err
		}
	}
	if err := rb.commit(); err != nil {
		return l, RepairStats{}, err
	}
	out := l
	out.OSDs = slices.Clone(l.OSDs)
	for x, j := range bad {
		out.OSDs[j] = targets[x].ID()
	}
	return out, RepairStats{Shards: len(bad), BytesWritten: int64(len(bad)) * g.shardSize()}, nil
}

// rebuild is the state of one Repair.
type rebuild struct {
	e        *Engine
	ctx      context.Context
	l        Layout
	g        geometry
	coder    *erasure.Coder
	ident    erasure.Identity
	bad      []int
	throttle func(context.Context, int) error

	src     []storage.ShardReader // per shard index; nil = not a source (bad, missing or failed)
	slots   []*readSlot
	bufs    [][]byte // per source: one full frame
	pieces  [][]byte // per stripe: the k+m pieces handed to the coder
	scratch [][]byte // per shard index: room for a rebuilt piece
	outs    []storage.ShardWriter
	osds    []storage.OSD
	frame   []byte // the frame being written
	err     error  // a throttle failure
}

// openSources opens every shard that can be read, the bad ones included:
// a shard with one rotten stripe still serves its other stripes (a file
// being rebuilt is replaced only at commit, and the open reader keeps the
// old one), which is what lets rot spread over more than m shards be
// repaired as long as each stripe keeps k verified pieces.
func (rb *rebuild) openSources() {
	n := len(rb.l.OSDs)
	rb.src, rb.slots, rb.bufs = make([]storage.ShardReader, n), make([]*readSlot, n), make([][]byte, n)
	rb.pieces = make([][]byte, n)
	for j := range n {
		osd, st := rb.e.shardOSD(rb.l, j)
		if st != ShardOK {
			continue
		}
		r, err := rb.e.openShard(rb.ctx, osd, ShardName(rb.l.DataID, j))
		if err != nil {
			continue
		}
		rb.src[j], rb.slots[j] = r, newReadSlot()
		rb.bufs[j] = make([]byte, rb.g.pFull+erasure.FrameOverhead)
	}
	rb.frame = make([]byte, rb.g.pFull+erasure.FrameOverhead)
	rb.scratch = make([][]byte, n)
	for j := range rb.scratch {
		rb.scratch[j] = make([]byte, 0, rb.g.pFull)
	}
}

func (rb *rebuild) closeSources() {
	for j, r := range rb.src {
		if r != nil {
			r.Close()
			rb.src[j] = nil
		}
	}
}

// createTargets starts one shard writer per bad shard.
func (rb *rebuild) createTargets(targets []storage.OSD) error {
	rb.osds = targets
	rb.outs = make([]storage.ShardWriter, len(targets))
	for x, osd := range targets {
		w, err := rb.e.createShard(rb.ctx, osd, ShardName(rb.l.DataID, rb.bad[x]))
		if err != nil {
			rb.abort()
			return fmt.Errorf("dataplane: repair shard %d on %s: create: %w", rb.bad[x], osd.ID(), err)
		}
		rb.outs[x] = w
	}
	return nil
}

// stripe rebuilds stripe i's bad pieces from k verified source pieces and
// appends their frames to the target writers.
func (rb *rebuild) stripe(i uint64) error {
	g := rb.g
	p := g.piece(i)
	base := g.frameOffset(i)
	clear(rb.pieces)
	good := 0
	for pass := range 2 { // shards in good standing first, then the bad ones
		for j := range rb.src {
			if good < g.k && rb.src[j] != nil && slices.Contains(rb.bad, j) == (pass == 1) {
				good += rb.readSource(j, i, p, base)
			}
		}
	}
	if rb.err != nil {
		return rb.err
	}
	if err := rb.ctx.Err(); err != nil {
		return fmt.Errorf("dataplane: repair: %w", err)
	}
	if good < g.k {
		return fmt.Errorf("dataplane: repair: stripe %d: %d verified pieces, need %d: %w", i, good, g.k, ErrUnrecoverable)
	}
	for j, pc := range rb.pieces {
		if pc == nil {
			rb.pieces[j] = rb.scratch[j][:0] // rebuilt in place
		}
	}
	if err := rb.coder.Reconstruct(rb.pieces); err != nil {
		return fmt.Errorf("dataplane: repair: stripe %d: %w", i, err)
	}
	for x, j := range rb.bad {
		fr := rb.ident.AppendFrame(rb.frame[:0], rb.pieces[j], j, i)
		if _, err := bounded(rb.e, rb.ctx, func() (struct{}, error) { return struct{}{}, writeFull(rb.outs[x], fr) }, nil); err != nil {
			if errors.Is(err, errShardTimeout) {
				rb.outs[x] = nil // hung: never touched again (abandoned, not aborted)
			}
			return fmt.Errorf("dataplane: repair shard %d on %s: stripe %d: %w", j, rb.osds[x].ID(), i, err)
		}
	}
	return nil
}

// readSource reads and verifies source j's frame of stripe i into
// rb.pieces[j]; it returns 1 when the piece verified, else 0.
func (rb *rebuild) readSource(j int, i uint64, p int, base int64) int {
	r := rb.src[j]
	flen := p + erasure.FrameOverhead
	if rb.throttle != nil {
		if err := rb.throttle(rb.ctx, flen); err != nil {
			rb.err = fmt.Errorf("dataplane: repair: throttle: %w", err)
			return 0
		}
	}
	f := rb.bufs[j][:flen]
	n, err, timedOut := rb.e.readAt(rb.ctx, r, rb.slots[j], f, base)
	if timedOut || n != flen && err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		// Late or failing: stop using this shard (after a timeout its
		// buffer belongs to the hung read; Close waits for it).
		rb.src[j] = nil
		r.Close()
		return 0
	}
	if n != flen || rb.ident.CheckPiece(f[:p], binary.LittleEndian.Uint32(f[p:]), j, i) != nil {
		return 0 // a bad frame: other stripes of the shard may still serve
	}
	rb.pieces[j] = f[:p]
	return 1
}

// commit commits every rebuilt shard; on a failure it removes the ones
// committed on OSDs new to the layout (ones on the recorded OSD replaced a
// bad shard with a good one and stay).
func (rb *rebuild) commit() error {
	var errs []error
	committed := make([]bool, len(rb.outs))
	for x, w := range rb.outs {
		name := ShardName(rb.l.DataID, rb.bad[x])
		osd := rb.osds[x]
		_, err := bounded(rb.e, rb.ctx, func() (struct{}, error) { return struct{}{}, w.Commit() },
			func(struct{}) { osd.Remove(context.WithoutCancel(rb.ctx), name) })
		if err != nil {
			if !errors.Is(err, errShardTimeout) {
				w.Abort()
			}
			errs = append(errs, fmt.Errorf("dataplane: repair shard %d on %s: commit: %w", rb.bad[x], osd.ID(), err))
			continue
		}
		committed[x] = true
	}
	if len(errs) == 0 {
		return nil
	}
	for x, ok := range committed {
		if ok && rb.osds[x].ID() != rb.l.OSDs[rb.bad[x]] {
			rb.osds[x].Remove(context.WithoutCancel(rb.ctx), ShardName(rb.l.DataID, rb.bad[x]))
		}
	}
	return errors.Join(errs...)
}

// abort discards every target writer not abandoned to a hung call.
func (rb *rebuild) abort() {
	for _, w := range rb.outs {
		if w != nil {
			w.Abort()
		}
	}
}
