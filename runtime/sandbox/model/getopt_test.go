package model

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetopt(t *testing.T) {
	type result struct {
		Opts    []Option
		Rest    []string
		Bad     byte
		Missing bool
	}
	cases := []struct {
		name string
		args []string
		spec string
		want result
	}{
		{"clustered flags, attached and separate arguments, stop at operand",
			[]string{"-rHp", "-d1", "-o", "name,used", "pool", "-x"}, "rHpd:o:",
			result{Opts: []Option{{'r', ""}, {'H', ""}, {'p', ""}, {'d', "1"}, {'o', "name,used"}},
				Rest: []string{"pool", "-x"}}},
		{"argument taken from the rest of a cluster",
			[]string{"-rdfoo", "x"}, "rd:",
			result{Opts: []Option{{'r', ""}, {'d', "foo"}}, Rest: []string{"x"}}},
		{"double dash ends options and is dropped",
			[]string{"-a", "--", "-b"}, "ab",
			result{Opts: []Option{{'a', ""}}, Rest: []string{"-b"}}},
		{"a lone dash is an operand",
			[]string{"-", "-a"}, "a",
			result{Rest: []string{"-", "-a"}}},
		{"an option's argument may look like an option",
			[]string{"-o", "-x"}, "o:x",
			result{Opts: []Option{{'o', "-x"}}, Rest: []string{}}},
		{"unknown option", []string{"-a", "-z"}, "a",
			result{Bad: 'z'}},
		{"colon is never an option", []string{"-:"}, "a:",
			result{Bad: ':'}},
		{"missing argument", []string{"-a", "-o"}, "ao:",
			result{Bad: 'o', Missing: true}},
	}
	for _, c := range cases {
		var got result
		got.Opts, got.Rest, got.Bad, got.Missing = Getopt(c.args, c.spec)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: Getopt(%q, %q) (-want +got):\n%s", c.name, c.args, c.spec, diff)
		}
	}
}

func TestEnvGetoptPrintsLibcMessages(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-z"}, "jls: illegal option -- z\n"},
		{[]string{"-j"}, "jls: option requires an argument -- j\n"},
		{[]string{"-j", "web"}, ""},
	} {
		var stderr bytes.Buffer
		e := &Env{Prog: "/usr/sbin/jls", Stderr: &stderr}
		_, _, ok := e.Getopt(c.args, "j:")
		if diff := cmp.Diff(c.want, stderr.String()); diff != "" {
			t.Errorf("Getopt(%q) stderr (-want +got):\n%s", c.args, diff)
		}
		if ok != (c.want == "") {
			t.Errorf("Getopt(%q) ok = %v", c.args, ok)
		}
	}
}
