package storage

import (
	"context"
	"time"
)

// Walker is implemented by OSDs that can enumerate their committed shards,
// which orphan garbage collection needs.
type Walker interface {
	// Walk calls fn for every committed shard until fn returns an error.
	Walk(ctx context.Context, fn func(name string, size int64, modified time.Time) error) error
}

// TempSweeper is implemented by backends that leave temporary files behind
// when a process dies mid-write.
type TempSweeper interface {
	// SweepTemp removes temporary files last modified before cutoff and
	// reports how many files and bytes it removed.
	SweepTemp(ctx context.Context, cutoff time.Time) (files int, bytes int64, err error)
}
