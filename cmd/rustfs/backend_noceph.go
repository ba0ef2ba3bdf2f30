//go:build !ceph

package main

import "flag"

// A build without the ceph tag still lists the rados flags, so `rustfs
// server -h` shows every setting and says how to get the backend; their
// values are accepted and unused, as a ceph build ignores them with
// --backend local.
func init() {
	backendFlagHooks = append(backendFlagHooks, func(fs *flag.FlagSet) {
		for _, name := range cephFlagNames {
			fs.Var(new(unusedFlag), name, "rados backend setting: this binary was built without Ceph (make build-ceph, or go build -tags ceph)")
		}
	})
}

// unusedFlag holds a value nobody reads.
type unusedFlag string

func (f *unusedFlag) String() string     { return string(*f) }
func (f *unusedFlag) Set(v string) error { *f = unusedFlag(v); return nil }
