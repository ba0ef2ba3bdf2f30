package kdf

// CacheStats returns how many key-cache lookups found a live entry (hits)
// and how many did not (misses) since the Service started; both are 0 when
// caching is off. The ratio is what the metrics exporter reports.
func (s *Service) CacheStats() (hits, misses uint64) {
	if s.cache == nil {
		return 0, 0
	}
	return s.cache.hits.Load(), s.cache.misses.Load()
}
