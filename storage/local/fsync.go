package local

import (
	"fmt"
	"os"
)

// Fsync policies accepted by Options.Fsync.
const (
	// FsyncAlways syncs file data and the directory entry on every commit:
	// a committed shard or metadata value survives power loss.
	FsyncAlways = "always"
	// FsyncNever leaves durability to the kernel's write-back: faster, and
	// a crash may lose recent commits (never expose torn ones: renames are
	// still atomic).
	FsyncNever = "never"
)

// parseFsync maps an Options.Fsync value to whether to sync.
func parseFsync(s string) (bool, error) {
	switch s {
	case "", FsyncAlways:
		return true, nil
	case FsyncNever:
		return false, nil
	}
	return false, fmt.Errorf("local: fsync policy %q: want %q or %q", s, FsyncAlways, FsyncNever)
}

// syncDir makes the entries of dir (a rename or unlink in it) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}
