//go:build !linux

package s3api

import "syscall"

// peerWatchSupported: without Linux's TCP_INFO a disconnect is only seen
// when a write to the client fails.
const peerWatchSupported = false

// peerGone never reports a disconnect on this system.
func peerGone(syscall.RawConn) bool { return false }
