package local

import (
	"fmt"
	"path/filepath"
	"strings"
)

// OSDSpec describes one OSD directory of the local backend.
type OSDSpec struct {
	// ID is recorded in manifests; it must stay with the directory for life
	// (Open stores it in the directory and refuses a mismatch).
	ID string
	// Rack names the failure domain, used by storage.Place.
	Rack string
	// Path is the OSD directory; empty means <Options.Dir>/<ID>.
	Path string
}

// DefaultLayout returns the layout used when Options.Layout is nil: six OSDs
// "osd0".."osd5" under dir, OSD i in rack "rack<i%3>", so that 4+2 shards
// put exactly two on each rack.
func DefaultLayout(dir string) []OSDSpec {
	l := make([]OSDSpec, 6)
	for i := range l {
		id := fmt.Sprintf("osd%d", i)
		l[i] = OSDSpec{ID: id, Rack: fmt.Sprintf("rack%d", i%3), Path: filepath.Join(dir, id)}
	}
	return l
}

// ParseLayout parses a flag value listing OSDs as comma-separated entries
// "rack:path" or "id@rack:path", for example "rack0:/mnt/a,rack1:/mnt/b".
// An entry without an id gets "osd<position>", so reordering such a list
// renames OSDs; Open detects that through the id stored in each directory.
// The rack ends at the first ':', so paths may contain ':' but racks may not.
func ParseLayout(s string) ([]OSDSpec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("local: layout: empty")
	}
	parts := strings.Split(s, ",")
	out := make([]OSDSpec, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		rack, path, ok := strings.Cut(p, ":")
		if !ok || path == "" {
			return nil, fmt.Errorf("local: layout entry %d %q: want [id@]rack:path", i, p)
		}
		id := fmt.Sprintf("osd%d", i)
		if at := strings.IndexByte(rack, '@'); at >= 0 {
			id, rack = rack[:at], rack[at+1:]
		}
		if id == "" || rack == "" {
			return nil, fmt.Errorf("local: layout entry %d %q: empty id or rack", i, p)
		}
		out = append(out, OSDSpec{ID: id, Rack: rack, Path: path})
	}
	return out, nil
}

// validateLayout fills empty paths and rejects duplicate IDs or directories.
func validateLayout(dir string, specs []OSDSpec) ([]OSDSpec, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("local: layout has no OSDs")
	}
	out := make([]OSDSpec, len(specs))
	ids := map[string]bool{}
	paths := map[string]string{}
	for i, s := range specs {
		if s.ID == "" || s.Rack == "" {
			return nil, fmt.Errorf("local: OSD %d: empty id or rack", i)
		}
		if !validName(s.ID) {
			return nil, fmt.Errorf("local: OSD id %q: use letters, digits, '.', '_' or '-'", s.ID)
		}
		if ids[s.ID] {
			return nil, fmt.Errorf("local: duplicate OSD id %q", s.ID)
		}
		ids[s.ID] = true
		if s.Path == "" {
			s.Path = filepath.Join(dir, s.ID)
		}
		abs, err := filepath.Abs(s.Path)
		if err != nil {
			return nil, fmt.Errorf("local: OSD %s path %q: %w", s.ID, s.Path, err)
		}
		if other, dup := paths[abs]; dup {
			return nil, fmt.Errorf("local: OSDs %s and %s share directory %s", other, s.ID, abs)
		}
		paths[abs] = s.ID
		s.Path = abs
		out[i] = s
	}
	return out, nil
}
