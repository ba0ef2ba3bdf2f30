package chunker

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"hash/crc32"
	"io"
	"testing"
)

func TestDigesterMatchesDirect(t *testing.T) {
	data := randBytes(9, 10_000)
	d := NewDigesterDepth(map[string]hash.Hash{
		"md5":    md5.New(),
		"sha256": sha256.New(),
		"crc32":  crc32.NewIEEE(),
	}, 2)
	pool := NewPool(777)
	c := New(bytes.NewReader(data), pool)
	var held []*Buf
	for {
		ch, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d.Feed(ch.Data, ch.N)
		held = append(held, ch.Data)
		if ch.Final {
			break
		}
	}
	sums := d.Close()
	m, s := md5.Sum(data), sha256.Sum256(data)
	if !bytes.Equal(sums["md5"], m[:]) || !bytes.Equal(sums["sha256"], s[:]) {
		t.Fatalf("digests differ from direct hashing")
	}
	crc := crc32.ChecksumIEEE(data)
	if got := sums["crc32"]; len(got) != 4 || uint32(got[0])<<24|uint32(got[1])<<16|uint32(got[2])<<8|uint32(got[3]) != crc {
		t.Fatalf("crc32 = %x, want %08x", got, crc)
	}
	// The digester released its references: only ours remain.
	for i, b := range held {
		if r := b.refs.Load(); r != 1 {
			t.Fatalf("buffer %d has %d refs after Close, want 1", i, r)
		}
		b.Release()
	}
	if again := d.Close(); len(again) != 3 {
		t.Fatalf("second Close returned %d sums", len(again))
	}
}

func TestDigesterEmpty(t *testing.T) {
	d := NewDigester(nil)
	b := NewPool(8).Get()
	d.Feed(b, 8)
	if r := b.refs.Load(); r != 1 {
		t.Fatalf("empty digester retained the buffer (refs %d)", r)
	}
	if sums := d.Close(); len(sums) != 0 {
		t.Fatalf("sums = %v, want none", sums)
	}
}

func TestDigesterAbortReleases(t *testing.T) {
	d := NewDigesterDepth(map[string]hash.Hash{"md5": md5.New(), "sha1": sha256.New()}, 4)
	p := NewPool(64)
	var bufs []*Buf
	for range 4 {
		b := p.Get()
		d.Feed(b, 64)
		bufs = append(bufs, b)
	}
	d.Abort()
	for i, b := range bufs {
		if r := b.refs.Load(); r != 1 {
			t.Fatalf("buffer %d: refs %d after Abort, want 1", i, r)
		}
	}
	d.Abort() // idempotent
}
