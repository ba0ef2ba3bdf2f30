//go:build linux

package object

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// freeBytes is the space left to unprivileged users on dir's filesystem,
// or -1 when unknown.
func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// cpuTime is the process's user plus system CPU time so far (0 when
// unknown): on a shared machine it tracks a page's cost more steadily
// than wall time, which includes waiting for a CPU.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// osdCPU is the user plus system CPU time so far of the processes whose
// ids $RUSTFS_BENCH_OSD_PIDS lists (space-separated: a Ceph cluster's OSDs
// on this machine), or -1 when it is unset or one cannot be read: on
// RADOS most of a page's work is done there, not in the process.
func osdCPU() int64 {
	var total int64
	pids := strings.Fields(os.Getenv("RUSTFS_BENCH_OSD_PIDS"))
	if len(pids) == 0 {
		return -1
	}
	for _, p := range pids {
		raw, err := os.ReadFile("/proc/" + p + "/stat")
		if err != nil {
			return -1
		}
		// Fields after the command, which is in parentheses: utime and
		// stime are the 12th and 13th, in clock ticks (100 a second).
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			return -1
		}
		for _, v := range f[11:13] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			total += n * int64(time.Second/100)
		}
	}
	return total
}
