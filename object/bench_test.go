package object

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
)

// plainKeys is a key service without the envelope: one fixed data key (still
// bound to the object context), no KEM, no manifest signature. It exists
// only to measure what the envelope costs per object.
type plainKeys struct{ secret [aead.KeySize]byte }

func (p *plainKeys) NewObjectKey(_ context.Context, c kdf.Context) (*aead.Key, kdf.Envelope, error) {
	k, err := aead.NewKey(p.secret[:], c.Binding())
	return k, kdf.Envelope{}, err
}

func (p *plainKeys) OpenObjectKey(_ context.Context, c kdf.Context, _ kdf.Envelope) (*aead.Key, error) {
	return aead.NewKey(p.secret[:], c.Binding())
}

func (p *plainKeys) SignManifest(context.Context, *manifest.Manifest) error   { return nil }
func (p *plainKeys) VerifyManifest(context.Context, *manifest.Manifest) error { return nil }

// benchStores returns the layer with the real envelope, with the envelope
// but no kdf cache (every GET decapsulates and verifies), and without it.
func benchStores(b *testing.B) map[string]*Store {
	e := newEnv(b)
	e.bucket("bench")
	plain := *e.s
	plain.keys = &plainKeys{}
	nocache := e.open()
	{
		kr, err := kdf.OpenLocal(e.keyPath)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { kr.Close() })
		ks, err := kdf.New(kdf.Options{Keyring: kr, CacheBytes: -1, Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ks.Close() })
		nocache.keys = ks
	}
	return map[string]*Store{"envelope": e.s, "envelope-nocache": nocache, "plain": &plain}
}

// benchPuts PUTs data under a new key of bucket "bench" per iteration.
func benchPuts(b *testing.B, s *Store, data []byte) {
	ctx := context.Background()
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Reset(data)
		if _, err := s.PutObject(ctx, PutInput{Bucket: "bench", Key: fmt.Sprintf("obj-%d", i), Body: r, Size: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkPutObject4KiB(b *testing.B) {
	data := randBytes(1, 4<<10)
	for _, name := range []string{"envelope", "plain"} {
		b.Run(name, func(b *testing.B) {
			s := benchStores(b)[name]
			benchPuts(b, s, data)
		})
	}
}

func BenchmarkGetObject4KiB(b *testing.B) {
	data := randBytes(2, 4<<10)
	for _, name := range []string{"envelope", "envelope-nocache", "plain"} {
		b.Run(name, func(b *testing.B) {
			s := benchStores(b)[name]
			ctx := context.Background()
			put(b, s, "bench", "obj", data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				obj, err := s.GetObject(ctx, GetInput{Bucket: "bench", Key: "obj"})
				if err != nil {
					b.Fatal(err)
				}
				if n, err := obj.WriteTo(ctx, io.Discard); err != nil || n != int64(len(data)) {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// BenchmarkPutObject4KiBSealed is a small PUT of a new key with the
// metadata sealed as the server runs it (storage/sealed over the local
// backend without its key index), and with the local index kept under the
// wrapper, to measure what the index costs a write.
func BenchmarkPutObject4KiBSealed(b *testing.B) {
	data := randBytes(1, 4<<10)
	for _, name := range []string{"noindex", "localindex"} {
		b.Run(name, func(b *testing.B) {
			e := &testEnv{t: b, dir: b.TempDir(), keyPath: filepath.Join(b.TempDir(), "root.key"),
				sealed: true, localIndex: name == "localindex"}
			e.s = e.open()
			e.bucket("bench")
			benchPuts(b, e.s, data)
		})
	}
}
