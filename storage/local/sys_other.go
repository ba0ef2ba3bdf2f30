//go:build !linux

package local

import (
	"errors"
	"fmt"
	"os"
)

const directSupported = false

func setDirect(*os.File) error { return errors.ErrUnsupported }

func clearDirect(*os.File) error { return errors.ErrUnsupported }

func directRefused(error) bool { return false }

// syncFS has no filesystem-wide sync here; group commit is refused at Open.
func syncFS(string) error { return errors.ErrUnsupported }

func deviceOf(string) (uint64, error) { return 0, errors.ErrUnsupported }

func writeData(*os.File) error { return nil }

func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
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

func renameFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
