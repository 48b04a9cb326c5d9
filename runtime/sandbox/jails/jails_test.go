//go:build linux

package jails_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/jails"
	"github.com/iocage/iocage/runtime/sandbox/model"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func TestMain(m *testing.M) {
	// No jail outlives a test (registering twice is harmless).
	sandbox.OnTeardown(jails.Teardown)
	model.RegisterHelper("jailstest-exec", helperExec)
	model.Register("/sbin/jailstest-aware", func(e *model.Env) int {
		fmt.Fprintf(e.Stdout, "model in jail %q args %q\n", e.Jail, e.Args)
		return 3
	})
	model.MarkJailAware("/sbin/jailstest-aware")
	sandboxtest.InstallTestBinary = true
	sandboxtest.Main(m)
}

// helperExec runs one modelled program in a separate process, on the
// sandbox named by its first argument: the state must be shared.
func helperExec(args []string) int {
	b, err := sandbox.Open(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	code, err := b.Exec(context.Background(), &runtime.Cmd{Path: args[1], Args: args[2:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return code
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, s *sandboxtest.Sandbox, stdin string, prog string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := s.Backend.Exec(ctx, &runtime.Cmd{Path: prog, Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	return result{out.String(), errb.String(), code}
}

func mustRun(t *testing.T, s *sandboxtest.Sandbox, prog string, args ...string) string {
	t.Helper()
	r := run(t, s, "", prog, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d: %s%s", prog, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// jailRoot builds a tiny jail root from Debian's busybox-static: bin with
// the applets the tests use, etc/passwd with root and alice, tmp. It
// returns the host path (inside the sandbox root).
func jailRoot(t *testing.T, s *sandboxtest.Sandbox, name string) string {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed (apt-get install busybox-static): %v", err)
	}
	host := "/jailroots/" + name
	root := s.Backend.Sandbox().Path(host)
	t.Cleanup(func() { os.RemoveAll(root) })
	for _, d := range []string{"bin", "dev", "etc", "tmp", "root", "home/alice"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// sh redirects background jobs from /dev/null; a FreeBSD jail would
	// have devfs there.
	if err := syscall.Mknod(filepath.Join(root, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "ls", "echo", "cat", "sleep", "id", "hostname", "touch", "true", "false", "pwd", "env", "trap"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	passwd := "root:*:0:0:Charlie &:/root:/bin/sh\nalice:*:1001:1001:Alice:/home/alice:/bin/sh\n"
	group := "wheel:*:0:root\nalice:*:1001:\nstaff:*:20:alice\n"
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/group"), []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
	return host
}

func records(t *testing.T, s *sandboxtest.Sandbox) []*jails.Record {
	t.Helper()
	var recs []*jails.Record
	if err := s.Backend.Sandbox().Store.View(func(tx *model.Tx) error {
		recs = jails.List(tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

func lookup(t *testing.T, s *sandboxtest.Sandbox, name string) *jails.Record {
	t.Helper()
	var rec *jails.Record
	if err := s.Backend.Sandbox().Store.View(func(tx *model.Tx) error {
		rec, _ = jails.Lookup(tx, name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		t.Fatalf("jail %s is not running", name)
	}
	return rec
}

// rootedAt lists the machine's processes whose root directory is dir.
func rootedAt(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if r, err := os.Readlink(fmt.Sprintf("/proc/%d/root", pid)); err == nil && r == dir {
			out = append(out, pid)
		}
	}
	return out
}

func TestCreateRejectsWhatFreeBSDRejects(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "reject")
	base := []string{"-c", "name=bad", "path=" + root, "persist"}
	tests := []struct {
		name  string
		extra []string
		want  string
	}{
		{"unknown parameter", []string{"foo=bar"}, "jail: unknown parameter: foo\n"},
		{"unknown allow", []string{"allow.nosuchthing"}, "jail: unknown parameter: allow.nosuchthing\n"},
		{"securelevel not an integer", []string{"securelevel=high"}, "jail: securelevel: non-integer value \"high\"\n"},
		{"bad boolean", []string{"allow.mount=maybe"}, "jail: allow.mount: unknown boolean value \"maybe\"\n"},
		{"bad pseudo boolean", []string{"mount.devfs=sometimes"}, "jail: mount.devfs: unknown boolean value \"sometimes\"\n"},
		{"bad pseudo integer", []string{"stop.timeout=soon"}, "jail: stop.timeout: non-integer value \"soon\"\n"},
		{"bad IPv4", []string{"ip4.addr=10.0.0.300"}, "jail: ip4.addr: not an IPv4 address: 10.0.0.300\n"},
		{"IPv6 as IPv4", []string{"ip4.addr=em0|fe80::1"}, "jail: ip4.addr: not an IPv4 address: fe80::1\n"},
		{"bad jailsys", []string{"vnet=sideways"}, "jail: vnet: unknown jailsys value \"sideways\"\n"},
		{"missing path", []string{"path=/no/such/dir"}, "jail: path /no/such/dir: No such file or directory\n"},
		{"path not a directory", []string{"path=" + root + "/bin/busybox"}, "jail: path " + root + "/bin/busybox: Not a directory\n"},
		{"numeric name", []string{"name=42"}, "jail: name cannot be numeric (unless it is the jid)\n"},
		{"missing fstab", []string{"mount.fstab=/no/fstab"}, "jail: mount.fstab: /no/fstab: No such file or directory\n"},
		{"failing prestart", []string{"exec.prestart=false"}, "jail: false: failed\n"},
		{"failing start", []string{"exec.start=false"}, "jail: false: failed\n"},
		{"start not found", []string{"exec.start=/bin/nonesuch"}, "jail: exec /bin/nonesuch: No such file or directory\njail: /bin/nonesuch: failed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, s, "", runtime.Jail, append(append([]string(nil), base...), tc.extra...)...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			if diff := cmp.Diff(tc.want, r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if recs := records(t, s); len(recs) != 0 {
				t.Errorf("a jail was left: %+v", recs[0])
			}
			if procs := rootedAt(s.Backend.Sandbox().Path(root)); len(procs) != 0 {
				t.Errorf("processes left in the jail root: %v", procs)
			}
		})
	}
}

func TestDuplicateName(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "dup")
	mustRun(t, s, runtime.Jail, "-c", "name=dup", "path="+root, "persist")
	r := run(t, s, "", runtime.Jail, "-c", "name=dup", "path="+root, "persist")
	if diff := cmp.Diff(result{"", "jail: \"dup\" already exists\n", 1}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("second create (-want +got):\n%s", diff)
	}
	if n := len(records(t, s)); n != 1 {
		t.Errorf("%d jails, want 1", n)
	}
}

func TestStartRunsChrooted(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "chroot")
	local := s.Backend.Sandbox().Path(root)
	mustRun(t, s, runtime.Jail, "-c", "name=web", "host.hostname=web.example", "path="+root, "persist",
		"exec.start=/bin/sh -c 'echo started > /started'")
	if b, err := os.ReadFile(filepath.Join(local, "started")); err != nil || string(b) != "started\n" {
		t.Errorf("exec.start did not write /started in the jail root: %q, %v", b, err)
	}
	if _, err := os.Stat(s.Backend.Sandbox().Path("/started")); err == nil {
		t.Errorf("exec.start wrote /started outside the jail")
	}

	out := mustRun(t, s, runtime.Jexec, "web", "/bin/sh", "-c", "echo $$; ls /; hostname; pwd")
	pid, rest, _ := strings.Cut(out, "\n")
	// PIDs of the namespace are small (the init's threads take a few);
	// the machine's are not.
	if n, err := strconv.Atoi(pid); err != nil || n > 100 {
		t.Errorf("jailed shell's $$ = %q, want a PID of the jail's namespace", pid)
	}
	want := "bin\ndev\netc\nhome\nroot\nstarted\ntmp\nweb.example\n/\n"
	if diff := cmp.Diff(want, rest); diff != "" {
		t.Errorf("jexec (-want +got):\n%s", diff)
	}
	if r := mustRun(t, s, runtime.Jexec, "-d", "/tmp", "1", "pwd"); r != "/tmp\n" {
		t.Errorf("jexec -d /tmp by jid: pwd = %q", r)
	}
}

func TestJexecUsersStatusAndStdio(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "users")
	mustRun(t, s, runtime.Jail, "-c", "name=u", "path="+root, "persist")
	hostNobody := mustRun(t, s, "/usr/bin/id", "-u", "nobody")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  result
	}{
		{"root by default", "", []string{"u", "id", "-u"}, result{"0\n", "", 0}},
		{"jail user", "", []string{"-U", "alice", "u", "id"}, result{"uid=1001(alice) gid=1001(alice) groups=20(staff),1001(alice)\n", "", 0}},
		{"host user", "", []string{"-u", "nobody", "u", "id", "-u"}, result{hostNobody, "", 0}},
		{"login shell home", "", []string{"-l", "-U", "alice", "u", "/bin/sh", "-c", "pwd; echo $USER $HOME"}, result{"/home/alice\nalice /home/alice\n", "", 0}},
		{"unknown jail user", "", []string{"-U", "bob", "u", "id"}, result{"", "jexec: bob: no such user\n", 1}},
		{"exit status", "", []string{"u", "/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, result{"out\n", "err\n", 7}},
		{"killed by a signal", "", []string{"u", "/bin/sh", "-c", "kill -9 $$"}, result{"", "", 137}},
		{"stdin passes", "hello jail\n", []string{"u", "cat"}, result{"hello jail\n", "", 0}},
		{"no such command", "", []string{"u", "/bin/nonesuch"}, result{"", "jexec: execvp: /bin/nonesuch: No such file or directory\n", 1}},
		{"no such jail", "", []string{"nope", "id"}, result{"", "jexec: jail \"nope\" not found\n", 1}},
		{"no such jid", "", []string{"77", "id"}, result{"", "jexec: jail 77 not found\n", 1}},
		{"usage", "", []string{"-u", "a", "-U", "b", "u"}, result{"", "usage: jexec [-l] [-d working-directory] [-u username | -U username] jail [command ...]\n", 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, s, tc.stdin, runtime.Jexec, tc.args...)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("jexec %v (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestJlsFormats(t *testing.T) {
	s := sandboxtest.New(t)
	ra := jailRoot(t, s, "alpha")
	rb := jailRoot(t, s, "beta")
	mustRun(t, s, runtime.Jail, "-c", "name=alpha", "host.hostname=alpha.example", "path="+ra,
		"ip4.addr=10.1.2.3,10.1.2.4", "securelevel=2", "host.hostuuid=alpha-uuid", "allow.raw_sockets", "persist")
	mustRun(t, s, runtime.Jail, "-c", "name=beta", "host.hostname=my beta", "path="+rb, "vnet", "persist")

	tests := []struct {
		args []string
		want string
	}{
		{nil, "   JID  IP Address      Hostname                      Path\n" +
			"     1  10.1.2.3        alpha.example                 " + ra + "\n" +
			"     2                  my beta                       " + rb + "\n"},
		{[]string{"-N"}, " JID             IP Address      Hostname                      Path\n" +
			" alpha           10.1.2.3        alpha.example                 " + ra + "\n" +
			" beta                            my beta                       " + rb + "\n"},
		{[]string{"-j", "alpha", "jid"}, "1\n"},
		{[]string{"name"}, "alpha\nbeta\n"},
		{[]string{"-j", "2", "jid", "name", "path", "host.hostname", "ip4.addr", "vnet", "persist"}, "2 beta " + rb + " my beta - new true\n"},
		{[]string{"-q", "-j", "beta", "host.hostname", "ip4.addr"}, "\"my beta\" \"\"\n"},
		{[]string{"-h", "-j", "alpha", "jid", "ip4.addr", "allow.raw_sockets"}, "jid ip4.addr allow.raw_sockets\n1 10.1.2.3,10.1.2.4 true\n"},
		{[]string{"-n", "-j", "beta", "name", "ip4.addr", "allow.mount", "persist", "host.domainname"}, "name=beta ip4.addr= allow.nomount persist host.domainname=\"\"\n"},
		{[]string{"-s", "-j", "alpha", "jid", "dying", "ip4.addr", "host.hostname", "securelevel"}, "jid=1 ip4.addr=10.1.2.3,10.1.2.4 host.hostname=alpha.example securelevel=2\n"},
		{[]string{"-v", "-j", "alpha"}, "   JID  Hostname                      Path\n" +
			"        Name                          State\n" +
			"        CPUSetID\n" +
			"        IP Address(es)\n" +
			"     1  alpha.example                 " + ra + "\n" +
			"        alpha                         ACTIVE\n" +
			"        2\n" +
			"        10.1.2.3\n" +
			"        10.1.2.4\n"},
		{[]string{"--libxo", "json"}, `{"__version": "2", "jail-information": {"jail": [` +
			`{"jid":1,"ipv4":"10.1.2.3","hostname":"alpha.example","path":"` + ra + `"}, ` +
			`{"jid":2,"ipv4":"","hostname":"my beta","path":"` + rb + `"}]}}` + "\n"},
		{[]string{"--libxo=json", "-n", "-j", "alpha", "jid", "ip4.addr", "persist", "allow.mount"},
			`{"__version": "2", "jail-information": {"jail": [{"jid":"1", "ip4.addr": ["10.1.2.3","10.1.2.4"],"persist":true,"allow.mount":false}]}}` + "\n"},
		{[]string{"--libxo", "json", "jid", "name", "ip4.addr", "host.hostname"}, `{"__version": "2", "jail-information": {"jail": [` +
			`{"jid":"1","name":"alpha", "ip4.addr": ["10.1.2.3","10.1.2.4"],"host.hostname":"alpha.example"}, ` +
			`{"jid":"2","name":"beta", "ip4.addr": [],"host.hostname":"my beta"}]}}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := mustRun(t, s, runtime.Jls, tc.args...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("jls %v (-want +got):\n%s", tc.args, diff)
			}
		})
	}

	full := mustRun(t, s, runtime.Jls, "-n", "-j", "alpha")
	wantFull := "devfs_ruleset=0 nodying enforce_statfs=2 host=new ip4=new ip6=disable jid=1 name=alpha " +
		"osreldate=1403000 osrelease=14.3-RELEASE parent=0 path=" + ra + " persist securelevel=2 " +
		"sysvmsg=disable sysvsem=disable sysvshm=disable vnet=inherit " +
		"allow.noadjtime allow.nochflags allow.noextattr allow.nomlock allow.nomount allow.mount.nodevfs " +
		"allow.mount.nofdescfs allow.mount.nofusefs allow.mount.nolinprocfs allow.mount.nolinsysfs " +
		"allow.mount.nonullfs allow.mount.noprocfs allow.mount.notmpfs allow.mount.nozfs allow.nonfsd " +
		"allow.noquotas allow.raw_sockets allow.noread_msgbuf allow.reserved_ports allow.norouting " +
		"allow.set_hostname allow.nosettime allow.nosocket_af allow.suser allow.nosysvipc " +
		"allow.nounprivileged_parent_tampering allow.unprivileged_proc_debug allow.novmm " +
		"children.cur=0 children.max=0 cpuset.id=2 host.domainname=\"\" host.hostid=0 " +
		"host.hostname=alpha.example host.hostuuid=alpha-uuid ip4.addr=10.1.2.3,10.1.2.4 ip4.saddrsel " +
		"ip6.addr= ip6.saddrsel\n"
	if diff := cmp.Diff(wantFull, full); diff != "" {
		t.Errorf("jls -n (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-j", "nope"}, "jls: jail \"nope\" not found\n"},
		{[]string{"-j", "9"}, "jls: jail 9 not found\n"},
		{[]string{"exec.start"}, "jls: unknown parameter: exec.start\n"},
	} {
		r := run(t, s, "", runtime.Jls, tc.args...)
		if diff := cmp.Diff(result{"", tc.want, 1}, r, cmp.AllowUnexported(result{})); diff != "" {
			t.Errorf("jls %v (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestStateSharedAcrossProcesses(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "shared")
	mustRun(t, s, runtime.Jail, "-c", "name=shared", "path="+root, "persist")
	self := s.Backend.Sandbox().Self
	other := func(stdin string, prog string, args ...string) (string, error) {
		cmd := exec.Command(self, append([]string{model.HelperArg, "jailstest-exec", s.Dir, prog}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := other("", runtime.Jls, "name"); err != nil || out != "shared\n" {
		t.Errorf("jls in another process: %q, %v", out, err)
	}
	if out, err := other("from afar\n", runtime.Jexec, "shared", "cat"); err != nil || out != "from afar\n" {
		t.Errorf("jexec in another process: %q, %v", out, err)
	}
	// A jail started by another process is seen here, and removed there.
	mustRun(t, s, runtime.Jail, "-r", "shared")
	if out, err := other("", runtime.Jail, "-c", "name=second", "path="+root, "persist"); err != nil {
		t.Fatalf("jail -c in another process: %q, %v", out, err)
	}
	if got := mustRun(t, s, runtime.Jls, "name"); got != "second\n" {
		t.Errorf("jls here after jail -c there: %q", got)
	}
	if got := mustRun(t, s, runtime.Jexec, "second", "echo", "ok"); got != "ok\n" {
		t.Errorf("jexec here into a jail made there: %q", got)
	}
	if out, err := other("", runtime.Jail, "-r", "second"); err != nil {
		t.Fatalf("jail -r in another process: %q, %v", out, err)
	}
	if got := mustRun(t, s, runtime.Jls, "name"); got != "" {
		t.Errorf("jls after jail -r elsewhere: %q", got)
	}
}

func TestRemoveKillsEveryProcess(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "remove")
	local := s.Backend.Sandbox().Path(root)
	// Two daemons, one of which ignores SIGTERM: removal must still end it.
	mustRun(t, s, runtime.Jail, "-c", "name=busy", "path="+root, "persist",
		"exec.start=/bin/sh -c 'sleep 1000 & (trap \"\" TERM; sleep 1000) &'")
	rec := lookup(t, s, "busy")
	if n := len(rec.Processes()); n < 2 {
		t.Fatalf("%d processes in the jail, want the two daemons", n)
	}
	if procs := rootedAt(local); len(procs) < 3 {
		t.Fatalf("processes rooted at the jail root: %v, want the init and the daemons", procs)
	}
	start := time.Now()
	r := run(t, s, "", runtime.Jail, "-r", "busy")
	if diff := cmp.Diff(result{"", "", 0}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("jail -r (-want +got):\n%s", diff)
	}
	if d := time.Since(start); d < 9*time.Second {
		t.Errorf("jail -r took %v: it did not wait stop.timeout for the process ignoring SIGTERM", d)
	}
	if procs := rootedAt(local); len(procs) != 0 {
		t.Errorf("processes still rooted at the jail root: %v", procs)
	}
	if recs := records(t, s); len(recs) != 0 {
		t.Errorf("jail still listed: %+v", recs[0])
	}
	r = run(t, s, "", runtime.Jail, "-r", "busy")
	if diff := cmp.Diff(result{"", "jail: \"busy\" not found\n", 1}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("second jail -r (-want +got):\n%s", diff)
	}
}

// capBits reads the capability bounding set of pid.
func capBits(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no CapBnd in /proc/%d/status", pid)
	return 0
}

func TestBoundingSet(t *testing.T) {
	s := sandboxtest.New(t)
	const (
		capChown    = 0
		capNetAdmin = 12
		capNetRaw   = 13
		capSysMod   = 16
		capSysAdmin = 21
		capSysBoot  = 22
		capSysTime  = 25
	)
	for _, tc := range []struct {
		name    string
		extra   []string
		wantRaw bool
	}{
		{"default", nil, false},
		{"raw sockets", []string{"allow.raw_sockets"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := jailRoot(t, s, "caps"+strconv.Itoa(len(tc.extra)))
			name := "caps" + strconv.Itoa(len(tc.extra))
			mustRun(t, s, runtime.Jail, append([]string{"-c", "name=" + name, "path=" + root, "persist",
				"exec.start=/bin/sh -c 'sleep 1000 &'"}, tc.extra...)...)
			defer mustRun(t, s, runtime.Jail, "-r", name)
			procs := lookup(t, s, name).Processes()
			if len(procs) != 1 {
				t.Fatalf("jail processes %v, want the one sleep", procs)
			}
			bnd := capBits(t, procs[0])
			for _, c := range []uint{capNetAdmin, capSysMod, capSysAdmin, capSysBoot, capSysTime} {
				if bnd&(1<<c) != 0 {
					t.Errorf("capability %d is in the bounding set %x", c, bnd)
				}
			}
			if got := bnd&(1<<capNetRaw) != 0; got != tc.wantRaw {
				t.Errorf("CAP_NET_RAW in bounding set = %v, want %v", got, tc.wantRaw)
			}
			if bnd&(1<<capChown) == 0 {
				t.Errorf("CAP_CHOWN dropped too: the jail's root is no root (%x)", bnd)
			}
		})
	}
}

func TestWithoutPersistTheJailEndsWithItsProcesses(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "brief")
	r := run(t, s, "", runtime.Jail, "-c", "name=brief", "path="+root, "exec.start=/bin/sh -c 'echo ran; sleep 1 &'")
	if diff := cmp.Diff(result{"ran\n", "", 0}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("jail -c (-want +got):\n%s", diff)
	}
	if got := mustRun(t, s, runtime.Jls, "name"); got != "brief\n" {
		t.Errorf("while the daemon runs, jls name = %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(records(t, s)) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := mustRun(t, s, runtime.Jls, "name"); got != "" {
		t.Errorf("after its last process, jls name = %q", got)
	}
	// The name is free again.
	mustRun(t, s, runtime.Jail, "-c", "name=brief", "path="+root, "persist")
}

func TestPkillAndModify(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "pk")
	mustRun(t, s, runtime.Jail, "-c", "name=pk", "host.hostname=before", "path="+root, "persist",
		"exec.start=/bin/sh -c 'sleep 1000 & sleep 1001 &'")
	rec := lookup(t, s, "pk")
	if r := run(t, s, "", runtime.Pkill, "-j", "pk", "nomatch"); r.code != 1 {
		t.Errorf("pkill of no process: exit %d, want 1", r.code)
	}
	if n := len(rec.Processes()); n != 2 {
		t.Fatalf("%d processes, want 2", n)
	}
	if r := run(t, s, "", runtime.Pkill, "-j", strconv.Itoa(rec.JID)); r.code != 0 {
		t.Errorf("pkill -j %d: exit %d: %s", rec.JID, r.code, r.stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.Processes()) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p := rec.Processes(); len(p) != 0 {
		t.Errorf("processes after pkill: %v", p)
	}
	if got := mustRun(t, s, runtime.Jls, "name"); got != "pk\n" {
		t.Errorf("a persist jail outlives its processes; jls name = %q", got)
	}

	mustRun(t, s, runtime.Jail, "-m", "name=pk", "host.hostname=after", "allow.mount")
	if got := mustRun(t, s, runtime.Jexec, "pk", "hostname"); got != "after\n" {
		t.Errorf("hostname after jail -m = %q", got)
	}
	if got := mustRun(t, s, runtime.Jls, "-j", "pk", "host.hostname", "allow.mount"); got != "after true\n" {
		t.Errorf("jls after jail -m = %q", got)
	}
	r := run(t, s, "", runtime.Jail, "-m", "name=pk", "path=/elsewhere")
	if diff := cmp.Diff(result{"", "jail: path cannot be changed after creation\n", 1}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("jail -m path (-want +got):\n%s", diff)
	}
	r = run(t, s, "", runtime.Jail, "-m", "name=ghost", "persist")
	if diff := cmp.Diff(result{"", "jail: \"ghost\" not found\n", 1}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("jail -m of no jail (-want +got):\n%s", diff)
	}
}

func TestTeardownStopsAll(t *testing.T) {
	s := sandboxtest.New(t)
	ra, rb := jailRoot(t, s, "t1"), jailRoot(t, s, "t2")
	mustRun(t, s, runtime.Jail, "-c", "name=t1", "path="+ra, "persist", "exec.start=/bin/sh -c 'sleep 1000 &'")
	mustRun(t, s, runtime.Jail, "-c", "name=t2", "path="+rb, "persist")
	if err := jails.Teardown(s.Backend.Sandbox()); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ra, rb} {
		if p := rootedAt(s.Backend.Sandbox().Path(r)); len(p) != 0 {
			t.Errorf("processes left under %s: %v", r, p)
		}
	}
	if recs := records(t, s); len(recs) != 0 {
		t.Errorf("jails left: %d", len(recs))
	}
	// JIDs start again at 1.
	mustRun(t, s, runtime.Jail, "-c", "name=again", "path="+ra, "persist")
	if got := mustRun(t, s, runtime.Jls, "-j", "again", "jid"); got != "1\n" {
		t.Errorf("jid after teardown = %q", got)
	}
}

// mountedAt reports whether something is mounted on the local path p.
func mountedAt(t *testing.T, p string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == p {
			return true
		}
	}
	return false
}

func TestCreationOrderMountsAndUndo(t *testing.T) {
	s := sandboxtest.New(t)
	if _, ok := model.Lookup(runtime.Mount); !ok {
		t.Skip("the mount model is not registered")
	}
	sb := s.Backend.Sandbox()
	root := jailRoot(t, s, "order")
	local := sb.Path(root)
	if err := os.MkdirAll(filepath.Join(local, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(local, "mnt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(sb.Path("/var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	fstab := "/tmp/order.fstab"
	if err := os.WriteFile(sb.Path(fstab), []byte("# shared\n/etc "+root+"/mnt nullfs ro 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := "/tmp/order.log"
	console := "/var/log/order-console.log"
	t.Cleanup(func() {
		for _, m := range []string{"/mnt", "/proc", "/dev/fd", "/dev"} {
			_ = syscall.Unmount(local+m, syscall.MNT_DETACH)
		}
		os.Remove(sb.Path(log))
		os.Remove(sb.Path(console))
		os.Remove(sb.Path(fstab))
	})
	args := []string{"-c", "name=order", "path=" + root, "persist",
		"mount.fstab=" + fstab, "mount.devfs", "mount.fdescfs", "mount.procfs",
		// Each host step notes whether the jail and the mounts exist yet.
		"exec.prestart=test -c " + root + "/dev/null && test -e " + root + "/mnt/rc.conf && echo prestart-after-mounts >> " + log,
		"exec.created=echo created >> " + log,
		"exec.start=/bin/sh -c 'echo in jail; touch /started'",
		"exec.poststart=test -e " + root + "/started && echo poststart-after-start >> " + log,
		"exec.consolelog=" + console}

	// A failing exec.start undoes the mounts and the jail.
	r := run(t, s, "", runtime.Jail, append(args, "exec.start=false")...)
	if r.code != 1 || !strings.Contains(r.stderr, "jail: false: failed") {
		t.Fatalf("jail -c with failing exec.start: exit %d, %q", r.code, r.stderr)
	}
	for _, m := range []string{"/mnt", "/proc", "/dev/fd", "/dev"} {
		if mountedAt(t, local+m) {
			t.Errorf("%s still mounted after the failed creation", m)
		}
	}
	if recs := records(t, s); len(recs) != 0 {
		t.Errorf("jail left after the failed creation")
	}
	os.Remove(sb.Path(log))
	os.Remove(sb.Path(console))
	os.Remove(filepath.Join(local, "started"))

	mustRun(t, s, runtime.Jail, args...)
	b, _ := os.ReadFile(sb.Path(log))
	if diff := cmp.Diff("prestart-after-mounts\ncreated\npoststart-after-start\n", string(b)); diff != "" {
		t.Errorf("host steps (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(sb.Path(console)); string(b) != "in jail\n" {
		t.Errorf("console log = %q, want the exec.start output", b)
	}
	for _, m := range []string{"/mnt", "/proc", "/dev/fd", "/dev"} {
		if !mountedAt(t, local+m) {
			t.Errorf("%s is not mounted", m)
		}
	}
	if got := mustRun(t, s, runtime.Jexec, "order", "cat", "/mnt/rc.conf"); got == "" {
		t.Errorf("the nullfs mount from mount.fstab is not seen inside the jail")
	}
	// A bare jail -r knows nothing of the mounts: they stay, as on FreeBSD.
	mustRun(t, s, runtime.Jail, "-r", "order")
	if !mountedAt(t, local+"/dev") {
		t.Errorf("jail -r unmounted the devfs; FreeBSD's bare jail -r does not")
	}
}

func TestAddressAliases(t *testing.T) {
	s := sandboxtest.New(t)
	if _, ok := model.Lookup(runtime.Ifconfig); !ok {
		t.Skip("the ifconfig model is not registered")
	}
	root := jailRoot(t, s, "alias")
	// A failure after the alias was added takes it away again.
	r := run(t, s, "", runtime.Jail, "-c", "name=al", "path="+root, "persist", "ip4.addr=em0|192.168.1.50/24", "exec.start=false")
	if r.code != 1 {
		t.Fatalf("jail -c with failing exec.start: exit %d", r.code)
	}
	if out := mustRun(t, s, runtime.Ifconfig, "em0"); strings.Contains(out, "192.168.1.50") {
		t.Errorf("alias left after the failed creation:\n%s", out)
	}
	mustRun(t, s, runtime.Jail, "-c", "name=al", "path="+root, "persist", "ip4.addr=em0|192.168.1.50/24")
	if out := mustRun(t, s, runtime.Ifconfig, "em0"); !strings.Contains(out, "inet 192.168.1.50 ") {
		t.Errorf("ifconfig em0 lacks the jail's alias:\n%s", out)
	}
	if got := mustRun(t, s, runtime.Jls, "-j", "al", "ip4.addr", "ip4"); got != "192.168.1.50 new\n" {
		t.Errorf("jls ip4.addr ip4 = %q", got)
	}
	mustRun(t, s, runtime.Jail, "-r", "al")
	// As iocage knows, a bare jail -r leaves the alias for it to remove.
	if out := mustRun(t, s, runtime.Ifconfig, "em0"); !strings.Contains(out, "inet 192.168.1.50 ") {
		t.Errorf("bare jail -r removed the alias; FreeBSD's does not:\n%s", out)
	}
}

func TestJexecJailAwareAndFiles(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "aware")
	mustRun(t, s, runtime.Jail, "-c", "name=aw", "path="+root, "persist")
	r := run(t, s, "", runtime.Jexec, "aw", "jailstest-aware", "x", "y")
	if diff := cmp.Diff(result{"model in jail \"aw\" args [\"x\" \"y\"]\n", "", 3}, r, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("jail-aware program (-want +got):\n%s", diff)
	}
	// Real files are handed to the command as they are (a terminal stays
	// one): the jailed process writes the file itself.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code, err := s.Backend.Exec(context.Background(), &runtime.Cmd{Path: runtime.Jexec, Args: []string{"aw", "/bin/sh", "-c", "echo direct"}, Stdout: f, Stderr: f})
	if err != nil || code != 0 {
		t.Fatalf("jexec: %d, %v", code, err)
	}
	b, _ := os.ReadFile(f.Name())
	if !strings.HasPrefix(string(b), "direct\n") {
		t.Errorf("file got %q", b)
	}
}

func TestJexecCancelKillsTheCommand(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "cancel")
	mustRun(t, s, runtime.Jail, "-c", "name=cx", "path="+root, "persist")
	rec := lookup(t, s, "cx")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, err := s.Backend.Exec(ctx, &runtime.Cmd{Path: runtime.Jexec, Args: []string{"cx", "sleep", "100"}, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil || code == 0 {
		t.Errorf("cancelled jexec: %d, %v; want a failure status", code, err)
	}
	t.Logf("jexec returned after %v", time.Since(start))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled jexec returned after %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.Processes()) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p := rec.Processes(); len(p) != 0 {
		t.Errorf("the command outlived its jexec: %v", p)
	}
}

func BenchmarkJexec(b *testing.B) {
	s := sandboxtest.New(b)
	root := "/jailroots/bench"
	local := s.Backend.Sandbox().Path(root)
	b.Cleanup(func() { os.RemoveAll(local) })
	if err := os.MkdirAll(filepath.Join(local, "bin"), 0o755); err != nil {
		b.Fatal(err)
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "bin/true"), bb, 0o755); err != nil {
		b.Fatal(err)
	}
	exec1 := func(prog string, args ...string) {
		code, err := s.Backend.Exec(context.Background(), &runtime.Cmd{Path: prog, Args: args, Stdout: io.Discard, Stderr: io.Discard})
		if err != nil || code != 0 {
			b.Fatalf("%s %v: %d %v", prog, args, code, err)
		}
	}
	b.Run("create-remove", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			exec1(runtime.Jail, "-c", "name=bench", "path="+root, "persist")
			exec1(runtime.Jail, "-r", "bench")
		}
	})
	exec1(runtime.Jail, "-c", "name=bench", "path="+root, "persist")
	b.Run("jexec-true", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			exec1(runtime.Jexec, "bench", "/bin/true")
		}
	})
}

// libxo escapes only backslash, double quote, newline and carriage return
// in JSON strings; a hostname's other control characters go out raw.
func TestJlsJSONHostileHostname(t *testing.T) {
	s := sandboxtest.New(t)
	ra := jailRoot(t, s, "alpha")
	host := "x\" y\\z\n77 ioc-fake /fake\r\tend"
	mustRun(t, s, runtime.Jail, "-c", "name=alpha", "host.hostname="+host, "path="+ra, "persist")
	got := mustRun(t, s, runtime.Jls, "--libxo", "json", "name", "host.hostname")
	want := `{"__version": "2", "jail-information": {"jail": [{"name":"alpha","host.hostname":"x\" y\\z\n77 ioc-fake /fake\r` + "\t" + `end"}]}}` + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jls --libxo json (-want +got):\n%s", diff)
	}
	if got := mustRun(t, s, runtime.Jls, "-j", "alpha", "host.hostname"); got != host+"\n" {
		t.Errorf("jls host.hostname = %q, want %q", got, host+"\n")
	}
}
