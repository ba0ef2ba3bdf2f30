package s3api

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage"
)

// DefaultBucketPolicyTTL is how long a gateway trusts the bucket policy it
// read from the object layer. Policies live in Meta, shared by every
// gateway; a change made through another gateway takes effect here within
// this time (through this gateway, at once).
const DefaultBucketPolicyTTL = 2 * time.Second

// maxPolicyStale is how long past its TTL a cached policy still decides
// while the metadata store is unavailable.
const maxPolicyStale = time.Minute

// maxPolicyEntries bounds the cache: anonymous requests can name any
// bucket, so the cache must not grow with the names an attacker invents.
const maxPolicyEntries = 4096

// bucketPolicies is the per-gateway cache of parsed bucket policies and
// owners, keyed by bucket, read through from the object layer.
type bucketPolicies struct {
	layer object.Layer
	ttl   time.Duration
	now   func() time.Time
	// pabs and floor give each entry its effective public access block.
	pabs  PublicAccessStore
	floor PublicAccessBlock

	mu sync.Mutex
	m  map[string]policyEntry
}

type policyEntry struct {
	p       *policy.Policy // nil: no policy (or no bucket)
	owner   string
	expires time.Time
	// block is the effective public access block (floor OR bucket's);
	// public says the policy is public (policy.IsPublic).
	block  PublicAccessBlock
	public bool
}

func newBucketPolicies(o *Options) *bucketPolicies {
	c := &bucketPolicies{layer: o.Layer, ttl: o.BucketPolicyTTL, now: o.Now, m: make(map[string]policyEntry), floor: o.PublicAccessFloor}
	c.pabs = o.PublicAccess
	if c.pabs == nil && o.Users != nil {
		c.pabs = o.Users
	}
	return c
}

// pab returns bucket's effective public access block.
func (c *bucketPolicies) pab(ctx context.Context, bucket string) (PublicAccessBlock, error) {
	e, err := c.get(ctx, bucket)
	return e.block, err
}

// anonymousKey marks the context of an anonymous request's authorization.
type anonymousKey struct{}

// withAnonymous marks ctx as an anonymous request's.
func withAnonymous(ctx context.Context) context.Context {
	return context.WithValue(ctx, anonymousKey{}, true)
}

// lookupFor is the default authorizer's Bucket callback: lookup, except
// that for an anonymous request a public policy on a bucket whose
// effective block has RestrictPublicBuckets counts as no policy — its
// public grants are ineffective, and anonymous callers can match nothing
// else in it.
func (c *bucketPolicies) lookupFor(ctx context.Context, bucket string) (*policy.Policy, string, error) {
	e, err := c.get(ctx, bucket)
	if err != nil {
		return nil, "", err
	}
	if anon, _ := ctx.Value(anonymousKey{}).(bool); anon && e.public && e.block.RestrictPublicBuckets {
		return nil, e.owner, nil
	}
	return e.p, e.owner, nil
}

// lookup is policy.Authorizer's Bucket callback: the bucket's parsed
// policy (nil when it has none or does not exist) and its owner. A lookup
// that fails (the backend is unavailable, a stored policy no longer
// parses) is an error, which denies: access control fails closed.
func (c *bucketPolicies) lookup(ctx context.Context, bucket string) (*policy.Policy, string, error) {
	e, err := c.get(ctx, bucket)
	return e.p, e.owner, err
}

// get returns bucket's cache entry, reading it through when stale.
func (c *bucketPolicies) get(ctx context.Context, bucket string) (policyEntry, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[bucket]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e, nil
	}
	fresh, err := c.load(ctx, bucket)
	if err != nil {
		// The metadata store not answering in time (an OSD of its pool just
		// died) must not turn every request into a 503: the last policy read,
		// if it is not older than maxPolicyStale, still decides. Anything
		// else (no earlier read, a policy that no longer parses) fails
		// closed.
		if ok && errors.Is(err, storage.ErrUnavailable) && now.Before(e.expires.Add(maxPolicyStale)) {
			return e, nil
		}
		return policyEntry{}, err
	}
	e = fresh
	e.expires = now.Add(c.ttl)
	c.mu.Lock()
	if len(c.m) >= maxPolicyEntries {
		clear(c.m) // rare; the next lookups simply read through again
	}
	c.m[bucket] = e
	c.mu.Unlock()
	return e, nil
}

func (c *bucketPolicies) load(ctx context.Context, bucket string) (policyEntry, error) {
	if c.layer == nil {
		return policyEntry{}, nil
	}
	info, err := c.layer.HeadBucket(ctx, bucket)
	if errors.Is(err, object.ErrNoSuchBucket) {
		return policyEntry{}, nil
	}
	if err != nil {
		return policyEntry{}, fmt.Errorf("s3api: bucket %q: %w", bucket, err)
	}
	block := c.floor
	if c.pabs != nil {
		b, _, err := c.pabs.GetPublicAccessBlock(ctx, bucket, info.Created)
		if err != nil {
			return policyEntry{}, fmt.Errorf("s3api: bucket %q public access block: %w", bucket, err)
		}
		block = pabOr(block, b)
	}
	doc, err := c.layer.GetBucketPolicy(ctx, bucket)
	if errors.Is(err, object.ErrNoSuchBucketPolicy) || errors.Is(err, object.ErrNoSuchBucket) {
		return policyEntry{owner: info.Owner, block: block}, nil
	}
	if err != nil {
		return policyEntry{}, fmt.Errorf("s3api: bucket %q policy: %w", bucket, err)
	}
	p, err := policy.ParseBucket(bucket, doc)
	if err != nil {
		return policyEntry{}, fmt.Errorf("s3api: stored policy of bucket %q: %w", bucket, err)
	}
	return policyEntry{p: p, owner: info.Owner, block: block, public: policy.IsPublic(p)}, nil
}

// forget drops bucket's entry, so a change made through this gateway
// applies to its next request.
func (c *bucketPolicies) forget(bucket string) {
	c.mu.Lock()
	delete(c.m, bucket)
	c.mu.Unlock()
}
