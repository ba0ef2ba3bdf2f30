//go:build ceph

package rados

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// watchdog fails the test if f has not returned within limit. It is a hang
// detector, not a speed check: limits are several times the configured
// timeouts.
func watchdog[T any](t *testing.T, limit time.Duration, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(limit):
		t.Fatalf("%s did not return within %v", what, limit)
		panic("unreachable")
	}
}

// TestConnectTimeout: a cluster whose monitor does not answer gives an
// error wrapping storage.ErrUnavailable after ConnectTimeout, not a hang.
func TestConnectTimeout(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "ceph.conf")
	// Port 9 (discard) on loopback: nothing listens, connections are refused.
	body := "[global]\nmon host = [v2:127.0.0.1:9,v1:127.0.0.1:9]\nauth client required = none\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	err := watchdog(t, 60*time.Second, "Open of a dead cluster", func() error {
		b, err := Open(Options{ConfPath: conf, ConnectTimeout: 2 * time.Second, OpTimeout: 2 * time.Second})
		if err == nil {
			b.Close()
		}
		return err
	})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Open of a dead cluster: %v, want ErrUnavailable", err)
	}
}

// osdOf asks the monitor which OSD serves object oid of b's namespace in
// pool (placement hashes the namespace too).
func osdOf(t *testing.T, b *Backend, pool, oid string) int {
	t.Helper()
	cmd, _ := json.Marshal(map[string]string{"prefix": "osd map", "pool": pool, "object": oid,
		"nspace": b.opts.Namespace, "format": "json"})
	out, info, err := b.conn.MonCommand(cmd)
	if err != nil {
		t.Fatalf("osd map %s/%s: %v (%s)", pool, oid, err, info)
	}
	var m struct {
		ActingPrimary int `json:"acting_primary"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("osd map %s/%s: %v in %s", pool, oid, err, out)
	}
	return m.ActingPrimary
}

// nameOn returns a shard name whose first piece (which holds the commit
// record) lives on OSD osd of slot o's pool.
func nameOn(t *testing.T, b *Backend, o *OSD, osd int) string {
	t.Helper()
	for range 200 {
		name := uniq("fault") + ".0"
		if osdOf(t, b, o.pool, pieceOID(o.id, name, 0)) == osd {
			return name
		}
	}
	t.Fatalf("no shard name maps to osd.%d", osd)
	return ""
}

// osdPID is the pid of the ceph-osd daemon osd, from the pid files of
// scripts/ceph-up.sh; the test is skipped when there are none.
func osdPID(t *testing.T, osd int) int {
	t.Helper()
	pidFile := filepath.Join(clusterDir(t), "pids", fmt.Sprintf("osd.%d.pid", osd))
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Skipf("no pid file for osd.%d (cluster not started by scripts/ceph-up.sh?): %v", osd, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file %s: %v", pidFile, err)
	}
	return pid
}

// TestStoppedOSD freezes (SIGSTOP) the ceph-osd daemon behind a slot, as a
// hung disk or a partitioned host would, and checks that reads and writes
// of shards on it fail with storage.ErrUnavailable in bounded time instead
// of hanging; reading around the failure is the engine's job. The daemon is
// resumed (SIGCONT) afterwards and the shard is readable again. SIGSTOP is
// used rather than SIGKILL because a memstore OSD loses its data when it
// dies, which would damage the shared test cluster.
func TestStoppedOSD(t *testing.T) {
	o := testOptions(t)
	o.OpTimeout = 3 * time.Second
	b := openTest(t, o)
	slot := b.OSDs()[0].(*OSD)
	osd := osdOf(t, b, slot.pool, "probe")
	pid := osdPID(t, osd)

	committed := nameOn(t, b, slot, osd)
	data := fill(3, 100<<10)
	w, err := slot.Create(t.Context(), committed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	fresh := nameOn(t, b, slot, osd)

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop osd.%d (pid %d): %v", osd, pid, err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("resume osd.%d (pid %d): %v", osd, pid, err)
			}
		}
	}
	t.Cleanup(resume)

	const limit = 60 * time.Second
	err = watchdog(t, limit, "Open on a stopped OSD", func() error {
		r, err := slot.Open(t.Context(), committed)
		if err == nil {
			r.Close()
		}
		return err
	})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Open on a stopped OSD: %v, want ErrUnavailable", err)
	}
	err = watchdog(t, limit, "Commit on a stopped OSD", func() error {
		w, err := slot.Create(t.Context(), fresh)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			w.Abort()
			return err
		}
		return w.Commit()
	})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Commit on a stopped OSD: %v, want ErrUnavailable", err)
	}

	resume()
	// The OSD catches up within seconds; the committed shard is intact.
	deadline := time.Now().Add(limit)
	for {
		r, err := slot.Open(t.Context(), committed)
		if err == nil {
			got := make([]byte, len(data))
			n, err := r.ReadAt(got, 0)
			r.Close()
			if (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(got[:n], data) {
				t.Fatalf("shard after resume: %d bytes, %v", n, err)
			}
			break
		}
		if !errors.Is(err, storage.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("shard after resume: %v", err)
		}
	}
	if err := slot.Remove(t.Context(), committed); err != nil {
		t.Fatal(err)
	}
	if err := slot.Remove(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
}

// stopOSD freezes (SIGSTOP) the ceph-osd daemon osd of the cluster started
// by scripts/ceph-up.sh and returns a func that resumes it (also run at
// cleanup). The test is skipped when the cluster has no pid files.
func stopOSD(t *testing.T, osd int) (resume func()) {
	t.Helper()
	pid := osdPID(t, osd)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop osd.%d (pid %d): %v", osd, pid, err)
	}
	resumed := false
	resume = func() {
		if !resumed {
			resumed = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("resume osd.%d (pid %d): %v", osd, pid, err)
			}
		}
	}
	t.Cleanup(resume)
	return resume
}

// TestWriteBehind: a full buffer is sent on a goroutine of its own, so the
// Write that fills it returns while the OSD has not answered yet (here: is
// frozen) instead of waiting a round trip. Once the OSD is back the write
// lands, and Commit makes a shard with every byte in order. With a short
// op timeout the failed write-behind surfaces in Commit instead, and no
// shard becomes visible. (A synchronous flush would make the first Write
// itself fail after the op timeout.)
func TestWriteBehind(t *testing.T) {
	o := testOptions(t)
	o.PieceSize, o.WriteSize = 256<<10, 64<<10
	o.OpTimeout = 20 * time.Second
	b := openTest(t, o)
	slot := b.OSDs()[1].(*OSD)
	osd := osdOf(t, b, slot.pool, "probe")
	const limit = 60 * time.Second
	data := fill(5, 3*(64<<10)+100) // three buffers and a tail, one piece

	name := nameOn(t, b, slot, osd)
	w, err := slot.Create(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	resume := stopOSD(t, osd)
	err = watchdog(t, limit, "Write with the OSD stopped", func() error {
		// Frame-sized writes, as the engine issues them: the fifth fills
		// buffer 1, the sixth sends it behind and goes on into buffer 2.
		for off := 0; off < 64<<10+1; off += 16 << 10 {
			if _, err := w.Write(data[off:min(off+16<<10, 64<<10+1)]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Write of one buffer and a byte with the OSD stopped: %v, want nil (write-behind)", err)
	}
	resume()
	if _, err := w.Write(data[64<<10+1:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := slot.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if n, err := r.ReadAt(got, 0); n != len(data) || (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(got, data) {
		t.Fatalf("shard read back: %d bytes, %v, equal %v", n, err, bytes.Equal(got, data))
	}
	r.Close()

	// The write-behind times out: Commit reports it and nothing is visible.
	o.OpTimeout = 2 * time.Second
	short := openTest(t, o)
	slot = short.OSDs()[1].(*OSD)
	failed := nameOn(t, short, slot, osd)
	w, err = slot.Create(t.Context(), failed)
	if err != nil {
		t.Fatal(err)
	}
	resume = stopOSD(t, osd)
	err = watchdog(t, limit, "Write and Commit with the OSD stopped", func() error {
		if _, err := w.Write(data); err != nil {
			w.Abort()
			return err
		}
		return w.Commit()
	})
	resume()
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Write+Commit after a timed-out write-behind: %v, want ErrUnavailable", err)
	}
	// The OSD catches up within seconds; the shard never became visible.
	deadline := time.Now().Add(limit)
	for {
		_, err := slot.Open(t.Context(), failed)
		if errors.Is(err, storage.ErrNotFound) {
			break
		}
		if !errors.Is(err, storage.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Open of the failed shard: %v, want ErrNotFound", err)
		}
	}
}
