package chunker

import (
	"fmt"
	"io"
)

// DefaultChunkSize is the plaintext chunk size used when none is configured.
const DefaultChunkSize = 1 << 20

// Chunk is one piece of the stream. Data holds N valid bytes in Data.B[:N];
// the receiver owns one reference and must Release it.
type Chunk struct {
	Index  uint64
	Data   *Buf
	N      int
	CRC32C uint32 // CRC-32C of Data.B[:N]
	Final  bool   // no bytes follow this chunk
}

// Bytes returns the chunk's valid bytes.
func (c Chunk) Bytes() []byte { return c.Data.B[:c.N] }

// Chunker splits a reader into chunks of the pool's buffer size. It is not
// safe for concurrent use; one goroutine (the pipeline's reader stage) drives
// it.
type Chunker struct {
	r       io.Reader
	pool    *Pool
	noCRC   bool
	expect  int64 // declared stream length, -1 unknown
	next    uint64
	total   int64
	peek    [1]byte
	hasPeek bool
	done    bool
	err     error
}

// New returns a chunker reading r into buffers from p. Every chunk carries
// its CRC32C.
func New(r io.Reader, p *Pool) *Chunker { return &Chunker{r: r, pool: p, expect: -1} }

// NewNoCRC is New for a caller that has no use for the chunk CRC32Cs:
// Chunk.CRC32C stays zero and no pass over the bytes is made for it (the
// PUT pipeline's default: the whole-stream CRC32C nobody asked for would
// cost a pass over every body byte).
func NewNoCRC(r io.Reader, p *Pool) *Chunker {
	return &Chunker{r: r, pool: p, noCRC: true, expect: -1}
}

// Expect tells the chunker, before the first Next, that the stream should
// hold n ≥ 0 bytes. A full chunk that ends short of n is then known not to
// be the last and comes back without the one-byte look-ahead, which on a
// socket costs a read (and a refill of the reader's buffer) per chunk. The
// chunk that reaches n still looks ahead, so a longer stream is still
// noticed by its reader (the PUT pipeline's limit turns that byte into
// ErrTooLarge); a stream that ends early yields a Final chunk, possibly
// empty, and Total shows it was short.
func (c *Chunker) Expect(n int64) {
	if n >= 0 {
		c.expect = n
	}
}

// Total is the number of bytes delivered in chunks so far.
func (c *Chunker) Total() int64 { return c.total }

// Next returns the next chunk. After the Final chunk it returns io.EOF; a
// read error is returned (wrapped) and repeated on every later call. An empty
// stream yields one empty Final chunk.
//
// To know whether a full chunk is the last one, Next reads one byte ahead and
// carries it into the following chunk; that costs one small Read per chunk
// (none before the expected end, see Expect) and keeps only one buffer in
// the chunker.
func (c *Chunker) Next() (Chunk, error) {
	if c.err != nil {
		return Chunk{}, c.err
	}
	if c.done {
		return Chunk{}, io.EOF
	}
	b := c.pool.Get()
	buf := b.B
	n := 0
	if c.hasPeek {
		buf[0] = c.peek[0]
		n, c.hasPeek = 1, false
	}
	var crc uint32
	if !c.noCRC {
		crc = UpdateCRC32C(0, buf[:n]) // the carried look-ahead byte, if any
	}
	m, crc, err := fillCRC(c.r, buf[n:], crc, !c.noCRC)
	n += m
	final := false
	switch {
	case err == nil && c.expect >= 0 && c.total+int64(n) < c.expect:
		// Full buffer, more bytes due: not the last chunk.
	case err == nil:
		// Full buffer: peek one byte to learn whether this is the end.
		k, _, perr := fillCRC(c.r, c.peek[:], 0, false)
		switch {
		case k == 1 && (perr == nil || perr == io.EOF):
			c.hasPeek = true
		case k == 0 && perr == io.EOF:
			final = true
		default:
			b.Release()
			c.err = fmt.Errorf("chunker: read after chunk %d: %w", c.next, perr)
			return Chunk{}, c.err
		}
	case err == io.EOF:
		final = true
	default:
		b.Release()
		c.err = fmt.Errorf("chunker: read chunk %d: %w", c.next, err)
		return Chunk{}, c.err
	}
	ch := Chunk{Index: c.next, Data: b, N: n, CRC32C: crc, Final: final}
	c.next++
	c.total += int64(n)
	c.done = final
	return ch, nil
}

// maxEmptyReads bounds how many (0, nil) results fillCRC tolerates in a row
// before giving up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// readBlock caps a single Read so the bytes just read are still in cache
// (L2) when they are checksummed (without a CRC a Read may fill the rest
// of the chunk at once). 256 KiB rather than 64 KiB: a socket
// read is a syscall, and on virtualised hosts (PVM) each one costs several
// microseconds; a 1 MiB chunk now takes 4 reads when the socket has the
// bytes instead of 16 (docs/PERFORMANCE.md, "Issue 13: the server").
const readBlock = 256 << 10

// fillCRC reads until p is full or the reader fails, folding each block into
// crc right after it arrives (when withCRC) (one pass over cache-hot bytes instead of a
// second pass over the whole chunk). Unlike io.ReadFull it reports a
// reader's own error unchanged: only a plain io.EOF means "end of stream",
// while io.ErrUnexpectedEOF (an HTTP body cut short) stays an error rather
// than being mistaken for a clean end.
func fillCRC(r io.Reader, p []byte, crc uint32, withCRC bool) (int, uint32, error) {
	n, empty := 0, 0
	for n < len(p) {
		end := len(p)
		if withCRC {
			end = min(n+readBlock, end)
		}
		m, err := r.Read(p[n:end])
		if withCRC {
			crc = UpdateCRC32C(crc, p[n:n+m])
		}
		n += m
		if err != nil {
			return n, crc, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyReads {
			return n, crc, io.ErrNoProgress
		}
	}
	return n, crc, nil
}
