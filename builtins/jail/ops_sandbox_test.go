package jail_test

// rcboot/rcshutdown, the resource limit verbs and clean on real jails of
// the sandbox. Their flows on empty jails are recipes/ops_test.star, run
// with every shipped recipe test by starlib's TestShippedRecipeTests.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

const opsUUID3 = "c4d5e6f7-0a1b-4c2d-8e3f-405162738495"

// opsHook writes the executable hook file MP/NAME of j, which appends
// "NAME TAG" to /tmp/rcb/log and, when partner is not empty, waits (5 s at
// most, then fails) until the partner jail's same hook has begun: two
// jails whose hooks both succeed ran them at the same time.
func opsHook(t *testing.T, s *sandboxtest.Sandbox, j *jail.Jail, name, partner string) {
	t.Helper()
	script := fmt.Sprintf(`#!/bin/sh
d=/tmp/rcb
mkdir -p $d
echo "%[1]s %[2]s" >> $d/log
touch $d/%[1]s-%[2]s
[ -z "%[3]s" ] && exit 0
i=0
while [ ! -e $d/%[1]s-%[3]s ]; do
	i=$((i+1))
	if [ $i -gt 50 ]; then echo "%[2]s: %[1]s alone" >&2; exit 1; fi
	sleep 0.1
done
`, name, j.Tag, partner)
	must(t, os.WriteFile(s.Host.LocalPath(j.Mountpoint+"/"+name), []byte(script), 0o755))
}

// opsLog returns the hook log's lines and empties it.
func opsLog(t *testing.T, s *sandboxtest.Sandbox) []string {
	t.Helper()
	p := s.Host.LocalPath("/tmp/rcb")
	b, err := os.ReadFile(p + "/log")
	must(t, err)
	must(t, os.RemoveAll(p))
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func opsIndex(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

// Three jails with boot=on: a and b of priority 10, c of priority 20. Their
// hooks prove the order of the groups and that a and b overlap: a's
// prestart waits for b's and b's for a's, which only succeeds when both run
// at once.
func TestRcbootGroupsInOrderJailsOfAGroupTogether(t *testing.T) {
	s := stSetup(t)
	must(t, os.RemoveAll(s.Host.LocalPath("/tmp/rcb")))
	t.Cleanup(func() { os.RemoveAll(s.Host.LocalPath("/tmp/rcb")) })
	props := func(prio string) map[string]string {
		return map[string]string{"vnet": "off", "boot": "on", "priority": prio}
	}
	a := stJail(t, s, stUUID, "a", props("10"))
	b := stJail(t, s, stUUID2, "b", props("10"))
	c := stJail(t, s, opsUUID3, "c", props("20"))
	stJail(t, s, "d0d1d2d3-0000-4000-8000-000000000004", "off", map[string]string{"vnet": "off", "boot": "off", "priority": "1"})
	// Another host's jail (a copy kept by iocage send) is skipped, not failed.
	stJail(t, s, "d0d1d2d3-0000-4000-8000-000000000005", "copy", map[string]string{"vnet": "off", "boot": "on", "priority": "5",
		"hostid": "00000000-1111-2222-3333-444444444444"})
	for _, x := range []struct {
		j       *jail.Jail
		partner string
	}{{a, "b"}, {b, "a"}, {c, ""}} {
		opsHook(t, s, x.j, "prestart", x.partner)
		opsHook(t, s, x.j, "poststart", "")
		opsHook(t, s, x.j, "prestop", x.partner)
		opsHook(t, s, x.j, "poststop", "")
	}
	before := stState(t, s)

	v, out, err := stRun(t, s, "rcboot", nil)
	if err != nil {
		t.Fatalf("rcboot: %v\n%s", err, out)
	}
	log := opsLog(t, s)
	for _, x := range []struct{ first, then string }{
		{"poststart a", "prestart c"}, {"poststart b", "prestart c"},
	} {
		i, j := opsIndex(log, x.first), opsIndex(log, x.then)
		if i < 0 || j < 0 || i > j {
			t.Errorf("rcboot: %q must come before %q:\n%s", x.first, x.then, strings.Join(log, "\n"))
		}
	}
	if opsIndex(log, "prestart off") >= 0 {
		t.Errorf("rcboot started a jail with boot=off:\n%s", strings.Join(log, "\n"))
	}
	ctx := context.Background()
	js, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	var states []string
	for _, j := range js {
		states = append(states, j.Tag+"="+j.State())
		if j.Tag != "off" && j.Props["last_started"] == "-" {
			t.Errorf("%s has no last_started", j.Tag)
		}
	}
	if d := cmp.Diff([]string{"a=up", "b=up", "c=up", "copy=down", "off=down"}, states); d != "" {
		t.Errorf("states after rcboot (-want +got):\n%s", d)
	}
	for _, l := range []string{"[" + stUUID + "] Starting (a)", "[" + opsUUID3 + "] Starting services OK"} {
		if !strings.Contains(out, l) {
			t.Errorf("rcboot output lacks %q:\n%s", l, out)
		}
	}
	want := `[{"uuid": "d0d1d2d3-0000-4000-8000-000000000005", "tag": "copy", "priority": 5, "result": "skipped"}, ` +
		`{"uuid": "` + stUUID + `", "tag": "a", "priority": 10, "result": "started"}, ` +
		`{"uuid": "` + stUUID2 + `", "tag": "b", "priority": 10, "result": "started"}, ` +
		`{"uuid": "` + opsUUID3 + `", "tag": "c", "priority": 20, "result": "started"}]`
	if d := cmp.Diff(want, v.String()); d != "" {
		t.Errorf("rcboot rows (-want +got):\n%s", d)
	}

	// Again: everything is up already.
	v, out, err = stRun(t, s, "rcboot", nil)
	if err != nil || strings.Count(v.String(), `"result": "up"`) != 3 {
		t.Errorf("second rcboot: %v, %v\n%s", v, err, out)
	}

	v, out, err = stRun(t, s, "rcshutdown", nil)
	if err != nil {
		t.Fatalf("rcshutdown: %v\n%s", err, out)
	}
	log = opsLog(t, s)
	for _, x := range []struct{ first, then string }{
		{"poststop c", "prestop a"}, {"poststop c", "prestop b"},
	} {
		i, j := opsIndex(log, x.first), opsIndex(log, x.then)
		if i < 0 || j < 0 || i > j {
			t.Errorf("rcshutdown: %q must come before %q:\n%s", x.first, x.then, strings.Join(log, "\n"))
		}
	}
	if strings.Count(v.String(), `"result": "stopped"`) != 3 {
		t.Errorf("rcshutdown rows: %v", v)
	}
	if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
		t.Errorf("host after rcboot and rcshutdown differs (-before +after):\n%s", d)
	}
}

// The limit verbs on a running jail: what they print, and the FreeBSD
// command lines they send (testdata/ops-limits.golden).
func TestLimitVerbsOnARunningJail(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "lim", map[string]string{"vnet": "off", "rlimits": "on", "maxproc": "200:deny", "memoryuse": "1G:log", "cpuset": "0"})
	if _, out, err := stRun(t, s, "start", names("lim")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	// Behind iocage's back: the limits change while the jail runs.
	must(t, s.Host.Change(ctx, runtime.ZFS, "set", jailprops.Prefix+"maxproc=300:deny", jailprops.Prefix+"memoryuse=off", j.Dataset))
	name := map[string]starlark.Value{"name": starlark.String("lim")}
	s.Host.Record()
	run := func(recipe string, kw map[string]starlark.Value) starlark.Value {
		t.Helper()
		v, out, err := stRun(t, s, recipe, kw)
		if err != nil {
			t.Fatalf("%s: %v\n%s", recipe, err, out)
		}
		return v
	}
	rule := "jail:ioc-" + stUUID + ":maxproc:deny=300"
	rows := func(v starlark.Value) starlark.Value {
		t.Helper()
		r, err := v.(starlark.HasAttrs).Attr("rows")
		if err != nil || r == nil {
			t.Fatalf("%v is not a table struct", v)
		}
		return r
	}
	if got := rows(run("cap", name)).String(); got != `[{"rule": "`+rule+`"}]` {
		t.Errorf("cap = %s", got)
	}
	want := `[{"uuid": "` + stUUID + `", "tag": "lim", "resource": "maxproc", "action": "deny", "amount": "300"}, ` +
		`{"uuid": "` + stUUID + `", "tag": "lim", "resource": "cpuset", "action": None, "amount": "0"}]`
	if d := cmp.Diff(want, rows(run("limits", name)).String()); d != "" {
		t.Errorf("limits (-want +got):\n%s", d)
	}
	use := rows(run("inuse", name)).(*starlark.List)
	var resources []string
	for i := 0; i < use.Len(); i++ {
		r, _, _ := use.Index(i).(*starlark.Dict).Get(starlark.String("resource"))
		resources = append(resources, r.(starlark.String).GoString())
	}
	// The kernel's resources, in its order: more than the 21 of the
	// shell iocage's fixed header (readbps ... since FreeBSD 13).
	if len(resources) < 25 || resources[0] != "cputime" || opsIndex(resources, "readbps") < 0 {
		t.Errorf("inuse lim resources: %v", resources)
	}
	all := run("inuse", nil).(*starlark.List)
	if all.Len() != 1 {
		t.Fatalf("inuse of every jail: %v", all)
	}
	row := all.Index(0).(*starlark.Dict)
	var cols []string
	for _, k := range row.Keys() {
		cols = append(cols, k.(starlark.String).GoString())
	}
	if d := cmp.Diff(append([]string{"uuid", "tag"}, resources...), cols); d != "" {
		t.Errorf("inuse columns (-want +got):\n%s", d)
	}
	if got := rows(run("uncap", name)).String(); got != `[{"rule": "`+rule+`"}]` {
		t.Errorf("uncap = %s", got)
	}
	stCompareGolden(t, "ops-limits", stGolden(s, s.Host.Events()))
	if rules, _ := s.Host.Output(ctx, runtime.Rctl); rules != "" {
		t.Errorf("rules left after uncap: %q", rules)
	}
	if _, out, err := stRun(t, s, "stop", names("lim")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
}

// A cap that fails at any of its changes leaves the jail's rules as they
// were.
func TestCapFaults(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "capf", map[string]string{"vnet": "off", "rlimits": "on", "maxproc": "200:deny", "memoryuse": "1G:log"})
	name := map[string]starlark.Value{"name": starlark.String("capf")}
	if _, out, err := stRun(t, s, "cap", name); err != nil {
		t.Fatalf("cap: %v\n%s", err, out)
	}
	must(t, s.Host.Change(ctx, runtime.ZFS, "set", jailprops.Prefix+"maxproc=300:deny", jailprops.Prefix+"openfiles=1000:deny", j.Dataset))
	before, err := s.Host.Output(ctx, runtime.Rctl)
	must(t, err)
	for n := 1; ; n += sandboxtest.FaultStep(2) {
		if n > 10 {
			t.Fatal("cap still failing after 10 injected failures")
		}
		s.Host.InjectFailure(n)
		_, out, err := stRun(t, s, "cap", name)
		s.Host.InjectFailure(0)
		if err == nil {
			if n < 4 {
				t.Errorf("cap succeeded with its change %d failing", n)
			}
			break
		}
		if after, _ := s.Host.Output(ctx, runtime.Rctl); after != before {
			t.Fatalf("failure at change %d changed the rules:\n%s\nwant\n%s\n%s", n, after, before, out)
		}
	}
	after, err := s.Host.Output(ctx, runtime.Rctl)
	must(t, err)
	n := "jail:ioc-" + stUUID
	if want := n + ":memoryuse:log=1073741824\n" + n + ":maxproc:deny=300\n" + n + ":openfiles:deny=1000\n"; after != want {
		t.Errorf("rules after cap:\n%s\nwant\n%s", after, want)
	}
}

// clean -j stops the running jail, destroys every jail, their files and
// the release snapshots named after them (testdata/ops-clean-jails.golden).
func TestCleanJailsStopsAndDestroys(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	stJail(t, s, stUUID, "run", map[string]string{"vnet": "off"})
	stJail(t, s, stUUID2, "idle", map[string]string{"vnet": "off"})
	if _, out, err := stRun(t, s, "start", names("run")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	rel := s.Pool + "/iocage/releases/14.3-RELEASE"
	must(t, s.Host.Change(ctx, runtime.ZFS, "create", "-p", rel+"/root"))
	must(t, s.Host.Change(ctx, runtime.ZFS, "snapshot", "-r", rel+"@"+stUUID2))
	s.Host.Record()
	v, out, err := stRun(t, s, "clean", map[string]starlark.Value{"jails": starlark.True, "force": starlark.True})
	if err != nil {
		t.Fatalf("clean -j: %v\n%s", err, out)
	}
	stCompareGolden(t, "ops-clean-jails", strings.ReplaceAll(stGolden(s, s.Host.Events()), stUUID2, "UUID2"))
	if want := `struct(columns = ["destroyed"], rows = [{"destroyed": "` + jail.JailsDS(s.Pool) + `"}, {"destroyed": "` + rel + "@" + stUUID2 + `"}])`; v.String() != want {
		t.Errorf("clean -j = %s, want %s", v, want)
	}
	state := stState(t, s)
	for _, gone := range []string{"/iocage/jails", "ioc-", "@" + stUUID2, "/iocage/tags/", jail.FstabDir + "/fstab."} {
		if strings.Contains(state, gone) {
			t.Errorf("%q left after clean -j:\n%s", gone, state)
		}
	}
}
