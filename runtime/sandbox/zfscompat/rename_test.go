package zfscompat_test

import (
	"strings"
	"testing"
)

// OpenZFS's zfs rename refuses -p with -r, and -u with -p, with its usage
// (exit 2) and renames nothing.
func TestRenameRefusesExclusiveFlags(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	mustZFS(t, s, "create", "-p", p+"/rn/a")
	mustZFS(t, s, "snapshot", "-r", p+"/rn@s")
	for _, c := range []struct {
		args []string
		head string
	}{
		{[]string{"rename", "-p", "-r", p + "/rn@s", p + "/rn@t"}, "-p and -r options are mutually exclusive\nusage:"},
		{[]string{"rename", "-rp", p + "/rn@s", p + "/rn@t"}, "-p and -r options are mutually exclusive\nusage:"},
		{[]string{"rename", "-u", "-p", p + "/rn/a", p + "/rn/x/b"}, "-u and -p options are mutually exclusive\nusage:"},
	} {
		r := zfs(t, s, c.args...)
		if r.code != 2 || !strings.HasPrefix(r.err, c.head) {
			t.Errorf("zfs %v = exit %d, stderr %q; want exit 2, stderr starting %q", c.args, r.code, r.err, c.head)
		}
	}
	got := mustZFS(t, s, "list", "-H", "-r", "-t", "all", "-o", "name", p+"/rn")
	want := p + "/rn\n" + p + "/rn@s\n" + p + "/rn/a\n" + p + "/rn/a@s\n"
	if got != want {
		t.Errorf("after the refused renames: %q, want %q", got, want)
	}
}
