package rados

import (
	"encoding/binary"
	"errors"
)

// errCorrupt reports a commit or value record that does not parse: foreign
// or damaged objects in the pools.
var errCorrupt = errors.New("rados: corrupt record")

// Shard commit record, the value of xattr commitXattr on piece 0:
//
//	"RFSC" | format u8 = 1 | 3 zero bytes | size u64 LE | piece size u64 LE
const (
	commitXattr   = "rustfs.commit"
	commitMagic   = "RFSC"
	commitFormat  = 1
	commitLen     = 24
	maxObjectSize = 128 << 20 // Ceph's osd_max_object_size default
)

// encodeCommit returns the commit record of a shard of size bytes cut into
// pieces of pieceSize bytes.
func encodeCommit(size, pieceSize int64) []byte {
	b := make([]byte, commitLen)
	copy(b, commitMagic)
	b[4] = commitFormat
	binary.LittleEndian.PutUint64(b[8:], uint64(size))
	binary.LittleEndian.PutUint64(b[16:], uint64(pieceSize))
	return b
}

// decodeCommit parses a commit record.
func decodeCommit(b []byte) (size, pieceSize int64, err error) {
	if len(b) != commitLen || string(b[:4]) != commitMagic || b[4] != commitFormat || b[5]|b[6]|b[7] != 0 {
		return 0, 0, errCorrupt
	}
	s := binary.LittleEndian.Uint64(b[8:])
	p := binary.LittleEndian.Uint64(b[16:])
	if s > 1<<62 || p == 0 || p > maxObjectSize {
		return 0, 0, errCorrupt
	}
	return int64(s), int64(p), nil
}

// Meta value record, the omap value under dataPrefix+key:
//
//	format u8 = 1 | version u64 BE | value bytes
const (
	valueFormat = 1
	valueHeader = 9
)

// encodeValue returns the value record of val at version v.
func encodeValue(val []byte, v uint64) []byte {
	b := make([]byte, valueHeader+len(val))
	b[0] = valueFormat
	binary.BigEndian.PutUint64(b[1:], v)
	copy(b[valueHeader:], val)
	return b
}

// decodeValue parses a value record; val aliases b.
func decodeValue(b []byte) (val []byte, v uint64, err error) {
	if len(b) < valueHeader || b[0] != valueFormat {
		return nil, 0, errCorrupt
	}
	v = binary.BigEndian.Uint64(b[1:])
	if v == 0 {
		return nil, 0, errCorrupt
	}
	return b[valueHeader:], v, nil
}
