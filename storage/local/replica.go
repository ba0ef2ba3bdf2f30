package local

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// copyState classifies one replica's copy of a key.
type copyState uint8

const (
	copyUnavail copyState = iota // OSD down or I/O error: no answer
	copyMissing                  // no file
	copyCorrupt                  // unreadable image, CRC mismatch, wrong key
	copyOK
)

// replicaCopy is one replica's answer for a key.
type replicaCopy struct {
	st  copyState
	rec record
}

// usable reports whether o's metadata replica may be read and written.
func usable(o *OSD) bool { return o.identified.Load() && o.Healthy() }

// copyPath is where replica o keeps the file name of namespace dir nsName.
func copyPath(o *OSD, nsName, name string) string {
	return filepath.Join(o.metaDir(), nsName, name)
}

// readCopy reads replica o's copy of (nsName, name), expecting key.
func readCopy(o *OSD, nsName, name, key string) replicaCopy {
	if !usable(o) {
		return replicaCopy{st: copyUnavail}
	}
	rec, err := readRecordFile(o, copyPath(o, nsName, name))
	switch {
	case err == nil && rec.key == key:
		return replicaCopy{st: copyOK, rec: rec}
	case err == nil, errors.Is(err, errCorrupt):
		// A file holding another key can only be misplaced or a SHA-256
		// collision: as useless as a damaged one.
		return replicaCopy{st: copyCorrupt}
	case errors.Is(err, fs.ErrNotExist):
		return replicaCopy{st: copyMissing}
	}
	return replicaCopy{st: copyUnavail}
}

// readRecordFile reads and checks a whole value file, marking o down on a
// disk error. A missing file returns an error wrapping fs.ErrNotExist.
func readRecordFile(o *OSD, file string) (record, error) {
	if err := o.inject("read"); err != nil {
		return record{}, o.check(err)
	}
	f, err := openFile(file, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return record{}, fs.ErrNotExist
		}
		return record{}, o.check(err)
	}
	defer f.Close()
	b, err := o.readValueFile(f)
	if err != nil {
		return record{}, o.check(err)
	}
	return decodeRecord(b)
}

// firstRead is how much of a value file the first read(2) asks for: more
// than a sealed index leaf, the largest value file written in bulk, so
// nearly every copy is read without an fstat.
const firstRead = 96 << 10

// readValueFile returns the contents of value file f. A file shorter than
// firstRead takes one read(2) and no fstat: value files are never written
// in place (a copy is replaced by rename), and a read of a regular file
// returns less than it asked only at the end of the file. Should a short
// read ever stop early, the image's header names more bytes than were
// read and the file is read again sized by fstat, as a longer one is.
func (o *OSD) readValueFile(f *os.File) ([]byte, error) {
	bp := o.readBufs.Get().(*[]byte)
	defer o.readBufs.Put(bp)
	buf := *bp
	n, err := f.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, readErr(err)
	}
	if n < len(buf) {
		_, klen, vlen, _, herr := decodeHeader(buf[:n])
		if herr != nil || valueHeader+klen+vlen+valueTrailer <= n {
			// The whole file (decodeRecord rejects a bad one).
			return append([]byte(nil), buf[:n]...), nil
		}
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < valueHeader+valueTrailer || st.Size() > maxValueFile {
		return nil, fmt.Errorf("%w: size %d", errCorrupt, st.Size())
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, readErr(err)
	}
	return b, nil
}

// readErr classifies a failed read of a value file: a disk error as it
// is, anything else (a file cut short under us) as corruption.
func readErr(err error) error {
	if fatalErr(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errCorrupt, err)
}

// writeCopy replaces replica o's copy of (nsName, name), the record of
// key, by img: a temporary file renamed over the old copy, so readers see
// one or the other. A namespace directory removed by a concurrent scrub is
// re-created. The key enters the replica's index first, so the index stays
// a superset of the replica's records even across a crash; when the index
// cannot take it the copy is not written (the write quorum decides).
//
// With fsync the copy is durable when writeCopy returns nil, and the new
// file's contents are durable before its rename can be: the rename
// replaces a live name, so a crash that kept the rename and lost the data
// would leave a torn copy in place of an acknowledged one. Under
// CommitGroup (o.group set) the two waits are the filesystem's shared
// sync instead of this file's and this directory's fsyncs: write the
// temporary file, wait for a group sync started after the write, rename,
// wait for a group sync started after the rename. Concurrent writers (the
// replicas of one write, which share a filesystem, and concurrent writes)
// share both syncs. See groupSync for failures.
func writeCopy(o *OSD, nsName, name, key string, img []byte, fsync bool) error {
	if !usable(o) {
		return fmt.Errorf("OSD %s down", o.id)
	}
	if err := o.inject("write"); err != nil {
		return o.check(err)
	}
	if o.idx != nil {
		if err := o.idx.insert(nsName, key); err != nil {
			return err
		}
	}
	dir := filepath.Join(o.metaDir(), nsName)
	var f *os.File
	for attempt := 0; ; attempt++ {
		var err error
		f, err = createTemp(dir, tmpPrefix)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 3 {
			return o.check(err)
		}
		if err := os.Mkdir(dir, 0o700); err == nil {
			// Under CommitGroup the group sync after the write below,
			// which starts after this mkdir, makes the new entry durable
			// before the copy's rename.
			if fsync && o.group == nil {
				if err := o.syncDirOf(o.metaDir()); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return o.check(err)
		}
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(img); err != nil {
		return o.check(err)
	}
	if fsync {
		if o.group != nil {
			if err := o.groupSync(); err != nil {
				return err
			}
		} else if err := o.syncFile(f); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return o.check(err)
	}
	if err := renameFile(tmp, filepath.Join(dir, name)); err != nil {
		return o.check(err)
	}
	ok = true
	if fsync {
		return o.syncMetaDir(dir)
	}
	return nil
}

// syncMetaDir makes the entries of dir, a directory of o's metadata
// replica, durable: through the shared group sync under CommitGroup, else
// by an fsync of dir shared with concurrent callers (syncDirOf).
func (o *OSD) syncMetaDir(dir string) error {
	if o.group != nil {
		return o.groupSync()
	}
	return o.syncDirOf(dir)
}

// removeCopy deletes replica o's copy (dropping a tombstone every replica
// holds); a missing file is fine.
func removeCopy(o *OSD, nsName, name string) error {
	if err := os.Remove(copyPath(o, nsName, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return o.check(err)
	}
	return nil
}
