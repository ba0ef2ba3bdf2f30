package s3api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// memPAB is an in-memory PublicAccessStore.
type memPAB struct {
	mu sync.Mutex
	m  map[string]memPABEntry
}

type memPABEntry struct {
	created time.Time
	b       PublicAccessBlock
}

func (s *memPAB) GetPublicAccessBlock(_ context.Context, bucket string, created time.Time) (PublicAccessBlock, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[bucket]
	if !ok || !e.created.Equal(created) {
		return PublicAccessBlock{}, false, nil
	}
	return e.b, true, nil
}

func (s *memPAB) PutPublicAccessBlock(_ context.Context, bucket string, created time.Time, b PublicAccessBlock) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]memPABEntry{}
	}
	s.m[bucket] = memPABEntry{created, b}
	return nil
}

func (s *memPAB) DeletePublicAccessBlock(_ context.Context, bucket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, bucket)
	return nil
}

func TestParsePublicAccessBlock(t *testing.T) {
	for _, c := range []struct {
		body string
		want PublicAccessBlock
		ok   bool
	}{
		{`<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`, BlockAllPublicAccess, true},
		{`<PublicAccessBlockConfiguration><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>`, PublicAccessBlock{BlockPublicPolicy: true}, true},
		{`<PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>`, PublicAccessBlock{}, true},
		{`<PublicAccessBlockConfiguration/>`, PublicAccessBlock{}, true},
		{`<PublicAccessBlockConfiguration><BlockPublicPolicy>TRUE</BlockPublicPolicy></PublicAccessBlockConfiguration>`, PublicAccessBlock{}, false},
		{`<PublicAccessBlockConfiguration><BlockPublicPolicy>1</BlockPublicPolicy></PublicAccessBlockConfiguration>`, PublicAccessBlock{}, false},
		{`<PublicAccessBlockConfiguration><Block>true</Block></PublicAccessBlockConfiguration>`, PublicAccessBlock{}, false},
		{`<Other><BlockPublicPolicy>true</BlockPublicPolicy></Other>`, PublicAccessBlock{}, false},
		{`<PublicAccessBlockConfiguration><BlockPublicPolicy>true</BlockPublicPolicy>`, PublicAccessBlock{}, false},
		{`<PublicAccessBlockConfiguration/><x/>`, PublicAccessBlock{}, false},
		{``, PublicAccessBlock{}, false},
	} {
		got, err := parsePublicAccessBlock([]byte(c.body))
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("%s: %+v %v, want %+v ok=%v", c.body, got, err, c.want, c.ok)
		}
	}
}

func FuzzParsePublicAccessBlock(f *testing.F) {
	for _, s := range []string{
		`<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
		`<PublicAccessBlockConfiguration/>`,
		`<PublicAccessBlockConfiguration><X/></PublicAccessBlockConfiguration>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parsePublicAccessBlock(b)
		if err != nil {
			return
		}
		// Whatever parses survives its own rendering.
		again, err := parsePublicAccessBlock([]byte(renderPAB(got)))
		if err != nil || again != got {
			t.Fatalf("%+v rendered and parsed: %+v %v", got, again, err)
		}
	})
}

func renderPAB(b PublicAccessBlock) string {
	tf := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	return "<PublicAccessBlockConfiguration><BlockPublicAcls>" + tf(b.BlockPublicAcls) + "</BlockPublicAcls><IgnorePublicAcls>" +
		tf(b.IgnorePublicAcls) + "</IgnorePublicAcls><BlockPublicPolicy>" + tf(b.BlockPublicPolicy) +
		"</BlockPublicPolicy><RestrictPublicBuckets>" + tf(b.RestrictPublicBuckets) + "</RestrictPublicBuckets></PublicAccessBlockConfiguration>"
}

const publicRead = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`

// TestPublicAccessBlock: a new bucket gets S3's default block; a public
// policy is then refused with AccessDenied and nothing is stored; with
// the block deleted it is accepted and anonymous reads work; turning on
// RestrictPublicBuckets alone makes the public grant ineffective; the
// server-wide floor cannot be lifted per bucket.
func TestPublicAccessBlock(t *testing.T) {
	pabs := &memPAB{}
	block := BlockAllPublicAccess
	e := newTestEnv(t, func(o *Options) { o.PublicAccess, o.NewBucketPublicAccessBlock = pabs, &block })
	e.mkBucket("bkt")
	mustStatus(t, e.put("/bkt/k", []byte("hello")), 200, "")
	res := e.do(req{path: "/bkt", query: "publicAccessBlock"})
	mustStatus(t, res, 200, "")
	if got, err := parsePublicAccessBlock(res.body); err != nil || got != BlockAllPublicAccess {
		t.Fatalf("new bucket's block: %+v %v\n%s", got, err, res.body)
	}
	putPolicy := func() *resp {
		return e.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: []byte(publicRead)})
	}
	mustStatus(t, putPolicy(), 403, "AccessDenied")
	mustStatus(t, e.do(req{path: "/bkt", query: "policy"}), 404, "NoSuchBucketPolicy")
	// A policy that is not public is not affected.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: []byte(strings.Replace(publicRead, `"Principal":"*"`, `"Principal":{"AWS":"arn:aws:iam::root:user/x"}`, 1))}), 204, "")

	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt", query: "publicAccessBlock"}), 204, "")
	mustStatus(t, e.do(req{path: "/bkt", query: "publicAccessBlock"}), 404, "NoSuchPublicAccessBlockConfiguration")
	mustStatus(t, putPolicy(), 204, "")
	mustStatus(t, e.do(req{path: "/bkt/k", auth: authNone}), 200, "")

	// RestrictPublicBuckets: the public grant no longer opens anything.
	body := []byte(`<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "publicAccessBlock", body: body}), 200, "")
	mustStatus(t, e.do(req{path: "/bkt/k", auth: authNone}), 403, "AccessDenied")
	mustStatus(t, e.do(req{path: "/bkt/k"}), 200, "") // the owner still reads
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "publicAccessBlock", body: []byte("<PublicAccessBlockConfiguration><Bad/></PublicAccessBlockConfiguration>")}), 400, "MalformedXML")
	mustStatus(t, e.do(req{path: "/bkt/k", query: "publicAccessBlock"}), 501, "NotImplemented")
	mustStatus(t, e.do(req{path: "/nobkt", query: "publicAccessBlock"}), 404, "NoSuchBucket")

	// A bucket re-created under the name starts from the new-bucket block,
	// not the old bucket's record.
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt", query: "policy"}), 204, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/k"}), 204, "")

	// The floor: on for the server, a bucket without its own block is
	// still blocked.
	floor := newTestEnv(t, func(o *Options) {
		o.PublicAccess, o.PublicAccessFloor = &memPAB{}, PublicAccessBlock{BlockPublicPolicy: true}
	})
	floor.mkBucket("bkt")
	mustStatus(t, floor.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: []byte(publicRead)}), 403, "AccessDenied")
	mustStatus(t, floor.do(req{path: "/bkt", query: "publicAccessBlock"}), 404, "NoSuchPublicAccessBlockConfiguration")
}

// TestPublicAccessBlockBoundToBucket: a stored block belongs to the
// bucket it was made for, not to a later bucket of the same name.
func TestPublicAccessBlockBoundToBucket(t *testing.T) {
	pabs := &memPAB{}
	e := newTestEnv(t, func(o *Options) { o.PublicAccess = pabs })
	e.mkBucket("bkt")
	body := []byte(`<PublicAccessBlockConfiguration><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>`)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "publicAccessBlock", body: body}), 200, "")
	info, err := e.layer.HeadBucket(t.Context(), "bkt")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := pabs.GetPublicAccessBlock(t.Context(), "bkt", info.Created.Add(time.Second)); ok {
		t.Fatal("a block answered for another bucket of the same name")
	}
}
