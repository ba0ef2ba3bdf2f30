package s3api

import (
	"path/filepath"
	"testing"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// newRealStore builds the real object layer over a local backend in a temp
// dir, for handler tests whose point is what the layer commits (or not).
func newRealStore(t testing.TB) *object.Store {
	t.Helper()
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	eng, err := dataplane.New(b, dataplane.Options{ChunkSize: dataplane.MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := kdf.OpenLocal(filepath.Join(t.TempDir(), "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	ks, err := kdf.New(kdf.Options{Keyring: kr, CacheBytes: 1 << 20, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	s, err := object.New(object.Options{Backend: b, Engine: eng, Keys: ks, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
