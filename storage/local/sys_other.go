//go:build !linux

package local

import (
	"errors"
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

// writeBlocks writes bufs back to back at off, one write each.
func writeBlocks(f *os.File, bufs [][]byte, off int64) error {
	for _, b := range bufs {
		if _, err := f.WriteAt(b, off); err != nil {
			return err
		}
		off += int64(len(b))
	}
	return nil
}
