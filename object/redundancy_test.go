package object

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestParseRedundancy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Redundancy
		ok   bool
	}{
		{"4+2", RedundancyEC42, true},
		{"3x", Redundancy3x, true},
		{"3X", Redundancy3x, true},
		{"4x", Redundancy{1, 3}, true},
		{"8+3", Redundancy{8, 3}, true},
		{"2x", Redundancy{}, false},   // one lost OSD away from loss
		{"4+1", Redundancy{}, false},  // likewise
		{"0+2", Redundancy{}, false},  // no data shard
		{"60+5", Redundancy{}, false}, // beyond the coder's 64 shards
		{"65x", Redundancy{}, false},
		{"", Redundancy{}, false},
		{"x", Redundancy{}, false},
		{"+", Redundancy{}, false},
		{"4+", Redundancy{}, false},
		{"+2", Redundancy{}, false},
		{"a+b", Redundancy{}, false},
		{" 3x", Redundancy{}, false},
		{"-1+3", Redundancy{}, false},
		{"4+2+1", Redundancy{}, false},
		{"3x3", Redundancy{}, false},
		{"replicated", Redundancy{}, false},
	} {
		got, err := ParseRedundancy(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseRedundancy(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
				continue
			}
			if back, err := ParseRedundancy(got.String()); err != nil || back != got {
				t.Errorf("%v does not round-trip through %q: %v %v", got, got.String(), back, err)
			}
		} else if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseRedundancy(%q) = %v, %v; want ErrInvalidArgument", tc.in, got, err)
		}
	}
}

// TestCreateBucketRedundancyPlacement: layouts the six OSDs in three racks
// cannot hold with every rack's share within the parity are refused.
func TestCreateBucketRedundancyPlacement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		r    Redundancy
		ok   bool
	}{
		{"ok-3x", Redundancy3x, true},
		{"ok-42", RedundancyEC42, true},
		{"ok-22", Redundancy{2, 2}, true},
		{"ok-4x", Redundancy{1, 3}, true},
		{"too-wide", Redundancy{5, 2}, false}, // 7 shards on 6 OSDs
		{"rack-share", Redundancy{3, 2}, true},
		{"too-many", Redundancy{8, 3}, false},
	} {
		err := e.s.CreateBucketWith(ctx, CreateBucketInput{Bucket: tc.name, Owner: "alice", Redundancy: tc.r})
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s (%v): %v", tc.name, tc.r, err)
		case !tc.ok && !errors.Is(err, ErrInvalidArgument):
			t.Errorf("%s (%v): %v; want ErrInvalidArgument", tc.name, tc.r, err)
		case !tc.ok:
			if _, err := e.s.HeadBucket(ctx, tc.name); !errors.Is(err, ErrNoSuchBucket) {
				t.Errorf("refused bucket %s exists: %v", tc.name, err)
			}
		}
	}
}

// TestBucket3x: a 3x bucket keeps three copies in three racks for PUT,
// multipart and copy; any two may be lost; heal restores them.
func TestBucket3x(t *testing.T) {
	e := newEnv(t)
	needRepair(t, e)
	smallParts(e.s)
	ctx := context.Background()
	if err := e.s.CreateBucketWith(ctx, CreateBucketInput{Bucket: "rep", Owner: "alice", Redundancy: Redundancy3x}); err != nil {
		t.Fatal(err)
	}
	e.bucket("ecb")
	if info, err := e.s.HeadBucket(ctx, "rep"); err != nil || info.Redundancy != Redundancy3x {
		t.Fatalf("HeadBucket(rep) = %+v, %v", info, err)
	}
	if info, err := e.s.HeadBucket(ctx, "ecb"); err != nil || info.Redundancy != RedundancyEC42 {
		t.Fatalf("HeadBucket(ecb) = %+v, %v; want the default 4+2", info, err)
	}
	data := randBytes(31, 3*testChunk+17)
	put(t, e.s, "rep", "obj", data)
	e.wantShards(3)
	put(t, e.s, "ecb", "src", data)
	e.wantShards(3 + 6)
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "ecb", SrcKey: "src", Owner: "alice"}, "rep", "copy"); err != nil {
		t.Fatal(err)
	}
	e.wantShards(3 + 6 + 3)
	up, err := e.s.CreateMultipartUpload(ctx, "rep", "mpu", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := randBytes(32, 2*testChunk), randBytes(33, 999)
	i1 := uploadPart(t, e.s, "rep", "mpu", up.UploadID, 1, p1)
	i2 := uploadPart(t, e.s, "rep", "mpu", up.UploadID, 2, p2)
	e.wantShards(3 + 6 + 3 + 2*3)
	if _, err := e.s.CompleteMultipartUpload(ctx, "rep", "mpu", up.UploadID,
		[]CompletePart{{PartNumber: 1, ETag: i1.ETag}, {PartNumber: 2, ETag: i2.ETag}}, CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	whole := append(append([]byte(nil), p1...), p2...)

	racks := map[string]string{}
	for _, o := range e.s.backend.OSDs() {
		racks[o.ID()] = o.Rack()
	}
	for _, key := range []string{"obj", "copy", "mpu"} {
		m, _, err := e.s.openManifest(ctx, "rep", key)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Parts {
			if p.K != 1 || p.M != 2 || len(p.OSDs) != 3 {
				t.Fatalf("%s part %d stored as %d+%d on %v", key, p.Number, p.K, p.M, p.OSDs)
			}
			seen := map[string]bool{}
			for _, id := range p.OSDs {
				seen[racks[id]] = true
			}
			if len(seen) != 3 {
				t.Fatalf("%s part %d copies in racks %v, want three racks", key, p.Number, seen)
			}
		}
	}

	// Lose two copies of the single-part object: it still reads, heal
	// restores 3/3, and then the other two copies may go.
	id := e.dataIDOf(e.s, "rep", "obj")
	e.removeShardFiles(id, 0, 1)
	if got := mustRead(t, e.s, "rep", "obj"); !bytes.Equal(got, data) {
		t.Fatal("3x object with two copies gone reads other bytes")
	}
	res, err := e.s.HealObject(ctx, "rep", "obj", HealOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ShardsRepaired != 2 || res.Unrecoverable != 0 || res.ByRedundancy[ShardHealth{3, 3}].Objects != 1 {
		t.Fatalf("HealObject = %+v", res)
	}
	e.removeShardFiles(e.dataIDOf(e.s, "rep", "obj"), 1, 2)
	if got := mustRead(t, e.s, "rep", "obj"); !bytes.Equal(got, data) {
		t.Fatal("healed 3x object reads other bytes")
	}
	if got := mustRead(t, e.s, "rep", "copy"); !bytes.Equal(got, data) {
		t.Fatal("copy into the 3x bucket reads other bytes")
	}
	if got := mustRead(t, e.s, "rep", "mpu"); !bytes.Equal(got, whole) {
		t.Fatal("3x multipart object reads other bytes")
	}
	// All three copies gone: unrecoverable, reported as 0/3.
	e.removeShardFiles(e.dataIDOf(e.s, "rep", "copy"), 0, 1, 2)
	res, err = e.s.HealObject(ctx, "rep", "copy", HealOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unrecoverable != 1 || res.ByRedundancy[ShardHealth{0, 3}].Objects != 1 {
		t.Fatalf("HealObject of a lost 3x object = %+v", res)
	}
	if _, _, err := read(t, e.s, GetInput{Bucket: "rep", Key: "copy"}); !errors.Is(err, ErrDataUnavailable) {
		t.Fatalf("GET of a 3x object with every copy gone: %v; want ErrDataUnavailable", err)
	}
}

// TestDefaultRedundancy: Options.Redundancy is recorded in buckets created
// without a layout of their own and never changes them afterwards.
func TestDefaultRedundancy(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Redundancy = Redundancy3x })
	ctx := context.Background()
	e.bucket("dflt")
	if err := e.s.CreateBucketWith(ctx, CreateBucketInput{Bucket: "wide", Owner: "alice", Redundancy: RedundancyEC42}); err != nil {
		t.Fatal(err)
	}
	put(t, e.s, "dflt", "a", randBytes(40, 5000))
	e.wantShards(3)
	put(t, e.s, "wide", "b", randBytes(41, 5000))
	e.wantShards(3 + 6)
	// A gateway started with another default serves the buckets as created.
	s2 := e.open()
	if info, err := s2.HeadBucket(ctx, "dflt"); err != nil || info.Redundancy != Redundancy3x {
		t.Fatalf("HeadBucket(dflt) on a 4+2 gateway = %+v, %v", info, err)
	}
	put(t, s2, "dflt", "c", randBytes(42, 5000))
	e.wantShards(3 + 6 + 3)

	_, err := newStore(Options{Backend: e.s.backend, Engine: e.s.engine, Redundancy: Redundancy{5, 2}}, e.s.keys)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a default layout wider than the cluster: %v; want ErrInvalidArgument", err)
	}
}

// FuzzParseRedundancy: the x-rustfs-redundancy header never panics, and
// what it accepts keeps the two-OSD promise and round-trips.
func FuzzParseRedundancy(f *testing.F) {
	for _, s := range []string{"4+2", "3x", "8+3", "2x", "4+1", "", "+", "x", "99999999999999999999x", "1+-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRedundancy(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("%q: error %v not ErrInvalidArgument", s, err)
			}
			return
		}
		if r.K < 1 || r.M < minParity || r.K+r.M > 64 {
			t.Fatalf("%q accepted as %+v", s, r)
		}
		if back, err := ParseRedundancy(r.String()); err != nil || back != r {
			t.Fatalf("%q: %+v does not round-trip: %+v %v", s, r, back, err)
		}
	})
}
