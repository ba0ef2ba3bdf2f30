//go:build !linux

package local

import "os"

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

// flushData makes f's data durable.
func flushData(f *os.File) error { return f.Sync() }
