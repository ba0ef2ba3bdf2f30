package s3api

import (
	"encoding/xml"
	"fmt"
	"testing"
)

type versionsDoc struct {
	Name                string
	Prefix              string
	KeyMarker           string
	VersionIdMarker     string
	NextKeyMarker       string
	NextVersionIdMarker string
	MaxKeys             int
	Delimiter           string
	IsTruncated         bool
	Version             []struct {
		Key, VersionId, ETag, StorageClass string
		IsLatest                           bool
		Size                               int64
	}
	DeleteMarker   []struct{ Key string }
	CommonPrefixes []struct{ Prefix string }
}

func listVersions(t *testing.T, e *testEnv, query string) versionsDoc {
	t.Helper()
	got := e.do(req{path: "/bkt", query: "versions&" + query})
	mustStatus(t, got, 200, "")
	var d versionsDoc
	if err := xml.Unmarshal(got.body, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestListObjectVersions: an unversioned bucket lists every object as its
// one null version, with S3's paging by key-marker, prefixes and
// delimiters, so tools that empty buckets through versions work.
func TestListObjectVersions(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, k := range []string{"a/1", "a/2", "b", "c", "d"} {
		e.put("/bkt/"+k, []byte(k))
	}
	d := listVersions(t, e, "")
	if d.Name != "bkt" || d.IsTruncated || len(d.Version) != 5 || len(d.DeleteMarker) != 0 {
		t.Fatalf("full listing: %+v", d)
	}
	for _, v := range d.Version {
		if v.VersionId != "null" || !v.IsLatest || v.ETag == "" || v.StorageClass != "STANDARD" || v.Size != int64(len(v.Key)) {
			t.Errorf("version %+v", v)
		}
	}
	// Paging: two at a time, resuming after NextKeyMarker with the null
	// version id marker, as SDK paginators do.
	var keys []string
	q := "max-keys=2"
	for i := 0; ; i++ {
		d = listVersions(t, e, q)
		for _, v := range d.Version {
			keys = append(keys, v.Key)
		}
		if !d.IsTruncated {
			break
		}
		if d.NextVersionIdMarker != "null" || d.NextKeyMarker == "" || i > 5 {
			t.Fatalf("page %d: %+v", i, d)
		}
		q = fmt.Sprintf("max-keys=2&key-marker=%s&version-id-marker=null", d.NextKeyMarker)
	}
	if fmt.Sprint(keys) != "[a/1 a/2 b c d]" {
		t.Fatalf("paged keys %v", keys)
	}
	d = listVersions(t, e, "delimiter=/&prefix=")
	if len(d.CommonPrefixes) != 1 || d.CommonPrefixes[0].Prefix != "a/" || len(d.Version) != 3 {
		t.Fatalf("delimited: %+v", d)
	}
	d = listVersions(t, e, "key-marker=b")
	if len(d.Version) != 2 || d.Version[0].Key != "c" || d.KeyMarker != "b" {
		t.Fatalf("after key-marker b: %+v", d)
	}
	mustStatus(t, e.do(req{path: "/bkt", query: "versions&version-id-marker=null"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/bkt", query: "versions&key-marker=b&version-id-marker=3HL4kqtJlcpX"}), 400, "InvalidArgument")
	mustStatus(t, e.do(req{path: "/nobkt", query: "versions"}), 404, "NoSuchBucket")
}
