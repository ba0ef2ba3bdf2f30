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
