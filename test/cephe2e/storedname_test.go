//go:build ceph

package cephe2e

import (
	"context"
	"errors"
	"testing"

	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// storedObjectKey maps an object key of bucket to the name its record has
// in the metadata pool: the gateway seals the metadata store
// (storage/sealed), so records sit under keyed hashes of their names. It
// derives the metadata key from the gateway's root secret file.
func storedObjectKey(t *testing.T, g *gateway, bucket, key string) string {
	t.Helper()
	kr, err := kdf.OpenLocal(g.keyring)
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	svc, err := kdf.New(kdf.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mk, _, err := svc.MetadataKey(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := sealed.New(noMeta{}, sealed.Options{Key: mk})
	if err != nil {
		t.Fatal(err)
	}
	_, stored := sm.StoredName("obj/"+bucket, key)
	return stored
}

// noMeta is the inner store of a sealed.Meta used only to compute names.
type noMeta struct{}

var errNoMeta = errors.New("cephe2e: names only")

func (noMeta) Get(context.Context, string, string) ([]byte, storage.Version, error) {
	return nil, 0, errNoMeta
}
func (noMeta) Put(context.Context, string, string, []byte, storage.Cond) (storage.Version, error) {
	return 0, errNoMeta
}
func (noMeta) Delete(context.Context, string, string, storage.Cond) error { return errNoMeta }
func (noMeta) List(context.Context, string, string, string, int) ([]storage.Entry, error) {
	return nil, errNoMeta
}
