package s3api

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// peerWatchSupported: Linux reports the TCP state through TCP_INFO.
const peerWatchSupported = true

// tcpEstablished is Linux's TCP_ESTABLISHED state number.
const tcpEstablished = 1

// peerGone reports whether the socket is no longer ESTABLISHED: the peer
// sent FIN (CLOSE_WAIT) or RST (CLOSE), or the socket is already closed.
// The state is read without consuming any byte, so pipelined requests and
// TLS records stay where fasthttp will read them.
func peerGone(rc syscall.RawConn) bool {
	var gone bool
	err := rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		gone = err == nil && info.State != tcpEstablished
	})
	return err != nil || gone
}
