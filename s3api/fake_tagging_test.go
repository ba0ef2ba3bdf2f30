package s3api

import (
	"context"
	"slices"

	"github.com/tasmaniancloud/rustfs/object"
)

// Tagging for memLayer: object tags are kept in the stored info's
// Meta.Tags (with TagCount), bucket tags in memBucket.tags.

func (m *memLayer) PutObjectTagging(ctx context.Context, bucket, key string, tags []object.Tag) error {
	if err := m.injected("PutObjectTagging"); err != nil {
		return err
	}
	if err := object.ValidateTags(tags, object.MaxObjectTags); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, err := m.lookup(bucket, key)
	if err != nil {
		return err
	}
	o.info.Meta.Tags = slices.Clone(tags)
	o.info.TagCount = len(tags)
	return nil
}

func (m *memLayer) GetObjectTagging(ctx context.Context, bucket, key string) ([]object.Tag, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, err := m.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	return slices.Clone(o.info.Meta.Tags), nil
}

func (m *memLayer) DeleteObjectTagging(ctx context.Context, bucket, key string) error {
	return m.PutObjectTagging(ctx, bucket, key, nil)
}

func (m *memLayer) PutBucketTagging(ctx context.Context, bucket string, tags []object.Tag) error {
	if err := object.ValidateTags(tags, object.MaxBucketTags); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	b.tags = slices.Clone(tags)
	return nil
}

func (m *memLayer) GetBucketTagging(ctx context.Context, bucket string) ([]object.Tag, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	if len(b.tags) == 0 {
		return nil, object.ErrNoSuchTagSet
	}
	return slices.Clone(b.tags), nil
}

func (m *memLayer) DeleteBucketTagging(ctx context.Context, bucket string) error {
	return m.PutBucketTagging(ctx, bucket, nil)
}
