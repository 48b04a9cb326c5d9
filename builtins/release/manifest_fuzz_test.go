package release

import (
	"strings"
	"testing"
)

func FuzzParseManifest(f *testing.F) {
	sum := strings.Repeat("ab", 32)
	for _, s := range []string{
		"base.txz\t" + sum + "\t26942\tbase\t\"Base system (MANDATORY)\"\ton\nlib32.txz\t" + strings.Repeat("CD", 32) + "\t1028\tlib32\t\"32-bit compatibility libraries\"\ton\n",
		"src.txz\t" + sum + "\t1\tsrc\t\"System source tree\"\toff\r\n\n",
		"base.txz\t" + sum + "\t-1\tbase\t\"x\"\ton\n", "../x.txz\t" + sum + "\t1\tb\t\"x\"\ton\n", "base.txz\tzz\t1\tb\t\"x\"\ton\n",
		"base.txz\t" + sum + "\t1\tb\t\"x\"\tmaybe\n", "base.txz\t" + sum + "\t1\tb\t\"x\"\ton\nbase.txz\t" + sum + "\t1\tb\t\"x\"\ton\n",
		"", "\t\t\t\t\t", "a\tb",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseManifest(b)
		if err != nil {
			if es != nil {
				t.Fatalf("entries %v with error %v", es, err)
			}
			return
		}
		if len(es) == 0 {
			t.Fatal("no entries and no error")
		}
		seen := map[string]bool{}
		for _, e := range es {
			if !distFileRe.MatchString(e.File) || strings.ContainsAny(e.File, "/\x00") || seen[e.File] {
				t.Fatalf("file %q accepted", e.File)
			}
			seen[e.File] = true
			if !sha256Re.MatchString(e.SHA256) || e.Count < 0 {
				t.Fatalf("entry %+v accepted", e)
			}
			if strings.ContainsAny(e.Component+e.Description, "\t\n") {
				t.Fatalf("entry %+v holds a field separator", e)
			}
		}
	})
}
