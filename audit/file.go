package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// FileOptions configures a FileSink.
type FileOptions struct {
	// Path is the active log file. Rotated files are Path.000001,
	// Path.000002, … so `rustfs audit verify Path.* Path` reads the chain
	// in order (the shell sorts the zero-padded names).
	Path string
	// MaxSize rotates the file once it holds this many bytes (0: never).
	MaxSize int64
	// Sync fsyncs the file at every flush (default: left to the OS).
	Sync bool
}

// FileSink appends lines to a size-rotated file.
type FileSink struct {
	o    FileOptions
	f    *os.File
	w    *bufio.Writer
	size int64
	next int // index of the next rotated file
	head Head
	// Repaired is the byte count of an incomplete last line (a crash
	// mid-write) cut from the file at open; 0 normally.
	Repaired int64
}

// OpenFile opens (creating) o.Path for appending and finds where the chain
// ends in it, or in the newest rotated file when it is empty.
func OpenFile(o FileOptions) (*FileSink, error) {
	if o.Path == "" {
		return nil, fmt.Errorf("audit: file sink needs a path")
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: log directory: %w", err)
	}
	rotated, err := RotatedFiles(o.Path)
	if err != nil {
		return nil, err
	}
	s := &FileSink{o: o, next: 1}
	if n := len(rotated); n > 0 {
		idx, _ := strconv.Atoi(rotated[n-1][len(o.Path)+1:])
		s.next = idx + 1
	}
	f, err := os.OpenFile(o.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", o.Path, err)
	}
	head, end, found, err := lastHead(f)
	if err == nil && !found && len(rotated) > 0 {
		var g *os.File
		if g, err = os.Open(rotated[len(rotated)-1]); err == nil {
			head, _, _, err = lastHead(g)
			g.Close()
		}
	}
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && st.Size() > end {
			// A crash cut the last line short: it was never part of a
			// flushed batch, so drop it rather than corrupt the chain.
			s.Repaired = st.Size() - end
			err = f.Truncate(end)
		}
	}
	if err == nil {
		_, err = f.Seek(end, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: open %s: %w", o.Path, err)
	}
	s.f, s.w, s.size, s.head = f, bufio.NewWriterSize(f, 64<<10), end, head
	return s, nil
}

// RotatedFiles lists path's rotated files (path.NNNNNN) oldest first.
func RotatedFiles(path string) ([]string, error) {
	names, err := filepath.Glob(path + ".[0-9][0-9][0-9][0-9][0-9][0-9]*")
	if err != nil {
		return nil, fmt.Errorf("audit: list rotated files: %w", err)
	}
	var out []string
	for _, n := range names {
		if _, err := strconv.Atoi(n[len(path)+1:]); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i][len(path)+1:])
		b, _ := strconv.Atoi(out[j][len(path)+1:])
		return a < b
	})
	return out, nil
}

// tailWindow is how much of a file's end lastHead reads: far more than one
// line (request headers are bounded at 16 KiB).
const tailWindow = 1 << 20

// lastHead finds the chain head in f's last complete line (a record's seq
// and hash, or a checkpoint's seq and head) and the offset just past that
// line. found is false for an empty file.
func lastHead(f *os.File) (h Head, end int64, found bool, err error) {
	st, err := f.Stat()
	if err != nil {
		return h, 0, false, err
	}
	start := max(st.Size()-tailWindow, 0)
	buf := make([]byte, st.Size()-start)
	if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
		return h, 0, false, err
	}
	nl := bytes.LastIndexByte(buf, '\n')
	if nl < 0 {
		return h, start, false, nil
	}
	end = start + int64(nl) + 1
	line := buf[bytes.LastIndexByte(buf[:nl], '\n')+1 : nl]
	var v struct {
		Type string `json:"type"`
		Seq  uint64 `json:"seq"`
		Hash string `json:"hash"`
		Head string `json:"head"`
	}
	if err := json.Unmarshal(line, &v); err != nil {
		return h, end, false, fmt.Errorf("last line is not an audit record: %w", err)
	}
	h = Head{Seq: v.Seq, Hash: v.Hash}
	if v.Type == TypeCheckpoint {
		h.Hash = v.Head
	}
	if _, err := prevBytes(h.Hash); err != nil {
		return h, end, false, err
	}
	if strings.Trim(h.Hash, "0") == "" {
		h.Hash = "" // a checkpoint of an empty chain
	}
	return h, end, true, nil
}

// Head is where the chain ended in the existing files (zero for none).
func (s *FileSink) Head() Head { return s.head }

// Write implements Sink.
func (s *FileSink) Write(line []byte, _ *Record) error {
	n, err := s.w.Write(line)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("audit: write %s: %w", s.o.Path, err)
	}
	return nil
}

// Flush implements Sink.
func (s *FileSink) Flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("audit: write %s: %w", s.o.Path, err)
	}
	if s.o.Sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("audit: sync %s: %w", s.o.Path, err)
		}
	}
	return nil
}

// NeedRotate reports whether the file reached MaxSize.
func (s *FileSink) NeedRotate() bool { return s.o.MaxSize > 0 && s.size >= s.o.MaxSize }

// Rotate renames the file to the next Path.NNNNNN and starts a new one.
func (s *FileSink) Rotate() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("audit: rotate %s: %w", s.o.Path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("audit: rotate %s: %w", s.o.Path, err)
	}
	name := fmt.Sprintf("%s.%06d", s.o.Path, s.next)
	if err := os.Rename(s.o.Path, name); err != nil {
		return fmt.Errorf("audit: rotate %s: %w", s.o.Path, err)
	}
	f, err := os.OpenFile(s.o.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit: rotate %s: %w", s.o.Path, err)
	}
	old := s.f
	s.f, s.size = f, 0
	s.w.Reset(f)
	s.next++
	return old.Close()
}

// Close implements Sink.
func (s *FileSink) Close() error {
	err := s.w.Flush()
	if e := s.f.Sync(); err == nil {
		err = e
	}
	if e := s.f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("audit: close %s: %w", s.o.Path, err)
	}
	return nil
}
