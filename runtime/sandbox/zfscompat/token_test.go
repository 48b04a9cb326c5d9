package zfscompat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	p := resumePoint{ToName: "pool/src@s2", ToGUID: 0xdeadbeef, FromGUID: 7, Bytes: 12345, Sum: hex.EncodeToString(sum[:])}
	tok := encodeToken(p)
	if !regexp.MustCompile(`^[0-9a-z-]+$`).MatchString(tok) || len(tok) > maxTokenLen {
		t.Fatalf("token %q: want [0-9a-z-]+ of at most %d", tok, maxTokenLen)
	}
	got, err := decodeToken(tok)
	if err != nil || got != p {
		t.Fatalf("decodeToken(encodeToken(%+v)) = %+v, %v", p, got, err)
	}
	// One changed hex digit of the payload breaks the checksum.
	bad := tok[:len(tok)-1] + "0"
	if strings.HasSuffix(tok, "0") {
		bad = tok[:len(tok)-1] + "1"
	}
	if _, err := decodeToken(bad); err == nil {
		t.Errorf("decodeToken accepted a token with a changed payload")
	}
	for _, s := range []string{"", "1", "1-0-0-", "2-" + tok[2:], strings.Repeat("a", maxTokenLen+1)} {
		if _, err := decodeToken(s); err == nil {
			t.Errorf("decodeToken(%q) accepted", s)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	sum := sha256.Sum256(nil)
	f.Add(encodeToken(resumePoint{ToName: "p/a@b", ToGUID: 1, Bytes: 3, Sum: hex.EncodeToString(sum[:])}))
	f.Add("1-0-0-")
	f.Add("1-e604ea4bf-e0-789c")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := decodeToken(tok)
		if err != nil {
			return
		}
		if p.Bytes < 0 || !validSnapName(p.ToName) {
			t.Fatalf("decodeToken(%q) = %+v: invalid fields accepted", tok, p)
		}
		if q, err := decodeToken(encodeToken(p)); err != nil || q != p {
			t.Fatalf("re-encoding %+v: %+v, %v", p, q, err)
		}
	})
}

func FuzzReadResumeHeader(f *testing.F) {
	sum := sha256.Sum256(nil)
	f.Add(append(resumeHeader(encodeToken(resumePoint{ToName: "p/a@b", Sum: hex.EncodeToString(sum[:])})), "rest"...))
	f.Add([]byte(resumeMagic + "\xff\xff\xff\xff"))
	f.Add([]byte("\x00\x00\x00\x00short"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, p, err := readResumeHeader(bytes.NewReader(in))
		if err != nil {
			return
		}
		if p == nil {
			// Not a resume stream: the input comes back whole.
			var out bytes.Buffer
			out.ReadFrom(r)
			if !bytes.Equal(out.Bytes(), in) {
				t.Fatalf("ordinary stream not returned whole")
			}
		}
	})
}

// record builds one replay record header.
func record(typ uint32, fill func(b []byte)) []byte {
	b := make([]byte, drrSize)
	b[0] = byte(typ)
	if fill != nil {
		fill(b)
	}
	return b
}

func beginRecord(compound bool) []byte {
	return record(drrBegin, func(b []byte) {
		copy(b[8:16], []byte{0xac, 0xcb, 0xba, 0xf5, 0x02, 0, 0, 0}) // magic, little endian
		if compound {
			b[16] = 2
		}
		copy(b[56:], "pool/src@s1")
	})
}

func TestStreamWalker(t *testing.T) {
	write := record(drrWrite, func(b []byte) { b[32] = 5 })
	object := record(drrObject, func(b []byte) { b[28] = 3 })
	end := record(drrEnd, nil)
	var full []byte
	full = append(full, beginRecord(false)...)
	full = append(full, object...)
	full = append(full, "bon\x00\x00\x00\x00\x00"...) // 3 rounded up to 8
	full = append(full, write...)
	full = append(full, "12345"...)
	full = append(full, end...)
	for cut := 0; cut <= len(full); cut++ {
		w := &streamWalker{}
		w.Write(full[:cut])
		if got, want := w.complete(), cut == len(full); got != want {
			t.Errorf("stream cut at %d of %d: complete = %v, want %v", cut, len(full), got, want)
		}
		if w.bad {
			t.Errorf("stream cut at %d: walker lost its way", cut)
		}
	}
	// A package: header BEGIN, END, one substream, the final END.
	var pkg []byte
	pkg = append(pkg, beginRecord(true)...)
	pkg = append(pkg, end...)
	pkg = append(pkg, full...)
	w := &streamWalker{}
	w.Write(pkg)
	if w.complete() {
		t.Errorf("package without its final END is complete")
	}
	w.Write(end)
	if !w.complete() || w.bad {
		t.Errorf("package with its final END: complete %v, bad %v", w.complete(), w.bad)
	}
}

func FuzzStreamWalker(f *testing.F) {
	f.Add(append(beginRecord(false), record(drrEnd, nil)...), 7)
	f.Add(append(beginRecord(true), record(drrWrite, func(b []byte) { b[39] = 0xff })...), 100)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		whole := &streamWalker{}
		whole.Write(in)
		if chunk <= 0 {
			chunk = 1
		}
		parts := &streamWalker{}
		for i := 0; i < len(in); i += chunk {
			parts.Write(in[i:min(i+chunk, len(in))])
		}
		if whole.complete() != parts.complete() || whole.bad != parts.bad || whole.records != parts.records {
			t.Fatalf("walker differs when written in chunks of %d", chunk)
		}
	})
}
