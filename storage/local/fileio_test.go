package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileHelpers: createTemp makes distinct new files under its prefix,
// openFile reports a missing file as fs.ErrNotExist and refuses to
// create one that exists with O_EXCL, renameFile replaces a file but not
// a directory, and syncDir fsyncs a directory and reports a missing one.
func TestFileHelpers(t *testing.T) {
	dir := t.TempDir()
	a, err := createTemp(dir, ".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	b, err := createTemp(dir, ".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() == b.Name() || !strings.HasPrefix(filepath.Base(a.Name()), ".tmp-") || filepath.Dir(a.Name()) != dir {
		t.Fatalf("temp names %q, %q", a.Name(), b.Name())
	}
	if _, err := a.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	if _, err := openFile(a.Name(), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL open of an existing file: %v", err)
	}
	if _, err := openFile(filepath.Join(dir, "missing"), os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open of a missing file: %v", err)
	}
	final := filepath.Join(dir, "final")
	if err := os.WriteFile(final, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := renameFile(a.Name(), final); err != nil {
		t.Fatal(err)
	}
	f, err := openFile(final, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 8)
	n, _ := f.Read(got)
	f.Close()
	if string(got[:n]) != "new" {
		t.Fatalf("after rename: %q", got[:n])
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := renameFile(b.Name(), sub); err == nil {
		t.Fatal("renameFile replaced a directory")
	}
	if err := syncDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := syncDir(filepath.Join(dir, "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("syncDir of a missing directory: %v", err)
	}
}
