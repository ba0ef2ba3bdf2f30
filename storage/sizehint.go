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
