package storage

import "context"

// shardSizeKey carries the expected length of the shards created under a
// context (WithShardSize).
type shardSizeKey struct{}

// WithShardSize returns ctx carrying n, the length every shard created
// under it will have when the writer knows it in advance (the body's
// Content-Length). Backends may use it to pick a write strategy from the
// first byte (O_DIRECT for large shards); it is a hint, not a limit, so a
// shard of another length must still be written correctly.
func WithShardSize(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, shardSizeKey{}, n)
}

// ShardSize returns the hint set by WithShardSize, if any.
func ShardSize(ctx context.Context) (int64, bool) {
	n, ok := ctx.Value(shardSizeKey{}).(int64)
	return n, ok && n >= 0
}

// freshShardKey marks a context whose shard names are fresh
// (WithFreshShard).
type freshShardKey struct{}

// WithFreshShard returns ctx saying that every shard created under it has a
// name nothing references yet and nothing will reference before its
// writer's Commit has returned nil (a new random data ID per stream, named
// in metadata only after the commit). A backend may then publish the name
// before the shard is durable and make both durable together: a crash in
// between leaves an unreferenced, possibly torn shard (an orphan for
// garbage collection) and never a referenced one. Rewrites of a name that
// metadata already references (a repair in place) must not carry it.
func WithFreshShard(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshShardKey{}, true)
}

// FreshShard reports whether ctx carries WithFreshShard.
func FreshShard(ctx context.Context) bool {
	v, _ := ctx.Value(freshShardKey{}).(bool)
	return v
}
