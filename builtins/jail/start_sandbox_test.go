package jail_test

// Start, stop, restart and exec on the sandbox: real jail(8), mounts,
// interfaces and processes. Jails are made here from an extracted release
// tree (built once and cached), so these tests need neither fetch nor
// create.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/release"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// stTreeDir caches the built release tree between runs (3 s to build).
const stTreeDir = "/var/tmp/iocage-test-release-tree"

var (
	stTreeOnce sync.Once
	stTree     string // extracted base of 14.3-RELEASE
	stTreeErr  error
)

// stBase returns a local directory holding the extracted base system.
func stBase(t testing.TB) string {
	t.Helper()
	stTreeOnce.Do(func() {
		ok, err := release.UpToDate(stTreeDir, release.Options{})
		if err == nil && !ok {
			err = release.Build(stTreeDir, release.Options{})
		}
		if err != nil {
			stTreeErr = err
			return
		}
		dir, err := os.MkdirTemp("", "iocage-base-")
		if err != nil {
			stTreeErr = err
			return
		}
		set := filepath.Join(stTreeDir, release.ReleaseDir("14.3-RELEASE"), "base.txz")
		if out, err := exec.Command("/usr/bin/tar", "-xJf", set, "-C", dir).CombinedOutput(); err != nil {
			stTreeErr = fmt.Errorf("tar: %v: %s", err, out)
			return
		}
		stTree = dir
	})
	if stTreeErr != nil {
		t.Fatal(stTreeErr)
	}
	return stTree
}

// stJail makes a stopped jail with every property resolved from the
// built-in defaults plus extra, its root a copy of the release, and its
// data dataset; it returns the jail as jail.Lookup reads it.
func stJail(t testing.TB, s *sandboxtest.Sandbox, uuid, tag string, extra map[string]string) *jail.Jail {
	t.Helper()
	ctx := context.Background()
	h := s.Host
	hostid, _ := h.ReadFile("/etc/hostid")
	g := jailprops.Generated{UUID: uuid, Tag: tag, HostID: strings.TrimSpace(string(hostid)), Release: "14.3-RELEASE", VNET: true}
	vals := jailprops.Resolve(map[string]string{"tag": tag}, nil, jailprops.Builtins(g))
	props := map[string]string{}
	for k, v := range vals {
		if p, _ := jailprops.Lookup(k); !p.Native {
			props[jailprops.Prefix+k] = v
		}
	}
	for k, v := range extra {
		props[jailprops.Prefix+k] = v
	}
	ds := jail.JailsDS(s.Pool) + "/" + uuid
	must(t, zfs.Create(ctx, h, ds, false, props))
	must(t, zfs.Create(ctx, h, ds+"/root", false, nil))
	must(t, zfs.Create(ctx, h, ds+"/data", false, map[string]string{"jailed": "on", "mountpoint": "none"}))
	root := h.LocalPath("/iocage/jails/" + uuid + "/root")
	if out, err := exec.Command("/bin/cp", "-a", stBase(t)+"/.", root).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	js, err := jail.List(ctx, h, s.Pool)
	must(t, err)
	j, err := jail.Find(js, uuid)
	must(t, err)
	return j
}

// stSetup is a fresh sandbox with the iocage tree on its pool.
func stSetup(t testing.TB) *sandboxtest.Sandbox {
	t.Helper()
	s := sandboxtest.New(t)
	ctx := context.Background()
	must(t, jail.Activate(ctx, s.Host, s.Pool))
	_, err := jail.Prepare(ctx, s.Host, s.Pool)
	must(t, err)
	// Files outside the pool outlive a sandbox reset.
	must(t, os.RemoveAll(s.Host.LocalPath(jail.FstabDir)))
	t.Cleanup(func() { stStopAll(s) })
	return s
}

// stStopAll removes every jail a test left running, and what they
// mounted, so that the next test's pool can be destroyed.
func stStopAll(s *sandboxtest.Sandbox) {
	ctx := context.Background()
	js, _ := jail.List(ctx, s.Host, s.Pool)
	for _, j := range js {
		if j.JID > 0 {
			_ = s.Host.Change(ctx, runtime.Jail, "-r", j.Name())
		}
		_, _ = jail.UnmountJail(ctx, s.Host, j)
	}
}

// stRun calls the main of a shipped recipe on s with kwargs.
func stRun(t testing.TB, s *sandboxtest.Sandbox, recipe string, kwargs map[string]starlark.Value) (starlark.Value, string, error) {
	t.Helper()
	return stRunIn(t, s, recipe, kwargs, "")
}

// stRunIn is stRun with stdin as the run's standard input.
func stRunIn(t testing.TB, s *sandboxtest.Sandbox, recipe string, kwargs map[string]starlark.Value, stdin string) (starlark.Value, string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	in := starlib.New(starlib.Options{Host: s.Host, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errs, SiteDir: "/nonexistent"})
	var kw []starlark.Tuple
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kw = append(kw, starlark.Tuple{starlark.String(k), kwargs[k]})
	}
	v, err := in.CallMain(context.Background(), starlib.ShippedPrefix+recipe+".star", kw)
	return v, out.String() + errs.String(), err
}

// stEachFailure fails the host changes of run one after another, from the
// first (sampled by sandboxtest.FaultStep(sample)), and checks after each
// that state reads as before. It stops when run succeeds, which must
// happen by change max, and returns that change.
func stEachFailure(t testing.TB, s *sandboxtest.Sandbox, what string, max, sample int, state func() string, run func() (string, error)) int {
	t.Helper()
	before := state()
	for n := 1; ; n += sandboxtest.FaultStep(sample) {
		if n > max {
			t.Fatalf("%s still failing after %d injected failures", what, max)
		}
		s.Host.InjectFailure(n)
		out, err := run()
		s.Host.InjectFailure(0)
		if err == nil {
			return n
		}
		if !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("%s, failure %d: %v\n%s", what, n, err, out)
		}
		if d := cmp.Diff(before, state()); d != "" {
			t.Fatalf("%s, failure %d (%v) left (-before +after):\n%s", what, n, err, d)
		}
	}
}

func names(ns ...string) map[string]starlark.Value {
	l := make([]starlark.Value, len(ns))
	for i, n := range ns {
		l[i] = starlark.String(n)
	}
	return map[string]starlark.Value{"names": starlark.NewList(l)}
}

// stState is what a failed verb must leave as it found: datasets and
// snapshots, running jails, mounts, interfaces, rctl rules and the files
// of /iocage/tags and the generated fstabs (jail.FstabDir).
func stState(t testing.TB, s *sandboxtest.Sandbox) string {
	t.Helper()
	ctx := context.Background()
	h := s.Host
	var b strings.Builder
	for _, c := range [][]string{
		{runtime.ZFS, "list", "-H", "-o", "name", "-t", "all", "-r", s.Pool},
		{runtime.Jls, "-n", "name"},
		{runtime.Mount, "-p"},
		{runtime.Ifconfig, "-l"},
		{runtime.Ifconfig, "em0"},     // aliases
		{runtime.Ifconfig, "bridge0"}, // members
		{runtime.Rctl},
	} {
		out, err := h.Output(ctx, c[0], c[1:]...)
		must(t, err)
		if c[0] == runtime.Mount {
			// A dataset destroyed and made again (a basejail's base
			// clone) mounts at the end: the set is what matters.
			lines := strings.Split(out, "\n")
			sort.Strings(lines)
			out = strings.Join(lines, "\n")
		}
		fmt.Fprintf(&b, "%s:\n%s\n", strings.Join(c, " "), out)
	}
	for _, dir := range []string{"/iocage/tags", jail.FstabDir} {
		ents, _ := h.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lock") {
				continue // iocage's locks are made once and kept
			}
			data, _ := h.ReadFile(dir + "/" + e.Name())
			l, _ := h.Readlink(dir + "/" + e.Name())
			fmt.Fprintf(&b, "%s/%s -> %s %q\n", dir, e.Name(), l, data)
		}
	}
	return b.String()
}

// stProcsIn lists the processes whose root directory is dir or below it.
func stProcsIn(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	must(t, err)
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		root, err := os.Readlink("/proc/" + e.Name() + "/root")
		if err != nil {
			continue
		}
		if root == dir || strings.HasPrefix(root, dir+"/") {
			cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			out = append(out, e.Name()+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

const (
	stUUID  = "3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c"
	stUUID2 = "8b1e0f32-5c47-4a9d-8e21-7f3c2d1a0b9e"
)

func TestStartExecStopSharedIP(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.50/24", "resolver": "nameserver 127.0.0.1;search example.org"})
	before := stState(t, s)

	v, out, err := stRun(t, s, "start", names("web"))
	if err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if !strings.Contains(out, "["+stUUID+"] Starting jail (shared IP mode) OK") || !strings.Contains(out, "Starting services OK") {
		t.Errorf("start progress:\n%s", out)
	}
	rows := v.(*starlark.List)
	if rows.Len() != 1 {
		t.Fatalf("start returned %v", v)
	}
	jid, err := jail.JID(ctx, s.Host, j.Name())
	must(t, err)
	if jid == 0 {
		t.Fatalf("jail not running after start")
	}
	// The jail really runs its /etc/rc: rc wrote its date to the console log.
	logb, err := s.Host.ReadFile(jail.ConsoleLog(stUUID))
	must(t, err)
	if !regexp.MustCompile(`\d{4}`).Match(logb) {
		t.Errorf("console log has no output of /etc/rc: %q", logb)
	}
	rc, err := s.Host.ReadFile(j.Mountpoint + "/root/etc/resolv.conf")
	must(t, err)
	if d := cmp.Diff("nameserver 127.0.0.1\nsearch example.org\n", string(rc)); d != "" {
		t.Errorf("resolv.conf (-want +got):\n%s", d)
	}
	ifc, err := s.Host.Output(ctx, runtime.Ifconfig, "em0")
	must(t, err)
	if !strings.Contains(ifc, "192.168.1.50") {
		t.Errorf("em0 lacks the jail's alias:\n%s", ifc)
	}
	mounts, err := jail.JailMounts(ctx, s.Host, j)
	must(t, err)
	root := j.Mountpoint + "/root"
	if d := cmp.Diff([]string{root + "/dev", root + "/dev/fd"}, mounts); d != "" {
		t.Errorf("mounts (-want +got):\n%s", d)
	}
	got, err := s.Host.ReadFile("/iocage/jails/" + stUUID + "/..")
	_ = got
	ls, err := s.Host.ReadDir(jail.FstabDir)
	must(t, err)
	if len(ls) != 1 || ls[0].Name() != "fstab."+stUUID {
		t.Errorf("%s holds %v", jail.FstabDir, ls)
	}

	// exec: output of the command, its exit status, arguments untouched.
	v, out, err = stRun(t, s, "exec", map[string]starlark.Value{"name": starlark.String("web"),
		"command": starlark.NewList([]starlark.Value{starlark.String("/bin/sh"), starlark.String("-c"), starlark.String("echo in $(hostname) \"$0\"; exit 3"), starlark.String("--x")})})
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if v != starlark.MakeInt(3) || !strings.Contains(out, "in "+stUUID+" --x") {
		t.Errorf("exec = %v, output %q; want 3 and the jail's hostname", v, out)
	}
	// runtime: one param=value each, a value with spaces kept whole.
	v, _, err = stRun(t, s, "runtime", map[string]starlark.Value{"name": starlark.String("web")})
	must(t, err)
	rt := v.(*starlark.List)
	found := map[string]bool{}
	for i := 0; i < rt.Len(); i++ {
		found[rt.Index(i).(starlark.String).GoString()] = true
	}
	for _, want := range []string{"name=ioc-" + stUUID, "host.hostname=" + stUUID, "path=" + root, "ip4.addr=192.168.1.50"} {
		if !found[want] {
			t.Errorf("runtime lacks %q: %v", want, rt)
		}
	}

	// Starting it again says so and changes nothing.
	_, out, err = stRun(t, s, "start", names("web"))
	if err != nil || !strings.Contains(out, "Jail is already up") {
		t.Errorf("second start: %v\n%s", err, out)
	}

	_, out, err = stRun(t, s, "stop", names("web"))
	if err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if procs := stProcsIn(t, s.Host.LocalPath(root)); len(procs) > 0 {
		t.Errorf("processes left in the jail: %v", procs)
	}
	after := stState(t, s)
	if d := cmp.Diff(before, stripTagLinks(after)); d != "" {
		t.Errorf("host after stop differs from before start (-before +after):\n%s", d)
	}
	_, out, err = stRun(t, s, "stop", names("web"))
	if err != nil || !strings.Contains(out, "Jail is already down") {
		t.Errorf("second stop: %v\n%s", err, out)
	}
}

// stripTagLinks drops the tag links, which start makes and stop keeps.
func stripTagLinks(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "/iocage/tags/") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestStartVNETStop(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "vn", map[string]string{"vnet": "on", "interfaces": "vnet0:bridge0",
		"ip4_addr": "vnet0|192.168.1.60/24", "defaultrouter": "192.168.1.1"})
	before := stState(t, s)
	if _, out, err := stRun(t, s, "start", names("vn")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	out, err := s.Host.Output(ctx, runtime.Jexec, j.Name(), "/sbin/ifconfig", "vnet0")
	must(t, err)
	if !strings.Contains(out, "192.168.1.60") {
		t.Errorf("vnet0 in the jail:\n%s", out)
	}
	if _, out, err := stRun(t, s, "stop", names("vn")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
		t.Errorf("host after stop differs from before start (-before +after):\n%s", d)
	}
}

// TestStartFaults fails the n-th host change of a start, for every n
// until the start succeeds, and checks that each failed start left the
// host as it was.
func TestStartFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{"shared", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.50/24", "mount_procfs": "1",
			"rlimits": "on", "maxproc": "200:deny", "cpuset": "0", "jail_zfs": "on", "resolver": "copy"}},
		{"vnet", map[string]string{"vnet": "on", "interfaces": "vnet0:bridge0", "ip4_addr": "vnet0|192.168.1.61/24", "defaultrouter": "192.168.1.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stSetup(t)
			stJail(t, s, stUUID, "f", tc.props)
			// MACs are stored on the first VNET start and kept (they are
			// a function of the UUID), so take them before the snapshot.
			before := stState(t, s)
			for n := 1; ; n += sandboxtest.FaultStep(2) {
				if n > 80 {
					t.Fatal("start still failing after 80 injected failures")
				}
				s.Host.InjectFailure(n)
				_, out, err := stRun(t, s, "start", names("f"))
				s.Host.InjectFailure(0)
				if err == nil {
					t.Logf("start succeeded with failure injected at change %d", n)
					break
				}
				if !strings.Contains(err.Error(), "did not start") {
					t.Fatalf("n=%d: %v\n%s", n, err, out)
				}
				if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
					t.Fatalf("failure at change %d left the host changed (-before +after):\n%s\n%s", n, d, out)
				}
			}
			if _, out, err := stRun(t, s, "stop", names("f")); err != nil {
				t.Fatalf("stop: %v\n%s", err, out)
			}
			if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
				t.Fatalf("stop left (-before +after):\n%s", d)
			}
		})
	}
}

func TestStartSeveralReportsEach(t *testing.T) {
	s := stSetup(t)
	stJail(t, s, stUUID, "good", map[string]string{"vnet": "off"})
	stJail(t, s, stUUID2, "tmpl", map[string]string{"vnet": "off", "template": "yes"})
	_, out, err := stRun(t, s, "start", names("tmpl", "good"))
	if err == nil || !strings.Contains(err.Error(), "1 of 2 jails did not start: tmpl") {
		t.Fatalf("start = %v, want 1 of 2 failed\n%s", err, out)
	}
	if !strings.Contains(out, "is a template") {
		t.Errorf("no template message:\n%s", out)
	}
	jid, _ := jail.JID(context.Background(), s.Host, "ioc-"+stUUID)
	if jid == 0 {
		t.Errorf("the good jail did not stay up after the template failed")
	}
}

func TestStartRefusesForeignHostid(t *testing.T) {
	s := stSetup(t)
	stJail(t, s, stUUID, "moved", map[string]string{"vnet": "off", "hostid": "00000000-1111-2222-3333-444444444444"})
	_, out, err := stRun(t, s, "start", names("moved"))
	if err == nil || !strings.Contains(out, "belongs to the host with hostid 00000000-1111-2222-3333-444444444444") || !strings.Contains(out, "--force-hostid") {
		t.Fatalf("start = %v\n%s", err, out)
	}
	kw := names("moved")
	kw["force_hostid"] = starlark.True
	if _, out, err := stRun(t, s, "start", kw); err != nil {
		t.Fatalf("start --force-hostid: %v\n%s", err, out)
	}
}

func TestRctlAndCpusetFollowTheJail(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	stJail(t, s, stUUID, "lim", map[string]string{"vnet": "off", "rlimits": "on", "maxproc": "200:deny", "memoryuse": "1G:log", "cpuset": "0"})
	if _, out, err := stRun(t, s, "start", names("lim")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	rules, err := s.Host.Output(ctx, runtime.Rctl, "jail:ioc-"+stUUID)
	must(t, err)
	want := "jail:ioc-" + stUUID + ":memoryuse:log=1073741824\njail:ioc-" + stUUID + ":maxproc:deny=200\n"
	if d := cmp.Diff(want, rules); d != "" {
		t.Errorf("rctl (-want +got):\n%s", d)
	}
	jid, _ := jail.JID(ctx, s.Host, "ioc-"+stUUID)
	mask, err := s.Host.Output(ctx, runtime.Cpuset, "-g", "-j", strconv.Itoa(jid))
	must(t, err)
	if !strings.Contains(mask, "mask: 0\n") {
		t.Errorf("cpuset -g: %q", mask)
	}
	if _, out, err := stRun(t, s, "stop", names("lim")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if rules, _ := s.Host.Output(ctx, runtime.Rctl); rules != "" {
		t.Errorf("rules left after stop: %q", rules)
	}
}

func TestRestartSoftKeepsMountsHardRemakesThem(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "rs", map[string]string{"vnet": "off"})
	if _, out, err := stRun(t, s, "start", names("rs")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	root := s.Host.LocalPath(j.Mountpoint + "/root")
	// A file in the jail's devfs lives as long as that mount; a process
	// of the jail as long as nothing signals it.
	marker := filepath.Join(root, "dev", "marker")
	must(t, os.WriteFile(marker, nil, 0o644))
	sleeper := func() bool {
		for _, p := range stProcsIn(t, root) {
			if strings.Contains(p, "sleep 300") {
				return true
			}
		}
		return false
	}
	_, err := s.Host.Output(ctx, runtime.Jexec, j.Name(), "/bin/sh", "-c", "sleep 300 >/dev/null 2>&1 &")
	must(t, err)
	if !sleeper() {
		t.Fatal("the test's process did not start in the jail")
	}
	jid1, _ := jail.JID(ctx, s.Host, j.Name())
	if _, out, err := stRun(t, s, "restart", names("rs")); err != nil {
		t.Fatalf("soft restart: %v\n%s", err, out)
	}
	jid2, _ := jail.JID(ctx, s.Host, j.Name())
	if _, err := os.Stat(marker); err != nil || jid2 != jid1 {
		t.Errorf("soft restart remade the jail: jid %d -> %d, devfs marker: %v", jid1, jid2, err)
	}
	if sleeper() {
		t.Errorf("soft restart left the jail's processes running (pkill -j)")
	}
	kw := names("rs")
	kw["hard"] = starlark.True
	if _, out, err := stRun(t, s, "restart", kw); err != nil {
		t.Fatalf("hard restart: %v\n%s", err, out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("hard restart kept the jail's devfs")
	}
	if jid, _ := jail.JID(ctx, s.Host, j.Name()); jid == 0 {
		t.Errorf("jail not running after hard restart")
	}
	// Soft restart of a stopped jail is refused.
	_, _, err = stRun(t, s, "stop", names("rs"))
	must(t, err)
	if _, out, err := stRun(t, s, "restart", names("rs")); err == nil || !strings.Contains(out, "is not running") {
		t.Errorf("restart of a stopped jail: %v\n%s", err, out)
	}
}

// stGolden replaces what changes between runs in a transcript.
func stGolden(s *sandboxtest.Sandbox, evs []runtime.Event) string {
	var b strings.Builder
	date := regexp.MustCompile(`\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d`)
	// The columns jail.list reads belong to the data model, not to start.
	cols := regexp.MustCompile(`-o name,type,\S+`)
	for _, e := range evs {
		line := cols.ReplaceAllString(e.Cmd, "-o COLUMNS")
		line = strings.ReplaceAll(line, stUUID, "UUID")
		line = strings.ReplaceAll(line, s.Pool, "POOL")
		line = date.ReplaceAllString(line, "DATE")
		fmt.Fprintf(&b, "%s\n", line)
	}
	return b.String()
}

func stCompareGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(p, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(p)
	must(t, err)
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got; -update rewrites):\n%s", p, d)
	}
}

func TestStartStopGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{"shared", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.50/24"}},
		{"vnet", map[string]string{"vnet": "on", "interfaces": "vnet0:bridge0", "ip4_addr": "vnet0|192.168.1.62/24", "defaultrouter": "192.168.1.1",
			"vnet0_mac": "02ff603f2a9c,02ff603f2a9d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stSetup(t)
			stJail(t, s, stUUID, "gold", tc.props)
			s.Host.Record()
			if _, out, err := stRun(t, s, "start", names("gold")); err != nil {
				t.Fatalf("start: %v\n%s", err, out)
			}
			stCompareGolden(t, "start-"+tc.name, stGolden(s, s.Host.Events()))
			if _, out, err := stRun(t, s, "stop", names("gold")); err != nil {
				t.Fatalf("stop: %v\n%s", err, out)
			}
			stCompareGolden(t, "stop-"+tc.name, stGolden(s, s.Host.Events()))
		})
	}
}

func TestConsoleAndChroot(t *testing.T) {
	s := stSetup(t)
	j := stJail(t, s, stUUID, "con", map[string]string{"vnet": "off"})
	if _, out, err := stRun(t, s, "start", names("con")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	// The sandbox's busybox login cannot log in without a terminal, so
	// this checks what console sends: jexec, login and the login_flags.
	s.Host.Record()
	_, out, err := stRunIn(t, s, "console", map[string]starlark.Value{"name": starlark.String("con")}, "")
	if err != nil {
		t.Fatalf("console: %v\n%s", err, out)
	}
	var sent []string
	for _, e := range s.Host.Events() {
		if strings.HasPrefix(e.Cmd, runtime.Jexec) {
			sent = append(sent, e.Cmd)
		}
	}
	if d := cmp.Diff([]string{runtime.Jexec + " ioc-" + stUUID + " login -f root"}, sent); d != "" {
		t.Errorf("console (-want +got):\n%s", d)
	}
	// chroot works on the host, running or not.
	_, _, err = stRun(t, s, "stop", names("con"))
	must(t, err)
	must(t, s.Host.WriteFile(j.Mountpoint+"/root/marker", []byte("x"), 0o644))
	v, out, err := stRun(t, s, "chroot", map[string]starlark.Value{"name": starlark.String("con"),
		"command": starlark.NewList([]starlark.Value{starlark.String("/bin/ls"), starlark.String("/marker")})})
	if err != nil || v != starlark.MakeInt(0) || !strings.Contains(out, "/marker") {
		t.Errorf("chroot = %v, %v, output %q", v, err, out)
	}
}

// TestStartRecipeTests runs recipes/start_test.star on the sandbox.
func TestStartRecipeTests(t *testing.T) {
	var out bytes.Buffer
	sum, err := starlib.RunTests(context.Background(), []string{"@iocage//start_test.star"}, starlib.TestOptions{
		Options: starlib.Options{Site: fstest.MapFS{}},
		Out:     &out,
		Fresh: func() (*runtime.Host, error) {
			s := sandboxtest.New(t)
			t.Cleanup(func() { stStopAll(s) })
			return s.Host, nil
		},
	})
	must(t, err)
	if sum.Failed > 0 || sum.Passed == 0 {
		t.Errorf("%s\n%s", sum.SummaryLine(), out.String())
	}
}

// stBasejail fetches 14.3-RELEASE the way fetch leaves it (release
// dataset and basejail base), then creates a basejail with create.star.
func stBasejail(t testing.TB, s *sandboxtest.Sandbox, tag string) *jail.Jail {
	t.Helper()
	ctx := context.Background()
	rel := s.Pool + "/iocage/releases/14.3-RELEASE/root"
	must(t, zfs.Create(ctx, s.Host, rel, true, map[string]string{"compression": "lz4"}))
	copyTree := func(dst string) {
		if out, err := exec.Command("/bin/cp", "-a", stBase(t)+"/.", s.Host.LocalPath(dst)+"/").CombinedOutput(); err != nil {
			t.Fatalf("cp: %v: %s", err, out)
		}
	}
	copyTree("/iocage/releases/14.3-RELEASE/root")
	for _, fs := range jail.BaseFilesystems {
		must(t, zfs.Create(ctx, s.Host, jail.BaseDS(s.Pool, "14.3-RELEASE")+"/"+fs, true, map[string]string{"compression": "lz4"}))
	}
	copyTree("/iocage/base/14.3-RELEASE/root")
	props := starlark.NewDict(3)
	for k, v := range map[string]string{"tag": tag, "vnet": "off", "release": "14.3-RELEASE"} {
		_ = props.SetKey(starlark.String(k), starlark.String(v))
	}
	if _, out, err := stRun(t, s, "create", map[string]starlark.Value{"props": props, "basejail": starlark.True}); err != nil {
		t.Fatalf("create -b: %v\n%s", err, out)
	}
	js, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	j, err := jail.Find(js, tag)
	must(t, err)
	return j
}

func TestBasejailStartReclonesReadOnlyAndHack88(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stBasejail(t, s, "bj")
	must(t, zfs.Set(ctx, s.Host, j.Dataset, map[string]string{jailprops.Prefix + "hack88": "1"}))
	s.Host.Record()
	s.Host.InjectFailure(0)
	if _, out, err := stRun(t, s, "start", names("bj")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	changes := s.Host.Changes()
	// Re-cloned with the options of creation (the shell iocage dropped
	// them). The sandbox's zfs-fuse does not keep readonly, so this
	// checks what is sent.
	var clones []string
	for _, e := range s.Host.Events() {
		if strings.HasPrefix(e.Cmd, runtime.ZFS+" clone ") {
			clones = append(clones, e.Cmd)
		}
	}
	if len(clones) != len(jail.BaseFilesystems) {
		t.Errorf("%d clones, want %d: %v", len(clones), len(jail.BaseFilesystems), clones)
	}
	base := jail.BaseDS(s.Pool, "14.3-RELEASE")
	for i, c := range clones {
		fs := jail.BaseFilesystems[i]
		want := runtime.ZFS + " clone -o compression=lz4 -o readonly=on " + base + "/" + fs + "@" + j.UUID + " " + j.Dataset + "/root/" + fs
		if c != want {
			t.Errorf("clone %d:\n got %s\nwant %s", i, c, want)
		}
	}
	short := "/iocage/jails/" + strings.SplitN(j.UUID, "-", 2)[0]
	js, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	if j2, _ := jail.Find(js, "bj"); j2.Mountpoint != short {
		t.Errorf("mountpoint %s with hack88=1, want %s", j2.Mountpoint, short)
	}
	if l, _ := s.Host.Readlink("/iocage/tags/bj"); l != short {
		t.Errorf("tag link -> %q, want %s", l, short)
	}
	if _, out, err := stRun(t, s, "stop", names("bj")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	// Failures at points spread over the start (a full loop over its
	// ~40 changes takes minutes): each leaves the basejail as it was.
	// The count is of a start with mountpoint and tag link in place.
	before := stState(t, s)
	s.Host.InjectFailure(0)
	if _, out, err := stRun(t, s, "start", names("bj")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	changes = s.Host.Changes()
	if _, out, err := stRun(t, s, "stop", names("bj")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	for _, n := range []int{1, 2, 9, changes / 3, changes/3 + 1, changes / 2, 2 * changes / 3, changes - 1} {
		s.Host.InjectFailure(n)
		_, out, err := stRun(t, s, "start", names("bj"))
		s.Host.InjectFailure(0)
		if err == nil {
			t.Fatalf("start with change %d of %d failing succeeded", n, changes)
		}
		if d := cmp.Diff(before, stState(t, s)); d != "" {
			t.Fatalf("failure at change %d left the host changed (-before +after):\n%s\n%s", n, d, out)
		}
	}
}

// A jail that went away behind iocage's back (or a start killed half-way)
// leaves mounts, aliases, rules and the generated fstab: stop of the jail,
// now down, removes them all and touches nothing else.
func TestStopCleansUpAfterAJailThatDiedAlone(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "dead", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.70/24",
		"rlimits": "on", "maxproc": "300:deny", "mount_procfs": "1"})
	before := stState(t, s)
	if _, out, err := stRun(t, s, "start", names("dead")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	must(t, s.Host.Change(ctx, runtime.Jail, "-r", j.Name()))
	left := stripTagLinks(stState(t, s))
	for _, want := range []string{"/root/proc", "/root/dev", "192.168.1.70", "maxproc:deny=300", "fstab." + stUUID} {
		if want == "192.168.1.70" {
			ifc, _ := s.Host.Output(ctx, runtime.Ifconfig, "em0")
			left += ifc
		}
		if !strings.Contains(left, want) {
			t.Errorf("after the jail died alone, %q is not left over:\n%s", want, left)
		}
	}
	_, out, err := stRun(t, s, "stop", names("dead"))
	if err != nil || !strings.Contains(out, "Jail is already down") {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stripTagLinks(stState(t, s))); d != "" {
		t.Errorf("stop of the dead jail left (-before +after):\n%s", d)
	}
}
