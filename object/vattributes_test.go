package object

import (
	"context"
	"errors"
	"testing"
)

// TestGetObjectAttributesVersion: attributes by version id describe that
// version; a delete marker by id is a *DeleteMarkerError with
// ErrMethodNotAllowed, an unknown id ErrNoSuchVersion, "" the current one.
func TestGetObjectAttributesVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.versioned("vbk")
	v1 := put(t, e.s, "vbk", "k", []byte("one"))
	v2 := put(t, e.s, "vbk", "k", []byte("second"))
	for _, v := range []ObjectInfo{v1, v2} {
		a, err := e.s.GetObjectAttributesVersion(ctx, "vbk", "k", v.VersionID)
		if err != nil || a.Info.VersionID != v.VersionID || a.Info.Size != v.Size || a.Info.ETag != v.ETag {
			t.Fatalf("attributes of %s: %+v %v, want size %d ETag %s", v.VersionID, a.Info, err, v.Size, v.ETag)
		}
	}
	a, err := e.s.GetObjectAttributesVersion(ctx, "vbk", "k", "")
	if err != nil || a.Info.VersionID != v2.VersionID {
		t.Fatalf("attributes of the current version: %+v %v", a.Info, err)
	}
	del, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k"})
	if err != nil || !del.DeleteMarker {
		t.Fatalf("delete: %+v %v", del, err)
	}
	var dm *DeleteMarkerError
	_, err = e.s.GetObjectAttributesVersion(ctx, "vbk", "k", del.VersionID)
	if !errors.As(err, &dm) || !errors.Is(err, ErrMethodNotAllowed) || dm.VersionID != del.VersionID {
		t.Fatalf("attributes of the delete marker: %v", err)
	}
	_, err = e.s.GetObjectAttributesVersion(ctx, "vbk", "k", "")
	if !errors.As(err, &dm) || !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("attributes behind the delete marker: %v", err)
	}
	_, err = e.s.GetObjectAttributesVersion(ctx, "vbk", "k", "00000000000000000000000000000000")
	wantErr(t, err, ErrNoSuchVersion)
	_, err = e.s.GetObjectAttributesVersion(ctx, "vbk", "k", "bogus")
	wantErr(t, err, ErrInvalidArgument)
}
