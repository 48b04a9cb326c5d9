package zfscompat

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNicenum(t *testing.T) {
	cases := []struct {
		n     uint64
		bytes bool
		want  string
	}{
		{0, true, "0B"},
		{0, false, "0"},
		{512, true, "512B"},
		{1024, true, "1K"},
		{114688, true, "112K"},
		{10239, true, "10.0K"},
		{1536, true, "1.50K"},
		{2096062464, true, "1.95G"},
		{1 << 40, false, "1T"},
	}
	for _, c := range cases {
		if got := nicenum(c.n, c.bytes); got != c.want {
			t.Errorf("nicenum(%d, %v) = %q, want %q", c.n, c.bytes, got, c.want)
		}
	}
}

func TestGetopt(t *testing.T) {
	opts, rest, bad, _ := getopt([]string{"-rHp", "-d1", "-o", "name,used", "pool", "-x"}, "rHpd:o:")
	want := []opt{{'r', ""}, {'H', ""}, {'p', ""}, {'d', "1"}, {'o', "name,used"}}
	if diff := cmp.Diff(want, opts, cmp.AllowUnexported(opt{})); diff != "" || bad != 0 {
		t.Errorf("options (-want +got):\n%s (bad %q)", diff, bad)
	}
	if diff := cmp.Diff([]string{"pool", "-x"}, rest); diff != "" {
		t.Errorf("operands (-want +got):\n%s", diff)
	}
	if _, _, bad, unknown := getopt([]string{"-o"}, "o:"); bad != 'o' || unknown {
		t.Errorf("missing argument: bad %q unknown %v", bad, unknown)
	}
}

func TestFuseCompression(t *testing.T) {
	for v, want := range map[string][2]string{
		"lz4": {"lzjb", "lz4"}, "gzip-9": {"gzip-9", noShadow}, "zstd-19": {"lzjb", "zstd-19"},
		"off": {"off", noShadow}, "zstd-fast-1000": {"lzjb", "zstd-fast-1000"},
	} {
		f, sh, ok := fuseCompression(v)
		if !ok || f != want[0] || sh != want[1] {
			t.Errorf("fuseCompression(%q) = %q, %q, %v; want %q, %q", v, f, sh, ok, want[0], want[1])
		}
	}
	for _, v := range []string{"lz5", "gzip-10", "zstd-20", "zstd-fast-11"} {
		if _, _, ok := fuseCompression(v); ok {
			t.Errorf("fuseCompression(%q) accepted", v)
		}
	}
}
