package dataplane

import (
	"context"
	"errors"

		"github.com/tasmaniancloud/rustfs/storage"
)

// This file holds the repair seam of docs/DURABILITY.md. The bodies are
// placeholders that the engine work replaces; the names and signatures are
// the contract the object layer and the scheduler code against.

// ShardState is what a verification found for one shard.
type ShardState uint8

// Shard states, worst last.
const (
	ShardOK          ShardState = iota // every frame verified (or present, for a shallow check)
	ShardMissing                       // not written, or gone from its OSD
	ShardCorrupt                       // a bad tag, a foreign frame, a short or long file
	ShardUnavailable                   // OSD down, timed out or failing with I/O errors
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Deep reads and checks every frame; false checks presence and size only.
	Deep bool
	// Throttle, when set, is called before reading n bytes (rate limiting).
	Throttle func(ctx context.Context, n int) error
}

// VerifyReport is the result of Verify.
type VerifyReport struct {
	States    []ShardState // per shard index of the layout
	BytesRead int64
}

// RepairStats counts what a Repair rewrote.
type RepairStats struct {
	Shards       int
	BytesWritten int64
}

// errNotBuilt marks a seam whose implementation has not landed yet.
var errNotBuilt = errors.New("dataplane: not implemented yet")

// Verify checks every shard of l without any object key.
func (e *Engine) Verify(ctx context.Context, l Layout, o VerifyOptions) (VerifyReport, error) {
	return VerifyReport{}, errNotBuilt
}

// RepairTargets picks, per bad shard, the OSD to rebuild it on.
func (e *Engine) RepairTargets(l Layout, bad []int) ([]storage.OSD, error) {
	return nil, errNotBuilt
}

// Repair reconstructs the shards listed in bad onto targets and returns the
// layout with OSDs updated.
func (e *Engine) Repair(ctx context.Context, l Layout, bad []int, targets []storage.OSD, throttle func(context.Context, int) error) (Layout, RepairStats, error) {
	return l, RepairStats{}, errNotBuilt
}
