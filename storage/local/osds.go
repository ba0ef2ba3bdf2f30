package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Where the OSD identities are recorded in Meta.
const (
	sysNS   = "sys"
	osdsKey = "osds"
)

// osdRecord is one OSD's entry in sys/osds.
type osdRecord struct {
	ID      string `json:"id"`
	Rack    string `json:"rack"`
	UUID    string `json:"uuid"`
	Filling bool   `json:"filling,omitempty"`
}

// osdsValue is the value of sys/osds.
type osdsValue struct {
	Cluster string      `json:"cluster"`
	OSDs    []osdRecord `json:"osds"`
}

// openLock serialises identity changes (formatting, sys/osds) between
// processes opening the same data directory.
func (b *Backend) openLock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(b.meta.locks.dir, "open"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("local: open lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: open lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// identifyAll checks every OSD directory's identity at Open, formats new
// ones, recognises replacements and records everything in sys/osds.
func (b *Backend) identifyAll(maxDown int) error {
	unlock, err := b.openLock()
	if err != nil {
		return err
	}
	defer unlock()
	formats := make([]osdFormat, len(b.osds))
	states := make([]dirState, len(b.osds))
	var found []osdFormat
	known := false
	for i, o := range b.osds {
		formats[i], states[i] = o.inspect()
		switch states[i] {
		case dirFormatted:
			found = append(found, formats[i])
			known = true
		case dirLegacy:
			known = true
		}
	}
	if b.cluster, err = clusterOf(b.meta.dir, found); err != nil {
		return err
	}
	fresh := map[*OSD]bool{}
	for i, o := range b.osds {
		switch states[i] {
		case dirFormatted:
			o.accept(formats[i], b.cluster)
		case dirLegacy:
			_ = o.format(b.cluster) // a failure leaves o down with its error
		case dirEmpty:
			// An empty directory next to formatted ones is a replacement;
			// when none is formatted this is a new cluster.
			if o.format(b.cluster) == nil && known {
				fresh[o] = true
			}
		case dirMissing:
			if known {
				o.markDown(errMissingDir)
				continue
			}
			if err := o.prepare(); err != nil {
				o.markDown(fmt.Errorf("create %s: %w", o.path, err))
				continue
			}
			_ = o.format(b.cluster)
		}
	}
	var down []string
	for _, o := range b.osds {
		if !o.identified.Load() {
			down = append(down, fmt.Sprintf("%s (%s)", o.id, o.lastError()))
		}
	}
	up := len(b.osds) - len(down)
	if len(down) > maxDown || up < b.meta.w {
		return fmt.Errorf("local: %d of %d OSDs unusable (at most %d allowed, metadata needs %d): %s",
			len(down), len(b.osds), maxDown, b.meta.w, strings.Join(down, "; "))
	}
	for _, d := range down {
		b.log.Warn("local: OSD unusable at start, serving degraded", "osd", d)
	}
	if err := b.migrate(); err != nil {
		return err
	}
	return b.record(fresh)
}

// adopt retries the identity of an OSD that was unusable or refused: once
// its directory holds our format it comes up; an empty one becomes a
// replacement.
func (b *Backend) adopt(o *OSD) {
	unlock, err := b.openLock()
	if err != nil {
		return
	}
	defer unlock()
	f, st := o.inspect()
	fresh := map[*OSD]bool{}
	switch st {
	case dirFormatted:
		if !o.accept(f, b.cluster) {
			return
		}
	case dirLegacy:
		if o.format(b.cluster) != nil {
			return
		}
	case dirEmpty:
		if o.format(b.cluster) != nil {
			return
		}
		fresh[o] = true
	case dirMissing:
		o.markDown(errMissingDir)
		return
	default:
		return
	}
	b.log.Info("local: OSD usable again", "osd", o.id, "path", o.path)
	if err := b.record(fresh); err != nil {
		b.log.Warn("local: recording OSD identities failed", "err", err)
	}
}

// readOSDs returns sys/osds (empty when absent or unreadable) and its
// version.
func (b *Backend) readOSDs() (osdsValue, storage.Version) {
	ctx, cancel := b.ctx()
	defer cancel()
	var v osdsValue
	raw, ver, err := b.meta.Get(ctx, sysNS, osdsKey)
	if err == nil {
		if json.Unmarshal(raw, &v) != nil {
			b.log.Warn("local: sys/osds is not valid JSON; rewriting it")
			v = osdsValue{}
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		b.log.Warn("local: reading sys/osds", "err", err)
	}
	return v, ver
}

// record updates sys/osds with every identified OSD's uuid. An OSD in
// fresh, or one whose uuid differs from the recorded one (a directory
// swapped or re-formatted while the gateway was down), is a replacement:
// marked filling until MarkFilled. A recorded filling mark is restored.
func (b *Backend) record(fresh map[*OSD]bool) error {
	cur, _ := b.readOSDs()
	byID := map[string]osdRecord{}
	for _, r := range cur.OSDs {
		byID[r.ID] = r
	}
	changed := cur.Cluster != b.cluster
	for _, o := range b.osds {
		if !o.identified.Load() {
			continue
		}
		r, had := byID[o.id]
		uuid := o.UUID()
		if fresh[o] || (had && r.UUID != uuid) {
			b.log.Warn("local: replacement OSD detected; it will be refilled", "osd", o.id, "path", o.path, "uuid", uuid, "old_uuid", r.UUID)
			r.Filling = true
		}
		if r.Filling {
			o.filling.Store(true)
		}
		nr := osdRecord{ID: o.id, Rack: o.rack, UUID: uuid, Filling: r.Filling}
		if !had || nr != r {
			byID[o.id] = nr
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return b.writeOSDs(byID)
}

// writeOSDs stores the records, in layout order then any unknown ones.
func (b *Backend) writeOSDs(byID map[string]osdRecord) error {
	v := osdsValue{Cluster: b.cluster}
	for _, o := range b.osds {
		if r, ok := byID[o.id]; ok {
			v.OSDs = append(v.OSDs, r)
			delete(byID, o.id)
		}
	}
	for _, r := range byID {
		v.OSDs = append(v.OSDs, r) // an OSD no longer in the layout
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	if _, err := b.meta.Put(ctx, sysNS, osdsKey, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("local: record OSD identities: %w", err)
	}
	return nil
}

// MarkFilled clears the filling mark of replacement OSD id once its data
// has been refilled. It first scrubs the metadata, so the OSD's metadata
// replica is complete before its missing keys count as answers again.
func (b *Backend) MarkFilled(id string) error {
	var o *OSD
	for _, x := range b.osds {
		if x.id == id {
			o = x
		}
	}
	if o == nil {
		return fmt.Errorf("local: MarkFilled: no OSD %q", id)
	}
	if !o.filling.Load() {
		return nil
	}
	// No deadline: a full metadata scrub takes as long as the store is big.
	res, err := b.meta.Scrub(context.Background())
	if err != nil {
		return fmt.Errorf("local: MarkFilled %s: metadata scrub: %w", id, err)
	}
	unlock, err := b.openLock()
	if err != nil {
		return err
	}
	defer unlock()
	cur, _ := b.readOSDs()
	byID := map[string]osdRecord{}
	for _, r := range cur.OSDs {
		byID[r.ID] = r
	}
	r := byID[id]
	r.ID, r.Rack, r.UUID, r.Filling = o.id, o.rack, o.UUID(), false
	byID[id] = r
	if err := b.writeOSDs(byID); err != nil {
		return err
	}
	o.filling.Store(false)
	b.log.Info("local: replacement OSD refilled", "osd", id, "meta_repaired", res.Repaired)
	return nil
}
