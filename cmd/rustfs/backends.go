package main

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"github.com/tasmaniancloud/rustfs/server"
	"github.com/tasmaniancloud/rustfs/storage"
)

// backendSpec is one storage backend the binary can open. A backend that
// needs a build tag (rados: `-tags ceph`) adds itself to backends from an
// init function in a file carrying that tag.
type backendSpec struct {
	// flags registers backend-specific flags (their RUSTFS_* environment
	// equivalents come for free); may be nil.
	flags func(fs *flag.FlagSet)
	// open opens the backend from the parsed configuration and the values
	// of its own flags.
	open func(ctx context.Context, cfg server.Config) (storage.Backend, error)
}

// backends is the registry of available backends, filled at init time and
// read-only afterwards.
var backends = map[string]backendSpec{
	"local": {open: server.OpenLocal},
}

// cephFlagNames are the rados backend's flags (backend_rados.go registers
// them; a test of the ceph build checks the list).
var cephFlagNames = []string{
	"ceph-conf", "ceph-keyring", "ceph-user", "ceph-namespace", "ceph-meta-pool",
	"ceph-data-pools", "ceph-osds-per-rack", "ceph-piece-size", "ceph-write-size", "ceph-async-writes", "ceph-connect-timeout", "ceph-op-timeout",
}

// backendFlagHooks register flags of backends this build lacks, so help
// lists them everywhere (backend_noceph.go); filled at init time.
var backendFlagHooks []func(fs *flag.FlagSet)

// backendNames lists the registered backends, sorted.
func backendNames() []string {
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// bindBackend points cfg.OpenBackend at the registered backend cfg names.
func bindBackend(cfg *server.Config) error {
	spec, ok := backends[cfg.Backend]
	if !ok {
		return fmt.Errorf("unknown backend %q (this build has: %v; rados needs a build with -tags ceph)", cfg.Backend, backendNames())
	}
	cfg.OpenBackend = spec.open
	return nil
}
