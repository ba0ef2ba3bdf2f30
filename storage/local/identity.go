package local

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// formatName is the identity file of an OSD directory.
const formatName = "format"

// legacyIDFile is the identity file of the first layout (the OSD's ID
// only); a directory holding it is adopted and given a format.
const legacyIDFile = "osd-id"

// osdFormat is <osd>/format: which slot of which cluster a directory is.
// A directory whose format names another OSD or another cluster is refused,
// so a swapped mount or a disk from another machine is never read as ours.
type osdFormat struct {
	Format  int    `json:"format"`
	OSD     string `json:"osd"`
	UUID    string `json:"uuid"`
	Cluster string `json:"cluster"`
}

// dirState is what identify found in an OSD directory.
type dirState int

const (
	dirUnusable dirState = iota // cannot be used (error recorded on the OSD)
	dirFormatted
	dirLegacy // holds the first layout's osd-id of this OSD
	dirEmpty  // no identity at all
	dirMissing
)

// errMissingDir explains why a missing OSD directory of a known cluster is
// not re-created: it is most likely an unmounted disk, and writing into the
// mount point would fill the root file system.
var errMissingDir = errors.New("directory missing (unmounted disk?); create it empty to replace this OSD")

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // documented never to fail since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// inspect prepares o's directory and reads its identity. A directory
// holding another OSD's legacy id is unusable (the error says why).
func (o *OSD) inspect() (osdFormat, dirState) {
	if _, err := os.Lstat(o.path); errors.Is(err, fs.ErrNotExist) {
		return osdFormat{}, dirMissing
	}
	if err := o.prepare(); err != nil {
		o.markDown(fmt.Errorf("prepare %s: %w", o.path, err))
		return osdFormat{}, dirUnusable
	}
	b, err := os.ReadFile(filepath.Join(o.path, formatName))
	switch {
	case err == nil:
		var f osdFormat
		if err := json.Unmarshal(b, &f); err != nil || f.OSD == "" || f.UUID == "" || f.Cluster == "" {
			o.markDown(fmt.Errorf("%s/%s is damaged or not a RustFS format file", o.path, formatName))
			return osdFormat{}, dirUnusable
		}
		return f, dirFormatted
	case !errors.Is(err, fs.ErrNotExist):
		o.markDown(fmt.Errorf("read %s/%s: %w", o.path, formatName, err))
		return osdFormat{}, dirUnusable
	}
	b, err = os.ReadFile(filepath.Join(o.path, legacyIDFile))
	switch {
	case err == nil:
		if got := strings.TrimSpace(string(b)); got != o.id {
			o.markDown(fmt.Errorf("directory %s belongs to OSD %q, layout says %q", o.path, got, o.id))
			return osdFormat{}, dirUnusable
		}
		return osdFormat{}, dirLegacy
	case !errors.Is(err, fs.ErrNotExist):
		o.markDown(fmt.Errorf("read %s/%s: %w", o.path, legacyIDFile, err))
		return osdFormat{}, dirUnusable
	}
	return osdFormat{}, dirEmpty
}

// accept checks a formatted directory against the OSD's slot and the
// cluster, and marks the OSD identified (and up) when it belongs here.
func (o *OSD) accept(f osdFormat, cluster string) bool {
	switch {
	case f.OSD != o.id:
		o.markDown(fmt.Errorf("directory %s belongs to OSD %q, layout says %q: refused", o.path, f.OSD, o.id))
		return false
	case f.Cluster != cluster:
		o.markDown(fmt.Errorf("directory %s belongs to cluster %s, not %s: refused", o.path, f.Cluster, cluster))
		return false
	}
	o.setIdentity(f.UUID)
	return true
}

// formatIntact reports whether the directory still holds the format the
// OSD was identified with (false also when it cannot be read).
func (o *OSD) formatIntact() bool {
	b, err := os.ReadFile(filepath.Join(o.path, formatName))
	if err != nil {
		return false
	}
	var f osdFormat
	return json.Unmarshal(b, &f) == nil && f.UUID == o.UUID() && f.OSD == o.id
}

// setIdentity records the OSD's uuid and lets it serve I/O.
func (o *OSD) setIdentity(uuid string) {
	o.mu.Lock()
	o.uuid = uuid
	o.mu.Unlock()
	o.identified.Store(true)
	o.markUp()
}

// UUID is the identity of the OSD's directory ("" until identified).
func (o *OSD) UUID() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.uuid
}

// format gives a directory without a format file a fresh identity. The
// file is created by link, so of two processes formatting at once exactly
// one wins and the other adopts its identity.
func (o *OSD) format(cluster string) error {
	f := osdFormat{Format: 1, OSD: o.id, UUID: newUUID(), Cluster: cluster}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := o.createFile(filepath.Join(o.path, formatName), append(b, '\n')); err != nil {
		if errors.Is(err, fs.ErrExist) {
			got, st := o.inspect()
			if st == dirFormatted && o.accept(got, cluster) {
				return nil
			}
			return fmt.Errorf("local: OSD %s: %s", o.id, o.lastError())
		}
		o.markDown(fmt.Errorf("write format: %w", err))
		return fmt.Errorf("local: OSD %s: write format: %w", o.id, err)
	}
	o.setIdentity(f.UUID)
	return nil
}

// createFile writes data to path durably, failing with fs.ErrExist when
// path exists.
func (o *OSD) createFile(path string, data []byte) error {
	f, err := os.CreateTemp(o.tmpDir(), ".format-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// clusterOf picks the cluster uuid: the one most formatted OSDs carry, or
// the one recorded in <data>/meta/.cluster, or a new one for a new cluster.
func clusterOf(metaDir string, formats []osdFormat) (string, error) {
	count := map[string]int{}
	best := ""
	for _, f := range formats {
		count[f.Cluster]++
		if c := count[f.Cluster]; c > count[best] || c == count[best] && f.Cluster < best {
			best = f.Cluster
		}
	}
	p := filepath.Join(metaDir, ".cluster")
	if best != "" {
		// Kept for the day every OSD is replaced at once (best effort).
		if b, err := os.ReadFile(p); err != nil || strings.TrimSpace(string(b)) != best {
			_ = os.WriteFile(p, []byte(best+"\n"), 0o600)
		}
		return best, nil
	}
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	c := newUUID()
	if err := os.WriteFile(p, []byte(c+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("local: cluster id: %w", err)
	}
	return c, nil
}
