package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// TestSetRdrAndNat: set and create refuse bad nat, nat_interface and rdr
// values naming what is accepted; good ones are kept and shown by get.
func TestSetRdrAndNat(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	for _, args := range [][]string{{"activate", s.Pool}, {"create", "-e", "tag=natweb"}} {
		if r := iocageOn(t, "", args...); r.Code != 0 {
			t.Fatalf("%s: %+v", strings.Join(args, " "), r)
		}
	}
	for _, tc := range []struct{ arg, msg string }{
		{"rdr=tcp 0:80", `port "0" is not a number 1-65535`},
		{"rdr=tcp 8080:70000", `port "70000" is not a number 1-65535`},
		{"rdr=sctp 80:80", `protocol "sctp" is not tcp or udp`},
		{"rdr=tcp 8080:80, tcp 8080:81", `both take tcp port 8080 of the host`},
		{"rdr=tcp 8080", `want HOSTPORT:JAILPORT`},
		{"rdr=tcp 8000-8010:8000-8010", `port ranges are not supported`},
		{"nat=yes", `property nat: invalid value "yes" (accepted: on or off)`},
		{"nat_interface=em0;rm", `is not a letter, digit`},
	} {
		r := iocageOn(t, "", "set", tc.arg, "natweb")
		if r.Code == 0 || !strings.Contains(r.Stderr, tc.msg) || !strings.Contains(r.Stderr, "accepted:") {
			t.Errorf("set %q = %+v, want an error saying %q and what is accepted", tc.arg, r, tc.msg)
		}
	}
	if r := iocageOn(t, "", "create", "-e", "tag=bad", "rdr=udp 53"); r.Code == 0 || !strings.Contains(r.Stderr, "property rdr") {
		t.Errorf("create with a bad rdr = %+v", r)
	}
	if r := iocageOn(t, "", "set", "nat=on", "nat_interface=em0", "rdr=tcp 8080:80, udp 5353:53", "natweb"); r.Code != 0 {
		t.Fatalf("set: %+v", r)
	}
	got := []result{iocageOn(t, "", "get", "rdr", "natweb"), iocageOn(t, "", "get", "nat", "natweb"), iocageOn(t, "", "get", "nat_interface", "natweb")}
	want := []result{{Stdout: "tcp 8080:80, udp 5353:53\n"}, {Stdout: "on\n"}, {Stdout: "em0\n"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("get (-want +got):\n%s", d)
	}
	// list shows them as any property.
	if d := cmp.Diff(result{Stdout: "natweb\ton\tem0\ttcp 8080:80, udp 5353:53\n"}, iocageOn(t, "", "list", "-H", "-o", "tag,nat,nat_interface,rdr")); d != "" {
		t.Errorf("list -o (-want +got):\n%s", d)
	}
}

// TestPfSetup: pf-setup prints the anchor points; --install appends the
// missing ones to /etc/pf.conf once, keeping what the file held.
func TestPfSetup(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	lines := "nat-anchor \"iocage/*\"\nrdr-anchor \"iocage/*\"\nanchor \"iocage/*\"\n"
	if d := cmp.Diff(result{Stdout: lines}, iocageOn(t, "", "pf-setup")); d != "" {
		t.Errorf("pf-setup (-want +got):\n%s", d)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Host.WriteFile("/etc/pf.conf", []byte("set skip on lo0\nnat-anchor \"iocage/*\"\npass all"), 0o600))
	want := result{Stdout: "added to /etc/pf.conf:\n  rdr-anchor \"iocage/*\"\n  anchor \"iocage/*\"\nreload pf for them to take effect: service pf reload\n"}
	if d := cmp.Diff(want, iocageOn(t, "", "pf-setup", "--install")); d != "" {
		t.Errorf("pf-setup --install (-want +got):\n%s", d)
	}
	if d := cmp.Diff(result{Stdout: "/etc/pf.conf has the anchor points already\n"}, iocageOn(t, "", "pf-setup", "--install")); d != "" {
		t.Errorf("pf-setup --install again (-want +got):\n%s", d)
	}
	b, err := s.Host.ReadFile("/etc/pf.conf")
	must(err)
	wantConf := "set skip on lo0\nnat-anchor \"iocage/*\"\npass all\n# Added by iocage pf-setup: the rules of jails with nat or rdr.\nrdr-anchor \"iocage/*\"\nanchor \"iocage/*\"\n"
	if d := cmp.Diff(wantConf, string(b)); d != "" {
		t.Errorf("/etc/pf.conf (-want +got):\n%s", d)
	}
	if fi, err := s.Host.Stat("/etc/pf.conf"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("/etc/pf.conf mode: %v, %v", fi.Mode(), err)
	}
	// A run that fails after the install puts the file back.
	must(s.Host.WriteFile("/etc/pf.conf", []byte("pass all\n"), 0o644))
	script := "def main():\n    pf.install_anchor_points()\n    fail(\"later step\")\n"
	if r := iocageOn(t, script, "run", "-"); r.Code != 1 || !strings.Contains(r.Stderr, "later step") {
		t.Errorf("failing run = %+v", r)
	}
	if b, err := s.Host.ReadFile("/etc/pf.conf"); err != nil || string(b) != "pass all\n" {
		t.Errorf("/etc/pf.conf after a failed run: %q, %v", b, err)
	}
}
