// Package faultinject wraps a storage.Backend so tests can program faults
// into its OSDs and its metadata store: I/O errors (EIO), a full disk
// (ENOSPC), an unreachable OSD, calls that hang until released, writes that
// are silently dropped, and slow calls, each per OSD and per operation, with
// counters of the calls seen and the faults injected. It is test tooling:
// the failure-injection suite (test/failure) builds the real object layer
// over a wrapped backend.
package faultinject

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Op names one kind of backend call a fault can be attached to.
type Op uint8

// Operations. OSD operations apply to OSDs, Meta operations to the
// metadata store.
const (
	OpCreate     Op = iota // OSD.Create
	OpWrite                // ShardWriter.Write
	OpCommit               // ShardWriter.Commit
	OpOpen                 // OSD.Open
	OpRead                 // ShardReader.ReadAt
	OpRemove               // OSD.Remove
	OpMetaGet              // Meta.Get
	OpMetaPut              // Meta.Put
	OpMetaDelete           // Meta.Delete
	OpMetaList             // Meta.List
	numOps
)

// OSDOps are the operations of an OSD, in order; WriteOps and ReadOps are
// the ones a PUT and a GET use.
var (
	OSDOps   = []Op{OpCreate, OpWrite, OpCommit, OpOpen, OpRead, OpRemove}
	WriteOps = []Op{OpCreate, OpWrite, OpCommit}
	ReadOps  = []Op{OpOpen, OpRead}
	MetaOps  = []Op{OpMetaGet, OpMetaPut, OpMetaDelete, OpMetaList}
)

var opNames = [numOps]string{"create", "write", "commit", "open", "read", "remove",
	"meta-get", "meta-put", "meta-delete", "meta-list"}

// String names the operation.
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Kind is what an injected fault does.
type Kind uint8

// Fault kinds.
const (
	// EIO fails the call with an error wrapping syscall.EIO.
	EIO Kind = iota + 1
	// ENOSPC fails the call with an error wrapping syscall.ENOSPC.
	ENOSPC
	// Down fails the call with an error wrapping storage.ErrUnavailable, as
	// an unreachable OSD would.
	Down
	// Hang blocks the call until Release (or, for calls that take a
	// context, until the context ends), then lets it proceed normally.
	Hang
	// Drop pretends success without doing the work: a Write reports all
	// bytes written and writes none, a Commit aborts the shard and reports
	// success, a Remove or Meta.Delete removes nothing, a Meta.Put stores
	// nothing (a lying disk). For reads it behaves like EIO.
	Drop
	// Slow delays the call by Rule.Delay, then lets it proceed.
	Slow
)

var kindNames = [...]string{"", "EIO", "ENOSPC", "down", "hang", "drop", "slow"}

// String names the fault kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Rule programs one fault on one operation.
type Rule struct {
	// Kind is the fault.
	Kind Kind
	// Skip lets that many matching calls through before the first fault.
	Skip int
	// Times is how many calls fault before the rule clears itself; 0
	// faults every call until Clear.
	Times int
	// Delay is the extra latency of a Slow fault.
	Delay time.Duration
}

// Error is the error of an injected EIO, ENOSPC, Down or failed Drop.
type Error struct {
	Target string // OSD id or "meta"
	Op     Op
	Err    error // syscall.EIO, syscall.ENOSPC or storage.ErrUnavailable
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("faultinject: %s %s: %v", e.Target, e.Op, e.Err)
}

// Unwrap exposes the underlying errno or sentinel.
func (e *Error) Unwrap() error { return e.Err }

// IsInjected reports whether err carries an injected fault.
func IsInjected(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Injector holds the rules and counters of one target (an OSD or the
// metadata store). It is safe for concurrent use.
type Injector struct {
	target string
	mu     sync.Mutex
	rules  [numOps]*Rule
	calls  [numOps]int64
	faults [numOps]int64
	// release is closed by Release to free hung calls; a new one is made
	// for later hangs.
	release chan struct{}
	// waiting counts calls held by a Hang or Slow rule right now.
	waiting int
}

func newInjector(target string) *Injector {
	return &Injector{target: target, release: make(chan struct{})}
}

// Set installs r on op, replacing any rule there.
func (in *Injector) Set(op Op, r Rule) {
	in.mu.Lock()
	defer in.mu.Unlock()
	rc := r
	in.rules[op] = &rc
}

// SetAll installs r on each of ops.
func (in *Injector) SetAll(ops []Op, r Rule) {
	for _, op := range ops {
		in.Set(op, r)
	}
}

// Clear removes the rule on op; calls hung on it stay hung until Release.
func (in *Injector) Clear(op Op) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules[op] = nil
}

// ClearAll removes every rule and releases every hung call.
func (in *Injector) ClearAll() {
	in.mu.Lock()
	in.rules = [numOps]*Rule{}
	in.mu.Unlock()
	in.Release()
}

// Release lets every call hung so far proceed.
func (in *Injector) Release() {
	in.mu.Lock()
	defer in.mu.Unlock()
	close(in.release)
	in.release = make(chan struct{})
}

// Waiting is how many calls a Hang or Slow rule holds right now.
func (in *Injector) Waiting() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.waiting
}

// Calls is how many op calls reached the target.
func (in *Injector) Calls(op Op) int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.calls[op]
}

// Injected is how many op calls got a fault.
func (in *Injector) Injected(op Op) int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.faults[op]
}

// Total is how many faults the target injected, all operations together.
func (in *Injector) Total() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	var n int64
	for _, f := range in.faults {
		n += f
	}
	return n
}

// decide counts a call of op and returns the fault to apply (Kind 0 for
// none) and, for Hang, the channel to wait on.
func (in *Injector) decide(op Op) (Rule, <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls[op]++
	r := in.rules[op]
	if r == nil {
		return Rule{}, nil
	}
	if r.Skip > 0 {
		r.Skip--
		return Rule{}, nil
	}
	if r.Times > 0 {
		r.Times--
		if r.Times == 0 {
			in.rules[op] = nil
		}
	}
	in.faults[op]++
	return *r, in.release
}

// fail returns the error of a failing fault kind.
func (in *Injector) fail(op Op, k Kind) error {
	var err error
	switch k {
	case ENOSPC:
		err = syscall.ENOSPC
	case Down:
		err = storage.ErrUnavailable
	default:
		err = syscall.EIO
	}
	return &Error{Target: in.target, Op: op, Err: err}
}

// outcome is what a wrapper does after decide and any waiting.
type outcome uint8

const (
	proceed outcome = iota // call the wrapped backend
	failed                 // return the error
	dropped                // pretend success
)

// apply runs the fault for op: it waits for Hang and Slow and maps the kind
// to an outcome. done, when non-nil, ends a hang early (a request context).
func (in *Injector) apply(op Op, done <-chan struct{}) (outcome, error) {
	r, release := in.decide(op)
	if r.Kind == Hang || r.Kind == Slow {
		in.mu.Lock()
		in.waiting++
		in.mu.Unlock()
		defer func() {
			in.mu.Lock()
			in.waiting--
			in.mu.Unlock()
		}()
	}
	switch r.Kind {
	case 0:
		return proceed, nil
	case Hang:
		select {
		case <-release:
		case <-done:
			return failed, &Error{Target: in.target, Op: op, Err: storage.ErrUnavailable}
		}
		return proceed, nil
	case Slow:
		t := time.NewTimer(r.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-done:
			return failed, &Error{Target: in.target, Op: op, Err: storage.ErrUnavailable}
		}
		return proceed, nil
	case Drop:
		return dropped, nil
	}
	return failed, in.fail(op, r.Kind)
}
