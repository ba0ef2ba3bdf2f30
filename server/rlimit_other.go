//go:build !linux

package server

// raiseFileLimit leaves the descriptor limit alone outside Linux and
// reports it unknown (0).
func raiseFileLimit() (uint64, error) { return 0, nil }
