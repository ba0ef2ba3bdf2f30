package server

import "syscall"

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (every
// connection costs a descriptor, and the default soft limit of 1024 is
// what a connection flood exhausts first) and returns the soft limit in
// force afterwards.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return lim.Cur, err
		}
		lim = want
	}
	return lim.Cur, nil
}
