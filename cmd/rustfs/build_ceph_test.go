//go:build ceph

package main

// radosBuilt says whether this test binary has the rados backend: it is
// registered only in builds with the ceph tag.
const radosBuilt = true
