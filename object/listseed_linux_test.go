//go:build linux

package object

import "syscall"

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
