//go:build ceph

package rados

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ceph/go-ceph/rados"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Backend is the RADOS storage.Backend: one librados connection, one I/O
// context per pool (librados I/O contexts are thread-safe), the shard slots
// and the omap metadata store.
type Backend struct {
	opts  Options
	conn  *rados.Conn
	pools []*rados.IOContext // data pools, in Options.DataPools order
	meta  *Meta
	osds  []storage.OSD
	bufs  sync.Pool // *[]byte of cap WriteSize, shared by all shard writers
	// cleanups tracks background removal of failed shards; Close waits.
	cleanups sync.WaitGroup

	closeOnce sync.Once
}

var _ storage.Backend = (*Backend)(nil)

const (
	// verIOs is the number of I/O contexts reserved for version-asserting
	// metadata cleanups (see Meta.dropIfEmpty).
	verIOs = 4
	// formatObject in the metadata pool records on-cluster format
	// parameters every gateway must agree on, as xattrs.
	formatObject = "rustfs.format"
	formatXattr  = "meta-shards"
)

// Open connects to the cluster, opens the pools and checks the metadata
// format. A cluster that does not answer within ConnectTimeout gives an
// error wrapping storage.ErrUnavailable; a missing pool one wrapping
// storage.ErrNotFound.
func Open(o Options) (*Backend, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	conn, err := connect(o)
	if err != nil {
		return nil, err
	}
	b := &Backend{opts: o, conn: conn}
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	b.bufs.New = func() any {
		buf := make([]byte, 0, o.WriteSize)
		return &buf
	}

	metaIO, err := openIO(conn, o.MetaPool, o.Namespace)
	if err != nil {
		return nil, fmt.Errorf("rados: open metadata pool %q: %w", o.MetaPool, classify(err))
	}
	b.meta = &Meta{io: metaIO, shards: o.MetaShards, now: time.Now, verIO: make(chan *rados.IOContext, verIOs)}
	for range verIOs {
		io, err := openIO(conn, o.MetaPool, o.Namespace)
		if err != nil {
			return nil, fmt.Errorf("rados: open metadata pool %q: %w", o.MetaPool, classify(err))
		}
		b.meta.verIO <- io
	}
	if err := b.checkFormat(); err != nil {
		return nil, err
	}

	for _, p := range o.DataPools {
		io, err := openIO(conn, p.Pool, o.Namespace)
		if err != nil {
			return nil, fmt.Errorf("rados: open data pool %q: %w", p.Pool, classify(err))
		}
		b.pools = append(b.pools, io)
	}
	// Slot-major order (rack0-a, rack1-a, rack2-a, rack0-b, ...): any prefix of
	// OSDs() is already rack-spread, for callers that do not use Place.
	for s := 0; s < o.OSDsPerRack; s++ {
		for i, p := range o.DataPools {
			b.osds = append(b.osds, &OSD{
				b:    b,
				io:   b.pools[i],
				id:   p.Rack + "-" + string(rune('a'+s)),
				rack: p.Rack,
				pool: p.Pool,
			})
		}
	}
	ok = true
	return b, nil
}

// openIO opens an I/O context on pool, bound to RADOS namespace ns. The
// namespace is set before the context is shared and never changes.
func openIO(conn *rados.Conn, pool, ns string) (*rados.IOContext, error) {
	io, err := conn.OpenIOContext(pool)
	if err != nil {
		return nil, err
	}
	io.SetNamespace(ns)
	return io, nil
}

// connect creates the connection with bounded timeouts and connects.
func connect(o Options) (*rados.Conn, error) {
	conn, err := rados.NewConnWithUser(o.User)
	if err != nil {
		return nil, fmt.Errorf("rados: new connection: %w", err)
	}
	if o.ConfPath != "" {
		err = conn.ReadConfigFile(o.ConfPath)
	} else {
		err = conn.ReadDefaultConfigFile()
	}
	if err != nil {
		conn.Shutdown()
		return nil, fmt.Errorf("rados: read conf %q: %w", o.ConfPath, err)
	}
	set := [][2]string{
		{"client_mount_timeout", seconds(o.ConnectTimeout)},
		{"rados_osd_op_timeout", seconds(o.OpTimeout)},
		{"rados_mon_op_timeout", seconds(o.OpTimeout)},
		// Several connections in one process must not fight over one socket.
		{"admin_socket", ""},
	}
	if o.Keyring != "" {
		set = append(set, [2]string{"keyring", o.Keyring})
	}
	for _, kv := range set {
		if err := conn.SetConfigOption(kv[0], kv[1]); err != nil {
			conn.Shutdown()
			return nil, fmt.Errorf("rados: set %s=%q: %w", kv[0], kv[1], err)
		}
	}
	if err := conn.Connect(); err != nil {
		conn.Shutdown()
		return nil, fmt.Errorf("rados: connect as client.%s (conf %q): %w", o.User, o.ConfPath, classify(err))
	}
	return conn, nil
}

// checkFormat records MetaShards in the metadata pool on first use (one
// atomic exclusive create + xattr) and refuses a different value later: a
// gateway with another shard count would look for keys in the wrong objects.
func (b *Backend) checkFormat() error {
	want := strconv.Itoa(b.opts.MetaShards)
	op := rados.CreateWriteOp()
	op.Create(rados.CreateExclusive)
	op.SetXattr(formatXattr, []byte(want))
	err := op.Operate(b.meta.io, formatObject, rados.OperationNoFlag)
	op.Release()
	if err == nil {
		return nil
	}
	if !errors.Is(err, rados.ErrObjectExists) {
		return fmt.Errorf("rados: record format in %q: %w", b.opts.MetaPool, classify(err))
	}
	buf := make([]byte, 16)
	n, err := b.meta.io.GetXattr(formatObject, formatXattr, buf)
	if err != nil {
		return fmt.Errorf("rados: read format from %q: %w", b.opts.MetaPool, classify(err))
	}
	if got := string(buf[:n]); got != want {
		return fmt.Errorf("rados: pool %q uses %s metadata shards, Options.MetaShards is %s", b.opts.MetaPool, got, want)
	}
	return nil
}

// OSDs returns the shard slots, rack-interleaved: rack0-a, rack1-a, …
func (b *Backend) OSDs() []storage.OSD { return append([]storage.OSD(nil), b.osds...) }

// Meta returns the omap metadata store.
func (b *Backend) Meta() storage.Meta { return b.meta }

// Options returns the options in effect, defaults filled in.
func (b *Backend) Options() Options { return b.opts }

// Close releases the I/O contexts and the connection. Shard readers and
// writers must not be used afterwards.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.cleanups.Wait()
		for _, io := range b.pools {
			io.Destroy()
		}
		if b.meta != nil {
			if b.meta.io != nil {
				b.meta.io.Destroy()
			}
			for len(b.meta.verIO) > 0 {
				(<-b.meta.verIO).Destroy()
			}
		}
		b.conn.Shutdown()
	})
	return nil
}

// getBuf returns an empty pooled write buffer.
func (b *Backend) getBuf() *[]byte {
	p := b.bufs.Get().(*[]byte)
	*p = (*p)[:0]
	return p
}

// putBuf returns a write buffer to the pool.
func (b *Backend) putBuf(p *[]byte) { b.bufs.Put(p) }
