package storage

// Checker is implemented by OSDs that know their own health: a local OSD
// marks itself down on EIO, ENOSPC or a timed-out operation and re-probes
// itself; one whose directory was unusable at start begins down. Writers
// skip unhealthy OSDs at once instead of waiting for them to fail.
type Checker interface {
	// Healthy reports whether the OSD is believed to serve I/O now.
	Healthy() bool
}

// Healthy reports whether o is believed usable. An OSD that does not track
// its health is assumed healthy.
func Healthy(o OSD) bool {
	c, ok := o.(Checker)
	return !ok || c.Healthy()
}
