package zfscompat

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox/model"
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

func TestOptionErrorsUseOpenZFSWording(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "invalid option 'x'\nusage: zfs list\n"},
		{[]string{"-d"}, "missing argument for 'd' option\nusage: zfs list\n"},
	} {
		var stderr bytes.Buffer
		e := &model.Env{Prog: "/sbin/zfs", Stderr: &stderr}
		opts, rest, rc := options(e, c.args, "d:", "usage: zfs list\n")
		if rc != 2 || opts != nil || rest != nil {
			t.Errorf("options(%q) = %v, %q, %d; want nil, nil, 2", c.args, opts, rest, rc)
		}
		if diff := cmp.Diff(c.want, stderr.String()); diff != "" {
			t.Errorf("options(%q) stderr (-want +got):\n%s", c.args, diff)
		}
	}
	opts, rest, rc := options(&model.Env{}, []string{"-d1", "pool"}, "d:", "")
	if diff := cmp.Diff([]model.Option{{Flag: 'd', Arg: "1"}}, opts); diff != "" || rc != 0 {
		t.Errorf("options: rc %d, options (-want +got):\n%s", rc, diff)
	}
	if diff := cmp.Diff([]string{"pool"}, rest); diff != "" {
		t.Errorf("operands (-want +got):\n%s", diff)
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
