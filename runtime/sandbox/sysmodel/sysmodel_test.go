package sysmodel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/runtime/sandbox/sysmodel"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// result is what one program run left.
type result struct {
	Stdout, Stderr string
	Code           int
}

func run(t *testing.T, h *runtime.Host, prog string, args ...string) result {
	t.Helper()
	return runEnv(t, h, nil, prog, args...)
}

func runEnv(t *testing.T, h *runtime.Host, env []string, prog string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	_, err := h.Run(context.Background(), &runtime.Cmd{Path: prog, Args: args, Env: env, Stdout: &out, Stderr: &errb})
	code := 0
	var ee *runtime.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode
	} else if err != nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	return result{out.String(), errb.String(), code}
}

// newSandbox gives a fresh sandbox whose mounts are undone after the test
// (until the lead wires Teardown into the sandbox reset).
func newSandbox(t *testing.T) *sandboxtest.Sandbox {
	s := sandboxtest.New(t)
	t.Cleanup(func() {
		if err := sysmodel.Teardown(s.Backend.Sandbox()); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	return s
}

func mkdirs(t *testing.T, h *runtime.Host, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := h.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestArgumentValidation(t *testing.T) {
	s := newSandbox(t)
	mkdirs(t, s.Host, "/tmp/mp", "/tmp/src")
	if err := s.Host.WriteFile("/tmp/file", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prog string
		args []string
		want result
	}{
		{runtime.Mount, []string{"-t", "bogusfs", "x", "/tmp/mp"}, result{Stderr: "mount: x: Operation not supported by device\n", Code: 1}},
		{runtime.Mount, []string{"-t", "nullfs", "/tmp/src", "/tmp/nope"}, result{Stderr: "mount: /tmp/nope: No such file or directory\n", Code: 1}},
		{runtime.Mount, []string{"-t", "nullfs", "/tmp/nosrc", "/tmp/mp"}, result{Stderr: "mount_nullfs: /tmp/nosrc: No such file or directory\n", Code: 64}},
		{runtime.Mount, []string{"-t", "tmpfs", "tmpfs", "/tmp/file"}, result{Stderr: "mount: /tmp/file: Not a directory\n", Code: 1}},
		{runtime.Mount, []string{"-t", "devfs", "-o", "bogus=1", "devfs", "/tmp/mp"}, result{Stderr: "mount: devfs: mount option <bogus> is unknown: Invalid argument\n", Code: 1}},
		{runtime.Mount, []string{"-t", "devfs", "-o", "ruleset=70000", "devfs", "/tmp/mp"}, result{Stderr: "mount: devfs: rulesetnum 70000 out of range: Invalid argument\n", Code: 1}},
		{runtime.Mount, []string{"-t", "smbfs", "//x/y", "/tmp/mp"}, result{Stderr: "mount: exec mount_smbfs not found in /sbin:/usr/sbin: No such file or directory\n", Code: 1}},
		{runtime.Mount, []string{"-t", "a", "-t", "b"}, result{Stderr: "mount: only one -t option may be specified\n", Code: 1}},
		{runtime.Mount, []string{"-Z"}, result{Stderr: "mount: illegal option -- Z\n" + mountUsageText, Code: 1}},
		{runtime.Mount, []string{"/tmp/mp"}, result{Stderr: "mount: /tmp/mp: unknown special file or file system\n", Code: 1}},
		{runtime.Umount, []string{"/tmp/mp"}, result{Stderr: "umount: /tmp/mp: not a file system root directory\n", Code: 1}},
		{runtime.Umount, []string{"/tmp/none"}, result{Stderr: "umount: /tmp/none: statfs: No such file or directory\numount: /tmp/none: unknown file system\n", Code: 1}},
		{runtime.Umount, []string{"/dev"}, result{Stderr: "umount: unmount of /dev failed: Device busy\n", Code: 1}},
		{runtime.Umount, []string{"-f", "-n", "/tmp/mp"}, result{Stderr: "umount: -f and -n are mutually exclusive\n", Code: 1}},
		{runtime.Umount, []string{"-a", "-F", "/tmp/nofstab"}, result{Stderr: "umount: /tmp/nofstab: No such file or directory\n", Code: 1}},
		{runtime.Devfs, []string{"-m", "/tmp/mp", "rule", "-s", "4", "show"}, result{Stderr: "devfs rule: ioctl DEVFSIO_RGETNEXT: Inappropriate ioctl for device\n", Code: 1}},
		{runtime.Devfs, []string{"-m", "/tmp/none", "rule", "show"}, result{Stderr: "devfs: open: /tmp/none: No such file or directory\n", Code: 1}},
		{runtime.Devfs, []string{"rule", "-s", "9", "add", "path", "x", "frob"}, result{Stderr: "devfs rule: unknown argument: frob\n", Code: 1}},
		{runtime.Devfs, []string{"rule", "-s", "9", "add", "type", "sock", "hide"}, result{Stderr: "devfs rule: unknown type: sock\n", Code: 1}},
		{runtime.Devfs, []string{"rule", "-s", "x", "show"}, result{Stderr: "devfs rule: error converting to number: x\n", Code: 1}},
		{runtime.Devfs, []string{"rule", "add", "hide"}, result{Stderr: "devfs rule: ioctl DEVFSIO_RADD: Input/output error\n", Code: 1}},
		{runtime.Devfs, []string{"frob"}, result{Stderr: "devfs: unknown command: frob\n", Code: 1}},
		{runtime.Devfs, []string{"rule", "-s", "4", "show"}, result{Stdout: "100 include 1\n200 include 2\n300 include 3\n400 path fuse unhide\n500 path zfs unhide\n"}},
		{runtime.Devfs, []string{"rule", "showsets"}, result{Stdout: "1\n2\n3\n4\n5\n"}},
		{runtime.Sysctl, []string{"no.such.oid"}, result{Stderr: "sysctl: unknown oid 'no.such.oid'\n", Code: 1}},
		{runtime.Sysctl, []string{"-q", "no.such.oid"}, result{Code: 1}},
		{runtime.Sysctl, []string{"-i", "no.such.oid"}, result{}},
		{runtime.Sysctl, []string{"kern.ostype=Linux"}, result{Stderr: "sysctl: oid 'kern.ostype' is read only\n", Code: 1}},
		{runtime.Sysctl, []string{"kern.racct.enable=0"}, result{Stderr: "sysctl: oid 'kern.racct.enable' is a read only tunable\nsysctl: Tunable values are set in /boot/loader.conf\n", Code: 1}},
		{runtime.Sysctl, []string{"net.inet.ip.forwarding=yes"}, result{Stderr: "sysctl: invalid integer 'yes'\n", Code: 1}},
		{runtime.Sysctl, []string{"net.inet.ip.forwarding="}, result{Stderr: "sysctl: empty numeric value\n", Code: 1}},
		{runtime.Sysctl, []string{"kern.features=1"}, result{Stderr: "sysctl: oid 'kern.features' isn't a leaf node\n", Code: 1}},
		{runtime.Sysctl, []string{"-n", "kern.osrelease", "kern.osreldate", "security.jail.jailed"}, result{Stdout: "14.3-RELEASE\n1403000\n0\n"}},
		{runtime.Sysctl, []string{"kern.features"}, result{Stdout: "kern.features.inet: 1\nkern.features.inet6: 1\nkern.features.racct: 1\nkern.features.rctl: 1\nkern.features.vimage: 1\nkern.features.zfs: 1\n"}},
		{runtime.Sysctl, []string{"-e", "security.jail.param.allow.mount.zfs", "security.jail.param.host.hostname"}, result{Stdout: "security.jail.param.allow.mount.zfs=0\nsecurity.jail.param.host.hostname=\n"}},
		{runtime.Rctl, []string{"-a", "jail:j:cputime:deny=10"}, result{Stderr: "rctl: failed to add rule 'jail:j:cputime:deny=10': Operation not supported\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail:j:memoryuse:throttle=10"}, result{Stderr: "rctl: failed to add rule 'jail:j:memoryuse:throttle=10': Operation not supported\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail:j:nshm:deny=10/process"}, result{Stderr: "rctl: failed to add rule 'jail:j:nshm:deny=10/process': Operation not supported\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail:j:bogus:deny=10"}, result{Stderr: "rctl: failed to add rule 'jail:j:bogus:deny=10': Invalid argument\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail:j:maxproc:explode=10"}, result{Stderr: "rctl: failed to add rule 'jail:j:maxproc:explode=10': Invalid argument\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "planet:j:maxproc:deny=10"}, result{Stderr: "rctl: failed to add rule 'planet:j:maxproc:deny=10': Invalid argument\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail:j:maxproc:deny"}, result{Stderr: "rctl: failed to add rule 'jail:j:maxproc:deny': Invalid argument\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail:j:maxproc:deny=10Q"}, result{Stderr: "rctl: malformed rule 'jail:j:maxproc:deny=10Q': invalid numeric value '10Q'\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "jail"}, result{Stderr: "rctl: malformed rule 'jail': missing subject\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "user:nosuchuser:maxproc:deny=1"}, result{Stderr: "rctl: malformed rule 'user:nosuchuser:maxproc:deny=1': uknown user 'nosuchuser'\n", Code: 1}},
		{runtime.Rctl, []string{"-a", "-r", "jail:j"}, result{Stderr: "rctl: at most one of -a, -l, -r, or -u may be specified\n", Code: 1}},
		{runtime.Rctl, []string{"-a"}, result{Stderr: "usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]\n", Code: 1}},
		{runtime.Rctl, []string{"-r", "jail:nothing"}, result{Stderr: "rctl: failed to remove rule 'jail:nothing': No such process\n", Code: 1}},
		{runtime.Rctl, []string{"-u", "jail:"}, result{Stderr: "rctl: failed to show resource consumption for 'jail:': Invalid argument\n", Code: 1}},
		{runtime.Cpuset, []string{"-l", "1-", "-p", "1"}, result{Stderr: "cpuset: Malformed list 1-\n", Code: 1}},
		{runtime.Cpuset, []string{"-l", "0,,x", "-p", "1"}, result{Stderr: "cpuset: Malformed list 0,,x\n", Code: 1}},
		{runtime.Cpuset, []string{"-l", "2000", "-p", "1"}, result{Stderr: "cpuset: List entry 2000 exceeds maximum of 1024\n", Code: 1}},
		{runtime.Cpuset, []string{"-l", "1000", "-p", "1"}, result{Stderr: "cpuset: setaffinity: Resource deadlock avoided\n", Code: 1}},
		{runtime.Cpuset, []string{"-g", "-j", "nosuchjail"}, result{Stderr: "cpuset: jail \"nosuchjail\" not found\n", Code: 1}},
		{runtime.Cpuset, []string{"-l", "0", "-j", "42"}, result{Stderr: "cpuset: jail 42 not found\n", Code: 1}},
		{runtime.Cpuset, []string{"-g", "-l", "0"}, result{Stderr: cpusetUsageText, Code: 1}},
		{runtime.Cpuset, []string{"-g"}, result{Stdout: fmt.Sprintf("pid -1 mask: %s\npid -1 domain policy: first-touch mask: 0\n", allCPUs())}},
		{runtime.Uname, nil, result{Stdout: "FreeBSD\n"}},
		{runtime.Uname, []string{"-K", "-U"}, result{Stdout: "1403000 1403000\n"}},
		{runtime.Uname, []string{"-rms"}, result{Stdout: "FreeBSD 14.3-RELEASE amd64\n"}},
		{runtime.Uname, []string{"-a"}, result{Stdout: "FreeBSD sandbox.local 14.3-RELEASE FreeBSD 14.3-RELEASE releng/14.3-n271432-8c9ce319fef7 GENERIC amd64\n"}},
		{runtime.Uname, []string{"-z"}, result{Stderr: "uname: illegal option -- z\nusage: uname [-abiKmnoprsUv]\n", Code: 1}},
		{runtime.Uname, []string{"extra"}, result{Stderr: "usage: uname [-abiKmnoprsUv]\n", Code: 1}},
		{runtime.FreebsdVersion, nil, result{Stdout: "14.3-RELEASE\n"}},
		{runtime.FreebsdVersion, []string{"-kru"}, result{Stdout: "14.3-RELEASE\n14.3-RELEASE\n14.3-RELEASE\n"}},
		{runtime.FreebsdVersion, []string{"-x"}, result{Stderr: "freebsd-version: illegal option -- x\nusage: freebsd-version [-kru] [-j jail]\n", Code: 1}},
		{runtime.FreebsdVersion, []string{"arg"}, result{Stderr: "usage: freebsd-version [-kru] [-j jail]\n", Code: 1}},
		{runtime.Chflags, []string{"schg", "/tmp/file"}, result{}},
		{runtime.Chflags, []string{"-R", "noschg", "/tmp"}, result{}},
		{runtime.Chflags, []string{"-v", "schg,nodump", "/tmp/file"}, result{Stdout: "/tmp/file\n"}},
		{runtime.Chflags, []string{"-vv", "uchg", "/tmp/file"}, result{Stdout: "/tmp/file: 00 -> 02\n"}},
		{runtime.Chflags, []string{"0", "/tmp/file"}, result{}},
		{runtime.Chflags, []string{"frobnicate", "/tmp/file"}, result{Stderr: "chflags: invalid flag: frobnicate\n", Code: 1}},
		{runtime.Chflags, []string{"09", "/tmp/file"}, result{Stderr: "chflags: invalid flags: 09\n", Code: 1}},
		{runtime.Chflags, []string{"schg", "/tmp/nope"}, result{Stderr: "chflags: /tmp/nope: No such file or directory\n", Code: 1}},
		{runtime.Chflags, []string{"-R", "-h", "schg", "/tmp/file"}, result{Stderr: "chflags: the -R and -h options may not be specified together\n", Code: 1}},
		{runtime.Chflags, []string{"schg"}, result{Stderr: "usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...\n", Code: 1}},
		{runtime.Setfib, []string{"1", "/bin/true"}, result{Stderr: "setfib: 1: invalid FIB (max 0)\n", Code: 1}},
		{runtime.Setfib, []string{"-F", "x", "/bin/true"}, result{Stderr: "setfib: x: invalid FIB (max 0)\n", Code: 1}},
		{runtime.Setfib, []string{"0"}, result{Stderr: "usage: setfib [-[F]]value command\n", Code: 1}},
		{runtime.Setfib, []string{"0", "uname", "-r"}, result{Stdout: "14.3-RELEASE\n"}},
		{runtime.Setfib, []string{"-F0", "echo", "hello"}, result{Stdout: "hello\n"}},
		{runtime.Setfib, []string{"0", "no-such-command"}, result{Stderr: "setfib: no-such-command: No such file or directory\n", Code: 127}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(append([]string{tc.prog}, tc.args...), " "), func(t *testing.T) {
			if diff := cmp.Diff(tc.want, run(t, s.Host, tc.prog, tc.args...)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

const mountUsageText = `usage: mount [-adflpruvw] [-F fstab] [-o options] [-t ufs | external_type]
       mount [-dfpruvw] special | node
       mount [-dfpruvw] [-o options] [-t ufs | external_type] special node
`

const cpusetUsageText = `usage: cpuset [-l cpu-list] [-s setid] cmd ...
       cpuset [-l cpu-list] [-s setid] -p pid
       cpuset [-c] [-l cpu-list] -C -p pid
       cpuset [-c] [-l cpu-list] [-j jailid | -p pid | -t tid | -s setid | -x irq]
       cpuset -g [-cir] [-d domain | -j jailid | -p pid | -t tid | -s setid |
              -x irq]
`

func allCPUs() string {
	var s []string
	for i := 0; i < goruntime.NumCPU(); i++ {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, ", ")
}

func TestNullfsReadOnlyAndUmount(t *testing.T) {
	s := newSandbox(t)
	h := s.Host
	mkdirs(t, h, "/tmp/src", "/tmp/dst")
	if err := h.WriteFile("/tmp/src/hello", []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, h, runtime.Mount, "-t", "nullfs", "-o", "ro", "/tmp/src", "/tmp/dst"); r.Code != 0 {
		t.Fatalf("mount: %+v", r)
	}
	b, err := h.ReadFile("/tmp/dst/hello")
	if err != nil || string(b) != "hi\n" {
		t.Fatalf("read through nullfs: %q, %v", b, err)
	}
	err = h.WriteFile("/tmp/dst/new", []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write into a ro nullfs: got %v, want a read-only file system error", err)
	}
	r := run(t, h, runtime.Mount, "-t", "nullfs")
	if diff := cmp.Diff(result{Stdout: "/tmp/src on /tmp/dst (nullfs, local, read-only)\n"}, r); diff != "" {
		t.Errorf("mount -t nullfs (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(result{Stdout: "/tmp/src: unmount from /tmp/dst\n"}, run(t, h, runtime.Umount, "-v", "/tmp/dst")); diff != "" {
		t.Errorf("umount -v (-want +got)\n%s", diff)
	}
	if _, err := h.Stat("/tmp/dst/hello"); err == nil {
		t.Error("the source is still visible after umount")
	}
	if diff := cmp.Diff(result{Stderr: "umount: /tmp/dst: not a file system root directory\n", Code: 1}, run(t, h, runtime.Umount, "/tmp/dst")); diff != "" {
		t.Errorf("second umount (-want +got)\n%s", diff)
	}
	// A read-write one takes writes, which land in the source.
	if r := run(t, h, runtime.Mount, "-t", "nullfs", "/tmp/src", "/tmp/dst"); r.Code != 0 {
		t.Fatalf("mount rw: %+v", r)
	}
	if err := h.WriteFile("/tmp/dst/new", []byte("x"), 0o644); err != nil {
		t.Fatalf("write into rw nullfs: %v", err)
	}
	if _, err := h.Stat("/tmp/src/new"); err != nil {
		t.Errorf("write did not reach the source: %v", err)
	}
	if r := run(t, h, runtime.Umount, "/tmp/src"); r.Code != 0 {
		t.Errorf("umount by device name: %+v", r)
	}
}

func devEntries(t *testing.T, h *runtime.Host, dir string) []string {
	t.Helper()
	ents, err := h.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestDevfsRulesets(t *testing.T) {
	s := newSandbox(t)
	h := s.Host
	mkdirs(t, h, "/tmp/j/dev", "/tmp/h/dev")
	if r := run(t, h, runtime.Mount, "-t", "devfs", "-o", "ruleset=4", "devfs", "/tmp/j/dev"); r.Code != 0 {
		t.Fatalf("mount devfs: %+v", r)
	}
	// devfsrules_jail: no full, no tty; fd, std*, pts and the basics.
	want := []string{"fd", "null", "ptmx", "pts", "random", "stderr", "stdin", "stdout", "urandom", "zero", "fuse"}
	sort.Strings(want)
	if diff := cmp.Diff(want, devEntries(t, h, "/tmp/j/dev")); diff != "" {
		t.Errorf("ruleset 4 nodes (-want +got)\n%s", diff)
	}
	// /dev/null works for real.
	f, err := os.OpenFile(h.LocalPath("/tmp/j/dev/null"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("discarded")); err != nil {
		t.Errorf("write /dev/null: %v", err)
	}
	f.Close()
	zero := make([]byte, 4)
	zf, err := os.Open(h.LocalPath("/tmp/j/dev/zero"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zf.Read(zero); err != nil || !bytes.Equal(zero, []byte{0, 0, 0, 0}) {
		t.Errorf("read /dev/zero: %v %v", zero, err)
	}
	zf.Close()

	// No ruleset: everything the model has.
	if r := run(t, h, runtime.Mount, "-t", "devfs", "devfs", "/tmp/h/dev"); r.Code != 0 {
		t.Fatalf("mount devfs: %+v", r)
	}
	got := devEntries(t, h, "/tmp/h/dev")
	for _, n := range []string{"full", "tty", "null"} {
		if !has(got, n) {
			t.Errorf("devfs without ruleset lacks %s: %v", n, got)
		}
	}

	// A user ruleset hides null once applied.
	for _, args := range [][]string{
		{"rule", "-s", "10", "add", "path", "null", "hide"},
		{"rule", "-s", "10", "add", "path", "z*", "hide"},
		{"-m", "/tmp/h/dev", "rule", "-s", "10", "applyset"},
	} {
		if r := run(t, h, runtime.Devfs, args...); r.Code != 0 {
			t.Fatalf("devfs %v: %+v", args, r)
		}
	}
	got = devEntries(t, h, "/tmp/h/dev")
	if has(got, "null") || has(got, "zero") || !has(got, "full") {
		t.Errorf("after applyset 10: %v", got)
	}
	if diff := cmp.Diff(result{Stdout: "100 path null hide\n200 path z* hide\n"}, run(t, h, runtime.Devfs, "rule", "-s", "10", "show")); diff != "" {
		t.Errorf("show (-want +got)\n%s", diff)
	}
	// Unhiding brings a node back.
	run(t, h, runtime.Devfs, "-m", "/tmp/h/dev", "rule", "-s", "10", "apply", "path", "null", "unhide")
	if got := devEntries(t, h, "/tmp/h/dev"); !has(got, "null") {
		t.Errorf("null not back after unhide: %v", got)
	}
	if diff := cmp.Diff(result{Stdout: "1\n2\n3\n4\n5\n10\n"}, run(t, h, runtime.Devfs, "rule", "showsets")); diff != "" {
		t.Errorf("showsets (-want +got)\n%s", diff)
	}
	run(t, h, runtime.Devfs, "rule", "-s", "10", "delset")
	if diff := cmp.Diff(result{Stdout: "1\n2\n3\n4\n5\n"}, run(t, h, runtime.Devfs, "rule", "showsets")); diff != "" {
		t.Errorf("showsets after delset (-want +got)\n%s", diff)
	}

	// fdescfs on the jail's dev/fd, then the stop order of iocage.
	if r := run(t, h, runtime.Mount, "-t", "fdescfs", "fdesc", "/tmp/j/dev/fd"); r.Code != 0 {
		t.Fatalf("mount fdescfs: %+v", r)
	}
	if diff := cmp.Diff([]string{"0", "1", "2"}, devEntries(t, h, "/tmp/j/dev/fd")); diff != "" {
		t.Errorf("fdescfs entries (-want +got)\n%s", diff)
	}
	if r := run(t, h, runtime.Umount, "/tmp/j/dev"); r.Code != 1 || !strings.Contains(r.Stderr, "Device busy") {
		t.Errorf("umount of a devfs with fdescfs on it: %+v, want Device busy", r)
	}
	for _, p := range []string{"/tmp/j/dev/fd", "/tmp/j/dev", "/tmp/h/dev"} {
		if r := run(t, h, runtime.Umount, p); r.Code != 0 {
			t.Errorf("umount %s: %+v", p, r)
		}
	}
	if got := devEntries(t, h, "/tmp/j/dev"); len(got) != 0 {
		t.Errorf("jail dev not empty after umount: %v", got)
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestMountAllFstabRoundTrip(t *testing.T) {
	s := newSandbox(t)
	h := s.Host
	mkdirs(t, h, "/tmp/rel", "/tmp/jr/mnt/rel", "/tmp/jr/tmp", "/tmp/jr/proc", "/tmp/jr/skip")
	fstab := "# Device\tMountpoint\tFStype\tOptions\tDump\tPass#\n" +
		"/tmp/rel\t/tmp/jr/mnt/rel\tnullfs\tro\t0\t0\n" +
		"\n" +
		"tmpfs /tmp/jr/tmp tmpfs rw,size=16m,mode=1777 0 0\n" +
		"this line is bad\n" +
		"proc /tmp/jr/proc procfs rw 0 0 # trailing\n" +
		"/tmp/rel /tmp/jr/skip nullfs ro,noauto 0 0\n" +
		"tmpfs /tmp/jr/skip tmpfs noexec 0 0\n"
	if err := h.WriteFile("/tmp/fstab.j", []byte(fstab), 0o644); err != nil {
		t.Fatal(err)
	}
	want := result{Stderr: "fstab: /tmp/fstab.j:5: Inappropriate file type or format\nfstab: /tmp/fstab.j:8: Inappropriate file type or format\n"}
	if diff := cmp.Diff(want, run(t, h, runtime.Mount, "-a", "-F", "/tmp/fstab.j")); diff != "" {
		t.Errorf("mount -a (-want +got)\n%s", diff)
	}
	wantP := "/tmp/rel\t\t/tmp/jr/mnt/rel\t\tnullfs\tro\t\t0 0\n" +
		"tmpfs\t\t\t/tmp/jr/tmp\t\ttmpfs\trw\t\t0 0\n" +
		"procfs\t\t\t/tmp/jr/proc\t\tprocfs\trw\t\t0 0\n"
	r := run(t, h, runtime.Mount, "-p", "-t", "nullfs,tmpfs,procfs")
	if diff := cmp.Diff(result{Stdout: wantP}, r); diff != "" {
		t.Errorf("mount -p (-want +got)\n%s", diff)
	}
	if _, err := h.Stat("/tmp/jr/proc/self/status"); err != nil {
		t.Errorf("procfs does not work: %v", err)
	}
	// Mounting again skips what is mounted.
	if r := run(t, h, runtime.Mount, "-a", "-F", "/tmp/fstab.j"); r.Code != 0 {
		t.Errorf("second mount -a: %+v", r)
	}
	if got := strings.Count(run(t, h, runtime.Mount).Stdout, "/tmp/jr/"); got != 3 {
		t.Errorf("after a second mount -a: %d mounts under /tmp/jr, want 3", got)
	}
	wantU := "procfs: unmount from /tmp/jr/proc\ntmpfs: unmount from /tmp/jr/tmp\n/tmp/rel: unmount from /tmp/jr/mnt/rel\n"
	if diff := cmp.Diff(result{Stdout: wantU, Stderr: want.Stderr + "umount: /tmp/jr/skip: not a file system root directory\n", Code: 1},
		run(t, h, runtime.Umount, "-afvF", "/tmp/fstab.j")); diff != "" {
		t.Errorf("umount -afvF (-want +got)\n%s", diff)
	}
	if out := run(t, h, runtime.Mount).Stdout; strings.Contains(out, "/tmp/jr") {
		t.Errorf("mounts left after umount -a:\n%s", out)
	}
}

func TestMountListShowsZFS(t *testing.T) {
	s := newSandbox(t)
	ds := s.Pool + "/sysmodeltest"
	if out, err := exec.Command("/usr/sbin/zfs", "create", "-o", "mountpoint=/iocage/sm", ds).CombinedOutput(); err != nil {
		t.Fatalf("zfs create: %v: %s", err, out)
	}
	r := run(t, s.Host, runtime.Mount)
	for _, want := range []string{"devfs on /dev (devfs)\n", ds + " on /iocage/sm (zfs, local, nfsv4acls)\n"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("mount lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, s.Backend.Sandbox().Root) || strings.Contains(r.Stdout, " on /usr ") {
		t.Errorf("mount shows the sandbox's own plumbing:\n%s", r.Stdout)
	}
	if r := run(t, s.Host, runtime.Mount, "-t", "zfs"); strings.Count(r.Stdout, "\n") != 1 {
		t.Errorf("mount -t zfs: %q", r.Stdout)
	}
}

func TestSysctlProfileAndWrite(t *testing.T) {
	s := newSandbox(t)
	h := s.Host
	r := run(t, h, runtime.Sysctl, "-n", "hw.ncpu", "kern.hostname", "hw.machine_arch", "net.fibs", "kern.features.vimage")
	want := fmt.Sprintf("%d\nsandbox.local\namd64\n1\n1\n", goruntime.NumCPU())
	if diff := cmp.Diff(result{Stdout: want}, r); diff != "" {
		t.Errorf("profile (-want +got)\n%s", diff)
	}
	if r := run(t, h, runtime.Sysctl, "-n", "hw.physmem"); r.Stdout == "0\n" || r.Code != 0 {
		t.Errorf("hw.physmem: %+v", r)
	}
	if diff := cmp.Diff(result{Stdout: "net.inet.ip.forwarding: 0 -> 1\n"}, run(t, h, runtime.Sysctl, "net.inet.ip.forwarding=1")); diff != "" {
		t.Errorf("write (-want +got)\n%s", diff)
	}
	// Another iocage (its own host on the same sandbox) sees it.
	h2 := runtime.New(s.Native, runtime.Options{})
	if diff := cmp.Diff(result{Stdout: "1\n"}, run(t, h2, runtime.Sysctl, "-n", "net.inet.ip.forwarding")); diff != "" {
		t.Errorf("read from a second host (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(result{Stdout: "kern.hostname=web.example\n"}, func() result {
		run(t, h2, runtime.Sysctl, "kern.hostname=web.example")
		return run(t, h, runtime.Sysctl, "-e", "kern.hostname")
	}()); diff != "" {
		t.Errorf("hostname (-want +got)\n%s", diff)
	}
	if r := run(t, h, runtime.Sysctl, "-a"); !strings.Contains(r.Stdout, "security.jail.param.allow.mount.nullfs: 0\n") ||
		!strings.Contains(r.Stdout, "kern.version: FreeBSD 14.3-RELEASE") {
		t.Errorf("sysctl -a lacks entries")
	}
}

func TestRctlRoundTrip(t *testing.T) {
	s := newSandbox(t)
	h := s.Host
	for _, rule := range []string{"jail:ioc-a:memoryuse:deny=2G", "j:ioc-a:maxproc:deny=100", "jail:ioc-b:pcpu:deny=50", "jail:ioc-a:memoryuse:deny=1G"} {
		if r := run(t, h, runtime.Rctl, "-a", rule); r.Code != 0 {
			t.Fatalf("rctl -a %s: %+v", rule, r)
		}
	}
	// The second memoryuse:deny replaced the first.
	want := "jail:ioc-a:maxproc:deny=100\njail:ioc-b:pcpu:deny=50\njail:ioc-a:memoryuse:deny=1073741824\n"
	if diff := cmp.Diff(result{Stdout: want}, run(t, h, runtime.Rctl)); diff != "" {
		t.Errorf("rctl (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(result{Stdout: "jail:ioc-a:maxproc:deny=100\njail:ioc-a:memoryuse:deny=1024M\n"}, run(t, h, runtime.Rctl, "-h", "jail:ioc-a")); diff != "" {
		t.Errorf("rctl -h jail:ioc-a (-want +got)\n%s", diff)
	}
	if r := run(t, h, runtime.Rctl, "-r", "jail:ioc-a"); r.Code != 0 {
		t.Fatalf("rctl -r: %+v", r)
	}
	if diff := cmp.Diff(result{Stdout: "jail:ioc-b:pcpu:deny=50\n"}, run(t, h, runtime.Rctl)); diff != "" {
		t.Errorf("after -r (-want +got)\n%s", diff)
	}
	// Usage of a jail with no processes is all zero, in kernel order.
	r := run(t, h, runtime.Rctl, "-u", "jail:ioc-b")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 25 || lines[0] != "cputime=0" || lines[4] != "memoryuse=0" || lines[24] != "writeiops=0" {
		t.Errorf("rctl -u jail:ioc-b: %q", r.Stdout)
	}
	// A real process is measured from /proc.
	r = run(t, h, runtime.Rctl, "-u", fmt.Sprintf("process:%d", os.Getpid()))
	if !strings.Contains(r.Stdout, "maxproc=1\n") || strings.Contains(r.Stdout, "memoryuse=0\n") || strings.Contains(r.Stdout, "openfiles=0\n") {
		t.Errorf("rctl -u process:self: %q", r.Stdout)
	}
	// With RACCT disabled at boot, rctl says so.
	mkdirs(t, h, "/boot")
	if err := h.WriteFile("/boot/loader.conf", []byte("kern.racct.enable=\"0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Remove("/boot/loader.conf") })
	want2 := result{Stderr: "rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n", Code: 1}
	if diff := cmp.Diff(want2, run(t, h, runtime.Rctl, "-a", "jail:x:maxproc:deny=1")); diff != "" {
		t.Errorf("disabled (-want +got)\n%s", diff)
	}
}

func TestCpusetPinsAProcess(t *testing.T) {
	s := newSandbox(t)
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := fmt.Sprint(cmd.Process.Pid)
	if r := run(t, s.Host, runtime.Cpuset, "-l", "0", "-p", pid); r.Code != 0 {
		t.Fatalf("cpuset -l 0 -p: %+v", r)
	}
	want := fmt.Sprintf("pid %s mask: 0\npid %s domain policy: first-touch mask: 0\n", pid, pid)
	if diff := cmp.Diff(result{Stdout: want}, run(t, s.Host, runtime.Cpuset, "-g", "-p", pid)); diff != "" {
		t.Errorf("cpuset -g -p (-want +got)\n%s", diff)
	}
}

func TestUnameEnvOverride(t *testing.T) {
	s := newSandbox(t)
	// freebsd-update runs with UNAME_r set to the release it updates.
	r := runEnv(t, s.Host, []string{"UNAME_r=13.2-RELEASE"}, runtime.Uname, "-r")
	if diff := cmp.Diff(result{Stdout: "13.2-RELEASE\n"}, r); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// jailRoot makes a tiny jail root of busybox links at /jailroots/NAME.
func jailRoot(t *testing.T, s *sandboxtest.Sandbox, name string) string {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("busybox-static is needed for a jail: %v", err)
	}
	host := "/jailroots/" + name
	local := s.Backend.Sandbox().Path(host)
	t.Cleanup(func() { os.RemoveAll(local) })
	for _, d := range []string{"bin", "dev", "tmp"} {
		if err := os.MkdirAll(local+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(local+"/bin/busybox", bb, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "sleep", "cat"} {
		if err := os.Symlink("busybox", local+"/bin/"+a); err != nil {
			t.Fatal(err)
		}
	}
	// The release's own freebsd-version script, as far as -j reads it.
	script := "#!/bin/sh\nset -ef\n\nUSERLAND_VERSION=\"14.2-RELEASE-p1\"\n"
	if err := os.WriteFile(local+"/bin/freebsd-version", []byte(script), 0o555); err != nil {
		t.Fatal(err)
	}
	return host
}

func TestWithARunningJail(t *testing.T) {
	s := newSandbox(t)
	h := s.Host
	root := jailRoot(t, s, "sm")
	if r := run(t, h, runtime.Jail, "-c", "name=sm", "path="+root, "persist", "mount.devfs", "devfs_ruleset=4",
		"exec.start=/bin/sh -c 'sleep 300 &'"); r.Code != 0 {
		t.Fatalf("jail -c: %+v", r)
	}
	t.Cleanup(func() { run(t, h, runtime.Jail, "-r", "sm") })
	jid := strings.TrimSpace(run(t, h, runtime.Jls, "-j", "sm", "jid").Stdout)

	if out := run(t, h, runtime.Mount).Stdout; !strings.Contains(out, "devfs on "+root+"/dev (devfs)\n") {
		t.Errorf("the jail's devfs is not listed:\n%s", out)
	}
	if got := devEntries(t, h, root+"/dev"); has(got, "tty") || !has(got, "null") {
		t.Errorf("jail devfs with ruleset 4: %v", got)
	}

	if r := run(t, h, runtime.Cpuset, "-l", "0", "-j", "sm"); r.Code != 0 {
		t.Fatalf("cpuset -l 0 -j sm: %+v", r)
	}
	want := fmt.Sprintf("jail %s mask: 0\njail %s domain policy: first-touch mask: 0\n", jid, jid)
	if diff := cmp.Diff(result{Stdout: want}, run(t, h, runtime.Cpuset, "-g", "-j", jid)); diff != "" {
		t.Errorf("cpuset -g -j (-want +got)\n%s", diff)
	}
	pids := 0
	ents, _ := os.ReadDir("/proc")
	for _, d := range ents {
		if r, err := os.Readlink("/proc/" + d.Name() + "/root"); err == nil && r == h.LocalPath(root) {
			pids++
			b, _ := os.ReadFile("/proc/" + d.Name() + "/status")
			if !strings.Contains(string(b), "Cpus_allowed_list:\t0\n") {
				t.Errorf("jailed process %s is not pinned to CPU 0", d.Name())
			}
		}
	}
	if pids < 2 {
		t.Errorf("found %d jailed processes, want the init and the sleep", pids)
	}

	r := run(t, h, runtime.Rctl, "-u", "jail:sm")
	if !strings.Contains(r.Stdout, fmt.Sprintf("maxproc=%d\n", pids)) || strings.Contains(r.Stdout, "memoryuse=0\n") {
		t.Errorf("rctl -u jail:sm, want maxproc=%d and memory in use:\n%s", pids, r.Stdout)
	}

	if diff := cmp.Diff(result{Stdout: "1\n"}, run(t, h, runtime.Jexec, "sm", "sysctl", "-n", "security.jail.jailed")); diff != "" {
		t.Errorf("jailed sysctl (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(result{Stdout: "14.2-RELEASE-p1\n"}, run(t, h, runtime.FreebsdVersion, "-j", "sm")); diff != "" {
		t.Errorf("freebsd-version -j (-want +got)\n%s", diff)
	}

	if r := run(t, h, runtime.Jail, "-r", "sm"); r.Code != 0 {
		t.Fatalf("jail -r: %+v", r)
	}
	// As on FreeBSD without jail.conf, jail -r leaves mount.devfs to the
	// caller; iocage's stop unmounts it.
	if r := run(t, h, runtime.Umount, root+"/dev"); r.Code != 0 {
		t.Errorf("umount the jail's devfs: %+v", r)
	}
	if out := run(t, h, runtime.Mount).Stdout; strings.Contains(out, root) {
		t.Errorf("jail's mounts left:\n%s", out)
	}
}
