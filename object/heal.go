package object

import (
	"context"
	"errors"
)

// This file holds the maintenance seam of docs/DURABILITY.md. The bodies are
// placeholders that the object-layer work replaces; the names and signatures
// are the contract the scheduler (package maint) codes against.

// HealOptions tune a heal or scrub of objects.
type HealOptions struct {
	// Deep reads and checks every shard frame; false checks presence only.
	Deep bool
	// Throttle, when set, is called before reading or writing n bytes.
	Throttle func(ctx context.Context, n int) error
}

// Count is a number of objects and their bytes.
type Count struct {
	Objects int64
	Bytes   int64
}

// HealResult sums up a heal of one or more objects.
type HealResult struct {
	Checked        int
	ShardsRepaired int
	Unrecoverable  int
	BytesRewritten int64
	// ByRedundancy counts the objects checked by healthy shards per stream
	// (the worst part of an object counts), after repair.
	ByRedundancy map[int]Count
}

// GCResult sums up a garbage collection.
type GCResult struct {
	Records int
	Shards  int
	Bytes   int64
}

var errNotBuilt = errors.New("object: not implemented yet")

// HealObject verifies one object's shards and repairs what is missing or bad.
func (s *Store) HealObject(ctx context.Context, bucket, key string, o HealOptions) (HealResult, error) {
	return HealResult{}, errNotBuilt
}

// HealQueued drains up to max records of the durable heal queue.
func (s *Store) HealQueued(ctx context.Context, o HealOptions, max int) (HealResult, error) {
	return HealResult{}, errNotBuilt
}

// WalkObjects calls fn for every object of every bucket.
func (s *Store) WalkObjects(ctx context.Context, fn func(bucket, key string) error) error {
	return errNotBuilt
}
