package sealed

// NewMemStore gives the external tests (the scale benchmarks) the same
// in-memory storage.Meta the package's own tests use (index_test.go).
func NewMemStore() *memStore { return newMemStore() }
