//go:build linux

package net_test

// These tests drive the net module against the sandbox host: the
// ifconfig/route models and a real (modelled) VNET jail. They need root;
// see sandboxtest.

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/net"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

func star(t *testing.T, h *runtime.Host, src string) starlark.StringDict {
	t.Helper()
	th := &starlark.Thread{Name: t.Name()}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h, Undo: thread.NewUndo(h, nil)})
	g, err := starlark.ExecFile(th, "test.star", src, starlark.StringDict{"net": net.NewModule(h)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func run(t *testing.T, h *runtime.Host, prog string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	res, err := h.Run(context.Background(), &runtime.Cmd{Path: prog, Args: args, Stdout: &out, Stderr: &errb})
	code := 0
	if res != nil {
		code = res.ExitCode
	}
	if err != nil && res == nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	return out.String(), errb.String(), code
}

func mustRun(t *testing.T, h *runtime.Host, prog string, args ...string) string {
	t.Helper()
	out, errs, code := run(t, h, prog, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d: %s", prog, strings.Join(args, " "), code, errs)
	}
	return out
}

// TestVnetStartAndStop runs the VNET steps of lifecycle.md §4.3 and the
// teardown of §5 with the builtins, then checks the host and the jail as
// ifconfig and route show them.
func TestVnetStartAndStop(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	root := "/jailroots/nettest"
	if err := os.MkdirAll(s.Path(root), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(s.Path(root)) })
	mustRun(t, h, runtime.Jail, "-c", "name=ioc-nettest", "path="+root, "vnet", "persist")
	t.Cleanup(func() { run(t, h, runtime.Jail, "-r", "ioc-nettest") })

	g := star(t, h, `
nics = net.parse_interfaces("vnet0:bridge0")
member = net.interface(nics[0].bridge).members[0]
mtu = net.interface(member).mtu
mac = net.vnet_mac("a1b2c3d4-1111-2222-3333-444455556666", nics[0].index)
e = net.epair_create()
host = net.rename(e.a, "vnet0:1", mtu=mtu)
net.set_mac(host, mac.host)
net.describe(host, "associated with jail: a1b2c3d4")
net.vnet_move(e.b, "ioc-nettest")
net.rename(e.b, "vnet0", mtu=mtu, jail="ioc-nettest")
net.set_mac("vnet0", mac.jail, jail="ioc-nettest")
net.bridge_add(nics[0].bridge, host)
net.up(host)
def addresses(value):
    for a in net.parse_ip4(value):
        net.add_address(a.interface, a, jail="ioc-nettest")
addresses("vnet0|192.168.1.60/24")
net.route_add_default(net.parse_defaultrouter("192.168.1.1"), jail="ioc-nettest")
`)
	if got := g["mtu"].String(); got != "1500" {
		t.Errorf("member MTU = %s", got)
	}
	jailIf := mustRun(t, h, runtime.Jexec, "ioc-nettest", runtime.Ifconfig, "vnet0")
	want := []string{
		"vnet0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500",
		"\tether 02:ff:60:a1:b2:c4",
		"\tinet 192.168.1.60 netmask 0xffffff00 broadcast 192.168.1.255",
	}
	var got []string
	for _, l := range strings.Split(jailIf, "\n") {
		if strings.HasPrefix(l, "vnet0:") || strings.HasPrefix(l, "\tether") || strings.HasPrefix(l, "\tinet ") {
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jail side (-want +got):\n%s", diff)
	}
	if out := mustRun(t, h, runtime.Jexec, "ioc-nettest", runtime.Route, "-n", "get", "default"); !strings.Contains(out, "  interface: vnet0\n") {
		t.Errorf("jail default route:\n%s", out)
	}
	hostIf := star(t, h, `b = net.interface("bridge0")`)["b"].(starlark.HasAttrs)
	members, _ := hostIf.Attr("members")
	if diff := cmp.Diff(`["vnet0:1", "em0"]`, members.String()); diff != "" {
		t.Errorf("bridge members (-want +got):\n%s", diff)
	}

	// §5: destroying the host end takes the jail end with it; then the
	// jail goes and so does its stack.
	star(t, h, `net.epair_destroy("vnet0:1")`)
	if out := mustRun(t, h, runtime.Jexec, "ioc-nettest", runtime.Ifconfig, "-l"); out != "lo0\n" {
		t.Errorf("jail interfaces after destroy: %q", out)
	}
	mustRun(t, h, runtime.Jail, "-r", "ioc-nettest")
	names := star(t, h, `n = net.interfaces()`)["n"].String()
	if names != `["em0", "lo0", "bridge0", "bridge1"]` {
		t.Errorf("host interfaces at the end: %s", names)
	}
}

// TestInterfaceReturnsWhenJailIsRemoved removes a jail that still holds an
// epair end: FreeBSD gives it back to the host.
func TestInterfaceReturnsWhenJailIsRemoved(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	root := "/jailroots/nettest2"
	if err := os.MkdirAll(s.Path(root), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(s.Path(root)) })
	mustRun(t, h, runtime.Jail, "-c", "name=ioc-ret", "path="+root, "vnet", "persist")
	star(t, h, `
e = net.epair_create()
net.vnet_move(e.b, "ioc-ret")
net.rename(e.b, "vnet0", jail="ioc-ret")
`)
	if out := mustRun(t, h, runtime.Ifconfig, "-l"); out != "em0 lo0 bridge0 bridge1 epair0a\n" {
		t.Errorf("host while the jail runs: %q", out)
	}
	mustRun(t, h, runtime.Jail, "-r", "ioc-ret")
	if out := mustRun(t, h, runtime.Ifconfig, "-l"); out != "em0 lo0 bridge0 bridge1 epair0a vnet0\n" {
		t.Errorf("host after jail -r: %q", out)
	}
	// A jail without vnet cannot take an interface.
	mustRun(t, h, runtime.Jail, "-c", "name=ioc-flat", "path="+root, "persist")
	t.Cleanup(func() { run(t, h, runtime.Jail, "-r", "ioc-flat") })
	_, errs, code := run(t, h, runtime.Ifconfig, "vnet0", "vnet", "ioc-flat")
	if code != 1 || errs != "ifconfig: SIOCSIFVNET: File exists\n" {
		t.Errorf("vnet into a shared-stack jail: exit %d, %q", code, errs)
	}
}
