package local

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/tasmaniancloud/rustfs/storage"
)

// A Meta value file (one replica's copy of one key) is
//
//	"RFMV" | format u8 = 2 | flags u8 | 2 zero bytes | version u64 |
//	key length u32 | value length u32 | key | value | CRC-32C of everything before, u32
//
// all little-endian. flags bit 0 marks a tombstone (a deleted key, value
// empty): replicas keep it so that a stale replica returning later cannot
// resurrect the key. The key is stored so that hash-named files can be
// listed and so that a scrubber can check every file against its name; the
// CRC catches bit rot and torn files left by a foreign writer. Format 1
// (the single-copy layout, flags always 0) is still decoded for migration.
const (
	valueMagic   = "RFMV"
	valueFormat  = 2
	valueHeader  = 24
	valueTrailer = 4
	// maxValueFile bounds what Get will read before it even parses.
	maxValueFile = valueHeader + storage.MaxKeyLen + storage.MaxValueLen + valueTrailer

	flagTombstone = 1
)

// ErrCorrupt reports a metadata value none of whose copies is valid (each
// fails to parse or its CRC): the key alone is affected, and an
// unconditional Put or Delete of it still works.
// It wraps storage.ErrCorrupt, which is what backend-neutral callers test.
var ErrCorrupt = fmt.Errorf("local: corrupt metadata file: %w", storage.ErrCorrupt)

// errCorrupt is ErrCorrupt under the name the package uses.
var errCorrupt = ErrCorrupt

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is one decoded copy of a key.
type record struct {
	key    string
	val    []byte
	v      storage.Version
	tomb   bool
	format byte
}

// encodeValue returns the file image of (key, val) at version v.
func encodeValue(key string, val []byte, v storage.Version) []byte {
	return encodeRecord(record{key: key, val: val, v: v, format: valueFormat})
}

// encodeTombstone returns the file image of a deletion of key at version v.
func encodeTombstone(key string, v storage.Version) []byte {
	return encodeRecord(record{key: key, v: v, tomb: true, format: valueFormat})
}

func encodeRecord(r record) []byte {
	b := make([]byte, valueHeader, valueHeader+len(r.key)+len(r.val)+valueTrailer)
	copy(b, valueMagic)
	b[4] = r.format
	if r.tomb {
		b[5] = flagTombstone
	}
	binary.LittleEndian.PutUint64(b[8:], uint64(r.v))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(r.key)))
	binary.LittleEndian.PutUint32(b[20:], uint32(len(r.val)))
	b = append(b, r.key...)
	b = append(b, r.val...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeHeader parses the fixed header, returning the version, the lengths
// of the key and the value, and the flags.
func decodeHeader(b []byte) (v storage.Version, klen, vlen int, flags byte, err error) {
	if len(b) < valueHeader || string(b[:4]) != valueMagic || (b[4] != valueFormat && b[4] != 1) ||
		b[6] != 0 || b[7] != 0 {
		return 0, 0, 0, 0, fmt.Errorf("%w: bad header", errCorrupt)
	}
	flags = b[5]
	v = storage.Version(binary.LittleEndian.Uint64(b[8:]))
	k := binary.LittleEndian.Uint32(b[16:])
	n := binary.LittleEndian.Uint32(b[20:])
	if v == 0 || k > storage.MaxKeyLen || n > storage.MaxValueLen ||
		flags&^flagTombstone != 0 || (b[4] == 1 && flags != 0) || (flags&flagTombstone != 0 && n != 0) {
		return 0, 0, 0, 0, fmt.Errorf("%w: bad header fields", errCorrupt)
	}
	return v, int(k), int(n), flags, nil
}

// decodeRecord parses a whole file image. The returned value aliases b.
func decodeRecord(b []byte) (record, error) {
	v, klen, vlen, flags, err := decodeHeader(b)
	if err != nil {
		return record{}, err
	}
	if len(b) != valueHeader+klen+vlen+valueTrailer {
		return record{}, fmt.Errorf("%w: %d bytes, header says %d", errCorrupt, len(b), valueHeader+klen+vlen+valueTrailer)
	}
	body := b[:len(b)-valueTrailer]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(body):]) {
		return record{}, fmt.Errorf("%w: CRC mismatch", errCorrupt)
	}
	return record{
		key:    string(body[valueHeader : valueHeader+klen]),
		val:    body[valueHeader+klen : len(body) : len(body)],
		v:      v,
		tomb:   flags&flagTombstone != 0,
		format: b[4],
	}, nil
}

// decodeValue parses a live value's file image (tests and fuzzing).
func decodeValue(b []byte) (key string, val []byte, v storage.Version, err error) {
	r, err := decodeRecord(b)
	if err != nil {
		return "", nil, 0, err
	}
	return r.key, r.val, r.v, nil
}
