//go:build ceph

package cephe2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestOSDStopHealOtherRack is issue 10's end-to-end check on RADOS: one OSD
// of rack0 stops (frozen, then marked down) while a gateway writes, starts
// again, `rustfs heal` runs through the admin API, and then an OSD of
// rack1 stops. Every acknowledged object must read back exactly: an
// object written during the first outage lost at most the shards of
// rack0's stopped OSD, heal restored them, so the second loss (at most two
// more shards) stays within m = 2. Without heal those objects would be
// unreadable.
func TestOSDStopHealOtherRack(t *testing.T) {
	c := newCluster(t)
	states, err := c.osdStates()
	if err != nil {
		t.Fatal(err)
	}
	var all []int
	for id := range states {
		all = append(all, id)
	}
	sort.Ints(all)
	c.waitOSDs(t, all, true, 60*time.Second)
	rack0, rack1 := c.rackOSDs(t, "rack0"), c.rackOSDs(t, "rack1")
	if len(rack0) == 0 || len(rack1) == 0 {
		t.Fatalf("racks rack0 %v and rack1 %v; the test expects the OSDs of scripts/ceph-up.sh", rack0, rack1)
	}
	sort.Ints(rack0)
	sort.Ints(rack1)
	admin, err := c.adminConn(t)
	if err == nil {
		err = allowMarkdowns(admin)
	}
	if err != nil {
		t.Skipf("no client.admin (%v): the test marks OSDs down", err)
	}
	ns := c.newNamespace(t)
	f := &faultRun{t: t, c: c, admin: admin, led: newLedger(), bucket: "e2e-heal", rack: rack0}
	f.g = startGateways(t, c, ns, 1, faultOpTimeout)[0]
	createBucket(t, f.g.client, f.bucket)
	for i, n := range []int{1 << 10, 64 << 10, 300 << 10, 1<<20 + 1} {
		f.pre = append(f.pre, f.mustPut(fmt.Sprintf("pre/%d", i), n))
	}

	// 1. One OSD of rack0 stops while the gateway writes.
	x := rack0[0]
	stopped := c.pause(t, x)
	w := startWorkload(t, f.g, f.bucket, f.led, "h1", nil, f.pre)
	f.markDownAfter(w, []int{x})
	acked, failed := putBatch(t, f.g, f.bucket, f.led, "h1/down", 8)
	w.finish()
	t.Logf("osd.%d down: workload GETs %s, PUTs %s; batch acknowledged %d, failed %v", x, &w.reads, &w.writes, acked, failed)
	if acked == 0 && w.writes.count("acked") == 0 {
		t.Errorf("no PUT was acknowledged with one OSD down (write quorum 5 of 6)")
	}

	// 2. It starts again; heal restores what it missed.
	c.resumeUp(t, stopped, 60*time.Second)
	if out, err := runHeal(t, f.g); err != nil {
		t.Fatalf("rustfs heal after osd.%d came back: %v\n%s", x, err, tail(out, 40))
	} else {
		t.Logf("rustfs heal: %s", lastLine(out))
	}

	// 3. An OSD of another rack stops: everything acknowledged reads back.
	y := rack1[0]
	stopped = c.pause(t, y)
	if err := markDown(admin, []int{y}); err != nil {
		t.Logf("osd down %d: %v; waiting for the monitors' own detection", y, err)
	}
	c.waitOSDs(t, []int{y}, false, 90*time.Second)
	st := f.led.verify(t, f.g, f.bucket, time.Now().Add(30*time.Second), 6)
	t.Logf("osd.%d (rack1) down after healing osd.%d (rack0): %v", y, x, st)
	c.resumeUp(t, stopped, 60*time.Second)
}

// runHeal runs `rustfs heal` against g with the root credentials; it must
// exit 0 (nothing unrecoverable).
func runHeal(t *testing.T, g *gateway) (string, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rustfsBinary(t), "heal", "--endpoint", g.endpoint, "--ca-cert", g.caFile)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUSTFS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "RUSTFS_ACCESS_KEY="+rootAccessKey, "RUSTFS_SECRET_KEY="+rootSecretKey)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// count returns how many times what was added.
func (c *tally) count(what string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[what]
}
