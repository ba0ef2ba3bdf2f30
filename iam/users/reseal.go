package users

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/tasmaniancloud/rustfs/storage"
)

// resealStale re-seals, under the current root, the secrets still sealed
// under an older one, so a rotated-out root can later be retired without
// losing users' keys. Each write is guarded by the record's version (two
// gateways doing it at once write once); failures are retried next
// refresh. The snapshot is not touched: the next Reload reads the result.
func (s *Store) resealStale(ctx context.Context) {
	_, current, err := s.o.Keys(ctx, "")
	if err != nil {
		return
	}
	for ak, k := range s.snap.Load().keys {
		if k.rec.Root == current || k.secret == "" {
			continue
		}
		sealed, root, err := seal(ctx, s.o.Keys, s.o.Rand, ak, k.secret)
		if err != nil {
			s.o.Logger.Warn("users: re-seal failed", "access_key", ak, "err", err)
			continue
		}
		rec := k.rec
		rec.Sealed, rec.Root = sealed, root
		b, err := json.Marshal(rec)
		if err != nil {
			continue
		}
		if _, err := s.o.Meta.Put(ctx, metaNS, keyPrefix+ak, b, storage.Cond{IfVersion: k.version}); err != nil && !errors.Is(err, storage.ErrPrecondition) {
			s.o.Logger.Warn("users: re-seal write failed", "access_key", ak, "err", err)
		}
	}
}
