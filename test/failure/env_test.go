package failure

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage/faultinject"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// chunkSize keeps objects of a few hundred KiB many stripes long.
const chunkSize = dataplane.MinChunkSize

// shardTimeout is the per-shard I/O deadline (docs/DURABILITY.md,
// dataplane.Options.ShardTimeout) the in-process stack runs with: short, so
// a hung disk costs a request about a second, yet long enough that a
// healthy shard on a loaded two-core machine never misses it (at 300 ms a
// second, merely slow shard occasionally did, and a PUT then fell below
// its quorum).
const shardTimeout = time.Second

// env is one in-process stack: the local backend in a temporary data
// directory wrapped by faultinject, the real engine (64 KiB chunks), the
// real key service and object.Store. close/open restart it over the same
// directory, as a crashed and restarted gateway would find it.
type env struct {
	t       *testing.T
	dir     string
	keyPath string
	fb      *faultinject.Backend
	lb      *local.Backend
	sb      *sealed.Backend // fb with its metadata sealed, as the server runs it
	engine  *dataplane.Engine
	keys    *kdf.Service
	keyring kdf.Keyring
	store   *object.Store
}

// newEnv opens a fresh stack in a temporary directory.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: tempDir(t)}
	e.keyPath = filepath.Join(e.dir, "keys", "root.key")
	if err := os.MkdirAll(filepath.Dir(e.keyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := e.open(); err != nil {
		t.Fatalf("open stack: %v", err)
	}
	t.Cleanup(func() { e.close() })
	return e
}

// tempDir is t.TempDir, except that its removal retries: a shard write the
// engine abandoned at its deadline may still be finishing inside it when
// the class ends, and t.TempDir fails the test when RemoveAll races it.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rustfs-failure-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("removing %s: %v", dir, err)
	})
	return dir
}

// engineOptions are the engine's settings in the suite: a short shard
// deadline so hung disks cost the tests little time.
func engineOptions() dataplane.Options {
	return dataplane.Options{ChunkSize: chunkSize, ShardTimeout: shardTimeout}
}

// open builds the stack over e.dir.
func (e *env) open() error {
	lb, err := local.Open(local.Options{Dir: e.dir, Fsync: local.FsyncNever})
	if err != nil {
		return fmt.Errorf("local.Open: %w", err)
	}
	e.lb = lb
	e.fb = faultinject.Wrap(lb)
	o := engineOptions()
	if e.engine, err = dataplane.New(e.fb, o); err != nil {
		e.fb.Close()
		return err
	}
	if e.keyring, err = kdf.OpenLocal(e.keyPath); err != nil {
		e.fb.Close()
		return err
	}
	if e.keys, err = kdf.New(kdf.Options{Keyring: e.keyring, CacheBytes: 1 << 20, Logger: quiet()}); err != nil {
		e.keyring.Close()
		e.fb.Close()
		return err
	}
	if e.sb, err = sealed.Open(context.Background(), e.fb, e.keys.MetadataKey, sealed.Options{Logger: quiet()}); err != nil {
		e.keys.Close()
		e.keyring.Close()
		e.fb.Close()
		return err
	}
	e.store, err = object.New(object.Options{Backend: e.sb, Engine: e.engine, Keys: e.keys, Logger: quiet()})
	if err != nil {
		e.keys.Close()
		e.keyring.Close()
		e.fb.Close()
		return err
	}
	return nil
}

// close shuts the stack down (a clean stop; crashes are simulated by
// reopening without running the store's deferred work, see crash).
func (e *env) close() {
	if e.store == nil {
		return
	}
	e.store.Close()
	e.keys.Close()
	e.keyring.Close()
	e.fb.Close()
	e.store = nil
}

// crash drops the stack without the store's clean-shutdown work, as a
// killed process would, and reopens it.
func (e *env) crash() {
	e.t.Helper()
	e.keys.Close()
	e.keyring.Close()
	e.fb.Close()
	e.store = nil
	if err := e.open(); err != nil {
		e.t.Fatalf("reopen after crash: %v", err)
	}
}

// restart stops the stack cleanly and reopens it.
func (e *env) restart() {
	e.t.Helper()
	e.close()
	if err := e.open(); err != nil {
		e.t.Fatalf("restart: %v", err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// ctx is a per-call context with a generous bound: no call of the suite
// may hang, whatever is injected.
func ctxFor(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), 2*time.Minute)
}
