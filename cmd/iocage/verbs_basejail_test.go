package main

import (
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// create -b base=TEMPLATE from the command line: base= is an option of
// -b (a usage error otherwise), names an existing template (exit 3 for
// none, 1 for a jail that is no template), and basejail_source is
// read-only; get shows it on every jail.
func TestCreateBaseOnTemplateCommandLine(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	if r := iocageOn(t, "", "create", "-e", "tag=plain"); r.Code != 0 {
		t.Fatalf("create -e: %+v", r)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "base=plain"}, 2, "base=plain: a base is for basejails; give -b too"},
		{[]string{"create", "-e", "base=plain"}, 2, "give -b too"},
		{[]string{"create", "-b", "base="}, 2, "base=: name the template"},
		{[]string{"create", "-b", "base=nosuch"}, 3, `"nosuch": does not exist`},
		{[]string{"create", "-b", "base=plain"}, 1, "(plain) is not a template: `iocage set template=yes plain` makes it one"},
		{[]string{"set", "basejail_source=none", "plain"}, 1, "read-only"},
	} {
		r := iocageOn(t, "", tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v = %+v, want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
	if r := iocageOn(t, "", "get", "basejail_source", "plain"); r.Code != 0 || r.Stdout != "none\n" {
		t.Errorf("get basejail_source plain = %+v", r)
	}
}
