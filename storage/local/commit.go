package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// commitFresh publishes a shard whose name is fresh (storage.FreshShard)
// with one flush latency instead of two: it renames tmp (f's path) to the
// shard's name first, then fsyncs the file and the name's directory at the
// same time, and returns once both have succeeded. The usual order (fsync
// the file, rename, fsync the directory) waits for two device flushes one
// after the other on every shard of every PUT and part.
//
// Why the name may be visible before the shard is durable, for fresh names
// only: nothing references the name until Commit has returned nil (the
// engine draws a random data ID per stream and writes the manifest or part
// record that names it only after a quorum of Commits returned), so
//   - a crash between the rename and the fsyncs leaves, at worst, a torn
//     file under a name no metadata holds: an orphan, which orphan
//     collection (object.Store.CollectOrphans, through OSD.Walk) removes
//     like any other shard a crash left before its manifest;
//   - a failed fsync removes the name again before Commit reports the
//     error, so nothing unacknowledged stays visible (if the removal is
//     lost in a crash, the file is again an unreferenced orphan);
//   - a reader finds shards only through metadata, so no reader opens the
//     name before Commit returns.
//
// A shard rewritten under a name metadata already references (a repair in
// place) must keep the usual order: there a crash between the rename and
// the fsyncs would replace the old file, whose good stripes a later repair
// still reads, with a torn one. Metadata replicas never come here: they
// overwrite live names, and a crash would lose the acknowledged version.
//
// The caller (Commit) closes f and removes tmp again on error; both are
// harmless after the rename.
func (o *OSD) commitFresh(f *os.File, tmp, name string) error {
	final := o.ShardPath(name)
	dir := filepath.Dir(final)
	err := renameFile(tmp, final)
	if errors.Is(err, fs.ErrNotExist) {
		// First shard in this fan-out directory: create it and make its
		// entry in shards/ durable (rare: 256 per OSD, once).
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := o.syncDirOf(o.shardsDir()); err != nil {
			return err
		}
		err = renameFile(tmp, final)
	}
	if err != nil {
		return err // nothing published
	}
	// The directory fsync may queue behind one already running (dirSyncs),
	// so it runs on its own goroutine and the file's on this one.
	dirDone := make(chan error, 1)
	go func() { dirDone <- o.syncDirOf(dir) }()
	pending := o.early.count()
	err = o.syncFile(f)
	o.early.synced(pending, err)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if derr := <-dirDone; err == nil {
		err = derr
	}
	if err != nil {
		// Not acknowledged: take the name back.
		os.Remove(final)
	}
	return err
}
