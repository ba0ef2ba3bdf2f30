//go:build linux

package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Geometry of BenchmarkDiskCeiling: the shard files of one 4+2 object
// written at once, each in the 1 MiB O_DIRECT blocks of the local backend's
// direct shard writer.
const (
	ceilingFiles    = 6
	ceilingBlock    = 1 << 20
	ceilingFileSize = 64 << 20
	ceilingAlign    = 4096
)

// BenchmarkDiskCeiling measures the raw write ceiling of the disk under
// $RUSTFS_BENCH_DIR (else the test temp dir; use a disk: tmpfs measures
// memory, or on older kernels refuses O_DIRECT and is skipped): each op
// writes 6 new files of 64 MiB in parallel, one goroutine per file, in
// 1 MiB aligned O_DIRECT writes (one at a time per file, like the shard
// writer's flusher), then fsyncs each file and the directory. MB/s is the bytes written; obj-MB/s is the object data
// a 4+2 erasure layout (1.5× bytes written per byte stored) could store at
// that rate: the ceiling for PUT and multipart throughput on this disk. The
// files are removed between ops, outside the timed part.
//
//	RUSTFS_BENCH_DIR=/var/tmp go test -run '^$' -bench DiskCeiling -benchtime 10x ./bench
func BenchmarkDiskCeiling(b *testing.B) {
	parent := os.Getenv("RUSTFS_BENCH_DIR")
	if parent == "" {
		parent = b.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "ceiling-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	bufs := make([][]byte, ceilingFiles)
	for i := range bufs {
		bufs[i] = alignedBlock(ceilingBlock)
		for j := range bufs[i] {
			bufs[i][j] = byte(i*31 + j*7) // not zeros: no device may elide them
		}
	}
	b.SetBytes(ceilingFiles * ceilingFileSize)
	b.ReportAllocs()
	b.ResetTimer() // not the blocks above
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StartTimer()
		t0 := time.Now()
		err := writeCeilingRound(dir, i, bufs)
		elapsed += time.Since(t0)
		b.StopTimer()
		if errors.Is(err, syscall.EINVAL) {
			b.Skipf("%s refuses O_DIRECT (tmpfs?): %v", parent, err)
		}
		if err != nil {
			b.Fatal(err)
		}
		for f := range ceilingFiles {
			if err := os.Remove(ceilingName(dir, i, f)); err != nil {
				b.Fatal(err)
			}
		}
	}
	mbps := float64(ceilingFiles*ceilingFileSize) * float64(b.N) / elapsed.Seconds() / 1e6
	b.ReportMetric(mbps*4/6, "obj-MB/s")
}

// writeCeilingRound writes round's files in parallel and makes them and
// their names durable.
func writeCeilingRound(dir string, round int, bufs [][]byte) error {
	errs := make([]error, len(bufs))
	var wg sync.WaitGroup
	for f, buf := range bufs {
		wg.Go(func() { errs[f] = writeCeilingFile(ceilingName(dir, round, f), buf) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeCeilingFile writes one file of ceilingFileSize bytes in buf-sized
// O_DIRECT writes and fsyncs it.
func writeCeilingFile(name string, buf []byte) error {
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_DIRECT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	for off := 0; off < ceilingFileSize && err == nil; off += len(buf) {
		var n int
		n, err = unix.Pwrite(fd, buf, int64(off))
		if err == nil && n != len(buf) {
			err = fmt.Errorf("short write %d of %d", n, len(buf))
		}
	}
	if err == nil {
		err = unix.Fsync(fd)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func ceilingName(dir string, round, file int) string {
	return filepath.Join(dir, fmt.Sprintf("r%d-f%d", round, file))
}

// alignedBlock returns n bytes starting at a ceilingAlign boundary.
func alignedBlock(n int) []byte {
	b := make([]byte, n+ceilingAlign)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&b[0])) % ceilingAlign); r != 0 {
		off = ceilingAlign - r
	}
	return b[off : off+n : off+n]
}
