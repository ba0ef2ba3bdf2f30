//go:build ceph

package object

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/rados"
)

// BenchmarkListSeededRADOS is BenchmarkListSeededLocal on the RADOS
// backend (metadata in omap, under storage/sealed as the server runs it)
// of the cluster named by RUSTFS_CEPH_CONF. Each size is seeded once into
// the namespace rustfs-list-v<format>-rados-n<size>-<key id>, whose root
// key file is kept under $RUSTFS_BENCH_DIR; the namespace counts as
// complete once its marker record is there, and a partial one is resumed
// (the seeded records are deterministic). The namespaces stay in the
// cluster: in the OSDs' memory on the default memstore cluster, so remove
// them after use (docs/PERFORMANCE.md gives the command), or start a
// bluestore cluster (CEPH_STORE=bluestore scripts/ceph-up.sh) for 1,000,000
// keys. With $RUSTFS_BENCH_OSD_PIDS naming the OSDs' process ids, each
// page also reports the OSDs' CPU time (osd-cpu-ns/op).
func BenchmarkListSeededRADOS(b *testing.B) {
	sizes := benchListSizes(b)
	conf := os.Getenv("RUSTFS_CEPH_CONF")
	if conf == "" {
		b.Skip("RUSTFS_CEPH_CONF is not set; start a cluster with scripts/ceph-up.sh")
	}
	for _, n := range sizes {
		dir := filepath.Join(benchBase(), seedName("rados", n))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		keyPath := filepath.Join(dir, "root.key")
		if _, err := os.Stat(keyPath); err != nil {
			// Creates the root key file, which names the namespace.
			kr, err := kdf.OpenLocal(keyPath)
			if err != nil {
				b.Fatal(err)
			}
			kr.Close()
		}
		raw, err := os.ReadFile(keyPath)
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		o := rados.Options{ConfPath: conf, Keyring: os.Getenv("RUSTFS_CEPH_KEYRING"), User: os.Getenv("RUSTFS_CEPH_USER"),
			Namespace: seedName("rados", n) + "-" + hex.EncodeToString(sum[:4])}
		rb, err := rados.Open(o)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { rb.Close() })
		s := openBenchStore(b, rb, keyPath)
		if seededCount(b, s) != n {
			seed(b, s, n)
		}
		b.Logf("namespace %s", o.Namespace)
		benchListPages(b, s, n)
	}
}
