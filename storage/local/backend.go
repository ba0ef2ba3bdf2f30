// Package local is the embedded default storage backend: every OSD is a
// directory (ideally one per disk) and the metadata store is a tree of small
// files replicated into every OSD directory. Several gateway processes may
// share one data directory: shard names are unique per write and metadata
// writes take flock(2) locks.
//
// Layout under Options.Dir (default OSD paths):
//
//	osd0..osd5/format                   {osd id, uuid, cluster uuid}
//	osd0..osd5/tmp/                     shards being written
//	osd0..osd5/shards/<fanout>/<name>   committed shards
//	osd0..osd5/meta/<namespace>/<key>   this OSD's metadata replica
//	osd0..osd5/meta/.index.db, .index.lock  its ordered key index (index.go;
//	                                    none with Options.NoIndex)
//	meta/.locks/00..ff, open            write locks (coordination only)
//	meta/.cluster                       the cluster uuid (bootstrap only)
//
// A data directory of the first layout (values in meta/<namespace>/, no
// replicas) is migrated into the replicas by Open.
package local

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Options configures Open.
type Options struct {
	// Dir holds the metadata locks (Dir/meta) and, by default, the OSDs.
	Dir string
	// Layout lists the OSDs; nil means DefaultLayout(Dir).
	Layout []OSDSpec
	// Fsync is FsyncAlways (the default when empty) or FsyncNever.
	Fsync string
	// MaxDown is how many OSDs may be unusable at Open (default 2); the
	// server then serves degraded. Negative means none.
	MaxDown int
	// ProbeInterval is how often down OSDs are re-probed (default 5s).
	ProbeInterval time.Duration
	// Logger receives OSD state changes and metadata repairs (default
	// slog.Default()).
	Logger *slog.Logger
	// ShardWrites is ShardWritesBuffered (the default when empty) or
	// ShardWritesDirect (O_DIRECT, falling back per file where refused).
	ShardWrites string
	// Commit is CommitEach (the default when empty) or CommitGroup
	// (concurrent commits of shards and metadata copies share a filesystem
	// sync; Linux only).
	Commit string
	// NoIndex turns the ordered key index of each metadata replica
	// (index.go) off: no index file is opened or written, and listing
	// reads the replica's directory (O(keys in the namespace) per page).
	// For a store whose names nobody lists in order, such as the hashed
	// names under storage/sealed, which keeps its own index; it saves the
	// index's flock, open and write on every metadata write. An index file
	// left from an indexed open is removed at Open, so a later indexed
	// open rebuilds it rather than trusting entries this one never wrote.
	// Processes sharing a data directory must agree on it.
	NoIndex bool
}

// Backend is the local storage.Backend.
type Backend struct {
	dir       string
	cluster   string
	osds      []*OSD
	meta      *Meta
	log       *slog.Logger
	every     time.Duration // probe interval
	stop      chan struct{}
	probeMu   sync.Mutex // guards probingOn and closed
	probingOn bool
	closed    bool
	probing   sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var (
	_ storage.Backend     = (*Backend)(nil)
	_ storage.TempSweeper = (*Backend)(nil)
)

// Open creates (if needed) and opens the directories of o. OSDs whose
// directory is unusable start down; Open fails only when more than
// o.MaxDown are, or when fewer than the metadata write quorum remain.
func Open(o Options) (*Backend, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("local: Options.Dir is empty")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("local: dir %q: %w", o.Dir, err)
	}
	fsync, err := parseFsync(o.Fsync)
	if err != nil {
		return nil, err
	}
	layout := o.Layout
	if layout == nil {
		layout = DefaultLayout(dir)
	}
	specs, err := validateLayout(dir, layout)
	if err != nil {
		return nil, err
	}
	maxDown := o.MaxDown
	if maxDown == 0 {
		maxDown = 2
	}
	maxDown = max(maxDown, 0)
	probe := o.ProbeInterval
	if probe <= 0 {
		probe = 5 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	b := &Backend{dir: dir, log: log, every: probe, stop: make(chan struct{})}
	sio, err := newShardIO(o.ShardWrites, o.Commit, fsync)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		o := newOSD(s, fsync)
		o.onDown = b.startProber
		b.osds = append(b.osds, o)
	}
	if b.meta, err = newMeta(filepath.Join(dir, "meta"), b.osds, fsync, !o.NoIndex, log); err != nil {
		return nil, err
	}
	if err := b.identifyAll(maxDown); err != nil {
		b.Close()
		return nil, err
	}
	// Build (a data directory from before the index, a replacement disk)
	// or check every replica's index now rather than on a first listing.
	// Without the index, drop any left from an indexed open instead.
	for _, o := range b.osds {
		switch {
		case !usable(o):
		case o.idx != nil:
			if err := o.idx.ensure(); err != nil {
				log.Warn("local: meta index unusable; listing reads the replica's directory", "osd", o.id, "err", err)
			}
		default:
			if err := dropIndex(o); err != nil {
				log.Warn("local: removing an unused meta index failed", "osd", o.id, "err", err)
			}
		}
	}
	if sio != nil {
		// After identifyAll: the OSD directories exist now, so each one's
		// filesystem (its commit group) can be found.
		for _, o := range b.osds {
			sio.attach(o)
		}
	}
	return b, nil
}

// OSDs returns the OSDs in layout order (a fresh slice each call).
func (b *Backend) OSDs() []storage.OSD {
	out := make([]storage.OSD, len(b.osds))
	for i, o := range b.osds {
		out[i] = o
	}
	return out
}

// LocalOSDs returns the concrete OSDs, for scrubbers that walk directories.
func (b *Backend) LocalOSDs() []*OSD { return append([]*OSD(nil), b.osds...) }

// Meta returns the metadata store.
func (b *Backend) Meta() storage.Meta { return b.meta }

// LocalMeta returns the concrete metadata store (Scrub).
func (b *Backend) LocalMeta() *Meta { return b.meta }

// MetaDir is <data>/meta, the lock directory (see Meta.Dir).
func (b *Backend) MetaDir() string { return b.meta.Dir() }

// Dir is the backend's data directory.
func (b *Backend) Dir() string { return b.dir }

// Cluster is the cluster uuid every OSD's format carries.
func (b *Backend) Cluster() string { return b.cluster }

// OSDStates reports every OSD's state, in layout order.
func (b *Backend) OSDStates() []OSDState {
	out := make([]OSDState, len(b.osds))
	for i, o := range b.osds {
		st := StateUp
		switch {
		case !o.identified.Load() || !o.Healthy():
			st = StateDown
		case o.filling.Load():
			st = StateFilling
		}
		out[i] = OSDState{ID: o.id, Rack: o.rack, Path: o.path, State: st, UUID: o.UUID(), LastError: o.lastError()}
	}
	return out
}

// Close stops the prober and releases the lock files. Later metadata
// writes fail.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.probeMu.Lock()
		b.closed = true
		b.probeMu.Unlock()
		close(b.stop)
		b.probing.Wait()
		b.closeErr = b.meta.locks.closeAll()
	})
	return b.closeErr
}

// startProber starts the prober when an OSD first goes down (a healthy
// backend runs no goroutine); it then runs until Close.
func (b *Backend) startProber() {
	b.probeMu.Lock()
	defer b.probeMu.Unlock()
	if b.probingOn || b.closed {
		return
	}
	b.probingOn = true
	b.probing.Add(1)
	go b.prober(b.every)
}

// prober re-probes down OSDs every interval until Close: an identified OSD
// comes back up after a successful probe, an unidentified one is adopted
// when its directory becomes usable (or refused again).
func (b *Backend) prober(every time.Duration) {
	defer b.probing.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		for _, o := range b.osds {
			if o.Healthy() && o.identified.Load() {
				continue
			}
			if !o.identified.Load() {
				b.adopt(o)
				continue
			}
			if !o.formatIntact() {
				// The disk was swapped while down: identify it afresh (a
				// replacement, or a refusal) on the next round.
				o.identified.Store(false)
				continue
			}
			if err := o.probe(); err != nil {
				o.markDown(fmt.Errorf("probe: %w", err))
				continue
			}
			o.markUp()
			b.log.Info("local: OSD back up", "osd", o.id, "path", o.path)
		}
	}
}

// ctx is the context of the backend's own metadata writes.
func (b *Backend) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
