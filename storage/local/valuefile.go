package local

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/tasmaniancloud/rustfs/storage"
)

// A Meta value file is
//
//	"RFMV" | format u8 = 1 | 3 zero bytes | version u64 | key length u32 |
//	value length u32 | key | value | CRC-32C of everything before, u32
//
// all little-endian. The key is stored so that hash-named files can be
// listed and so that a scrubber can check every file against its name; the
// CRC catches bit rot and torn files left by a foreign writer.
const (
	valueMagic   = "RFMV"
	valueFormat  = 1
	valueHeader  = 24
	valueTrailer = 4
	// maxValueFile bounds what Get will read before it even parses.
	maxValueFile = valueHeader + storage.MaxKeyLen + storage.MaxValueLen + valueTrailer
)

// errCorrupt reports a value file that does not parse or fails its CRC.
var errCorrupt = errors.New("local: corrupt metadata file")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeValue returns the file image of (key, val) at version v.
func encodeValue(key string, val []byte, v storage.Version) []byte {
	b := make([]byte, valueHeader, valueHeader+len(key)+len(val)+valueTrailer)
	copy(b, valueMagic)
	b[4] = valueFormat
	binary.LittleEndian.PutUint64(b[8:], uint64(v))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(key)))
	binary.LittleEndian.PutUint32(b[20:], uint32(len(val)))
	b = append(b, key...)
	b = append(b, val...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeHeader parses the fixed header, returning the version and the
// lengths of the key and the value.
func decodeHeader(b []byte) (v storage.Version, klen, vlen int, err error) {
	if len(b) < valueHeader || string(b[:4]) != valueMagic || b[4] != valueFormat ||
		b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return 0, 0, 0, fmt.Errorf("%w: bad header", errCorrupt)
	}
	v = storage.Version(binary.LittleEndian.Uint64(b[8:]))
	k := binary.LittleEndian.Uint32(b[16:])
	n := binary.LittleEndian.Uint32(b[20:])
	if v == 0 || k > storage.MaxKeyLen || n > storage.MaxValueLen {
		return 0, 0, 0, fmt.Errorf("%w: bad header fields", errCorrupt)
	}
	return v, int(k), int(n), nil
}

// decodeValue parses a whole file image. The returned value aliases b.
func decodeValue(b []byte) (key string, val []byte, v storage.Version, err error) {
	v, klen, vlen, err := decodeHeader(b)
	if err != nil {
		return "", nil, 0, err
	}
	if len(b) != valueHeader+klen+vlen+valueTrailer {
		return "", nil, 0, fmt.Errorf("%w: %d bytes, header says %d", errCorrupt, len(b), valueHeader+klen+vlen+valueTrailer)
	}
	body := b[:len(b)-valueTrailer]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(body):]) {
		return "", nil, 0, fmt.Errorf("%w: CRC mismatch", errCorrupt)
	}
	key = string(body[valueHeader : valueHeader+klen])
	return key, body[valueHeader+klen : len(body) : len(body)], v, nil
}
