package manifest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sample returns a manifest with every field set, three parts sharing OSDs,
// and one shard never written.
func sample() *Manifest {
	osds := []string{"osd3", "osd1", "osd4", "osd0", "osd5", "osd2"}
	return &Manifest{
		Bucket: "photos", Key: "2024/été/plage.jpg", Size: 12<<20 + 5, ETag: `"0123456789abcdef0123456789abcdef-3"`,
		Modified: 1_735_689_600_123_456_789, Owner: "root",
		ContentType: "image/jpeg", ContentEncoding: "identity", ContentDisposition: `attachment; filename="a.jpg"`,
		ContentLanguage: "fr", CacheControl: "max-age=60", Expires: "Wed, 21 Oct 2026 07:28:00 GMT",
		UserMeta:     map[string]string{"color": "blue", "camera": "x100", "ünï": "cödé"},
		Checksums:    map[string]string{"crc64nvme": "AAAAAAAAAAA=", "crc32c": "AAAAAA=="},
		ChecksumType: "COMPOSITE",
		UploadID:     "upload-42",
		Parts: []Part{
			{Number: 1, DataID: [16]byte{1, 2, 3}, Size: 5 << 20, ChunkSize: 1 << 20, K: 4, M: 2, OSDs: osds,
				ETag: `"aa"`, Checksums: map[string]string{"crc32c": "AQIDBA=="}},
			{Number: 2, DataID: [16]byte{4, 5, 6}, Size: 5 << 20, ChunkSize: 1 << 20, K: 4, M: 2,
				OSDs: []string{"osd1", "osd0", "", "osd7", "osd5", "osd2"}, ETag: `"bb"`},
			{Number: 3, DataID: [16]byte{7, 8, 9}, Size: 2<<20 + 5, ChunkSize: 1 << 20, K: 4, M: 2, OSDs: osds, ETag: `"cc"`},
		},
		Envelope: Envelope{
			Suite: 1, RootKeyID: "local:abcd", CustomerKeyID: "cust/7",
			KEMCiphertext: bytes.Repeat([]byte{0xc7}, 1120), Salt: bytes.Repeat([]byte{0x5a}, 32),
			Commitment: bytes.Repeat([]byte{0xcc}, 32),
		},
		SigKeyID:  "local:abcd/sig/1",
		Signature: bytes.Repeat([]byte{0x51}, 3309),
	}
}

// single returns a typical single-PUT manifest.
func single() *Manifest {
	return &Manifest{
		Bucket: "b", Key: "k", Size: 3, ETag: `"etag"`, Modified: 1, Owner: "root",
		Parts: []Part{{Number: 0, DataID: [16]byte{0xff}, Size: 3, ChunkSize: 1 << 20, K: 4, M: 2,
			OSDs: []string{"osd0", "osd1", "osd2", "osd3", "osd4", "osd5"}}},
		Envelope:  Envelope{Suite: 1, KEMCiphertext: []byte{1}, Salt: []byte{2}, Commitment: []byte{3}},
		SigKeyID:  "s",
		Signature: []byte{4},
	}
}

// many returns a manifest at the part-count limit.
func many() *Manifest {
	m := &Manifest{Bucket: "b", Key: "big", UploadID: "u"}
	for i := range MaxParts {
		osds := make([]string, 6)
		for j := range osds {
			osds[j] = fmt.Sprintf("osd%d", (i+j)%12)
		}
		m.Parts = append(m.Parts, Part{Number: uint32(i + 1), DataID: [16]byte{byte(i), byte(i >> 8)},
			Size: 5 << 20, ChunkSize: 1 << 20, K: 4, M: 2, OSDs: osds, ETag: `"0123456789abcdef0123456789abcdef"`})
		m.Size += 5 << 20
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	for name, m := range map[string]*Manifest{
		"zero": {}, "sample": sample(), "single": single(), "many": many(),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, m)
			}
			again, err := got.Marshal()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-Marshal differs (%v)", err)
			}
		})
	}
}

func TestManyPartsFitsMetaValue(t *testing.T) {
	b, err := many().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 parts must fit a 1 MiB storage.Meta value.
	if len(b) > 1<<20 {
		t.Fatalf("10,000-part manifest is %d bytes, over 1 MiB", len(b))
	}
}

func TestMarshalDeterministic(t *testing.T) {
	a, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		m := sample()
		// Rebuild the maps in another insertion order.
		um := map[string]string{}
		for _, k := range []string{"ünï", "color", "camera"} {
			um[k] = m.UserMeta[k]
		}
		m.UserMeta = um
		b, err := m.Marshal()
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("Marshal not deterministic (%v)", err)
		}
	}
}

// TestGolden pins the version-1 encoding: a change here breaks every
// stored manifest and signature.
func TestGolden(t *testing.T) {
	m := &Manifest{
		Bucket: "b", Key: "k", Size: 3, ETag: "e", Modified: 258, Owner: "o",
		UserMeta: map[string]string{"z": "1", "a": "2"},
		Parts: []Part{
			{Number: 1, DataID: [16]byte{0xaa}, Size: 3, ChunkSize: 16, K: 1, M: 1, OSDs: []string{"x", "y"}},
			{Number: 2, Size: 0, ChunkSize: 16, K: 1, M: 1, OSDs: []string{"y", ""}, Checksums: map[string]string{"c": "d", "s": "AQI="},
				ETag: "000102030405060708090a0b0c0d0e0f"},
		},
		Envelope:  Envelope{Suite: 1, RootKeyID: "r", Salt: []byte{9}},
		SigKeyID:  "s",
		Signature: []byte{7, 7},
	}
	want := strings.Join([]string{
		"5246534d02",   // "RFSM" v2
		"0162", "016b", // bucket "b", key "k"
		"0300000000000000",                       // size 3
		"0165",                                   // etag "e"
		"0201000000000000",                       // modified 258
		"016f",                                   // owner "o"
		"000000000000",                           // six empty content-* strings
		"02" + "0161" + "0132" + "017a" + "0131", // user meta, sorted: a=2, z=1
		"00", "00", "00",                         // checksums, checksum type, upload id
		"03" + "0178" + "0179" + "00", // OSD table: "x", "y", ""
		"02",                          // two parts
		"01" + "aa000000000000000000000000000000" + "03" + "10" + "0101" +
			"02" + "0001" + "0000" + "00", // part 1: OSDs x,y; text etag "", no checksums
		"02" + "00000000000000000000000000000000" + "00" + "10" + "0101" +
			"02" + "0102" + "01" + "000102030405060708090a0b0c0d0e0f" + // OSDs y,""; binary etag
			"02" + "0163" + "00" + "0164" + "0173" + "01" + "020102", // checksums c=d (text), s=AQI= (binary)
		"01" + "0172" + "00", // suite 1, root "r", customer ""
		"00" + "0109" + "00", // kem ct, salt {9}, commitment
		"0173" + "020707",    // sig key id "s", signature
	}, "")
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
	sb, err := m.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	wantSign := hex.EncodeToString([]byte(signingDomain)) + want[:len(want)-len("020707")] + "00"
	if got := hex.EncodeToString(sb); got != wantSign {
		t.Fatalf("signing bytes changed:\n got %s\nwant %s", got, wantSign)
	}
}

func TestSigningBytes(t *testing.T) {
	m := sample()
	sb, err := m.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sb, []byte(signingDomain)) {
		t.Fatal("SigningBytes lacks the domain prefix")
	}
	enc, _ := m.Marshal()
	if bytes.Equal(sb, enc) {
		t.Fatal("SigningBytes equals Marshal")
	}
	// The signature is not signed...
	m.Signature = []byte("other")
	if sb2, _ := m.SigningBytes(); !bytes.Equal(sb, sb2) {
		t.Fatal("SigningBytes depends on Signature")
	}
	// ...but every other field is, including SigKeyID.
	mutations := map[string]func(m *Manifest){
		"bucket":      func(m *Manifest) { m.Bucket += "x" },
		"key":         func(m *Manifest) { m.Key += "x" },
		"size":        func(m *Manifest) { m.Size++ },
		"modified":    func(m *Manifest) { m.Modified++ },
		"user meta":   func(m *Manifest) { m.UserMeta["color"] = "red" },
		"part osd":    func(m *Manifest) { m.Parts[1].OSDs[2] = "osd9" },
		"osd swap":    func(m *Manifest) { m.Parts[0].OSDs = []string{"osd1", "osd3", "osd4", "osd0", "osd5", "osd2"} },
		"part data":   func(m *Manifest) { m.Parts[2].DataID[15] ^= 1 },
		"part k":      func(m *Manifest) { m.Parts[0].K = 3 },
		"envelope":    func(m *Manifest) { m.Envelope.Salt[0] ^= 1 },
		"suite":       func(m *Manifest) { m.Envelope.Suite = 2 },
		"sig key id":  func(m *Manifest) { m.SigKeyID = "other" },
		"upload id":   func(m *Manifest) { m.UploadID = "" },
		"move string": func(m *Manifest) { m.ContentType, m.ContentEncoding = "", m.ContentType+m.ContentEncoding },
	}
	for name, mut := range mutations {
		m := sample()
		mut(m)
		got, err := m.SigningBytes()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(got, sb) {
			t.Errorf("%s: change not covered by SigningBytes", name)
		}
	}
}

func TestMarshalRejects(t *testing.T) {
	cases := map[string]func(m *Manifest){
		"negative size":         func(m *Manifest) { m.Size = -1 },
		"negative part size":    func(m *Manifest) { m.Parts[0].Size = -1 },
		"invalid UTF-8 key":     func(m *Manifest) { m.Key = "a\xffb" },
		"invalid UTF-8 bucket":  func(m *Manifest) { m.Bucket = "\xc3" },
		"invalid UTF-8 meta":    func(m *Manifest) { m.UserMeta["\xfe"] = "x" },
		"key too long":          func(m *Manifest) { m.Key = strings.Repeat("k", MaxKey+1) },
		"string too long":       func(m *Manifest) { m.ContentType = strings.Repeat("t", MaxString+1) },
		"user meta too large":   func(m *Manifest) { m.UserMeta["big"] = strings.Repeat("v", MaxUserMeta) },
		"too many checksums":    func(m *Manifest) { m.Checksums = bigMap(MaxChecksums + 1) },
		"too many part sums":    func(m *Manifest) { m.Parts[0].Checksums = bigMap(MaxChecksums + 1) },
		"too many OSDs":         func(m *Manifest) { m.Parts[0].OSDs = make([]string, MaxOSDsPerPart+1) },
		"osd id too long":       func(m *Manifest) { m.Parts[0].OSDs[0] = strings.Repeat("o", MaxString+1) },
		"too many parts":        func(m *Manifest) { m.Parts = make([]Part, MaxParts+1) },
		"kem ciphertext large":  func(m *Manifest) { m.Envelope.KEMCiphertext = make([]byte, MaxKEMCiphertext+1) },
		"salt too large":        func(m *Manifest) { m.Envelope.Salt = make([]byte, MaxBytes+1) },
		"signature too large":   func(m *Manifest) { m.Signature = make([]byte, MaxSignature+1) },
		"part etag too long":    func(m *Manifest) { m.Parts[2].ETag = strings.Repeat("e", MaxString+1) },
		"checksum value long":   func(m *Manifest) { m.Checksums["crc32c"] = strings.Repeat("c", MaxString+1) },
		"checksum key too long": func(m *Manifest) { m.Checksums[strings.Repeat("c", MaxKey+1)] = "" },
	}
	for name, mut := range cases {
		m := sample()
		mut(m)
		if _, err := m.Marshal(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Marshal err = %v, want ErrMalformed", name, err)
		}
		if _, err := m.SigningBytes(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: SigningBytes err = %v, want ErrMalformed", name, err)
		}
	}
	var nilM *Manifest
	if _, err := nilM.Marshal(); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil Marshal: %v", err)
	}
	// At the limits exactly, everything encodes.
	m := sample()
	m.Key = strings.Repeat("k", MaxKey)
	m.UserMeta = map[string]string{"k": strings.Repeat("v", MaxUserMeta-1)}
	m.Signature = make([]byte, MaxSignature)
	m.Parts[0].OSDs = make([]string, MaxOSDsPerPart)
	b, err := m.Marshal()
	if err != nil {
		t.Fatalf("manifest at the limits: %v", err)
	}
	if got, err := Unmarshal(b); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("manifest at the limits does not round-trip: %v", err)
	}
}

func bigMap(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprint(i)] = "v"
	}
	return m
}
