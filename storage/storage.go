// Package storage defines the backend interfaces the data plane writes to and
// reads from: OSDs that hold erasure-coded shards, and a shared metadata store
// that holds manifests, bucket indexes and multipart state.
//
// A backend is a pair (a set of OSDs, a Meta). The local backend (package
// storage/local) keeps both in directories; the RADOS backend (package rados)
// keeps them in Ceph pools. Both are exercised by the same conformance suite
// in package storage/storagetest.
//
// Visibility rule: shard data is never visible to readers on its own. An object
// becomes visible only when its manifest is committed to Meta, and shard names
// embed a fresh random data id, so a crashed or cancelled write leaves at most
// unreferenced shards that garbage collection may remove.
package storage

import (
	"context"
	"errors"
	"io"
)

// Sentinel errors returned (possibly wrapped) by every backend.
var (
	// ErrNotFound reports a missing shard, key or namespace entry.
	ErrNotFound = errors.New("storage: not found")
	// ErrPrecondition reports that a conditional Put or Delete lost its guard.
	ErrPrecondition = errors.New("storage: precondition failed")
	// ErrUnavailable reports a backend that did not answer in bounded time.
	ErrUnavailable = errors.New("storage: backend unavailable")
	// ErrCorrupt reports a metadata value with no valid copy left: the key
	// alone is affected, and an unconditional Put or Delete of it works.
	ErrCorrupt = errors.New("storage: no valid copy of the value")
)

// OSD is one failure unit (a disk, a RADOS pool pinned to a rack) that holds
// shard files. Implementations must be safe for concurrent use.
type OSD interface {
	// ID is a stable, unique identifier recorded in manifests.
	ID() string
	// Rack names the failure domain the OSD lives in.
	Rack() string
	// Create starts a new shard. Nothing is readable under name until the
	// returned writer's Commit succeeds.
	Create(ctx context.Context, name string) (ShardWriter, error)
	// Open opens a committed shard for random-access reads. A missing shard
	// returns an error wrapping ErrNotFound.
	Open(ctx context.Context, name string) (ShardReader, error)
	// Remove deletes a committed shard. Removing a missing shard is not an error.
	Remove(ctx context.Context, name string) error
}

// ShardWriter appends to a shard that is not yet visible.
type ShardWriter interface {
	io.Writer
	// Commit makes the shard durable (per the backend's fsync policy) and
	// visible under its name, atomically.
	Commit() error
	// Abort discards everything written. It is safe to call after Commit
	// (it then does nothing) and more than once.
	Abort() error
}

// ShardReader reads a committed shard.
type ShardReader interface {
	io.ReaderAt
	// Size is the committed length of the shard in bytes.
	Size() int64
	Close() error
}

// Version identifies one stored revision of a Meta value; it changes on every
// successful Put. The zero Version never names a stored value.
type Version uint64

// Cond guards a Meta write.
type Cond struct {
	// IfAbsent makes the write succeed only when the key does not exist.
	IfAbsent bool
	// IfVersion, when non-zero, makes the write succeed only when the stored
	// value's Version equals it.
	IfVersion Version
}

// Entry is one key/value pair returned by Meta.List.
type Entry struct {
	Key     string
	Value   []byte
	Version Version
}

// Meta is the shared, durable metadata store: small values (≤ 1 MiB) under
// byte-ordered keys, grouped into namespaces (for example "buckets",
// "obj/<bucket>", "mpu/<bucket>"). All gateway state lives here, so any
// gateway process can serve any request. Implementations must be safe for
// concurrent use by many goroutines and many processes.
type Meta interface {
	// Get returns the value and its version, or an error wrapping ErrNotFound.
	Get(ctx context.Context, ns, key string) ([]byte, Version, error)
	// Put stores val under key atomically, honouring cond; a lost guard
	// returns an error wrapping ErrPrecondition and changes nothing.
	Put(ctx context.Context, ns, key string, val []byte, cond Cond) (Version, error)
	// Delete removes key, honouring cond.IfVersion. Deleting a missing key
	// returns an error wrapping ErrNotFound.
	Delete(ctx context.Context, ns, key string, cond Cond) error
	// List returns up to limit entries of ns whose keys start with prefix and
	// sort strictly after after, in byte order.
	List(ctx context.Context, ns, prefix, after string, limit int) ([]Entry, error)
}

// Backend bundles the OSDs and the metadata store of one storage system.
type Backend interface {
	// OSDs returns every OSD, in a stable order.
	OSDs() []OSD
	// Meta returns the metadata store.
	Meta() Meta
	// Close releases connections and files.
	Close() error
}
