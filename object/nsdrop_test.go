package object

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// innerLeft returns what the store under the sealing still holds (live
// keys, tombstones aside) for an upload's part namespace: its records and
// its index blocks.
func innerLeft(t *testing.T, s *Store, uploadID string) []string {
	t.Helper()
	sm, ok := s.backend.Meta().(*sealed.Meta)
	if !ok {
		t.Fatalf("metadata is %T, not sealed", s.backend.Meta())
	}
	ns := nsParts(uploadID)
	recNS, _ := sm.StoredName(ns, "x")
	var left []string
	for _, sns := range []string{recNS, sm.StoredIndexName(ns)} {
		es, err := sm.Inner().List(context.Background(), sns, "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			left = append(left, sns+"/"+e.Key)
		}
	}
	return left
}

// An upload ended by Complete, Abort or expiry leaves nothing of its part
// namespace in the store under the sealing: no record, and no index block
// (the sealed index kept the namespace's emptied head leaf forever, 6
// replica files per upload on the local backend).
func TestEndedUploadLeavesNoPartNamespace(t *testing.T) {
	ctx := context.Background()
	for _, end := range []string{"complete", "abort", "expire"} {
		t.Run(end, func(t *testing.T) {
			e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key"), sealed: true}
			e.s = e.open()
			smallParts(e.s)
			e.bucket("data")
			up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
			if err != nil {
				t.Fatal(err)
			}
			list := uploadThreeParts(t, e.s, up.UploadID)
			if left := innerLeft(t, e.s, up.UploadID); len(left) != 4 {
				t.Fatalf("while open: %d stored keys, want 3 records and the head leaf: %q", len(left), left)
			}
			switch end {
			case "complete":
				_, err = e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, list, CompleteOptions{})
			case "abort":
				err = e.s.AbortMultipartUpload(ctx, "data", "k", up.UploadID)
			case "expire":
				var n int
				n, err = e.s.ExpireUploads(ctx, e.s.now().Add(time.Hour))
				if err == nil && n != 1 {
					err = fmt.Errorf("%d uploads expired, want 1", n)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if left := innerLeft(t, e.s, up.UploadID); len(left) != 0 {
				t.Fatalf("after %s: %d stored keys left: %q", end, len(left), left)
			}
		})
	}
}

// A part that commits into an upload aborted meanwhile (by another
// gateway, after its cleanup dropped the part index) re-creates the
// namespace's index; its own cleanup drops it again.
func TestLatePartLeavesNoPartNamespace(t *testing.T) {
	for _, n := range []int{1, 2} { // the key the abort deleted, a new one
		t.Run(fmt.Sprint("part ", n), func(t *testing.T) {
			e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key"), sealed: true}
			e.s = e.open()
			other := e.open()
			e.bucket("data")
			uploadID, err := uploadPartRacingAbort(t, e, other, n)
			wantErr(t, err, ErrNoSuchUpload)
			e.wantShards(0)
			if left := innerLeft(t, e.s, uploadID); len(left) != 0 {
				t.Fatalf("%d stored keys left: %q", len(left), left)
			}
		})
	}
}

// uploadThreeParts uploads parts 1–3 (1000 bytes each) of data/k's upload
// uploadID and returns the list that completes it.
func uploadThreeParts(t *testing.T, s *Store, uploadID string) []CompletePart {
	t.Helper()
	var list []CompletePart
	for n := 1; n <= 3; n++ {
		p := uploadPart(t, s, "data", "k", uploadID, n, randBytes(uint64(n), 1000))
		list = append(list, CompletePart{PartNumber: n, ETag: p.ETag})
	}
	return list
}

// metaEntries counts the files and namespace directories under the local
// backend's metadata replicas (lock files aside).
func metaEntries(t *testing.T, dir string) (files, dirs int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return filepath.SkipDir
			}
		case d.IsDir() && filepath.Base(filepath.Dir(p)) == "meta":
			dirs++
		case !d.IsDir() && strings.Contains(p, string(filepath.Separator)+"meta"+string(filepath.Separator)):
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, dirs
}

// Completed uploads add nothing to the metadata directories once the
// scrub has dropped their tombstones: before the part index was dropped,
// each one kept its part namespace's head leaf (6 replica files and their
// 6 namespace directories) forever.
func TestCompletedUploadsLeaveNoMetaFiles(t *testing.T) {
	ctx := context.Background()
	var lb storage.Backend
	e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key"), sealed: true,
		wrapInner: func(b storage.Backend) storage.Backend { lb = b; return b }}
	e.s = e.open()
	smallParts(e.s)
	e.bucket("data")
	complete := func(uploads int) (files, dirs int) {
		for range uploads {
			up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
			if err != nil {
				t.Fatal(err)
			}
			list := uploadThreeParts(t, e.s, up.UploadID)
			if _, err := e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, list, CompleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := lb.(*local.Backend).LocalMeta().Scrub(ctx); err != nil {
			t.Fatal(err)
		}
		return metaEntries(t, e.dir)
	}
	// The first two uploads create what stays: the object's record, the
	// namespaces of the bucket and of sys/gc (the second one replaces the
	// first one's object) and their indexes.
	files, dirs := complete(2)
	files5, dirs5 := complete(5)
	t.Logf("after 2 uploads: %d files, %d dirs; after 5 more: %d files, %d dirs", files, dirs, files5, dirs5)
	if files5 != files || dirs5 != dirs {
		t.Fatalf("5 more completed uploads left %d files and %d namespace directories after the scrub, want none",
			files5-files, dirs5-dirs)
	}
}
