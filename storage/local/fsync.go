package local

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
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

// createTemp creates a new file named prefix + a random suffix in dir for
// writing (O_EXCL, mode 0600), like os.CreateTemp through openFile.
func createTemp(dir, prefix string) (*os.File, error) {
	for try := 0; ; try++ {
		name := dir + string(os.PathSeparator) + prefix + strconv.FormatUint(rand.Uint64(), 36)
		f, err := openFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && os.IsExist(err) && try < 100 {
			continue
		}
		return f, err
	}
}
