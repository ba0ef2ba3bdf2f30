package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tasmaniancloud/rustfs/maint"
)

// cmdHeal runs `rustfs heal`: it asks the server for a full deep pass,
// follows it, and prints one summary line. Exit 1 when any object is
// unrecoverable or the pass failed.
func cmdHeal(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs heal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := adminFlags(fs, getenv)
	poll := fs.Duration("poll", time.Second, "progress poll interval")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "rustfs heal: %v\n", err)
		return 2
	}
	var pr maint.Progress
	if err := c.do(ctx, "POST", "heal", 202, &pr); err != nil {
		fmt.Fprintf(stderr, "rustfs heal: %v\n", err)
		return 1
	}
	tty := isTerminal(stderr)
	id := pr.ID
	for !pr.Done {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stderr, "rustfs heal: interrupted; the pass goes on in the server")
			return 1
		case <-time.After(*poll):
		}
		if err := c.do(ctx, "GET", "heal", 200, &pr); err != nil {
			fmt.Fprintf(stderr, "rustfs heal: %v\n", err)
			return 1
		}
		if pr.ID != id {
			break // our pass ended and another began: ours is done
		}
		line := fmt.Sprintf("heal %s: %s, %d objects checked, %d shards repaired, %d bytes rewritten, %d unrecoverable",
			pr.ID, pr.Phase, pr.Checked, pr.ShardsRepaired, pr.BytesRewritten, pr.Unrecoverable)
		if tty {
			fmt.Fprintf(stderr, "\r\033[K%s %s", spinner(pr.Checked), line)
		} else {
			fmt.Fprintln(stderr, line)
		}
	}
	if tty {
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(stdout, "heal: %d objects checked, %d shards repaired, %d bytes rewritten, %d unrecoverable\n",
		pr.Checked, pr.ShardsRepaired, pr.BytesRewritten, pr.Unrecoverable)
	if pr.Error != "" {
		fmt.Fprintf(stderr, "rustfs heal: pass failed: %s\n", pr.Error)
		return 1
	}
	if pr.Unrecoverable > 0 {
		return 1
	}
	return 0
}

// spinner is the bar of a pass whose total is unknown: it moves with
// the objects checked.
func spinner(n int64) string { return string("|/-\\"[n%4]) }

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// cmdStatus runs `rustfs status`: OSD table and redundancy table.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := adminFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "rustfs status: %v\n", err)
		return 2
	}
	var st maint.Status
	if err := c.do(ctx, "GET", "status", 200, &st); err != nil {
		fmt.Fprintf(stderr, "rustfs status: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OSD\tRACK\tSTATE\tDETAIL")
	for _, o := range st.OSDs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Rack, o.State, o.Detail)
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	if st.LastPass == nil {
		fmt.Fprintln(stdout, "redundancy: no full pass has run yet")
	} else {
		fmt.Fprintf(stdout, "redundancy (pass %s, %s):\n", st.LastPass.ID, st.LastPass.Started.Format(time.RFC3339))
		keys := make([]string, 0, len(st.LastPass.ByRedundancy))
		for k := range st.LastPass.ByRedundancy {
			keys = append(keys, k)
		}
		// Healthiest first: fewest missing shards, then the wider layout.
		sort.Slice(keys, func(i, j int) bool {
			mi, ni := missingShards(keys[i])
			mj, nj := missingShards(keys[j])
			if mi != mj {
				return mi < mj
			}
			return ni > nj
		})
		fmt.Fprintln(tw, "SHARDS\tOBJECTS\tBYTES")
		for _, k := range keys {
			cnt := st.LastPass.ByRedundancy[k]
			fmt.Fprintf(tw, "%s\t%d\t%d\n", k, cnt.Objects, cnt.Bytes)
		}
		tw.Flush()
	}
	fmt.Fprintf(stdout, "\ngc: %d bytes reclaimed (%d due, %d orphan, %d temp)\n",
		st.GC.ReclaimedBytes(), st.GC.Bytes, st.GC.OrphanBytes, st.GC.TempBytes)
	fmt.Fprintf(stdout, "heal: %d passes, %d objects checked, %d shards repaired, %d bytes rewritten, %d unrecoverable\n",
		st.Heal.Passes, st.Heal.Checked, st.Heal.ShardsRepaired, st.Heal.BytesRewritten, st.Heal.Unrecoverable)
	fmt.Fprintf(stdout, "scrub: enabled %v, %d B/s, running %v\n", st.Scrub.Enabled, st.Scrub.RateBytesPerSec, st.Scrub.Running)
	return 0
}

// missingShards reads a "healthy/shards" histogram key and returns the
// missing shards and the layout width (0, 0 for a key it cannot read).
func missingShards(k string) (missing, shards int) {
	hs, ns, _ := strings.Cut(k, "/")
	h, err1 := strconv.Atoi(hs)
	n, err2 := strconv.Atoi(ns)
	if err1 != nil || err2 != nil {
		return 0, 0
	}
	return n - h, n
}
