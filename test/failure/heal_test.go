package failure

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// fullShards is n of the default 4+2 layout.
const fullShards = 6

// scrubMeta runs the metadata replica scrubber, as a deep pass does.
func scrubMeta(ctx context.Context, m *local.Meta) error {
	if _, err := m.Scrub(ctx); err != nil {
		return fmt.Errorf("meta scrub: %w", err)
	}
	return nil
}

// heal runs what the scheduler runs on a full pass: the metadata scrub,
// the durable heal queue, then a deep heal of every object.
func (e *env) heal(ctx context.Context) (object.HealResult, error) {
	var total object.HealResult
	if err := scrubMeta(ctx, e.lb.LocalMeta()); err != nil {
		return total, err
	}
	r, err := e.store.HealQueued(ctx, object.HealOptions{Deep: true}, 1<<20)
	if err != nil {
		return total, fmt.Errorf("HealQueued: %w", err)
	}
	add(&total, r)
	r, err = e.healAll(ctx)
	add(&total, r)
	if err == nil && total.Unrecoverable == 0 {
		err = markFilled(e.lb)
	}
	return total, err
}

// markFilled ends the refill of replaced OSDs after a clean full pass, as
// the scheduler does.
func markFilled(lb *local.Backend) error {
	for _, o := range lb.OSDStates() {
		if o.State != local.StateFilling {
			continue
		}
		if err := lb.MarkFilled(o.ID); err != nil {
			return fmt.Errorf("MarkFilled %s: %w", o.ID, err)
		}
	}
	return nil
}

// healQueued drains only the durable heal queue.
func (e *env) healQueued(ctx context.Context) (object.HealResult, error) {
	r, err := e.store.HealQueued(ctx, object.HealOptions{Deep: true}, 1<<20)
	if err != nil {
		return r, fmt.Errorf("HealQueued: %w", err)
	}
	return r, nil
}

// healAll deep-heals every object WalkObjects finds.
func (e *env) healAll(ctx context.Context) (object.HealResult, error) {
	var keys [][2]string
	if err := e.store.WalkObjects(ctx, func(b, k string) error {
		keys = append(keys, [2]string{b, k})
		return nil
	}); err != nil {
		return object.HealResult{}, fmt.Errorf("WalkObjects: %w", err)
	}
	var total object.HealResult
	for _, k := range keys {
		r, err := e.store.HealObject(ctx, k[0], k[1], object.HealOptions{Deep: true})
		if err != nil {
			return total, fmt.Errorf("HealObject %s/%s: %w", k[0], k[1], err)
		}
		add(&total, r)
	}
	return total, nil
}

func add(total *object.HealResult, r object.HealResult) {
	total.Checked += r.Checked
	total.ShardsRepaired += r.ShardsRepaired
	total.Unrecoverable += r.Unrecoverable
	total.BytesRewritten += r.BytesRewritten
	for k, c := range r.ByRedundancy {
		if total.ByRedundancy == nil {
			total.ByRedundancy = map[object.ShardHealth]object.Count{}
		}
		t := total.ByRedundancy[k]
		t.Objects += c.Objects
		t.Bytes += c.Bytes
		total.ByRedundancy[k] = t
	}
}

// checkRedundant fails unless every object of l already has all its
// shards: a deep heal now finds nothing to repair, nothing unrecoverable,
// and every object at full redundancy.
func (e *env) checkRedundant(ctx context.Context, l *ledger) error {
	for _, k := range l.keys() {
		l.mu.Lock()
		present := l.objs[k].present
		l.mu.Unlock()
		if !present {
			continue
		}
		r, err := e.store.HealObject(ctx, k[0], k[1], object.HealOptions{Deep: true})
		if err != nil {
			return fmt.Errorf("redundancy check %s/%s: %w", k[0], k[1], err)
		}
		if r.ShardsRepaired != 0 || r.Unrecoverable != 0 {
			return fmt.Errorf("%s/%s was not at full redundancy after heal: %d shards repaired now, %d unrecoverable",
				k[0], k[1], r.ShardsRepaired, r.Unrecoverable)
		}
		for n, c := range r.ByRedundancy {
			if n.Healthy != n.Shards && c.Objects > 0 {
				return fmt.Errorf("%s/%s has %s shards after heal", k[0], k[1], n)
			}
		}
	}
	return nil
}

// farFuture makes every pending GC record due.
func farFuture() time.Time { return time.Now().Add(100 * 365 * 24 * time.Hour) }

// collect runs GC, orphan collection with grace 0 and the temp sweep.
func (e *env) collect(ctx context.Context) error {
	if _, err := e.store.RunGC(ctx, farFuture()); err != nil {
		return fmt.Errorf("RunGC: %w", err)
	}
	if _, err := e.store.CollectOrphans(ctx, 0); err != nil {
		return fmt.Errorf("CollectOrphans: %w", err)
	}
	if _, _, err := e.fb.SweepTemp(ctx, time.Now().Add(time.Hour)); err != nil {
		return fmt.Errorf("SweepTemp: %w", err)
	}
	return nil
}

// garbage measures, on disk, the bytes of shard files no manifest or
// upload part references, of files in the OSDs' tmp directories and of
// temporary metadata files. what names the first few offenders.
func garbage(ctx context.Context, lb *local.Backend, meta storage.Meta) (int64, string, error) {
	refs, err := referenced(ctx, meta)
	if err != nil {
		return 0, "", err
	}
	var total int64
	var what []string
	note := func(p string, n int64) {
		total += n
		if len(what) < 5 {
			what = append(what, fmt.Sprintf("%s (%d B)", p, n))
		}
	}
	for _, o := range lb.LocalOSDs() {
		err := filepath.WalkDir(o.Path(), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(o.Path(), p)
			info, err := d.Info()
			if err != nil {
				return nil
			}
			switch {
			case strings.HasPrefix(rel, "tmp"+string(filepath.Separator)):
				note(p, info.Size())
			case strings.HasPrefix(rel, "shards"+string(filepath.Separator)):
				id, _, _ := strings.Cut(d.Name(), ".")
				if !refs[id] {
					note(p, info.Size())
				}
			case strings.HasPrefix(d.Name(), ".tmp-"):
				note(p, info.Size())
			}
			return nil
		})
		if err != nil {
			return 0, "", err
		}
	}
	_ = filepath.WalkDir(lb.MetaDir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
			if info, err := d.Info(); err == nil {
				note(p, info.Size())
			}
		}
		return nil
	})
	return total, strings.Join(what, ", "), nil
}

// referenced returns the hex data ids every manifest and upload part names.
func referenced(ctx context.Context, m storage.Meta) (map[string]bool, error) {
	refs := map[string]bool{}
	buckets, err := listAll(ctx, m, "buckets")
	if err != nil {
		return nil, err
	}
	for _, b := range buckets {
		objs, err := listAll(ctx, m, "obj/"+b.Key)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			man, err := manifest.Unmarshal(o.Value)
			if err != nil {
				continue // a damaged manifest references nothing it can prove
			}
			for _, p := range man.Parts {
				refs[hex.EncodeToString(p.DataID[:])] = true
			}
		}
		ups, err := listAll(ctx, m, "mpu/"+b.Key)
		if err != nil {
			return nil, err
		}
		for _, u := range ups {
			var rec struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(u.Value, &rec) != nil || rec.ID == "" {
				continue
			}
			parts, err := listAll(ctx, m, "part/"+rec.ID)
			if err != nil {
				return nil, err
			}
			for _, p := range parts {
				var pr struct {
					Data [16]byte `json:"data"`
				}
				if json.Unmarshal(p.Value, &pr) == nil {
					refs[hex.EncodeToString(pr.Data[:])] = true
				}
			}
		}
	}
	return refs, nil
}

// listAll lists a whole namespace.
func listAll(ctx context.Context, m storage.Meta, ns string) ([]storage.Entry, error) {
	var out []storage.Entry
	after := ""
	for {
		page, err := m.List(ctx, ns, "", after, 1000)
		if err != nil {
			return out, fmt.Errorf("list %s: %w", ns, err)
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].Key
	}
}
