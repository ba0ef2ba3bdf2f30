package rados

import (
	"reflect"
	"testing"
)

func TestParseDataPools(t *testing.T) {
	good := []struct {
		in   string
		want []DataPool
	}{
		{"", nil},
		{"  ", nil},
		{"rack0=rustfs.rack0,rack1=rustfs.rack1,rack2=rustfs.rack2", DefaultDataPools()},
		{" r1 = p1 , r2=p.2 ", []DataPool{{Pool: "p1", Rack: "r1"}, {Pool: "p.2", Rack: "r2"}}},
		{"a=pool with spaces", []DataPool{{Pool: "pool with spaces", Rack: "a"}}},
	}
	for _, c := range good {
		got, err := ParseDataPools(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseDataPools(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"rack0", "=pool", "rack0=", ".r=p", "r/1=p", "r=p,r=q", "r=p,,s=q", "r=p\tq", "r=a\x00b"} {
		if got, err := ParseDataPools(in); err == nil {
			t.Errorf("ParseDataPools(%q) = %v, want an error", in, got)
		}
	}
	if s := FormatDataPools(DefaultDataPools()); s != "rack0=rustfs.rack0,rack1=rustfs.rack1,rack2=rustfs.rack2" {
		t.Errorf("FormatDataPools = %q", s)
	}
}

func FuzzParseDataPools(f *testing.F) {
	for _, s := range []string{"", "rack0=rustfs.rack0,rack1=rustfs.rack1", "a=b", "=", ",", "a=b,a=c", "x=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pools, err := ParseDataPools(s)
		if err != nil || pools == nil {
			return
		}
		again, err := ParseDataPools(FormatDataPools(pools))
		if err != nil || !reflect.DeepEqual(again, pools) {
			t.Fatalf("round trip of %q: %v, %v (first %v)", s, again, err, pools)
		}
	})
}
