package failure

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// corruption is one way of damaging a shard file.
type corruption int

const (
	corruptFlip     corruption = iota // flip one bit at a random offset
	corruptTruncate                   // cut the file at a random length
	corruptForeign                    // overwrite with another object's valid shard of the same index and size
)

// shardFile is one committed shard on disk.
type shardFile struct {
	path  string
	data  string // hex data id
	index string // shard index
	size  int64
}

// shardFiles lists the committed shard files of every OSD, grouped by data
// stream.
func shardFiles(e *env) (map[string][]shardFile, error) {
	out := map[string][]shardFile{}
	for _, o := range e.lb.LocalOSDs() {
		root := filepath.Join(o.Path(), "shards")
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			id, idx, ok := strings.Cut(d.Name(), ".")
			if !ok {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			out[id] = append(out[id], shardFile{path: p, data: id, index: idx, size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, fs := range out {
		sort.Slice(fs, func(i, j int) bool { return fs[i].index < fs[j].index })
	}
	return out, nil
}

// shardCorruption writes objects in groups of equal size (so foreign
// shards of the same size exist), then, for several rounds, damages one or
// two shards of every stream (never more than m = 2), reads everything back
// (any 4 verified shards must do), heals and checks full redundancy.
// Every damaged shard counts as one fault.
func shardCorruption(tr *trial, how corruption) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor(fmt.Sprintf("shards-%d", how))
	tr.mkBucket(ctx, e, b)
	n := scale(80, 300)
	sizes := []int{1, 1000, chunkSize - 16, chunkSize + 1, 2*chunkSize + 333}
	for i := range n {
		if err := tr.put(ctx, e, b, key("o", i), tr.payload(sizes[i%len(sizes)])); err != nil {
			t.Fatalf("PUT: %v", err)
		}
	}
	for round := range scale(3, 6) {
		streams, err := shardFiles(e)
		if err != nil {
			t.Fatalf("list shards: %v", err)
		}
		ids := make([]string, 0, len(streams))
		for id := range streams {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		damaged := 0
		for _, id := range ids {
			files := streams[id]
			for _, k := range tr.rng.Perm(len(files))[:min(len(files), 1+tr.rng.IntN(2))] {
				ok, err := damage(tr, files[k], how, streams, id)
				if err != nil {
					t.Fatalf("damage %s: %v", files[k].path, err)
				}
				if ok {
					damaged++
				}
			}
		}
		tr.fault(int64(damaged))
		tr.l.verify(t, ctx, fmt.Sprintf("round %d, %d shards damaged, before heal", round, damaged), get(e))
		if _, err := e.heal(ctx); err != nil {
			t.Errorf("round %d: heal: %v", round, err)
		}
		if err := e.checkRedundant(ctx, tr.l); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		if t.Failed() {
			break
		}
	}
	finishClass(tr, e)
}

// damage applies how to f. It reports false when no damage was possible
// (a foreign shard needs a donor of the same index and size; an empty file
// cannot be flipped).
func damage(tr *trial, f shardFile, how corruption, streams map[string][]shardFile, self string) (bool, error) {
	switch how {
	case corruptFlip:
		b, err := os.ReadFile(f.path)
		if err != nil || len(b) == 0 {
			return false, err
		}
		b[tr.rng.IntN(len(b))] ^= 1 << tr.rng.IntN(8)
		return true, os.WriteFile(f.path, b, 0o600)
	case corruptTruncate:
		if f.size == 0 {
			return false, nil
		}
		return true, os.Truncate(f.path, tr.rng.Int64N(f.size))
	}
	// A donor: the same shard index and size in another stream, chosen by
	// a deterministic walk from a random start.
	ids := make([]string, 0, len(streams))
	for id := range streams {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	start := tr.rng.IntN(len(ids))
	for k := range ids {
		id := ids[(start+k)%len(ids)]
		if id == self {
			continue
		}
		for _, d := range streams[id] {
			if d.index != f.index || d.size != f.size {
				continue
			}
			src, err := os.ReadFile(d.path)
			if err != nil {
				return false, err
			}
			if cur, err := os.ReadFile(f.path); err == nil && bytes.Equal(cur, src) {
				continue
			}
			return true, os.WriteFile(f.path, src, 0o600)
		}
	}
	return false, nil
}
