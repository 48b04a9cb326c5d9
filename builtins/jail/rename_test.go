package jail_test

import (
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/jail"
)

func TestRewriteRcHostname(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`hostname="old"`, `hostname="new"`},
		{`hostname='old'`, `hostname='new'`},
		{`hostname=old`, `hostname=new`},
		{"  hostname=\"old\"  # set by iocage", "  hostname=\"new\"  # set by iocage"},
		{"hostname=old\t", "hostname=new\t"},
		{"a=1\nhostname=\"old\"\nb=2\n", "a=1\nhostname=\"new\"\nb=2\n"},
		// Not the old name, or not one the line compare can read as sh does.
		{`hostname="older"`, `hostname="older"`},
		{`hostname="old.example.org"`, `hostname="old.example.org"`},
		{`hostname="$old"`, `hostname="$old"`},
		{`hostname="old"; sshd_enable=YES`, `hostname="old"; sshd_enable=YES`},
		{`hostname="old"x`, `hostname="old"x`},
		{`hostname=old#x`, `hostname=old#x`},
		{`hostname="old`, `hostname="old`},
		{`#hostname="old"`, `#hostname="old"`},
		{`myhostname="old"`, `myhostname="old"`},
		{`hostname = "old"`, `hostname = "old"`},
	} {
		got, n := jail.RewriteRcHostname(tc.in, "old", "new")
		if got != tc.want {
			t.Errorf("RewriteRcHostname(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if want := strings.Count(tc.in, "old") - strings.Count(tc.want, "old"); n != want {
			t.Errorf("RewriteRcHostname(%q): %d lines, want %d", tc.in, n, want)
		}
	}
}

// FuzzRewriteRcHostname: an rc.conf is the jail's, so anything. Only
// lines that assign exactly the old name change, each to the same line
// with the new name; every other line stays byte for byte.
func FuzzRewriteRcHostname(f *testing.F) {
	for _, s := range []string{
		"hostname=\"old\"\n", "hostname='old'", "hostname=old # c", "hostname=\"old\nx\"", "hostname=\"\"",
		"hostname=old\r\n", "\thostname=old\t#", "hostname='old\"", "hostname=\"old\"\"old\"",
	} {
		f.Add(s, "old")
	}
	f.Fuzz(func(t *testing.T, text, old string) {
		const new = "new-name"
		got, n := jail.RewriteRcHostname(text, old, new)
		in, out := strings.Split(text, "\n"), strings.Split(got, "\n")
		if len(in) != len(out) {
			t.Fatalf("%d lines became %d", len(in), len(out))
		}
		changed := 0
		for i := range in {
			if in[i] == out[i] {
				continue
			}
			changed++
			if !strings.HasPrefix(strings.TrimLeft(in[i], " \t"), "hostname=") {
				t.Fatalf("line %q is no hostname assignment, yet became %q", in[i], out[i])
			}
			if back, m := jail.RewriteRcHostname(out[i], new, old); m != 1 || back != in[i] {
				t.Fatalf("line %q became %q, which renamed back is %q", in[i], out[i], back)
			}
		}
		if changed != n {
			t.Fatalf("%d lines changed, reported %d", changed, n)
		}
	})
}
