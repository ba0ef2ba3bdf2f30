package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// check evaluates c against the key's current manifest: raw and exists
// from Meta.Get (a key whose every manifest copy is damaged exists, with
// an ETag nobody can match).
func (c WriteCondition) check(bucket, key string, raw []byte, exists bool) error {
	if c.IfNoneMatch && exists {
		return fmt.Errorf("object: %s/%s: If-None-Match: * and the key holds an object: %w", bucket, key, ErrPreconditionFailed)
	}
	if c.IfMatch == "" {
		return nil
	}
	if !exists {
		return fmt.Errorf("object: %s/%s: If-Match and the key holds no object: %w", bucket, key, ErrNoSuchKey)
	}
	if c.IfMatch == "*" {
		return nil
	}
	// The signature is not checked here: a forged manifest cannot be read
	// anyway, and matching its ETag only lets this write replace it.
	m, err := manifest.Unmarshal(raw)
	if err != nil || m.ETag != c.IfMatch {
		return fmt.Errorf("object: %s/%s: If-Match %q does not match the object: %w", bucket, key, c.IfMatch, ErrPreconditionFailed)
	}
	return nil
}

// checkWriteCondition reads the key's current manifest and evaluates c:
// the early check, before any data is written.
func (s *Store) checkWriteCondition(ctx context.Context, bucket, key string, c WriteCondition) error {
	if c.IsZero() {
		return nil
	}
	raw, _, err := s.meta.Get(ctx, nsObjects(bucket), key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return c.check(bucket, key, nil, false)
	case errors.Is(err, storage.ErrCorrupt):
		return c.check(bucket, key, nil, true)
	case err != nil:
		return fmt.Errorf("object: %s/%s: conditional write: %w", bucket, key, err)
	}
	return c.check(bucket, key, raw, true)
}
