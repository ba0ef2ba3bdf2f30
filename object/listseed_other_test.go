//go:build !linux

package object

// freeBytes is unknown (-1) off Linux: seeding then just tries.
func freeBytes(string) int64 { return -1 }

// cpuTime is unknown (0) off Linux.
func cpuTime() int64 { return 0 }

// osdCPU is unknown (-1) off Linux.
func osdCPU() int64 { return -1 }
