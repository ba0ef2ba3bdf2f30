package s3api

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/valyala/fasthttp"
)

// testBody builds a bodyReader over src without a connection (deadline
// renewals are then no-ops).
func testBody(src io.Reader, limit int64, exact bool) *bodyReader {
	s := &Server{o: Options{BodyTimeout: DefaultBodyTimeout}}
	r := &request{s: s, ctx: &fasthttp.RequestCtx{}}
	b := &bodyReader{r: r, src: src, remaining: limit, exact: exact}
	r.body = b
	return b
}

func codeOf(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestBodyReader(t *testing.T) {
	cases := []struct {
		name  string
		data  string
		limit int64
		exact bool
		want  string
		code  string
	}{
		{"exact", "hello", 5, true, "hello", ""},
		{"exact short", "hel", 5, true, "hel", s3err.IncompleteBody},
		{"exact stops at limit", "hello world", 5, true, "hello", ""},
		{"ceiling fits", "hello", 5, false, "hello", ""},
		{"ceiling under", "hi", 5, false, "hi", ""},
		{"ceiling exceeded", "hello!", 5, false, "hello", s3err.EntityTooLarge},
		{"empty exact", "", 0, true, "", ""},
		{"empty ceiling", "", 0, false, "", ""},
	}
	for _, c := range cases {
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
			iotest.DataErrReader,
		} {
			b := testBody(wrap(strings.NewReader(c.data)), c.limit, c.exact)
			got, err := io.ReadAll(b)
			if string(got) != c.want || codeOf(err) != c.code || (c.code == "" && err != nil) {
				t.Errorf("%s: got %q, %v; want %q, %q", c.name, got, err, c.want, c.code)
			}
			if c.code == "" && !b.done() {
				t.Errorf("%s: not done after EOF", c.name)
			}
		}
	}
	// Network errors become IncompleteBody; sticky.
	b := testBody(iotest.TimeoutReader(strings.NewReader("abcdef")), 6, true)
	buf := make([]byte, 3)
	if _, err := b.Read(buf); err != nil {
		t.Fatal(err)
	}
	_, err := b.Read(buf)
	if codeOf(err) != s3err.IncompleteBody {
		t.Fatalf("timeout reader: %v", err)
	}
	if _, err2 := b.Read(buf); err2 != err {
		t.Fatal("error not sticky")
	}
}

func TestBodyDiscard(t *testing.T) {
	b := testBody(strings.NewReader(strings.Repeat("x", 100)), -1, false)
	if !b.discard(100) || !b.done() {
		t.Fatal("100 bytes within a 100-byte budget must drain")
	}
	b = testBody(strings.NewReader(strings.Repeat("x", 101)), -1, false)
	if b.discard(100) {
		t.Fatal("101 bytes must not drain within 100")
	}
	b = testBody(iotest.ErrReader(errors.New("reset")), -1, false)
	if b.discard(100) {
		t.Fatal("a broken body cannot be drained")
	}
	b = testBody(bytes.NewReader(nil), 0, true)
	if !b.discard(0) {
		t.Fatal("empty body drains")
	}
}
