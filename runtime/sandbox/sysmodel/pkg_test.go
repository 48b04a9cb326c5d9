package sysmodel_test

import (
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// pkg -j names a running jail, as pkg(8) does through libjail; -j and -c
// together are refused; without either, the host has no pkg installed.
func TestPkgJailAndChrootOptions(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-j", "nosuch", "info"}, `pkg: jail "nosuch" not found`},
		{[]string{"-j", "x", "-c", "/", "info"}, "-j, -c and/or -r cannot be used at the same time"},
		{[]string{"-j"}, "usage: pkg"},
		{[]string{"info"}, "not yet installed"},
	} {
		r := run(t, h, runtime.Pkg, tc.args...)
		if r.Code != 1 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("pkg %q = %+v, want exit 1 and %q", tc.args, r, tc.want)
		}
	}
}
