//go:build !ceph

package gateway

// buildTags are the tags the rustfs binary is built with: none without
// the ceph tag.
var buildTags []string
