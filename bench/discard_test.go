package bench

import (
	"context"
	"fmt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// discardBackend has six OSDs (three racks) that accept and drop every
// byte: Put against it measures the engine without any storage cost.
type discardBackend struct{ osds []storage.OSD }

func newDiscardBackend() *discardBackend {
	b := &discardBackend{}
	for i := range 6 {
		b.osds = append(b.osds, discardOSD{id: fmt.Sprintf("null%d", i), rack: fmt.Sprintf("rack%d", i%3)})
	}
	return b
}

func (b *discardBackend) OSDs() []storage.OSD { return b.osds }
func (b *discardBackend) Meta() storage.Meta  { return nil }
func (b *discardBackend) Close() error        { return nil }

type discardOSD struct{ id, rack string }

func (o discardOSD) ID() string   { return o.id }
func (o discardOSD) Rack() string { return o.rack }
func (o discardOSD) Create(context.Context, string) (storage.ShardWriter, error) {
	return discardWriter{}, nil
}
func (o discardOSD) Open(context.Context, string) (storage.ShardReader, error) {
	return nil, storage.ErrNotFound
}
func (o discardOSD) Remove(context.Context, string) error { return nil }

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) Commit() error               { return nil }
func (discardWriter) Abort() error                { return nil }
