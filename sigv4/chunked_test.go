package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// streamingSetup signs a streaming PUT in mode for a body of n decoded
// bytes with the given announced trailers, and returns the verifier, the
// identity and the seed signature.
func streamingSetup(t testing.TB, mode PayloadMode, n int, trailers ...string) (*Verifier, *Identity, string) {
	t.Helper()
	h := map[string]string{
		"content-encoding":             "aws-chunked",
		"x-amz-decoded-content-length": itoa(int64(n)),
	}
	if len(trailers) > 0 {
		h["x-amz-trailer"] = strings.Join(trailers, ",")
	}
	r := &treq{method: "PUT", path: "/bucket/obj", host: "bucket.s3.example.com", h: map[string]string{
		"x-amz-date":           testTime.Format(timeFormat),
		"x-amz-content-sha256": mode.String(),
	}}
	for k, v := range h {
		r.h[k] = v
	}
	seed := sign(t, r)
	v := newTestVerifier(testTime)
	id, err := v.Verify(r.request())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id.Mode != mode || id.DecodedLength != int64(n) {
		t.Fatalf("identity = %+v", id)
	}
	return v, id, seed
}

// encodeChunks builds an aws-chunked body of data split at the given chunk
// size (0 = one chunk), closed with trailers.
func encodeChunks(t testing.TB, mode PayloadMode, seed string, data []byte, chunk int, trailers map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	cw, err := NewChunkWriter(&b, mode, testCreds, testTime, seed)
	if err != nil {
		t.Fatal(err)
	}
	if chunk <= 0 {
		chunk = len(data) + 1
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		if err := cw.WriteChunk(data[off:end]); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(trailers); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pattern returns n deterministic bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// decode runs raw through Body and returns what Read produced and the
// final error (nil on clean EOF).
func decode(t testing.TB, v *Verifier, id *Identity, raw io.Reader) ([]byte, error, *Body) {
	t.Helper()
	body, err := v.Body(id, raw)
	if err != nil {
		t.Fatalf("Body: %v", err)
	}
	out, err := io.ReadAll(body)
	return out, err, body
}

func TestChunkedRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 100, 8191, 65536, 65537, 200000}
	chunks := []int{0, 1, 8192, 65536}
	wrappers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for _, mode := range []PayloadMode{StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer} {
		for _, n := range sizes {
			for _, ch := range chunks {
				if ch == 1 && n > 8192 {
					continue // 200k one-byte chunks add time, not coverage
				}
				for wn, wrap := range wrappers {
					if wn == "onebyte" && n > 70000 {
						continue
					}
					t.Run(fmt.Sprintf("%v/n=%d/chunk=%d/%s", mode, n, ch, wn), func(t *testing.T) {
						var trailers map[string]string
						var names []string
						if mode != StreamingSigned {
							names = []string{"x-amz-checksum-crc32"}
							trailers = map[string]string{"x-amz-checksum-crc32": "sOO8/Q=="}
						}
						v, id, seed := streamingSetup(t, mode, n, names...)
						data := pattern(n)
						raw := encodeChunks(t, mode, seed, data, ch, trailers)
						got, err, body := decode(t, v, id, wrap(bytes.NewReader(raw)))
						if err != nil {
							t.Fatalf("decode: %v", err)
						}
						if !bytes.Equal(got, data) {
							t.Fatalf("decoded %d bytes, want %d", len(got), n)
						}
						if mode != StreamingSigned {
							if body.Trailers()["x-amz-checksum-crc32"] != "sOO8/Q==" || body.TrailerChecksums()["crc32"] != "sOO8/Q==" {
								t.Fatalf("trailers = %v", body.Trailers())
							}
						} else if body.Trailers() != nil {
							t.Fatalf("unexpected trailers %v", body.Trailers())
						}
					})
				}
			}
		}
	}
}

// TestChunkedSmallReads reads with tiny caller buffers.
func TestChunkedSmallReads(t *testing.T) {
	v, id, seed := streamingSetup(t, StreamingSigned, 10000)
	data := pattern(10000)
	raw := encodeChunks(t, StreamingSigned, seed, data, 3000, nil)
	for _, step := range []int{1, 7, 4096} {
		body, err := v.Body(id, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		buf := make([]byte, step)
		for {
			n, err := body.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("step %d: wrong data", step)
		}
	}
}

// mutation edits an encoded body (as a string for readability).
type mutation func(s string) string

func replaceNth(old, new string, n int) mutation {
	return func(s string) string {
		i := -1
		for k := 0; k <= n; k++ {
			j := strings.Index(s[i+1:], old)
			if j < 0 {
				panic("mutation target missing: " + old)
			}
			i += 1 + j
		}
		return s[:i] + new + s[i+len(old):]
	}
}

func TestChunkedSignedErrors(t *testing.T) {
	const n = 20000
	data := pattern(n)
	cases := []struct {
		name     string
		mode     PayloadMode
		declared int // 0: n
		trailers map[string]string
		announce []string
		mut      mutation
		code     string
	}{
		{name: "valid", mode: StreamingSigned, mut: func(s string) string { return s }},
		{name: "flipped data byte", mode: StreamingSigned, mut: func(s string) string {
			// Past the first chunk (8192 bytes, its CRLF and the second
			// header line): a byte of the second chunk's data.
			i := strings.Index(s, "\r\n") + 2 + 9000
			b := []byte(s)
			b[i] ^= 1
			return string(b)
		}, code: CodeSignatureDoesNotMatch},
		{name: "chunk signature", mode: StreamingSigned, mut: func(s string) string {
			i := strings.Index(s, chunkSigPrefix) + len(chunkSigPrefix)
			b := []byte(s)
			b[i] ^= 1
			return string(b)
		}, code: CodeSignatureDoesNotMatch},
		{name: "final chunk signature", mode: StreamingSigned, mut: func(s string) string {
			i := strings.LastIndex(s, chunkSigPrefix) + len(chunkSigPrefix)
			b := []byte(s)
			b[i] ^= 1
			return string(b)
		}, code: CodeSignatureDoesNotMatch},
		{name: "chunks swapped", mode: StreamingSigned, mut: func(s string) string {
			// Chunks 1 and 2 are both 8192 bytes; swap them whole.
			first := strings.Index(s, "2000;")
			second := strings.Index(s[first+1:], "2000;") + first + 1
			third := strings.Index(s[second+1:], "e20;") + second + 1
			return s[:first] + s[second:third] + s[first:second] + s[third:]
		}, code: CodeSignatureDoesNotMatch},
		{name: "chunk dropped", mode: StreamingSigned, declared: n - 8192, mut: func(s string) string {
			first := strings.Index(s, "2000;")
			second := strings.Index(s[first+1:], "2000;") + first + 1
			return s[:first] + s[second:]
		}, code: CodeSignatureDoesNotMatch},
		{name: "truncated in data", mode: StreamingSigned, mut: func(s string) string { return s[:100] }, code: CodeIncompleteBody},
		{name: "truncated in header", mode: StreamingSigned, mut: func(s string) string { return s[:10] }, code: CodeIncompleteBody},
		{name: "no final chunk", mode: StreamingSigned, mut: func(s string) string { return s[:strings.LastIndex(s, "0;chunk")] }, code: CodeIncompleteBody},
		{name: "final CRLF missing", mode: StreamingSigned, mut: func(s string) string { return s[:len(s)-2] }},
		{name: "data after final chunk", mode: StreamingSigned, mut: func(s string) string { return s + "x" }, code: CodeInvalidRequest},
		{name: "declared longer", mode: StreamingSigned, declared: n + 1, mut: func(s string) string { return s }, code: CodeIncompleteBody},
		{name: "declared shorter", mode: StreamingSigned, declared: n - 1, mut: func(s string) string { return s }, code: CodeIncompleteBody},
		{name: "missing CRLF after data", mode: StreamingSigned, mut: replaceNth("\r\n2000;", "xx2000;", 0), code: CodeInvalidRequest},
		{name: "LF line ending", mode: StreamingSigned, mut: func(s string) string {
			i := strings.Index(s, "\r\n")
			return s[:i] + s[i+1:]
		}, code: CodeInvalidRequest},
		{name: "no chunk signature", mode: StreamingSigned, mut: func(s string) string {
			i := strings.Index(s, chunkSigPrefix)
			return s[:i] + s[i+len(chunkSigPrefix)+64:]
		}, code: CodeInvalidRequest},
		{name: "bad chunk size", mode: StreamingSigned, mut: replaceNth("2000;", "2g00;", 0), code: CodeInvalidRequest},
		{name: "0x chunk size", mode: StreamingSigned, mut: replaceNth("2000;", "0x2000;", 0), code: CodeInvalidRequest},
		{name: "huge chunk size", mode: StreamingSigned, declared: 1 << 40, mut: replaceNth("2000;", "140000001;", 0), code: CodeInvalidRequest},
		{name: "header line too long", mode: StreamingSigned, mut: replaceNth("2000;", strings.Repeat("0", MaxChunkHeader)+"2000;", 0), code: CodeInvalidRequest},
		{name: "trailer in non-trailer mode", mode: StreamingSigned, mut: func(s string) string { return s[:len(s)-2] + "x-amz-checksum-crc32:AAAA\r\n\r\n" }, code: CodeInvalidRequest},

		{name: "trailer valid", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: func(s string) string { return s }},
		{name: "trailer value tampered", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: replaceNth("AAAAAA==", "AAAAAB==", 0), code: CodeSignatureDoesNotMatch},
		{name: "trailer signature missing", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: func(s string) string {
				i := strings.Index(s, trailerSignatureName)
				return s[:i] + "\r\n"
			}, code: CodeSignatureDoesNotMatch},
		{name: "trailer signature bad hex", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: func(s string) string {
				i := strings.Index(s, trailerSignatureName) + len(trailerSignatureName) + 1
				return s[:i] + "zz" + s[i+2:]
			}, code: CodeMalformedTrailerError},
		{name: "trailer not announced", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-sha1": "x"}, mut: func(s string) string { return s }, code: CodeMalformedTrailerError},
		{name: "trailer announced not sent", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: func(s string) string { return s }, code: CodeMalformedTrailerError},
		{name: "trailer sent twice", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: replaceNth("x-amz-checksum-crc32:AAAAAA==\r\n", "x-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n", 0), code: CodeMalformedTrailerError},
		{name: "trailer without colon", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: replaceNth("x-amz-checksum-crc32:", "x-amz-checksum-crc32 ", 0), code: CodeMalformedTrailerError},
		{name: "trailer too large", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": strings.Repeat("A", MaxTrailerBytes)}, mut: func(s string) string { return s }, code: CodeMalformedTrailerError},
		{name: "trailer line longer than the read buffer", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": strings.Repeat("A", 3*readerBufSize)}, mut: func(s string) string { return s }},
		{name: "trailer section too large", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32", "x-amz-checksum-sha1"},
			trailers: map[string]string{"x-amz-checksum-crc32": strings.Repeat("A", MaxTrailerBytes/2), "x-amz-checksum-sha1": strings.Repeat("A", MaxTrailerBytes/2)},
			mut:      func(s string) string { return s }, code: CodeMalformedTrailerError},
		{name: "trailer signature twice", mode: StreamingSignedTrailer, announce: []string{"x-amz-checksum-crc32"},
			trailers: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, mut: func(s string) string {
				i := strings.Index(s, trailerSignatureName)
				return s[:len(s)-2] + s[i:]
			}, code: CodeMalformedTrailerError},

		{name: "unsigned trailer valid", mode: StreamingUnsignedTrailer, announce: []string{"x-amz-checksum-crc64nvme"},
			trailers: map[string]string{"x-amz-checksum-crc64nvme": "AAAAAAAAAAA="}, mut: func(s string) string { return s }},
		{name: "unsigned with chunk signature", mode: StreamingUnsignedTrailer, mut: replaceNth("2000\r\n", "2000;chunk-signature="+strings.Repeat("0", 64)+"\r\n", 0), code: CodeInvalidRequest},
		{name: "unsigned with trailer signature", mode: StreamingUnsignedTrailer, mut: func(s string) string {
			return s[:len(s)-2] + trailerSignatureName + ":" + strings.Repeat("0", 64) + "\r\n\r\n"
		}, code: CodeMalformedTrailerError},
		{name: "unsigned framing broken", mode: StreamingUnsignedTrailer, mut: replaceNth("\r\n", "\r\n\x00", 0), code: CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			declared := n
			if c.declared != 0 {
				declared = c.declared
			}
			v, id, seed := streamingSetup(t, c.mode, declared, c.announce...)
			raw := c.mut(string(encodeChunks(t, c.mode, seed, data, 8192, c.trailers)))
			got, err, body := decode(t, v, id, strings.NewReader(raw))
			if code := errCode(err); code != c.code {
				t.Fatalf("code = %q (%v), want %q", code, err, c.code)
			}
			if err == nil {
				if !bytes.Equal(got, data[:declared]) {
					t.Fatal("wrong data")
				}
				return
			}
			// Sticky, and never io.EOF after a failure.
			if _, again := body.Read(make([]byte, 10)); again != err {
				t.Fatalf("error not sticky: %v then %v", err, again)
			}
			if body.Trailers() != nil {
				t.Fatal("trailers exposed after a failure")
			}
		})
	}
}

// TestForgedChunkTailWithheld: the Read that reaches the end of a forged
// chunk returns the error, not the chunk's last bytes.
func TestForgedChunkTailWithheld(t *testing.T) {
	v, id, seed := streamingSetup(t, StreamingSigned, 3*4096)
	data := pattern(3 * 4096)
	raw := encodeChunks(t, StreamingSigned, seed, data, 4096, nil)
	hdr := strings.Index(string(raw), "\r\n") + 2
	raw[hdr+4096+2+strings.Index(string(raw[hdr+4096+2:]), "\r\n")+2+100] ^= 0xff // byte 100 of chunk 2
	body, _ := v.Body(id, bytes.NewReader(raw))
	var out []byte
	buf := make([]byte, 1000)
	var err error
	for err == nil {
		var n int
		n, err = body.Read(buf)
		out = append(out, buf[:n]...)
	}
	if errCode(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("err = %v", err)
	}
	if len(out) >= 2*4096 {
		t.Fatalf("%d bytes handed out; the forged chunk ends at %d", len(out), 2*4096)
	}
	if !bytes.Equal(out[:4096], data[:4096]) {
		t.Fatal("first (valid) chunk corrupted")
	}
}

// countingReader counts the bytes taken from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestSingleHugeChunkStreams: a body that is one 8 MiB chunk is decoded
// without reading the chunk ahead of the caller.
func TestSingleHugeChunkStreams(t *testing.T) {
	const n = 8 << 20
	for _, mode := range []PayloadMode{StreamingSigned, StreamingUnsignedTrailer} {
		v, id, seed := streamingSetup(t, mode, n)
		data := pattern(n)
		raw := encodeChunks(t, mode, seed, data, 0, nil)
		cr := &countingReader{r: bytes.NewReader(raw)}
		body, _ := v.Body(id, cr)
		buf := make([]byte, 64<<10)
		got := 0
		for {
			k, err := body.Read(buf)
			if k > 0 && !bytes.Equal(buf[:k], data[got:got+k]) {
				t.Fatalf("%v: wrong bytes at %d", mode, got)
			}
			got += k
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%v: %v", mode, err)
			}
			if ahead := cr.n - got; ahead > readerBufSize+MaxChunkHeader {
				t.Fatalf("%v: decoder read %d bytes ahead of the caller", mode, ahead)
			}
		}
		if got != n {
			t.Fatalf("%v: %d bytes", mode, got)
		}
	}
}

// TestChunkedNoPerChunkAllocs: decoding allocates per body, not per chunk.
func TestChunkedNoPerChunkAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race (sync.Pool drops items at random)")
	}
	allocs := func(chunks int) float64 {
		v, id, seed := streamingSetup(t, StreamingSigned, chunks*1024)
		raw := encodeChunks(t, StreamingSigned, seed, pattern(chunks*1024), 1024, nil)
		buf := make([]byte, 32<<10)
		br := bytes.NewReader(raw)
		return testing.AllocsPerRun(20, func() {
			br.Reset(raw)
			body, _ := v.Body(id, br)
			for {
				if _, err := body.Read(buf); err != nil {
					if err != io.EOF {
						t.Fatal(err)
					}
					break
				}
			}
		})
	}
	few, many := allocs(4), allocs(400)
	if many > few+1 {
		t.Fatalf("allocations grow with chunk count: %v for 4 chunks, %v for 400", few, many)
	}
}

// errReader fails with err after giving out data.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestBodyModes(t *testing.T) {
	v := newTestVerifier(testTime)
	hello := []byte("hello")
	sum := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	hexID := func(h string) *Identity {
		r := signedReq(t, "PUT", "/b/k", "", h, nil)
		id, err := v.Verify(r.request())
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	t.Run("signed hex", func(t *testing.T) {
		got, err, _ := decode(t, v, hexID(sum), bytes.NewReader(hello))
		if err != nil || !bytes.Equal(got, hello) {
			t.Fatalf("%q, %v", got, err)
		}
	})
	t.Run("signed hex upper-case", func(t *testing.T) {
		if _, err, _ := decode(t, v, hexID(strings.ToUpper(sum)), bytes.NewReader(hello)); err != nil {
			t.Fatal(err)
		}
	})
	for name, raw := range map[string][]byte{"wrong": []byte("hellp"), "short": []byte("hell"), "long": []byte("hello!"), "empty": nil} {
		t.Run("signed hex "+name, func(t *testing.T) {
			_, err, body := decode(t, v, hexID(sum), bytes.NewReader(raw))
			if errCode(err) != CodeXAmzContentSHA256Mismatch {
				t.Fatalf("err = %v", err)
			}
			if _, again := body.Read(nil); again != err {
				t.Fatal("not sticky")
			}
		})
	}
	t.Run("signed hex empty body", func(t *testing.T) {
		if _, err, _ := decode(t, v, hexID(emptyHash), bytes.NewReader(nil)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unsigned passthrough", func(t *testing.T) {
		got, err, body := decode(t, v, hexID(unsignedPayload), iotest.HalfReader(bytes.NewReader(hello)))
		if err != nil || !bytes.Equal(got, hello) || body.Trailers() != nil {
			t.Fatalf("%q, %v", got, err)
		}
	})
	t.Run("raw error passes through", func(t *testing.T) {
		boom := errors.New("connection reset")
		for _, id := range []*Identity{hexID(sum), hexID(unsignedPayload)} {
			_, err, _ := decode(t, v, id, &errReader{data: []byte("he"), err: boom})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
		}
		sv, sid, seed := streamingSetup(t, StreamingSigned, 100)
		raw := encodeChunks(t, StreamingSigned, seed, pattern(100), 0, nil)
		_, err, _ := decode(t, sv, sid, &errReader{data: raw[:120], err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("chunked: err = %v", err)
		}
		_, err, _ = decode(t, sv, sid, &errReader{data: raw[:120], err: io.ErrUnexpectedEOF})
		if errCode(err) != CodeIncompleteBody {
			t.Fatalf("chunked unexpected EOF: err = %v", err)
		}
	})
	t.Run("bad identities", func(t *testing.T) {
		for _, id := range []*Identity{nil, {}, {Mode: StreamingSigned}, {Mode: StreamingSignedTrailer}, {Mode: SignedHex}, {Mode: 99}} {
			if _, err := v.Body(id, bytes.NewReader(nil)); err == nil {
				t.Fatalf("Body accepted %+v", id)
			}
		}
	})
	t.Run("anonymous unsigned trailer", func(t *testing.T) {
		r := &treq{method: "PUT", path: "/b/k", host: "h", h: map[string]string{
			"x-amz-content-sha256": streamingUnsignedTrailer, "x-amz-decoded-content-length": "5", "x-amz-trailer": "x-amz-checksum-crc32",
		}}
		id, err := v.Verify(r.request())
		if err != nil {
			t.Fatal(err)
		}
		raw := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
		got, err, body := decode(t, v, id, strings.NewReader(raw))
		if err != nil || string(got) != "hello" || body.Trailers()["x-amz-checksum-crc32"] != "NhCmhg==" {
			t.Fatalf("%q, %v, %v", got, err, body.Trailers())
		}
	})
	t.Run("trailers before EOF", func(t *testing.T) {
		sv, sid, seed := streamingSetup(t, StreamingUnsignedTrailer, 100, "x-amz-checksum-crc32")
		raw := encodeChunks(t, StreamingUnsignedTrailer, seed, pattern(100), 0, map[string]string{"x-amz-checksum-crc32": "AAAAAA=="})
		body, _ := sv.Body(sid, bytes.NewReader(raw))
		if _, err := body.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		if body.Trailers() != nil || body.TrailerChecksums() != nil {
			t.Fatal("trailers visible before EOF")
		}
	})
}
