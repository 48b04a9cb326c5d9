//go:build linux

package net_test

// These tests run the networking recipe (recipes/net.star) as start, stop
// and create call it, on the sandbox host with a real (modelled) jail:
// what FreeBSD is sent (golden transcripts), what the host and the jail
// look like afterwards, that a failed start leaves nothing, that down
// cleans up after a start stopped at any step, and that parallel AUTOIP4
// allocations never collide.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// driver calls the recipe's functions the way start, stop and create do.
const driver = `
load("@iocage//net.star", "up", "down", "jail_ip_params", "autoip4", "resolver")

def main(op, name = "", jid = 0, create_bridges = False, value = "", uuid = ""):
    if op == "autoip4":
        def store(v):
            zfs.create(jail.pool() + "/iocage/jails/" + uuid, properties = {
                "org.freebsd.iocage:ip4_addr": v, "org.freebsd.iocage:tag": uuid,
                "org.freebsd.iocage:host_hostuuid": uuid})
        return autoip4(value, store = store)
    j = jail.lookup(name)
    if op == "up":
        return up(j, jid, create_bridges = create_bridges)
    if op == "down":
        return down(j)
    if op == "params":
        return jail_ip_params(j)
    if op == "resolver":
        return resolver(j)
    fail("unknown op " + op)
`

type env struct {
	t    *testing.T
	s    *sandboxtest.Sandbox
	h    *runtime.Host
	pool string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := sandboxtest.New(t)
	ctx := context.Background()
	if err := jail.Activate(ctx, s.Host, s.Pool); err != nil {
		t.Fatal(err)
	}
	if _, err := jail.Prepare(ctx, s.Host, s.Pool); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, s: s, h: s.Host, pool: s.Pool}
}

// mkjail makes the dataset of a jail as create does (every property
// resolved, extra on top) and its root with an etc directory.
func (e *env) mkjail(uuid string, extra map[string]string) string {
	e.t.Helper()
	vals := jailprops.Resolve(extra, nil, jailprops.Builtins(jailprops.Generated{UUID: uuid, Tag: "t" + uuid[:4], HostID: "h", VNET: true, Release: "14.3-RELEASE"}))
	props := map[string]string{}
	for k, v := range vals {
		if p, _ := jailprops.Lookup(k); !p.Native {
			props[jailprops.Prefix+k] = v
		}
	}
	if err := zfs.Create(context.Background(), e.h, jail.JailsDS(e.pool)+"/"+uuid, false, props); err != nil {
		e.t.Fatal(err)
	}
	root := "/iocage/jails/" + uuid + "/root"
	if err := os.MkdirAll(e.h.LocalPath(root+"/etc"), 0o755); err != nil {
		e.t.Fatal(err)
	}
	return root
}

func (e *env) interp() *starlib.Interp {
	return starlib.New(starlib.Options{Host: e.h, Root: fstest.MapFS{"drive.star": {Data: []byte(driver)}}, RootDir: "/test"})
}

// call runs the driver's main as a run of its own: a failure rolls back.
func (e *env) call(kw map[string]any) (starlark.Value, error) {
	var kwargs []starlark.Tuple
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v starlark.Value
		switch x := kw[k].(type) {
		case string:
			v = starlark.String(x)
		case int:
			v = starlark.MakeInt(x)
		case bool:
			v = starlark.Bool(x)
		}
		kwargs = append(kwargs, starlark.Tuple{starlark.String(k), v})
	}
	return e.interp().CallMain(context.Background(), "//drive.star", kwargs)
}

func (e *env) mustCall(kw map[string]any) starlark.Value {
	e.t.Helper()
	v, err := e.call(kw)
	if err != nil {
		e.t.Fatalf("%v: %v", kw, err)
	}
	return v
}

// resetMACs forgets the stored vnet MACs, so that every run of up
// generates and stores them again and the changes of a run are numbered
// alike each time.
func (e *env) resetMACs(uuid string) {
	e.t.Helper()
	mustRun(e.t, e.h, runtime.ZFS, "set", "org.freebsd.iocage:vnet0_mac=none", "org.freebsd.iocage:vnet1_mac=none", jail.JailsDS(e.pool)+"/"+uuid)
}

func (e *env) jid(name string) int {
	e.t.Helper()
	var n int
	if _, err := fmt.Sscan(mustRun(e.t, e.h, runtime.Jls, "-j", name, "jid"), &n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// output runs a read-only command and returns what it printed, errors
// included, so that a state can be compared whatever it is.
func output(h *runtime.Host, prog string, args ...string) string {
	var out, errs bytes.Buffer
	res, err := h.Run(context.Background(), &runtime.Cmd{Path: prog, Args: args, Stdout: &out, Stderr: &errs})
	code := -1
	if res != nil {
		code = res.ExitCode
	}
	if err != nil && res == nil {
		fmt.Fprintf(&errs, "%v\n", err)
	}
	return fmt.Sprintf("$ %s %s\n%s%s[exit %d]\n", prog, strings.Join(args, " "), out.String(), errs.String(), code)
}

// netState is what networking can change: the host's interfaces in full,
// and when a jail runs, its interfaces and default routes.
func netState(h *runtime.Host, jailName string) string {
	s := output(h, runtime.Ifconfig, "-a")
	if jailName != "" {
		s += output(h, runtime.Jexec, jailName, runtime.Ifconfig, "-a")
		s += output(h, runtime.Jexec, jailName, runtime.Route, "-n", "get", "default")
		s += output(h, runtime.Jexec, jailName, runtime.Route, "-6", "-n", "get", "default")
	}
	return s
}

// driverLookup matches the reads of the test driver's jail.lookup, which
// are no part of what start and stop send.
var driverLookup = regexp.MustCompile(`^(/sbin/zfs list |/sbin/zpool list |/usr/sbin/jls |/sbin/zfs get -H -o name,value org.freebsd.iocage:active )`)

// transcript is the commands recorded since the last call, with the
// run-specific names replaced (the jail's UUID, the pool, the JID in
// host-side interface names) and the driver's lookups left out.
func (e *env) transcript(uuid string) string {
	var b strings.Builder
	for _, ev := range e.h.Events() {
		c := ev.Cmd
		if driverLookup.MatchString(c) {
			continue
		}
		c = strings.ReplaceAll(c, uuid, "UUID")
		c = strings.ReplaceAll(c, e.pool, "POOL")
		c = hostSideName.ReplaceAllString(c, "${1}:JID")
		b.WriteString(c + "\n")
	}
	return b.String()
}

var hostSideName = regexp.MustCompile(`\b(vnet[0-3]):[0-9]+\b`)

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

const vnetUUID = "a1b2c3d4-1111-4222-8333-444455556666"

var vnetProps = map[string]string{
	"vnet": "on", "interfaces": "vnet0:bridge0", "ip4_addr": "vnet0|192.168.1.60/24,vnet0|192.168.1.61/24",
	"ip6_addr": "vnet0|2001:db8::60/64", "defaultrouter": "192.168.1.1", "defaultrouter6": "2001:db8::1",
}

// startVnet starts the jail as start does before networking.
func (e *env) startVnet(uuid, root string) (string, int) {
	e.t.Helper()
	name := "ioc-" + uuid
	mustRun(e.t, e.h, runtime.Jail, "-c", "name="+name, "host.hostname="+uuid, "path="+root, "vnet", "persist")
	e.t.Cleanup(func() { output(e.h, runtime.Jail, "-r", name) })
	return name, e.jid(name)
}

// TestVnetUpDown starts a VNET jail's networking and stops it: the golden
// transcript pins the command lines, the host and jail are checked as
// ifconfig and route show them, and after stop nothing is left.
func TestVnetUpDown(t *testing.T) {
	e := newEnv(t)
	root := e.mkjail(vnetUUID, vnetProps)
	before := netState(e.h, "")
	e.h.Events()
	name, jid := e.startVnet(vnetUUID, root)
	made := e.mustCall(map[string]any{"op": "up", "name": vnetUUID, "jid": jid})
	log := e.transcript(vnetUUID)
	if want := fmt.Sprintf(`[{"nic": "vnet0", "host": "vnet0:%d", "bridge": "bridge0", "mac": "02ff60A1B2C3,02ff60A1B2C4", "mtu": 1500}]`, jid); made.String() != want {
		t.Errorf("up returned %s, want %s", made, want)
	}

	host := mustRun(t, e.h, runtime.Ifconfig, fmt.Sprintf("vnet0:%d", jid))
	for _, want := range []string{"mtu 1500", "<UP,", "ether 02:ff:60:a1:b2:c3", "description: associated with jail: " + vnetUUID} {
		if !strings.Contains(host, want) {
			t.Errorf("host end lacks %q:\n%s", want, host)
		}
	}
	if br := mustRun(t, e.h, runtime.Ifconfig, "bridge0"); !strings.Contains(br, fmt.Sprintf("member: vnet0:%d ", jid)) {
		t.Errorf("bridge0 lacks the host end:\n%s", br)
	}
	in := mustRun(t, e.h, runtime.Jexec, name, runtime.Ifconfig, "vnet0")
	for _, want := range []string{"ether 02:ff:60:a1:b2:c4", "inet 192.168.1.60 netmask 0xffffff00", "inet 192.168.1.61 netmask 0xffffff00", "inet6 2001:db8::60 prefixlen 64"} {
		if !strings.Contains(in, want) {
			t.Errorf("jail end lacks %q:\n%s", want, in)
		}
	}
	if r := mustRun(t, e.h, runtime.Jexec, name, runtime.Route, "-n", "get", "default"); !strings.Contains(r, "gateway: 192.168.1.1") {
		t.Errorf("jail IPv4 default route:\n%s", r)
	}
	if r := mustRun(t, e.h, runtime.Jexec, name, runtime.Route, "-6", "-n", "get", "default"); !strings.Contains(r, "gateway: 2001:db8::1") {
		t.Errorf("jail IPv6 default route:\n%s", r)
	}
	if mac := mustRun(t, e.h, runtime.ZFS, "get", "-H", "-o", "value", "org.freebsd.iocage:vnet0_mac", jail.JailsDS(e.pool)+"/"+vnetUUID); mac != "02ff60A1B2C3,02ff60A1B2C4\n" {
		t.Errorf("stored vnet0_mac = %q", mac)
	}

	e.h.Events()
	removed := e.mustCall(map[string]any{"op": "down", "name": vnetUUID})
	mustRun(t, e.h, runtime.Jail, "-r", name)
	log += e.transcript(vnetUUID)
	golden(t, "vnet_start_stop", log)
	if want := fmt.Sprintf(`["vnet0:%d"]`, jid); removed.String() != want {
		t.Errorf("down removed %s, want %s", removed, want)
	}
	if diff := cmp.Diff(before, netState(e.h, "")); diff != "" {
		t.Errorf("host after stop differs from before start (-before +after):\n%s", diff)
	}

	// Down again, on a stopped jail: nothing to do, nothing done.
	n := e.h.Count()
	e.h.InjectFailure(0)
	if v := e.mustCall(map[string]any{"op": "down", "name": vnetUUID}); v.String() != "[]" {
		t.Errorf("second down removed %s", v)
	}
	if c := e.h.Changes(); c != 0 {
		t.Errorf("second down made %d changes (%d commands)", c, e.h.Count()-n)
	}
}

// TestVnetUpFaults fails the n-th change of up for every n until up
// succeeds: after each failure the rolled-back host and jail equal their
// state before up. vnet1's bridge2 does not exist (the host has bridge0
// and bridge1), so the faults also hit creating a bridge.
func TestVnetUpFaults(t *testing.T) {
	e := newEnv(t)
	props := map[string]string{"interfaces": "vnet0:bridge0,vnet1:bridge2"}
	for k, v := range vnetProps {
		if k != "interfaces" {
			props[k] = v
		}
	}
	props["ip6_addr"] = "vnet0|2001:db8::60/64,vnet1|2001:db8:1::60/64"
	root := e.mkjail(vnetUUID, props)
	name, jid := e.startVnet(vnetUUID, root)
	before := netState(e.h, name)
	for n := 1; ; n += sandboxtest.FaultStep(2) {
		if n > 60 {
			t.Fatal("up still fails after 60 injected failures")
		}
		e.resetMACs(vnetUUID)
		e.h.InjectFailure(n)
		_, err := e.call(map[string]any{"op": "up", "name": vnetUUID, "jid": jid, "create_bridges": true})
		e.h.InjectFailure(0)
		if err == nil {
			t.Logf("up succeeded with the failure injected at change %d", n)
			break
		}
		if !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("n=%d: %v", n, err)
		}
		if diff := cmp.Diff(before, netState(e.h, name)); diff != "" {
			t.Fatalf("n=%d: %v\nstate after the failed up (-before +after):\n%s", n, err, diff)
		}
	}
	if out := mustRun(t, e.h, runtime.Ifconfig, "bridge2"); !strings.Contains(out, "description: created by iocage") {
		t.Errorf("bridge2 was not created as iocage's:\n%s", out)
	}
	e.mustCall(map[string]any{"op": "down", "name": vnetUUID})
	if diff := cmp.Diff(before, netState(e.h, name)); diff != "" {
		t.Errorf("after down (-before +after):\n%s", diff)
	}
}

// TestDownAfterInterruptedUp stops up at every step without any rollback,
// as when iocage is killed, and checks that down alone brings the host and
// the jail back to their state before up.
func TestDownAfterInterruptedUp(t *testing.T) {
	e := newEnv(t)
	root := e.mkjail(vnetUUID, vnetProps)
	name, jid := e.startVnet(vnetUUID, root)
	before := netState(e.h, name)
	in := e.interp()
	for n := 1; ; n += sandboxtest.FaultStep(2) {
		if n > 40 {
			t.Fatal("up still fails after 40 injected failures")
		}
		globals, err := in.Exec(context.Background(), "//drive.star")
		if err != nil {
			t.Fatal(err)
		}
		th := &starlark.Thread{Name: "killed", Load: nil}
		// No undo log: the changes made before the failure stay.
		thread.Set(th, &thread.Run{Ctx: context.Background(), Host: e.h})
		e.resetMACs(vnetUUID)
		e.h.InjectFailure(n)
		_, err = starlark.Call(th, globals["main"], nil, []starlark.Tuple{
			{starlark.String("op"), starlark.String("up")}, {starlark.String("name"), starlark.String(vnetUUID)},
			{starlark.String("jid"), starlark.MakeInt(jid)}})
		e.h.InjectFailure(0)
		e.mustCall(map[string]any{"op": "down", "name": vnetUUID})
		if diff := cmp.Diff(before, netState(e.h, name)); diff != "" {
			t.Fatalf("n=%d (up: %v): after down (-before +after):\n%s", n, err, diff)
		}
		if err == nil {
			break
		}
	}
}

// TestMissingBridgeAndVimage checks the refusals of up: a bridge that does
// not exist (unless asked to create it) and a kernel without VIMAGE.
func TestMissingBridgeAndVimage(t *testing.T) {
	e := newEnv(t)
	root := e.mkjail(vnetUUID, map[string]string{"vnet": "on", "interfaces": "vnet0:bridge0,vnet1:bridge7"})
	_, jid := e.startVnet(vnetUUID, root)
	before := netState(e.h, "")
	_, err := e.call(map[string]any{"op": "up", "name": vnetUUID, "jid": jid})
	for _, want := range []string{"bridge bridge7 (interfaces=vnet0:bridge0,vnet1:bridge7) does not exist", "ifconfig bridge7 create up", `cloned_interfaces="bridge7"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
	if diff := cmp.Diff(before, netState(e.h, "")); diff != "" {
		t.Errorf("host after the refusal (-before +after):\n%s", diff)
	}

	// An administrator's bridge is never destroyed, even when empty.
	mustRun(t, e.h, runtime.Ifconfig, "bridge7", "create", "up")
	e.mustCall(map[string]any{"op": "up", "name": vnetUUID, "jid": jid})
	e.mustCall(map[string]any{"op": "down", "name": vnetUUID})
	if out := mustRun(t, e.h, runtime.Ifconfig, "-l"); out != "em0 lo0 bridge0 bridge1 bridge7\n" {
		t.Errorf("host interfaces after down: %q", out)
	}
}

// TestVimageMissing runs up on a host whose kernel lacks VIMAGE (a
// scripted host: the sandbox kernel has it): a clear refusal, nothing run
// after the question.
func TestVimageMissing(t *testing.T) {
	s := &runtime.Scripted{Root: t.TempDir(), Replies: map[string]runtime.Reply{
		"/sbin/sysctl -n kern.features.vimage": {Stderr: "sysctl: unknown oid 'kern.features.vimage'\n", ExitCode: 1},
	}}
	h := runtime.New(s, runtime.Options{})
	src := `
load("@iocage//net.star", "up")
def main():
    j = struct(uuid = "` + vnetUUID + `", tag = "web", name = "ioc-` + vnetUUID + `", path = "/iocage/jails/x/root",
               properties = {"vnet": "-", "interfaces": "vnet0:bridge0"})
    return up(j, 3)
`
	in := starlib.New(starlib.Options{Host: h, Root: fstest.MapFS{"v.star": {Data: []byte(src)}}, RootDir: "/test"})
	_, err := in.CallMain(context.Background(), "//v.star", nil)
	if err == nil || !strings.Contains(err.Error(), "vnet=on needs a kernel with VIMAGE") || !strings.Contains(err.Error(), "iocage set vnet=off web") {
		t.Errorf("err = %v", err)
	}
	if diff := cmp.Diff("/sbin/sysctl -n kern.features.vimage\n", s.Transcript()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

const sharedUUID = "0b0c0d0e-2222-4333-8444-555566667777"

// TestSharedIPStartStop gives a shared-IP jail its jail(8) parameters,
// starts it as start does, and removes its aliases as stop does.
func TestSharedIPStartStop(t *testing.T) {
	e := newEnv(t)
	root := e.mkjail(sharedUUID, map[string]string{
		"vnet": "off", "ip4_addr": "DEFAULT|192.168.1.70/24,em0|192.168.1.71", "ip6_addr": "em0|2001:db8::70/64",
		"ip4_saddrsel": "0",
	})
	before := netState(e.h, "")
	e.h.Events()
	params := e.mustCall(map[string]any{"op": "params", "name": sharedUUID})
	want := `["ip4.addr=em0|192.168.1.70/24,em0|192.168.1.71", "ip4.saddrsel=0", "ip4=new", "ip6.addr=em0|2001:db8::70/64", "ip6.saddrsel=1", "ip6=new"]`
	if params.String() != want {
		t.Errorf("jail_ip_params = %s\nwant %s", params, want)
	}
	argv := []string{"-c", "name=ioc-" + sharedUUID, "host.hostname=" + sharedUUID, "path=" + root}
	l := params.(*starlark.List)
	for i := 0; i < l.Len(); i++ {
		argv = append(argv, l.Index(i).(starlark.String).GoString())
	}
	mustRun(t, e.h, runtime.Jail, append(argv, "persist")...)
	log := e.transcript(sharedUUID)
	em0 := mustRun(t, e.h, runtime.Ifconfig, "em0")
	for _, w := range []string{"inet 192.168.1.70 netmask 0xffffff00", "inet 192.168.1.71 netmask 0xffffffff", "inet6 2001:db8::70 prefixlen 64"} {
		if !strings.Contains(em0, w) {
			t.Errorf("em0 lacks the alias %q:\n%s", w, em0)
		}
	}
	e.h.Events()
	removed := e.mustCall(map[string]any{"op": "down", "name": sharedUUID})
	mustRun(t, e.h, runtime.Jail, "-r", "ioc-"+sharedUUID)
	golden(t, "shared_ip_start_stop", log+e.transcript(sharedUUID))
	if want := `["em0|192.168.1.70", "em0|192.168.1.71", "em0|2001:db8::70"]`; removed.String() != want {
		t.Errorf("down removed %s, want %s", removed, want)
	}
	if diff := cmp.Diff(before, netState(e.h, "")); diff != "" {
		t.Errorf("host after stop (-before +after):\n%s", diff)
	}
	if v := e.mustCall(map[string]any{"op": "down", "name": sharedUUID}); v.String() != "[]" {
		t.Errorf("second down removed %s", v)
	}
}

// TestSharedIPModes covers ip4/ip6 new/inherit/disable: inherit forces
// ip6 to inherit, addresses with a mode other than new are refused, and
// down never removes the host's addresses of an inherit jail.
func TestSharedIPModes(t *testing.T) {
	e := newEnv(t)
	for i, c := range []struct {
		props map[string]string
		want  string
		err   string
	}{
		{map[string]string{"ip4": "inherit"}, `["ip4.saddrsel=1", "ip4=inherit", "ip6.saddrsel=1", "ip6=inherit"]`, ""},
		{map[string]string{"ip4": "disable", "ip6": "disable"}, `["ip4.saddrsel=1", "ip4=disable", "ip6.saddrsel=1", "ip6=disable"]`, ""},
		{map[string]string{"ip4": "inherit", "ip6_addr": "em0|2001:db8::5"}, "", "ip6_addr=em0|2001:db8::5 but ip6=inherit: jail(8) takes addresses only with ip6=new"},
		{map[string]string{"ip4_addr": "em0|AUTOIP4"}, "", "AUTOIP4 was never resolved"},
		{map[string]string{"vnet": "on", "ip4_addr": "vnet0|10.0.0.1"}, `[]`, ""},
	} {
		uuid := fmt.Sprintf("%08x-0000-4000-8000-000000000000", i+1)
		p := map[string]string{"vnet": "off"}
		for k, v := range c.props {
			p[k] = v
		}
		e.mkjail(uuid, p)
		v, err := e.call(map[string]any{"op": "params", "name": uuid})
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err = %v, want %q", c.props, err, c.err)
			}
		case err != nil:
			t.Errorf("%v: %v", c.props, err)
		case v.String() != c.want:
			t.Errorf("%v: params = %s, want %s", c.props, v, c.want)
		}
	}
	// The host's own address in an inherit jail's ip4_addr stays.
	uuid := "0000ffff-0000-4000-8000-000000000000"
	e.mkjail(uuid, map[string]string{"vnet": "off", "ip4": "inherit", "ip4_addr": "em0|192.168.1.2/24"})
	before := netState(e.h, "")
	e.mustCall(map[string]any{"op": "down", "name": uuid})
	if diff := cmp.Diff(before, netState(e.h, "")); diff != "" {
		t.Errorf("down of an inherit jail changed the host:\n%s", diff)
	}
}

// TestResolver writes resolv.conf for each resolver form and refuses a
// symlinked etc.
func TestResolver(t *testing.T) {
	e := newEnv(t)
	hostConf, err := e.h.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ value, want string }{
		{"none", "untouched\n"},
		{"-", "untouched\n"},
		{"copy", string(hostConf)},
		{"search example.org;nameserver 192.0.2.53; nameserver 2001:db8::53", "search example.org\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"},
	} {
		uuid := fmt.Sprintf("%08x-0000-4000-8000-00000000000a", i+1)
		root := e.mkjail(uuid, map[string]string{"resolver": c.value})
		if err := os.WriteFile(e.h.LocalPath(root+"/etc/resolv.conf"), []byte("untouched\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		wrote := e.mustCall(map[string]any{"op": "resolver", "name": uuid})
		got, _ := os.ReadFile(e.h.LocalPath(root + "/etc/resolv.conf"))
		if string(got) != c.want {
			t.Errorf("resolver=%q wrote %q, want %q", c.value, got, c.want)
		}
		if wrote.Truth() != starlark.Bool(c.want != "untouched\n") {
			t.Errorf("resolver=%q returned %s", c.value, wrote)
		}
	}
	uuid := "0000eeee-0000-4000-8000-00000000000a"
	root := e.mkjail(uuid, map[string]string{"resolver": "nameserver 192.0.2.1"})
	os.RemoveAll(e.h.LocalPath(root + "/etc"))
	if err := os.Symlink("/etc", e.h.LocalPath(root+"/etc")); err != nil {
		t.Fatal(err)
	}
	_, err = e.call(map[string]any{"op": "resolver", "name": uuid})
	if err == nil || !strings.Contains(err.Error(), "is not a directory (a symlink is refused") {
		t.Errorf("symlinked etc: err = %v", err)
	}
	if again, _ := e.h.ReadFile("/etc/resolv.conf"); string(again) != string(hostConf) {
		t.Errorf("the host's resolv.conf changed: %q", again)
	}
}

// TestAutoIP4Parallel runs 20 creates at once, each its own interpreter
// on the same sandbox, each resolving AUTOIP4 and storing the jail under
// the lock: 20 distinct addresses, the first ones free on the host.
func TestAutoIP4Parallel(t *testing.T) {
	e := newEnv(t)
	ds := jail.DefaultsDS(e.pool)
	if err := zfs.Set(context.Background(), e.h, ds, map[string]string{
		"org.freebsd.iocage:ip4_autostart": "2", "org.freebsd.iocage:ip4_autoend": "60", "org.freebsd.iocage:ip4_autosubnet": "24"}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v, err := e.call(map[string]any{"op": "autoip4", "value": "em0|AUTOIP4", "uuid": fmt.Sprintf("%08x-aaaa-4000-8000-000000000000", i)})
			errs[i] = err
			if err == nil {
				got[i] = v.(starlark.String).GoString()
			}
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	sort.Slice(got, func(a, b int) bool { return ipLess(got[a], got[b]) })
	var want []string
	for k := 3; k < 3+n; k++ { // .1 is the gateway, .2 is em0's
		want = append(want, fmt.Sprintf("em0|192.168.1.%d/24", k))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("allocated addresses (-want +got):\n%s", diff)
	}
	stored := mustRun(t, e.h, runtime.ZFS, "list", "-H", "-o", "org.freebsd.iocage:ip4_addr", "-r", "-d", "1", jail.JailsDS(e.pool))
	lines := strings.Fields(stored)
	sort.Slice(lines, func(a, b int) bool { return ipLess(lines[a], lines[b]) })
	if diff := cmp.Diff(append([]string{"-"}, want...), lines); diff != "" {
		t.Errorf("stored ip4_addr values (-want +got):\n%s", diff)
	}

	// A value without AUTOIP4 is left as it is.
	if v := e.mustCall(map[string]any{"op": "autoip4", "value": "em0|10.1.1.1/24", "uuid": "0000dddd-aaaa-4000-8000-000000000000"}); v.String() != `"em0|10.1.1.1/24"` {
		t.Errorf("autoip4 of a plain value = %s", v)
	}
}

var lastNum = regexp.MustCompile(`\.(\d+)/`)

func ipLess(a, b string) bool {
	ma, mb := lastNum.FindStringSubmatch(a), lastNum.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		return a < b
	}
	var x, y int
	fmt.Sscan(ma[1], &x)
	fmt.Sscan(mb[1], &y)
	return x < y
}
