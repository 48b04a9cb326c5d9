package net

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func scripted(t *testing.T, replies map[string]runtime.Reply) (*runtime.Host, *runtime.Scripted) {
	t.Helper()
	s := &runtime.Scripted{Replies: replies, Root: t.TempDir()}
	return runtime.New(s, runtime.Options{}), s
}

// exec runs src with the net module on h and returns its globals.
func exec(t *testing.T, h *runtime.Host, undo *thread.Undo, src string) (starlark.StringDict, error) {
	t.Helper()
	th := &starlark.Thread{Name: t.Name()}
	if undo != nil {
		undo.Host = h // its steps are replayed on h
	}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h, Undo: undo})
	return starlark.ExecFile(th, "test.star", src, starlark.StringDict{"net": NewModule(h)})
}

func TestOperationsArgv(t *testing.T) {
	h, s := scripted(t, map[string]runtime.Reply{"/sbin/ifconfig epair create": {Stdout: "epair3a\n"}})
	globals, err := exec(t, h, nil, `
e = net.epair_create()
host = net.rename(e.a, "vnet0:12", mtu=1500)
net.set_mac(host, "02ff60A1B2C3")
net.describe(host, "associated with jail: a1b2")
net.vnet_move(e.b, "ioc-a1b2")
net.rename(e.b, "vnet0", mtu=1500, jail="ioc-a1b2")
net.set_mac("vnet0", "02ff60A1B2C4", jail="ioc-a1b2")
net.bridge_add("bridge0", host)
net.up(host)
net.add_address("vnet0", net.parse_ip4("vnet0|192.168.1.10/24 mtu 1500")[0], jail="ioc-a1b2")
net.add_address("vnet0", "2001:db8::10/64", inet6=True, jail="ioc-a1b2")
net.route_add_default("192.168.1.1", jail="ioc-a1b2")
net.route_add_default("2001:db8::1", jail="ioc-a1b2", inet6=True, fib=2)
net.add_alias("em0", "192.168.1.50/32")
net.remove_alias("em0", "192.168.1.50/32")
net.remove_alias("em0", "2001:db8::50/64", inet6=True)
net.set_mtu("bridge0", 9000)
net.up("vnet0", jail="ioc-a1b2", fib=1)
net.bridge_remove("bridge0", host)
net.vnet_reclaim("vnet0", "ioc-a1b2")
net.epair_destroy(host)
`)
	if err != nil {
		t.Fatal(err)
	}
	want := `/sbin/ifconfig epair create
/sbin/ifconfig epair3a name vnet0:12 mtu 1500
/sbin/ifconfig vnet0:12 link 02ff60A1B2C3
/sbin/ifconfig vnet0:12 description 'associated with jail: a1b2'
/sbin/ifconfig epair3b vnet ioc-a1b2
/usr/sbin/jexec ioc-a1b2 /sbin/ifconfig epair3b name vnet0 mtu 1500
/usr/sbin/jexec ioc-a1b2 /sbin/ifconfig vnet0 link 02ff60A1B2C4
/sbin/ifconfig bridge0 addm vnet0:12 up
/sbin/ifconfig vnet0:12 up
/usr/sbin/jexec ioc-a1b2 /sbin/ifconfig vnet0 192.168.1.10/24 mtu 1500 up
/usr/sbin/jexec ioc-a1b2 /sbin/ifconfig vnet0 inet6 2001:db8::10/64 up
/usr/sbin/jexec ioc-a1b2 /sbin/route add default 192.168.1.1
/usr/sbin/setfib 2 /usr/sbin/jexec ioc-a1b2 /sbin/route add -6 default 2001:db8::1
/sbin/ifconfig em0 192.168.1.50/32 alias
/sbin/ifconfig em0 inet 192.168.1.50 -alias
/sbin/ifconfig em0 inet6 2001:db8::50 -alias
/sbin/ifconfig bridge0 mtu 9000
/usr/sbin/setfib 1 /usr/sbin/jexec ioc-a1b2 /sbin/ifconfig vnet0 up
/sbin/ifconfig bridge0 deletem vnet0:12
/sbin/ifconfig vnet0 -vnet ioc-a1b2
/sbin/ifconfig vnet0:12 destroy
`
	if diff := cmp.Diff(want, s.Transcript()); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if got := globals["e"].String(); got != `net.epair(a = "epair3a", b = "epair3b")` {
		t.Errorf("epair_create returned %s", got)
	}
}

func TestUndoTakesChangesBack(t *testing.T) {
	h, s := scripted(t, map[string]runtime.Reply{
		"/sbin/ifconfig epair create":             {Stdout: "epair0a\n"},
		"/sbin/ifconfig epair0b vnet ioc-missing": {Stderr: "ifconfig: jail \"ioc-missing\" not found\n", ExitCode: 1},
	})
	undo := &thread.Undo{}
	_, err := exec(t, h, undo, `
e = net.epair_create()
net.bridge_add("bridge0", e.a)
net.add_alias("em0", "10.0.0.9/24")
net.vnet_move(e.b, "ioc-missing")
`)
	want := `net.vnet_move: /sbin/ifconfig epair0b vnet ioc-missing: "ifconfig: jail \"ioc-missing\" not found": exit 1`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %s", err, want)
	}
	var ee *runtime.ExitError
	if !errors.As(err, &ee) {
		t.Errorf("the exit error is not wrapped: %v", err)
	}
	if err := undo.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	if diff := cmp.Diff([]string{
		"/sbin/ifconfig em0 inet 10.0.0.9 -alias",
		"/sbin/ifconfig bridge0 deletem epair0a",
		"/sbin/ifconfig epair0a destroy",
	}, calls[len(calls)-3:]); diff != "" {
		t.Errorf("rollback, newest first (-want +got):\n%s", diff)
	}
}

func TestOperationsRefuseBadArguments(t *testing.T) {
	for src, want := range map[string]string{
		`net.set_mtu("em0", 10)`:                       "net.set_mtu: mtu 10 is out of range 72-65535",
		`net.rename("epair0a", "vnet0", mtu=70000)`:    "net.rename: mtu 70000 is out of range 72-65535",
		`net.set_mac("em0", "02ff60")`:                 `net.set_mac: "02ff60" is not 12 hex digits`,
		`net.set_mac("em0", "01005e000001")`:           `net.set_mac: "01005e000001" is a multicast address`,
		`net.rename("em0", "-x")`:                      `net.rename: interface name "-x" does not start with a letter`,
		`net.up("em0", jail="-j")`:                     `net.up: jail name "-j" starts with '-'`,
		`net.up("em0", jail="a b")`:                    `net.up: jail name "a b" has a space or control character`,
		`net.up("em0", fib=-1)`:                        "net.up: fib -1 is negative",
		`net.add_address("vnet0", "10.0.0.1/40")`:      `net.add_address: address "10.0.0.1/40": mask length 40 is out of range 0-32`,
		`net.add_address("vnet0", "AUTOIP4")`:          `net.add_address: address "AUTOIP4": AUTOIP4 must be resolved first (net.autoip4)`,
		`net.add_alias("em0", "10.0.0.1", inet6=True)`: `net.add_alias: address "10.0.0.1": "10.0.0.1" is not an IPv6 address`,
		`net.route_add_default("none")`:                `net.route_add_default: gateway "none": a gateway address is needed`,
		`net.route_add_default("2001:db8::1")`:         `net.route_add_default: defaultrouter: "2001:db8::1" is not a unicast IPv4 address`,
		`net.vnet_move("epair0b", "")`:                 "net.vnet_move: empty jail name",
		`net.describe("em0", "a\nb")`:                  `net.describe: description "a\nb" has a control character`,
		`net.set_mtu("em0")`:                           "net.set_mtu: missing argument for mtu",
		`net.parse_ip4("em0|x")`:                       `net.parse_ip4: ip4_addr: entry 1 "em0|x": "x" is not an IPv4 address`,
		`net.vnet_mac("zz", 0)`:                        `net.vnet_mac: vnet MAC: jail UUID "zz" is shorter than 6 characters`,
	} {
		h, s := scripted(t, nil)
		_, err := exec(t, h, nil, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
		if n := len(s.Calls()); n != 0 {
			t.Errorf("%s ran %d commands before refusing", src, n)
		}
	}
}

func TestHostFacts(t *testing.T) {
	bridge := "bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\toptions=0\n\tether 58:9c:fc:10:ff:ca\n" +
		"\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n" +
		"\tmember: vnet0:12 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\t        ifmaxaddr 0 port 4 priority 128 path cost 2000\n" +
		"\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\t        ifmaxaddr 0 port 1 priority 128 path cost 20000\n" +
		"\tgroups: bridge\n\tnd6 options=9<PERFORMNUD,IFDISABLED>\n"
	lo := "lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384\n" +
		"\tinet 127.0.0.1 netmask 0xff000000\n\tinet6 ::1 prefixlen 128\n\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x2\n\tgroups: lo\n"
	h, s := scripted(t, map[string]runtime.Reply{
		"/sbin/route -n get default": {Stdout: "   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n" +
			"        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n"},
		"/sbin/route -6 -n get default":        {Stderr: "route: route has not been found\n", ExitCode: 1},
		"/sbin/ifconfig -l":                    {Stdout: "em0 lo0 bridge0\n"},
		"/sbin/ifconfig bridge0":               {Stdout: bridge},
		"/sbin/ifconfig lo0":                   {Stdout: lo},
		"/sbin/ifconfig nope0":                 {Stderr: "ifconfig: interface nope0 does not exist\n", ExitCode: 1},
		"/sbin/sysctl -n kern.features.vimage": {Stdout: "1\n"},
	})
	g, err := exec(t, h, nil, `
r = net.default_route()
r6 = net.default_route(inet6=True)
names = net.interfaces()
b = net.interface("bridge0")
l = net.interface("lo0")
v = net.vimage()
a = net.autoip4(10, 20, 24, used=["em0|192.168.1.10/24"])
`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range g {
		got[k] = v.String()
	}
	want := map[string]string{
		"r":     `net.route(interface = "em0", gateway = "192.168.1.1")`,
		"r6":    "None",
		"names": `["em0", "lo0", "bridge0"]`,
		"b": `net.interface(name = "bridge0", mtu = 1500, up = True, mac = "58:9c:fc:10:ff:ca", description = "", ` +
			`members = ["vnet0:12", "em0"], groups = ["bridge"], inet = [], inet6 = [])`,
		"l": `net.interface(name = "lo0", mtu = 16384, up = True, mac = "", description = "", members = [], groups = ["lo"], ` +
			`inet = ["127.0.0.1/8"], inet6 = ["::1/128", "fe80::1/64"])`,
		"v": "True",
		"a": `"192.168.1.11/24"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	_, err = exec(t, h, nil, `net.interface("nope0")`)
	if !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("missing interface: err = %v, want one wrapping ErrNotExist", err)
	}
	if n := len(s.Calls()); n != 8 {
		t.Errorf("host commands = %d, want 8 (one per fact):\n%s", n, s.Transcript())
	}

	// A kernel without VIMAGE has no such sysctl.
	h2, _ := scripted(t, map[string]runtime.Reply{
		"/sbin/sysctl -n kern.features.vimage": {Stderr: "sysctl: unknown oid 'kern.features.vimage'\n", ExitCode: 1},
	})
	if ok, err := VIMAGE(context.Background(), h2); ok || err != nil {
		t.Errorf("VIMAGE without the sysctl = %v, %v", ok, err)
	}
}

func TestDocsCoverEveryBuiltin(t *testing.T) {
	m := NewModule(nil)
	for name := range m.Members {
		doc, ok := Docs["net."+name]
		if !ok {
			t.Errorf("net.%s has no docstring", name)
			continue
		}
		if !strings.HasPrefix(doc, "net."+name+"(") {
			t.Errorf("net.%s: docstring does not start with its signature: %q", name, doc)
		}
	}
	for name := range Docs {
		if _, ok := m.Members[strings.TrimPrefix(name, "net.")]; !ok && name != "net" {
			t.Errorf("Docs has %s, which is no builtin", name)
		}
	}
}

func TestBridgesAndDetail(t *testing.T) {
	mine := "bridge1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: created by iocage\n\tgroups: bridge\n"
	admin := "bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tgroups: bridge\n"
	busy := "bridge2: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: created by iocage\n" +
		"\tmember: vnet0:3 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\tgroups: bridge\n"
	h, s := scripted(t, map[string]runtime.Reply{
		"/sbin/ifconfig epair create description 'associated with jail: a1b2'": {Stdout: "epair4a\n"},
		"/sbin/ifconfig bridge1": {Stdout: mine},
		"/sbin/ifconfig bridge0": {Stdout: admin},
		"/sbin/ifconfig bridge2": {Stdout: busy},
		"/sbin/ifconfig -a":      {Stdout: admin + mine},
	})
	undo := &thread.Undo{}
	g, err := exec(t, h, undo, `
e = net.epair_create(description="associated with jail: a1b2")
net.bridge_create("bridge7")
all = [(i.name, i.description) for i in net.interfaces(detail=True)]
net.bridge_destroy("bridge1")
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := g["all"].String(); got != `[("bridge0", ""), ("bridge1", "created by iocage")]` {
		t.Errorf("interfaces(detail=True) = %s", got)
	}
	if err := undo.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `/sbin/ifconfig epair create description 'associated with jail: a1b2'
/sbin/ifconfig bridge7 create description 'created by iocage' up
/sbin/ifconfig -a
/sbin/ifconfig bridge1
/sbin/ifconfig bridge1 destroy
/sbin/ifconfig bridge7 destroy
/sbin/ifconfig epair4a destroy
`
	if diff := cmp.Diff(want, s.Transcript()); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}

	for src, want := range map[string]string{
		`net.bridge_destroy("bridge0")`:          `net.bridge_destroy: bridge0 was not created by iocage (its description is not "created by iocage"); iocage leaves it alone`,
		`net.bridge_destroy("bridge2")`:          "net.bridge_destroy: bridge2 still has members vnet0:3",
		`net.bridge_create("bridge")`:            `net.bridge_create: bridge name "bridge" is not bridgeN`,
		`net.bridge_create("em0")`:               `net.bridge_create: bridge name "em0" is not bridgeN`,
		`net.bridge_destroy("bridge01")`:         `net.bridge_destroy: bridge name "bridge01" is not bridgeN`,
		`net.epair_create(description="a\nb")`:   `net.epair_create: description "a\nb" has a control character`,
		`net.resolv_conf("jail/root", "copy")`:   `net.resolv_conf: root "jail/root" is not an absolute jail root path`,
		`net.resolv_conf("/j/../root", "copy")`:  `net.resolv_conf: root "/j/../root" is not an absolute jail root path`,
		`net.resolv_conf("/j/root", "")`:         `net.resolv_conf: resolver: empty value`,
		`net.resolv_conf("/j/root", "a;b\x01c")`: `net.resolv_conf: resolver: line "b\x01c" has a control character`,
	} {
		h, s := scripted(t, map[string]runtime.Reply{"/sbin/ifconfig bridge0": {Stdout: admin}, "/sbin/ifconfig bridge2": {Stdout: busy}})
		_, err := exec(t, h, nil, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
		for _, c := range s.Calls() {
			if strings.HasSuffix(c, " destroy") || strings.Contains(c, " create") {
				t.Errorf("%s ran %q before refusing", src, c)
			}
		}
	}
}
