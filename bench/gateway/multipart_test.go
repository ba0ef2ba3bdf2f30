package gateway

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// multipartPart is the part size of BenchmarkMultipart: what MinIO's
// reference run used.
const multipartPart = 16 << 20

// BenchmarkMultipart uploads (and downloads) a 256 MiB and a 1 GiB object
// as 16 MiB parts with 1, 2 and 4 parts in flight, against the real rustfs
// binary started fresh for every cell, and reports the server's peak
// resident set (VmHWM) next to its resident set when idle, plus server and
// client CPU per GB. Downloads are ranged GETs of 16 MiB, 1/2/4 in
// flight, from a server restarted after the upload, so its peak covers the
// download only.
//
//	go test -run '^$' -bench 'Multipart/plain' -benchtime 2x -timeout 30m ./bench/gateway
func BenchmarkMultipart(b *testing.B) {
	block := NewBlock(1<<20+4093, 3)
	for _, mode := range []struct {
		name  string
		plain bool
	}{{"plain", true}, {"tls", false}} {
		for _, dir := range []string{"upload", "download"} {
			for _, size := range []int64{256 << 20, 1 << 30} {
				for _, par := range []int{1, 2, 4} {
					name := fmt.Sprintf("%s/%s/%s/p%d", mode.name, dir, sizeName(size), par)
					b.Run(name, func(b *testing.B) {
						if dir == "upload" {
							benchUpload(b, options(mode.plain), block, size, par)
						} else {
							benchDownload(b, options(mode.plain), block, size, par)
						}
					})
				}
			}
		}
	}
}

// benchUpload times b.N multipart uploads of one object (overwriting it).
func benchUpload(b *testing.B, o Options, block Block, size int64, par int) {
	p := startProcess(b, o)
	c := clientFor(b, p.Gateway, par)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "mpu"); err != nil {
		b.Fatal(err)
	}
	idle := rss(b, p)
	b.SetBytes(size)
	b.ReportAllocs()
	st := runOps(b, 1, p.Pid, func(_, _ int) error {
		return c.Upload(ctx, "mpu", "object", block, size, multipartPart, par)
	})
	reportMemory(b, p, idle)
	reportCPU(b, st, size)
	if err := c.Delete(ctx, "mpu", "object"); err != nil {
		b.Fatal(err)
	}
}

// benchDownload uploads one object with a first server, then times b.N
// downloads from a second one on the same data directory.
func benchDownload(b *testing.B, o Options, block Block, size int64, par int) {
	dir, err := os.MkdirTemp(o.withDefaults().Parent, "rustfs-mpd-*")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	o.Dir = dir
	ctx := context.Background()
	{
		p := startProcess(b, o)
		c := clientFor(b, p.Gateway, 4)
		if err := c.CreateBucket(ctx, "mpd"); err != nil {
			b.Fatal(err)
		}
		if err := c.Upload(ctx, "mpd", "object", block, size, multipartPart, 4); err != nil {
			b.Fatal(err)
		}
		c.Close()
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
	}
	p := startProcess(b, o)
	c := clientFor(b, p.Gateway, par)
	idle := rss(b, p)
	b.SetBytes(size)
	b.ReportAllocs()
	st := runOps(b, 1, p.Pid, func(_, _ int) error {
		return c.Download(ctx, "mpd", "object", size, multipartPart, par, nil)
	})
	reportMemory(b, p, idle)
	reportCPU(b, st, size)
}

// rss is the server's current resident set.
func rss(b *testing.B, p *Process) int64 {
	n, err := p.RSS()
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// reportMemory reports the server's peak and idle resident sets in MiB.
func reportMemory(b *testing.B, p *Process, idle int64) {
	peak, err := p.PeakRSS()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(idle)/(1<<20), "idle-RSS-MiB")
}

// TestProcessHarness builds the rustfs binary, starts it, checks one
// multipart upload and its download and reads the process's memory and
// CPU figures.
func TestProcessHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the rustfs binary")
	}
	p := startProcess(t, Options{Parent: t.TempDir(), Plaintext: true})
	if p.Pid <= 0 || p.CAFile != "" {
		t.Fatalf("process %+v", p.Gateway)
	}
	c := clientFor(t, p.Gateway, 2)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "proc"); err != nil {
		t.Fatal(err)
	}
	block := NewBlock(1<<20+4093, 5)
	const size, part = 10<<20 + 1, 5 << 20
	if err := c.Upload(ctx, "proc", "mp", block, size, part, 2); err != nil {
		t.Fatal(err)
	}
	v := &verifyWriter{block: block}
	if n, err := c.Get(ctx, "proc", "mp", 0, -1, v); err != nil || n != size || v.bad != 0 {
		t.Fatalf("GET: %d bytes, mismatch at %d, %v", n, v.bad-1, err)
	}
	peak, err1 := p.PeakRSS()
	cur, err2 := p.RSS()
	cpu, err3 := p.CPU()
	if err1 != nil || err2 != nil || err3 != nil || peak < cur || cur < 1<<20 || cpu <= 0 {
		t.Fatalf("peak %d (%v), rss %d (%v), cpu %v (%v)", peak, err1, cur, err2, cpu, err3)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.Dir); !os.IsNotExist(err) {
		t.Fatalf("data directory left behind: %v", err)
	}
}
