package bench

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"
)

func TestSourceRepeats(t *testing.T) {
	s := NewSource(1000)
	a := make([]byte, 2500)
	if n, err := io.ReadFull(s, a); n != 2500 || err != nil {
		t.Fatalf("ReadFull = %d, %v", n, err)
	}
	if !bytes.Equal(a[:1000], a[1000:2000]) || !bytes.Equal(a[:500], a[2000:]) {
		t.Fatal("Source does not repeat its block")
	}
	if bytes.Equal(a[:500], a[500:1000]) {
		t.Fatal("Source block is not pseudo-random")
	}
}

func TestWriteShards(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteShards(dir, 1<<20, 1000); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("%d files left behind", len(left))
	}
}

func TestHeapSampler(t *testing.T) {
	h := StartHeapSampler(time.Millisecond)
	keep := make([]byte, 8<<20)
	for i := range keep {
		keep[i] = byte(i)
	}
	time.Sleep(10 * time.Millisecond)
	if peak := h.Stop(); peak < 8<<20 {
		t.Fatalf("peak %d bytes while holding 8 MiB", peak)
	}
	_ = keep[len(keep)-1]
}

func TestOpenTmpfs(t *testing.T) {
	b, cleanup, err := OpenTmpfs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := b.Dir()
	if len(b.OSDs()) != 6 {
		t.Fatalf("%d OSDs, want 6", len(b.OSDs()))
	}
	cleanup()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("backend directory %s not removed", dir)
	}
}
