package dataplane

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/storage"
)

// This file holds the scrub and repair API of docs/DURABILITY.md: Verify
// checks shards without keys, RepairTargets picks where to rebuild, Repair
// rebuilds. None of them needs the object key: frame tags carry the
// stream's identity, and Reed-Solomon works on ciphertext.

// ShardState is what a verification found for one shard.
type ShardState uint8

// Shard states, worst last.
const (
	ShardOK          ShardState = iota // every frame verified (or present, for a shallow check)
	ShardMissing                       // not written, or gone from its OSD
	ShardCorrupt                       // a bad tag, a foreign frame, a short or long file
	ShardUnavailable                   // OSD down, timed out or failing with I/O errors
)

// String names the state for logs.
func (s ShardState) String() string {
	switch s {
	case ShardOK:
		return "ok"
	case ShardMissing:
		return "missing"
	case ShardCorrupt:
		return "corrupt"
	case ShardUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("ShardState(%d)", uint8(s))
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Deep reads and checks every frame; false checks presence and size only.
	Deep bool
	// Throttle, when set, is called before reading n bytes (rate limiting).
	// It may be called from several goroutines at once.
	Throttle func(ctx context.Context, n int) error
}

// VerifyReport is the result of Verify.
type VerifyReport struct {
	States    []ShardState // per shard index of the layout
	BytesRead int64
}

// Bad lists the shard indices whose state is not ShardOK.
func (r VerifyReport) Bad() []int {
	var out []int
	for j, st := range r.States {
		if st != ShardOK {
			out = append(out, j)
		}
	}
	return out
}

// RepairStats counts what a Repair rewrote.
type RepairStats struct {
	Shards       int
	BytesWritten int64
}

// Verify checks every shard of l without any object key: presence and size,
// and with o.Deep every frame's tag (which also rejects frames of another
// stream, shard index or offset). An unknown OSD counts as missing; an OSD
// that reports itself unhealthy, times out or fails with an I/O error as
// unavailable. The error is for an invalid layout, a cancelled ctx or a
// Throttle failure only; shard problems are in the report.
func (e *Engine) Verify(ctx context.Context, l Layout, o VerifyOptions) (VerifyReport, error) {
	g, err := e.checkLayout(l)
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{States: make([]ShardState, len(l.OSDs))}
	ident := erasure.NewIdentity(l.DataID)
	var read atomic.Int64
	errs := make([]error, len(l.OSDs))
	var wg sync.WaitGroup
	for j := range l.OSDs {
		wg.Go(func() {
			rep.States[j], errs[j] = e.verifyShard(ctx, l, g, ident, j, o, &read)
		})
	}
	wg.Wait()
	rep.BytesRead = read.Load()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("dataplane: verify: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("dataplane: verify: %w", err)
	}
	return rep, nil
}

// verifyShard checks shard j; the error is a Throttle failure only.
func (e *Engine) verifyShard(ctx context.Context, l Layout, g geometry, ident erasure.Identity, j int,
	o VerifyOptions, read *atomic.Int64) (ShardState, error) {
	osd, st := e.shardOSD(l, j)
	if st != ShardOK {
		return st, nil
	}
	rd, err := e.openShard(ctx, osd, ShardName(l.DataID, j))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return ShardMissing, nil
		}
		return ShardUnavailable, nil
	}
	defer rd.Close()
	if rd.Size() != g.shardSize() {
		return ShardCorrupt, nil
	}
	if !o.Deep {
		return ShardOK, nil
	}
	buf := make([]byte, g.pFull+erasure.FrameOverhead)
	q := newReadSlot()
	for i := range g.count {
		p := g.piece(i)
		frame := buf[:p+erasure.FrameOverhead]
		if o.Throttle != nil {
			if err := o.Throttle(ctx, len(frame)); err != nil {
				return ShardOK, fmt.Errorf("shard %d: throttle: %w", j, err)
			}
		}
		n, err, _ := e.readAt(ctx, rd, q, frame, g.frameOffset(i))
		read.Add(int64(n))
		switch {
		case n == len(frame):
		case err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF):
			return ShardUnavailable, nil // includes a timeout: buf belongs to the hung read now
		default:
			return ShardCorrupt, nil
		}
		if ident.CheckPiece(frame[:p], binary.LittleEndian.Uint32(frame[p:]), j, i) != nil {
			return ShardCorrupt, nil
		}
	}
	return ShardOK, nil
}

// shardOSD resolves shard j's OSD; a state other than ShardOK means there is
// nothing to read.
func (e *Engine) shardOSD(l Layout, j int) (storage.OSD, ShardState) {
	id := l.OSDs[j]
	if id == "" {
		return nil, ShardMissing
	}
	osd := e.osdByID(id)
	switch {
	case osd == nil:
		return nil, ShardMissing // the OSD left the cluster: its shards are gone
	case !storage.Healthy(osd):
		return nil, ShardUnavailable
	}
	return osd, ShardOK
}

// RepairTargets picks, per bad shard, the OSD to rebuild it on: its recorded
// OSD when that is known and healthy, else a healthy OSD holding no other
// shard of l, from the rack holding fewest of l's shards (the rack rule kept
// as far as the cluster allows), ties broken by rendezvous rank. It fails
// with an error wrapping storage.ErrPlacement when no OSD is left.
func (e *Engine) RepairTargets(l Layout, bad []int) ([]storage.OSD, error) {
	if err := checkBad(l, bad); err != nil {
		return nil, err
	}
	isBad := make(map[int]bool, len(bad))
	for _, j := range bad {
		isBad[j] = true
	}
	used := map[string]bool{}
	perRack := map[string]int{}
	for j, id := range l.OSDs {
		if id == "" {
			continue
		}
		used[id] = true
		if !isBad[j] {
			if osd := e.osdByID(id); osd != nil {
				perRack[osd.Rack()]++
			}
		}
	}
	ranked := storage.Rank(e.b.OSDs(), l.DataID)
	out := make([]storage.OSD, len(bad))
	for x, j := range bad {
		if osd := e.osdByID(l.OSDs[j]); osd != nil && storage.Healthy(osd) {
			out[x] = osd
			perRack[osd.Rack()]++
			continue
		}
		var best storage.OSD
		for _, c := range ranked {
			if used[c.ID()] || !storage.Healthy(c) {
				continue
			}
			if best == nil || perRack[c.Rack()] < perRack[best.Rack()] {
				best = c
			}
		}
		if best == nil {
			return nil, fmt.Errorf("dataplane: repair shard %d: no healthy OSD free: %w", j, storage.ErrPlacement)
		}
		out[x] = best
		used[best.ID()] = true
		perRack[best.Rack()]++
	}
	return out, nil
}

// checkBad validates a list of shard indices of l.
func checkBad(l Layout, bad []int) error {
	seen := make(map[int]bool, len(bad))
	for _, j := range bad {
		if j < 0 || j >= len(l.OSDs) || seen[j] {
			return fmt.Errorf("dataplane: repair: shard index %d of %d: %w", j, len(l.OSDs), ErrLayout)
		}
		seen[j] = true
	}
	return nil
}
