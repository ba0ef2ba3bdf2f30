package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/tasmaniancloud/rustfs/bench
BenchmarkTargets/workers=2-2         	       1	91234567 ns/op	        32.10 put/seal-%	        78.20 put-null/seal-%
    targets_test.go:135: put/seal          engine   1169 MB/s
BenchmarkCeiling/crc32c/1MiB-2  	    1000	     51000 ns/op	20560.13 MB/s	       0 B/op	       0 allocs/op
pkg: github.com/tasmaniancloud/rustfs/kdf
BenchmarkOpen-2  	  100	  12000 ns/op	 512 B/op	 3 allocs/op
pkg: github.com/tasmaniancloud/rustfs/bench/gateway
BenchmarkGatewayRados/plain/PUT/64MiB/c1-2 	 1	 9 ns/op	 55.5 MB/s	 0.210 x-rados-write	 300 rados-MB/s
ok  	github.com/tasmaniancloud/rustfs/bench	95.1s
`

func TestParseAndWrite(t *testing.T) {
	rows, failures, err := parse(strings.NewReader(sample))
	if err != nil || len(failures) != 0 {
		t.Fatalf("%v %v", err, failures)
	}
	var units []string
	for _, r := range rows {
		units = append(units, r.unit)
	}
	want := "put/seal-% put-null/seal-% MB/s ns/op B/op allocs/op MB/s x-rados-write rados-MB/s"
	if got := strings.Join(units, " "); got != want {
		t.Fatalf("units %q, want %q", got, want)
	}
	var out bytes.Buffer
	if err := write(&out, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// Header, then the three ratios before anything else.
	if len(lines) != 1+len(rows) || !strings.Contains(lines[1], "put/seal-%") || !strings.Contains(lines[3], "x-rados-write") ||
		!strings.Contains(lines[1], "32.1") || !strings.Contains(lines[3], "0.210") {
		t.Fatalf("table:\n%s", out.String())
	}
	_, failures, _ = parse(strings.NewReader("--- FAIL: BenchmarkX\nFAIL\tpkg\t1s\n"))
	if len(failures) != 2 {
		t.Fatalf("failures %v", failures)
	}
}
