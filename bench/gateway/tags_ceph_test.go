//go:build ceph

package gateway

// buildTags are the tags the rustfs binary is built with: a ceph test
// binary builds the server with the rados backend too.
var buildTags = []string{"ceph"}
