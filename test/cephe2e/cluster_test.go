//go:build ceph

package cephe2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ceph/go-ceph/rados"
)

// Pools created by scripts/ceph-up.sh, which the gateways use by default.
var (
	metaPool  = "rustfs.meta"
	dataPools = []string{"rustfs.rack0", "rustfs.rack1", "rustfs.rack2"}
)

// cluster is the Ceph micro-cluster named by the environment, seen through
// a librados connection of the test's own (monitor reads, namespace
// inspection and purge) and through ceph-up.sh's directory (daemon pids).
type cluster struct {
	conf, keyring, user string
	dir                 string // ceph-up.sh's directory: conf, pids/
	conn                *rados.Conn
}

// newCluster connects to the cluster of RUSTFS_CEPH_CONF, skipping the test
// when it is unset. The connection is closed when the test ends.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{
		conf:    os.Getenv("RUSTFS_CEPH_CONF"),
		keyring: os.Getenv("RUSTFS_CEPH_KEYRING"),
		user:    os.Getenv("RUSTFS_CEPH_USER"),
	}
	if c.conf == "" {
		t.Skip("RUSTFS_CEPH_CONF is not set; start a cluster with eval \"$(scripts/ceph-up.sh)\"")
	}
	if c.user == "" {
		c.user = "admin"
	}
	c.dir = filepath.Dir(c.conf)
	conn, err := rados.NewConnWithUser(c.user)
	if err != nil {
		t.Fatalf("rados: new connection: %v", err)
	}
	if err := conn.ReadConfigFile(c.conf); err != nil {
		t.Fatalf("rados: read %s: %v", c.conf, err)
	}
	// Bounded timeouts: a test must fail, not hang, on a sick cluster. The
	// op timeout is long because purge and the final checks run right after
	// paused OSDs are resumed, while their placement groups re-peer.
	opts := [][2]string{
		{"client_mount_timeout", "20"},
		{"rados_osd_op_timeout", "60"},
		{"rados_mon_op_timeout", "20"},
		{"admin_socket", ""},
	}
	if c.keyring != "" {
		opts = append(opts, [2]string{"keyring", c.keyring})
	}
	for _, kv := range opts {
		if err := conn.SetConfigOption(kv[0], kv[1]); err != nil {
			t.Fatalf("rados: set %s: %v", kv[0], err)
		}
	}
	if err := conn.Connect(); err != nil {
		t.Fatalf("rados: connect as client.%s: %v", c.user, err)
	}
	c.conn = conn
	t.Cleanup(conn.Shutdown)
	return c
}

// newNamespace returns a RADOS namespace no other run uses, and registers
// its purge (every object of it in the metadata and data pools) for the end
// of the test. Register it before starting gateways: cleanups run last in
// first out, so the gateways are stopped before their objects go.
func (c *cluster) newNamespace(t *testing.T) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	ns := "cephe2e-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if n, err := c.purge(ns); err != nil {
			t.Errorf("purge namespace %s (%d objects removed): %v", ns, n, err)
		}
	})
	return ns
}

// purge deletes every object of namespace ns in the metadata and data
// pools and returns how many it removed.
func (c *cluster) purge(ns string) (int, error) {
	removed := 0
	for _, pool := range append([]string{metaPool}, dataPools...) {
		oids, err := c.objects(pool, ns)
		if err != nil {
			return removed, err
		}
		io, err := c.conn.OpenIOContext(pool)
		if err != nil {
			return removed, fmt.Errorf("open pool %s: %w", pool, err)
		}
		io.SetNamespace(ns)
		for _, oid := range oids {
			if err := io.Delete(oid); err != nil && !errors.Is(err, rados.ErrNotFound) {
				io.Destroy()
				return removed, fmt.Errorf("delete %s/%s: %w", pool, oid, err)
			}
			removed++
		}
		io.Destroy()
	}
	return removed, nil
}

// objects lists the RADOS objects of namespace ns in pool.
func (c *cluster) objects(pool, ns string) ([]string, error) {
	io, err := c.conn.OpenIOContext(pool)
	if err != nil {
		return nil, fmt.Errorf("open pool %s: %w", pool, err)
	}
	defer io.Destroy()
	io.SetNamespace(ns)
	var oids []string
	if err := io.ListObjects(func(oid string) { oids = append(oids, oid) }); err != nil {
		return nil, fmt.Errorf("list %s in namespace %s: %w", pool, ns, err)
	}
	return oids, nil
}

// dataObjects lists the RADOS objects (pool/oid) of namespace ns in all
// data pools: the shard pieces the gateways hold there.
func (c *cluster) dataObjects(t *testing.T, ns string) []string {
	t.Helper()
	var all []string
	for _, pool := range dataPools {
		oids, err := c.objects(pool, ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, oid := range oids {
			all = append(all, pool+"/"+oid)
		}
	}
	return all
}

// monJSON runs a read-only monitor command (client.rustfs may run those)
// and decodes its JSON answer into out.
func (c *cluster) monJSON(cmd map[string]string, out any) error {
	cmd["format"] = "json"
	raw, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	buf, info, err := c.conn.MonCommand(raw)
	if err != nil {
		return fmt.Errorf("mon %s: %w (%s)", cmd["prefix"], err, info)
	}
	if err := json.Unmarshal(buf, out); err != nil {
		return fmt.Errorf("mon %s: %w in %q", cmd["prefix"], err, buf)
	}
	return nil
}

// osdStates returns, per OSD id, whether the monitors consider it up.
func (c *cluster) osdStates() (map[int]bool, error) {
	var d struct {
		OSDs []struct {
			OSD int `json:"osd"`
			Up  int `json:"up"`
		} `json:"osds"`
	}
	if err := c.monJSON(map[string]string{"prefix": "osd dump"}, &d); err != nil {
		return nil, err
	}
	m := make(map[int]bool, len(d.OSDs))
	for _, o := range d.OSDs {
		m[o.OSD] = o.Up == 1
	}
	return m, nil
}

// waitOSDs polls the OSD map until every OSD in ids is up (or, with
// up=false, down), and fails the test after limit. It returns how long it
// waited.
func (c *cluster) waitOSDs(t *testing.T, ids []int, up bool, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		st, err := c.osdStates()
		if err == nil {
			ok := true
			for _, id := range ids {
				if st[id] != up {
					ok = false
				}
			}
			if ok {
				return time.Since(start)
			}
		}
		if time.Since(start) > limit {
			t.Fatalf("OSDs %v not %s after %v (last state %v, err %v)", ids, upWord(up), limit, st, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// upWord names an OSD state for messages.
func upWord(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// rackOSDs returns the ids of the OSDs under CRUSH bucket rack (in the
// ceph-up.sh layout osd.i lives in rack i mod 3).
func (c *cluster) rackOSDs(t *testing.T, rack string) []int {
	t.Helper()
	var tree struct {
		Nodes []struct {
			ID       int    `json:"id"`
			Name     string `json:"name"`
			Type     string `json:"type"`
			Children []int  `json:"children"`
		} `json:"nodes"`
	}
	if err := c.monJSON(map[string]string{"prefix": "osd tree"}, &tree); err != nil {
		t.Fatal(err)
	}
	byID := map[int][]int{}
	var rackID *int
	for _, n := range tree.Nodes {
		byID[n.ID] = n.Children
		if n.Type == "rack" && n.Name == rack {
			id := n.ID
			rackID = &id
		}
	}
	if rackID == nil {
		t.Fatalf("no rack %q in the CRUSH map", rack)
	}
	var osds []int
	var walk func(id int)
	walk = func(id int) {
		if id >= 0 {
			osds = append(osds, id)
			return
		}
		for _, ch := range byID[id] {
			walk(ch)
		}
	}
	walk(*rackID)
	return osds
}

// pausedOSD is one ceph-osd daemon frozen with SIGSTOP.
type pausedOSD struct {
	id, pid int
	resumed bool
	// thawed records that the daemon was found running while it should
	// have been frozen: another process sent SIGCONT (scripts/ceph-up.sh
	// resumes every daemon when a concurrent test run calls it). The
	// watcher does not freeze it again: ceph-up.sh would then find the
	// cluster unable to take writes and recreate it.
	thawed  atomic.Bool
	died    atomic.Bool   // the process is gone: its memstore data too
	stopped chan struct{} // closed by resume: the watcher exits
	done    chan struct{} // closed when the watcher has exited
}

// pause freezes the daemons of OSDs ids (SIGSTOP: the process stays, its
// memstore data stays, it just stops answering, as a hung host would) and
// registers their resumption for the end of the test; call resume to
// resume them earlier. A pid file that does not name a running ceph-osd
// with that id skips the test rather than signalling a stranger.
func (c *cluster) pause(t *testing.T, ids ...int) []*pausedOSD {
	t.Helper()
	var out []*pausedOSD
	for _, id := range ids {
		pid := c.osdPid(t, id)
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatalf("SIGSTOP osd.%d (pid %d): %v", id, pid, err)
		}
		p := &pausedOSD{id: id, pid: pid, stopped: make(chan struct{}), done: make(chan struct{})}
		go p.watch()
		t.Cleanup(func() { resume(t, p) })
		out = append(out, p)
	}
	return out
}

// watch polls the daemon's scheduler state until resume, noting whether
// it ever runs while it should be frozen.
func (p *pausedOSD) watch() {
	defer close(p.done)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stopped:
			return
		case <-tick.C:
			switch procState(p.pid) {
			case 'T', 't':
			case 0, 'Z', 'X':
				p.died.Store(true)
			default:
				p.thawed.Store(true)
			}
		}
	}
}

// procState returns the state letter of /proc/pid/stat (R, S, T, ...), or
// 0 when it cannot be read.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// "pid (comm) S ...": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// thawedBy lists the OSDs of ps that another process resumed early.
func thawedBy(ps []*pausedOSD) []int {
	var ids []int
	for _, p := range ps {
		if p.thawed.Load() {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// resume sends SIGCONT to every paused daemon not resumed yet, and fails
// the test if one of them is no longer running.
func resume(t *testing.T, ps ...*pausedOSD) {
	t.Helper()
	for _, p := range ps {
		if p.resumed {
			continue
		}
		p.resumed = true
		close(p.stopped)
		<-p.done
		if err := syscall.Kill(p.pid, syscall.SIGCONT); err != nil || p.died.Load() {
			t.Errorf("osd.%d (pid %d) exited while paused (SIGCONT: %v); its memstore data is lost: recreate the cluster with scripts/ceph-down.sh and scripts/ceph-up.sh", p.id, p.pid, err)
		}
	}
}

// resumeUp resumes the paused daemons and waits until the monitors report
// them up again, failing at once if one has exited (an OSD marked down too
// often shuts itself down).
func (c *cluster) resumeUp(t *testing.T, ps []*pausedOSD, limit time.Duration) {
	t.Helper()
	resume(t, ps...)
	start := time.Now()
	for {
		for _, p := range ps {
			if st := procState(p.pid); st == 0 || st == 'Z' || st == 'X' {
				t.Fatalf("osd.%d (pid %d) exited after SIGCONT; its memstore data is lost: see %s/log/osd.%d.log and recreate the cluster with scripts/ceph-down.sh and scripts/ceph-up.sh",
					p.id, p.pid, c.dir, p.id)
			}
		}
		st, err := c.osdStates()
		up := err == nil
		for _, p := range ps {
			up = up && st[p.id]
		}
		if up {
			return
		}
		if time.Since(start) > limit {
			t.Fatalf("resumed OSDs not up after %v (state %v, err %v)", limit, st, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// osdPid reads the pid ceph-up.sh recorded for osd.id and checks that the
// process is that OSD.
func (c *cluster) osdPid(t *testing.T, id int) int {
	t.Helper()
	file := filepath.Join(c.dir, "pids", fmt.Sprintf("osd.%d.pid", id))
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("no pid file for osd.%d (cluster not started by scripts/ceph-up.sh?): %v", id, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 1 {
		t.Fatalf("pid file %s: %q", file, raw)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatalf("osd.%d: pid %d from %s is not running: %v", id, pid, file, err)
	}
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	if len(args) == 0 || filepath.Base(string(args[0])) != "ceph-osd" || !hasArgs(args, "-i", strconv.Itoa(id)) {
		t.Fatalf("osd.%d: pid %d from %s runs %q, not ceph-osd -i %d", id, pid, file, bytes.Join(args, []byte(" ")), id)
	}
	return pid
}

// hasArgs reports whether args holds flag followed by value.
func hasArgs(args [][]byte, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if string(args[i]) == flag && string(args[i+1]) == value {
			return true
		}
	}
	return false
}

// metaPlacement finds the omap object of the metadata pool that holds Meta
// key key (its entry "k"+key, see rados/doc.go) in namespace ns, and
// returns the OSDs serving it: the acting set and its primary.
func (c *cluster) metaPlacement(ns, key string) (oid string, acting []int, primary int, err error) {
	oids, err := c.objects(metaPool, ns)
	if err != nil {
		return "", nil, 0, err
	}
	io, err := c.conn.OpenIOContext(metaPool)
	if err != nil {
		return "", nil, 0, err
	}
	defer io.Destroy()
	io.SetNamespace(ns)
	entry := "k" + key
	for _, o := range oids {
		vals, err := io.GetOmapValues(o, "", entry, 2)
		if err != nil {
			return "", nil, 0, fmt.Errorf("omap of %s: %w", o, err)
		}
		if _, ok := vals[entry]; ok {
			oid = o
			break
		}
	}
	if oid == "" {
		return "", nil, 0, fmt.Errorf("no metadata object of namespace %s holds %q", ns, key)
	}
	var m struct {
		Acting        []int `json:"acting"`
		ActingPrimary int   `json:"acting_primary"`
	}
	if err := c.monJSON(map[string]string{"prefix": "osd map", "pool": metaPool, "object": oid, "nspace": ns}, &m); err != nil {
		return "", nil, 0, err
	}
	return oid, m.Acting, m.ActingPrimary, nil
}

// adminConn connects as client.admin, whose key ceph-up.sh keeps in the
// conf's keyring, or returns nil (and why) when that is not possible. The
// connection is closed when the test ends.
func (c *cluster) adminConn(t *testing.T) (*rados.Conn, error) {
	t.Helper()
	conn, err := rados.NewConnWithUser("admin")
	if err != nil {
		return nil, err
	}
	if err := conn.ReadConfigFile(c.conf); err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{{"client_mount_timeout", "10"}, {"rados_mon_op_timeout", "10"}, {"admin_socket", ""}} {
		if err := conn.SetConfigOption(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	if err := conn.Connect(); err != nil {
		return nil, err
	}
	t.Cleanup(conn.Shutdown)
	return conn, nil
}

// adminCommand runs a monitor command as client.admin.
func adminCommand(conn *rados.Conn, cmd map[string]any) error {
	raw, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	if _, info, err := conn.MonCommand(raw); err != nil {
		return fmt.Errorf("mon %v: %w (%s)", cmd["prefix"], err, info)
	}
	return nil
}

// allowMarkdowns lifts osd_max_markdown_count (default 5 in 600 s) in the
// cluster's configuration database. An OSD marked down more often than that
// shuts itself down, and a memstore OSD that exits has lost its data: a
// few runs of the fault test in a row would destroy the shared cluster.
func allowMarkdowns(admin *rados.Conn) error {
	return adminCommand(admin, map[string]any{"prefix": "config set", "who": "osd",
		"name": "osd_max_markdown_count", "value": "1000000"})
}

// markDown tells the monitors that OSDs ids are down, which their failure
// detection does by itself osd_heartbeat_grace (20 s, more for an OSD with
// a history of failures) after the daemon stops answering.
func markDown(admin *rados.Conn, ids []int) error {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = fmt.Sprintf("osd.%d", id)
	}
	return adminCommand(admin, map[string]any{"prefix": "osd down", "ids": names})
}
