package gateway

import (
	"io"
	"os"
	"testing"
	"time"
)

func TestParseStatusField(t *testing.T) {
	status := "Name:\trustfs\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n"
	for _, tc := range []struct {
		field string
		want  int64
		ok    bool
	}{
		{"VmHWM", 50 << 20, true},
		{"VmRSS", 40 << 20, true},
		{"Threads", 0, false}, // no unit
		{"VmSwap", 0, false},  // absent
		{"Vm", 0, false},      // prefix only
	} {
		got, err := parseStatusField(status, tc.field)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: got %d, %v; want %d ok=%v", tc.field, got, err, tc.want, tc.ok)
		}
	}
	if _, err := parseStatusField("VmHWM:\t-5 kB\n", "VmHWM"); err == nil {
		t.Error("negative size accepted")
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		{"4242 (rustfs) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 25 0 0 20 0 9 0 100 0 0", 1750 * time.Millisecond, true},
		{"7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, true}, // odd command name
		{"7 (short) R 1 2", 0, false},
		{"no parenthesis here", 0, false},
		{"7 (x) R 1 7 7 0 -1 0 0 0 0 0 abc 4", 0, false},
	} {
		got, err := parseStatCPU(tc.stat)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: got %v, %v; want %v ok=%v", tc.stat, got, err, tc.want, tc.ok)
		}
	}
}

func TestProcSelf(t *testing.T) {
	hwm, err := ProcStatus(os.Getpid(), "VmHWM")
	if err != nil || hwm <= 0 {
		t.Fatalf("VmHWM %d, %v", hwm, err)
	}
	if _, err := ProcCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if SelfCPU() <= 0 {
		t.Fatal("no CPU time")
	}
}

func TestBody(t *testing.T) {
	block := NewBlock(10, 1)
	b := block.Body(25, 7)
	got, err := io.ReadAll(b)
	if err != nil || len(got) != 25 || b.Len() != 0 {
		t.Fatalf("%d bytes, %v, left %d", len(got), err, b.Len())
	}
	for i, c := range got {
		if c != block[(7+i)%10] || c != block.At(int64(7+i)) {
			t.Fatalf("byte %d", i)
		}
	}
	if n, err := b.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("after end: %d, %v", n, err)
	}
	if block.At(-1) != block[9] || block.At(-21) != block[9] || block.Body(1, -3).off != 7 {
		t.Fatal("negative offsets")
	}
	if len(NewBlock(0, 1)) != 1 {
		t.Fatal("empty block")
	}
}

func TestParseRadosBench(t *testing.T) {
	const write = `hints = 1
Maintaining 16 concurrent writes of 4194304 bytes to objects of size 4194304 for up to 3 seconds or 0 objects
  sec Cur ops   started  finished  avg MB/s  cur MB/s last lat(s)  avg lat(s)
    1      16       287       271   1083.23      1084   0.0287398   0.0573646
Total time run:         3.04575
Total writes made:      803
Bandwidth (MB/sec):     1054.58
Stddev Bandwidth:       46.8757
Average IOPS:           263
Average Latency(s):     0.0603822
Max latency(s):         0.151413
`
	res, err := ParseRadosBench(write)
	if err != nil || res.MBps != 1054.58 || res.IOPS != 263 || res.AvgLatency != 60382200*time.Nanosecond || res.Objects != 803 {
		t.Fatalf("%+v, %v", res, err)
	}
	for _, bad := range []string{"", "Bandwidth (MB/sec): nan-ish\n", "Bandwidth (MB/sec): 0\n", "error opening pool\n"} {
		if _, err := ParseRadosBench(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
