//go:build !ceph

package test

import (
	"errors"

	"github.com/tasmaniancloud/rustfs/storage"
)

// cephBuild reports whether the rados backend is compiled in.
const cephBuild = false

// openRados is unavailable without the ceph build tag.
func openRados(string) (storage.Backend, error) {
	return nil, errors.New("the rados backend needs `go test -tags ceph`")
}

// radosDump is unavailable without the ceph build tag.
func radosDump(string) (map[string][]byte, error) {
	return nil, errors.New("the rados backend needs `go test -tags ceph`")
}
