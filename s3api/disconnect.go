package s3api

import (
	"context"
	"net"
	"sync"
	"syscall"
	"time"
)

// DefaultDisconnectPoll is how often in-flight requests' connections are
// checked for a client that has gone away.
const DefaultDisconnectPoll = 200 * time.Millisecond

// disconnectWatch cancels the context of in-flight requests whose client
// has closed or reset its connection.
//
// fasthttp cannot tell: the handler runs on the connection's goroutine
// and nothing reads the socket meanwhile, and RequestCtx.Done only fires
// at server shutdown. Reading ahead on the socket ourselves would consume
// pipelined bytes and fight fasthttp's deadlines, so instead one goroutine
// asks the kernel for the TCP state of every in-flight request's socket
// (Linux TCP_INFO: anything but ESTABLISHED means the peer sent FIN or RST)
// a few times a second. It runs only while requests are in flight. On
// other systems peerGone reports nothing and a failed write remains the
// only signal.
type disconnectWatch struct {
	every time.Duration

	mu      sync.Mutex
	reqs    map[*watchedReq]struct{}
	running bool
}

// watchedReq is one in-flight request's socket and its cancel function.
type watchedReq struct {
	rc     syscall.RawConn
	cancel context.CancelFunc
}

// newDisconnectWatch returns a watcher polling every d.
func newDisconnectWatch(d time.Duration) *disconnectWatch {
	return &disconnectWatch{every: d, reqs: make(map[*watchedReq]struct{})}
}

// watch cancels cancel once c's peer has gone, until the returned stop is
// called. Connections that are not TCP sockets (in-memory test pipes) are
// not watched.
func (w *disconnectWatch) watch(c net.Conn, cancel context.CancelFunc) (stop func()) {
	rc := rawConn(c)
	if rc == nil || !peerWatchSupported {
		return func() {}
	}
	wr := &watchedReq{rc: rc, cancel: cancel}
	w.mu.Lock()
	w.reqs[wr] = struct{}{}
	if !w.running {
		w.running = true
		go w.loop()
	}
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.reqs, wr)
		w.mu.Unlock()
	}
}

// loop polls until no request is left in flight.
func (w *disconnectWatch) loop() {
	t := time.NewTicker(w.every)
	defer t.Stop()
	var batch []*watchedReq
	for range t.C {
		w.mu.Lock()
		if len(w.reqs) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		batch = batch[:0]
		for wr := range w.reqs {
			batch = append(batch, wr)
		}
		w.mu.Unlock()
		for _, wr := range batch {
			if peerGone(wr.rc) {
				wr.cancel()
			}
		}
	}
}

// rawConn finds the TCP socket under c, unwrapping TLS and the limit
// listener's wrapper.
func rawConn(c net.Conn) syscall.RawConn {
	for range 8 {
		if sc, ok := c.(syscall.Conn); ok {
			rc, err := sc.SyscallConn()
			if err != nil {
				return nil
			}
			return rc
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		c = u.NetConn()
	}
	return nil
}
