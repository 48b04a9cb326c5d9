package release

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests run the release's scripts for real: base.txz extracted into a
// directory and busybox's sh chrooted into it, in a UTS namespace of its
// own so that rc setting the hostname cannot touch this machine's.

func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("IOCAGE_SKIP_SANDBOX") == "1" {
			t.Skip("chroot tests need root (IOCAGE_SKIP_SANDBOX=1)")
		}
		t.Fatal("chroot tests need root; run as root, or set IOCAGE_SKIP_SANDBOX=1 to skip them")
	}
}

// extract unpacks the base system of rel into a new directory.
func extract(t *testing.T, rel string) string {
	t.Helper()
	needRoot(t)
	root := t.TempDir()
	set := filepath.Join(treeDir, ReleaseDir(rel), "base.txz")
	if out, err := exec.Command("/usr/bin/tar", "-xJf", set, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("tar -xJf %s: %v: %s", set, err, out)
	}
	// What devfs gives a jail and the scripts rely on.
	if err := syscall.Mknod(filepath.Join(root, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatalf("mknod dev/null: %v", err)
	}
	return root
}

// sh runs script with busybox's sh chrooted into root and returns its
// combined output and exit status.
func sh(t *testing.T, root, script string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin", "HOME=/root"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Cloneflags: syscall.CLONE_NEWUTS}
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("chroot %s sh -c %q: %v", root, script, err)
	}
	return out.String(), 0
}

// mustSh is sh for steps that must succeed.
func mustSh(t *testing.T, root, script string, env ...string) string {
	t.Helper()
	out, code := sh(t, root, script, env...)
	if code != 0 {
		t.Fatalf("%q: exit %d:\n%s", script, code, out)
	}
	return out
}

func writeFile(t *testing.T, root, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, p), []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

const testService = `#!/bin/sh
# PROVIDE: %[1]s
# KEYWORD: shutdown
. /etc/rc.subr
name=%[1]s
rcvar=%[1]s_enable
: ${%[1]s_enable:=NO}
start_cmd="echo started >> /var/run/%[1]s.log"
stop_cmd="echo stopped >> /var/run/%[1]s.log"
load_rc_config $name
run_rc_command "$1"
`

func TestRcStartsEnabledServices(t *testing.T) {
	root := extract(t, "14.3-RELEASE")
	writeFile(t, root, "etc/rc.d/testsvc", fmt.Sprintf(testService, "testsvc"), 0o555)
	writeFile(t, root, "usr/local/etc/rc.d/offsvc", fmt.Sprintf(testService, "offsvc"), 0o555)
	writeFile(t, root, "etc/rc.conf", "hostname=\"jail1.example.org\"\ntestsvc_enable=\"YES\"\nsyslogd_enable=\"NO\"\n", 0o644)

	out := mustSh(t, root, "/bin/sh /etc/rc; echo host=$(hostname); cat /var/run/cron.pid")
	for _, want := range []string{"Setting hostname: jail1.example.org.", "Starting cron.", "host=jail1.example.org"} {
		if !strings.Contains(out, want) {
			t.Errorf("rc output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "syslogd") {
		t.Errorf("rc started the disabled syslogd:\n%s", out)
	}
	if got := mustSh(t, root, "cat /var/run/testsvc.log"); got != "started\n" {
		t.Errorf("testsvc log after rc = %q, want started", got)
	}
	if _, code := sh(t, root, "test -e /var/run/offsvc.log"); code == 0 {
		t.Error("rc ran offsvc, whose offsvc_enable is not YES")
	}
	pidb, err := os.ReadFile(filepath.Join(root, "var/run/cron.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(pidb))
	if _, err := os.Stat("/proc/" + pid); err != nil {
		t.Fatalf("cron (pid %s) is not running after rc", pid)
	}
	t.Cleanup(func() { _ = exec.Command("/bin/kill", pid).Run() })

	out = mustSh(t, root, "/bin/sh /etc/rc.shutdown")
	if !strings.Contains(out, "Stopping cron.") {
		t.Errorf("rc.shutdown output lacks cron:\n%s", out)
	}
	if got := mustSh(t, root, "cat /var/run/testsvc.log"); got != "started\nstopped\n" {
		t.Errorf("testsvc log after rc.shutdown = %q, want started, stopped", got)
	}
	if _, err := os.Stat("/proc/" + pid); err == nil {
		if b, _ := os.ReadFile("/proc/" + pid + "/stat"); !strings.Contains(string(b), ") Z ") {
			t.Errorf("cron (pid %s) still runs after rc.shutdown", pid)
		}
	}
}

func TestSysrc(t *testing.T) {
	root := extract(t, "14.3-RELEASE")
	steps := []struct {
		cmd  string
		out  string
		code int
	}{
		{"sysrc webserver_enable=YES", "webserver_enable:  -> YES\n", 0},
		{"sysrc -n webserver_enable", "YES\n", 0},
		{"sysrc webserver_enable=NO", "webserver_enable: YES -> NO\n", 0},
		{"sysrc cron_flags", "cron_flags: \n", 0},
		{"sysrc syslogd_flags", "syslogd_flags: -s\n", 0},
		{"sysrc -e syslogd_flags", "syslogd_flags=\"-s\"\n", 0},
		{"sysrc cloned_interfaces+=bridge0", "cloned_interfaces:  -> bridge0\n", 0},
		{"sysrc cloned_interfaces+='epair0 bridge0'", "cloned_interfaces: bridge0 -> bridge0 epair0\n", 0},
		{"sysrc cloned_interfaces-=bridge0", "cloned_interfaces: bridge0 epair0 -> epair0\n", 0},
		{`sysrc motd='say "hi" to $USER \o/'`, "motd:  -> say \"hi\" to $USER \\o/\n", 0},
		{"sysrc -n motd", "say \"hi\" to $USER \\o/\n", 0},
		{"sysrc -x webserver_enable; sysrc webserver_enable", "sysrc: unknown variable 'webserver_enable'\n", 1},
		{"sysrc -i nosuch", "", 0},
		{"sysrc 9lives=1", "sysrc: 9lives: invalid variable name\n", 1},
		{"sysrc -f /etc/rc.conf.d/web -q port=8080; cat /etc/rc.conf.d/web", "port=\"8080\"\n", 0},
		{"cat /etc/rc.conf", "# Local system configuration; defaults are in /etc/defaults/rc.conf.\n" +
			"cloned_interfaces=\"epair0\"\nmotd=\"say \\\"hi\\\" to \\$USER \\\\o/\"\n", 0},
	}
	for _, s := range steps {
		out, code := sh(t, root, s.cmd)
		if diff := cmp.Diff(fmt.Sprintf("%s[exit %d]", s.out, s.code), fmt.Sprintf("%s[exit %d]", out, code)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.cmd, diff)
		}
	}
}

func TestService(t *testing.T) {
	root := extract(t, "14.3-RELEASE")
	writeFile(t, root, "usr/local/etc/rc.d/testsvc", fmt.Sprintf(testService, "testsvc"), 0o555)
	steps := []struct {
		cmd  string
		out  string
		code int
	}{
		{"service -l", "cron\nhostname\nsyslogd\ntestsvc\n", 0},
		{"service -e", "/etc/rc.d/cron\n/etc/rc.d/syslogd\n", 0},
		{"service testsvc start", "Cannot 'start' testsvc. Set testsvc_enable to \"YES\" in /etc/rc.conf or use 'onestart' instead of 'start'.\n", 1},
		{"service testsvc onestart && cat /var/run/testsvc.log", "started\n", 0},
		{"sysrc -q testsvc_enable=YES && service -e", "/etc/rc.d/cron\n/etc/rc.d/syslogd\n/usr/local/etc/rc.d/testsvc\n", 0},
		{"service testsvc restart && cat /var/run/testsvc.log", "started\nstopped\nstarted\n", 0},
		{"service testsvc rcvar", "# testsvc\ntestsvc_enable=\"YES\"\n", 0},
		{"service testsvc bogus", "testsvc: unknown directive 'bogus'.\nUsage: /usr/local/etc/rc.d/testsvc [fast|force|one|quiet](start|stop|restart|rcvar|enabled|status)\n", 1},
		{"service nosuch start", "nosuch does not exist in /etc/rc.d or the local startup\ndirectories (/usr/local/etc/rc.d), or is not executable\n", 1},
	}
	for _, s := range steps {
		out, code := sh(t, root, s.cmd)
		if diff := cmp.Diff(fmt.Sprintf("%s[exit %d]", s.out, s.code), fmt.Sprintf("%s[exit %d]", out, code)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.cmd, diff)
		}
	}
}

func TestUnameAndVersion(t *testing.T) {
	root := extract(t, "14.2-RELEASE")
	steps := []struct{ cmd, out string }{
		// busybox's sh runs its own uname for a bare "uname" (see
		// etc/profile), so these name the program as jexec or env do.
		{"/usr/bin/uname", "FreeBSD\n"},
		{"env uname -srm", "FreeBSD 14.3-RELEASE amd64\n"},
		{"env uname -mr", "14.3-RELEASE amd64\n"},
		{"env uname -KU", "1403000 1402000\n"},
		{"hostname box; env uname -a", "FreeBSD box 14.3-RELEASE FreeBSD 14.3-RELEASE sandbox GENERIC amd64\n"},
		{"UNAME_r=14.2-RELEASE /usr/bin/uname -r", "14.2-RELEASE\n"},
		{"/bin/sh -l -c uname", "FreeBSD\n"},
		{"freebsd-version", "14.2-RELEASE\n"},
		{"freebsd-version -ru", "14.3-RELEASE\n14.2-RELEASE\n"},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.out, mustSh(t, root, s.cmd)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.cmd, diff)
		}
	}
	if out, code := sh(t, root, "freebsd-version -k"); code != 1 || out != "freebsd-version: unable to locate kernel\n" {
		t.Errorf("freebsd-version -k without a kernel = %q, exit %d", out, code)
	}
}

func TestPkg(t *testing.T) {
	root := extract(t, "14.3-RELEASE")
	out := mustSh(t, root, "pkg install -y webserver")
	for _, want := range []string{"hello: 1.0", "webserver: 1.0", "Installing hello-1.0", "Installing webserver-1.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("pkg install webserver output lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "Installing hello"), strings.Index(out, "Installing webserver"); i > j {
		t.Errorf("pkg installed webserver before its dependency hello:\n%s", out)
	}
	if got := mustSh(t, root, "hello"); got != "hello from pkg\n" {
		t.Errorf("hello = %q", got)
	}
	if diff := cmp.Diff("/usr/local/bin/hello\n", mustSh(t, root, "cat /var/db/pkg/hello/files")); diff != "" {
		t.Errorf("recorded files of hello (-want +got):\n%s", diff)
	}
	info := mustSh(t, root, "pkg info")
	if !strings.Contains(info, "hello-1.0") || !strings.Contains(info, "webserver-1.0") {
		t.Errorf("pkg info = %q, want hello and webserver", info)
	}
	if out := mustSh(t, root, "pkg install -y hello"); !strings.Contains(out, "already installed") {
		t.Errorf("second install of hello: %q", out)
	}

	out, code := sh(t, root, "pkg install -y nosuch")
	if code != 1 || !strings.Contains(out, "pkg: No packages available to install matching 'nosuch'") {
		t.Errorf("pkg install nosuch = exit %d:\n%s", code, out)
	}

	// The package's rc.d script really serves.
	port := freePort(t)
	mustSh(t, root, "sysrc -q webserver_enable=YES webserver_port=127.0.0.1:"+port)
	out = mustSh(t, root, "service webserver start; sleep 0.3; service webserver status")
	if !strings.Contains(out, "webserver is running as pid") {
		t.Errorf("service webserver start/status:\n%s", out)
	}
	body := httpGet(t, "http://127.0.0.1:"+port+"/")
	mustSh(t, root, "service webserver stop")
	if !strings.Contains(body, "It works!") {
		t.Errorf("webserver served %q", body)
	}

	out = mustSh(t, root, "pkg delete -y hello; pkg info -e webserver || echo webserver gone; test -e /usr/local/bin/hello || echo hello gone")
	if !strings.Contains(out, "webserver gone") || !strings.Contains(out, "hello gone") {
		t.Errorf("pkg delete hello should remove webserver, which needs it:\n%s", out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	var err error
	for i := 0; i < 20; i++ {
		var resp *http.Response
		if resp, err = http.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("GET %s: %v", url, err)
	return ""
}

func TestFreebsdUpdate(t *testing.T) {
	root := extract(t, "14.3-RELEASE")
	out, code := sh(t, root, "echo | freebsd-update fetch")
	if code != 1 || !strings.Contains(out, "should not be run non-interactively") {
		t.Errorf("fetch without a tty or --not-running-from-cron: exit %d:\n%s", code, out)
	}
	out = mustSh(t, root, "freebsd-update --not-running-from-cron fetch")
	if !strings.Contains(out, "14.3-RELEASE-p1:\n/bin/freebsd-version\n/etc/motd\n") {
		t.Errorf("fetch does not list the patch's files:\n%s", out)
	}
	if got := mustSh(t, root, "freebsd-update updatesready"); !strings.Contains(got, "There are updates available") {
		t.Errorf("updatesready after fetch: %q", got)
	}
	if got := mustSh(t, root, "freebsd-update install; freebsd-version"); got != "Installing updates... done.\n14.3-RELEASE-p1\n" {
		t.Errorf("install: %q", got)
	}
	if got := mustSh(t, root, "freebsd-update --not-running-from-cron fetch"); !strings.Contains(got, "No updates needed to update system to 14.3-RELEASE-p1.") {
		t.Errorf("second fetch: %q", got)
	}
	if out, code := sh(t, root, "freebsd-update install"); code != 1 || !strings.Contains(out, "No updates are available to install.") {
		t.Errorf("install with nothing fetched: exit %d: %q", code, out)
	}

	// iocage's way: from outside the release, on a base directory, with
	// UNAME_r naming the release.
	rr := "/rr"
	if err := os.Mkdir(filepath.Join(root, "rr"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSh(t, root, "tar -xJf /tmp/base.txz -C /rr 2>/dev/null || true")
	set, err := os.ReadFile(filepath.Join(treeDir, ReleaseDir("14.2-RELEASE"), "base.txz"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, root, "tmp/base.txz", string(set), 0o644)
	mustSh(t, root, "tar -xJf /tmp/base.txz -C /rr")
	cmd := "env UNAME_r=14.2-RELEASE PAGER=/bin/cat freebsd-update --not-running-from-cron -b RR -f RR/etc/freebsd-update.conf -d RR/var/db/freebsd-update/ fetch && " +
		"env UNAME_r=14.2-RELEASE PAGER=/bin/cat freebsd-update -b RR -f RR/etc/freebsd-update.conf -d RR/var/db/freebsd-update/ install && RR/bin/freebsd-version"
	if got := mustSh(t, root, strings.ReplaceAll(cmd, "RR", rr)); !strings.HasSuffix(got, "14.2-RELEASE-p1\n") {
		t.Errorf("update of a base directory: %q", got)
	}
	if got := mustSh(t, root, "freebsd-version"); got != "14.3-RELEASE-p1\n" {
		t.Errorf("updating /rr changed / too: freebsd-version = %q", got)
	}
}

func TestFreebsdUpgrade(t *testing.T) {
	root := extract(t, "14.2-RELEASE")
	mustSh(t, root, "sysrc -q hostname=kept")
	out := mustSh(t, root, "freebsd-update -r 14.3-RELEASE upgrade")
	if !strings.Contains(out, "To install the downloaded upgrades") {
		t.Errorf("upgrade output:\n%s", out)
	}
	mustSh(t, root, "freebsd-update install")
	if got := mustSh(t, root, "freebsd-version; env uname -U; sysrc -n hostname"); got != "14.3-RELEASE-p1\n1403000\nkept\n" {
		t.Errorf("after upgrade: freebsd-version, uname -U, hostname = %q", got)
	}
	if out, code := sh(t, root, "freebsd-update install"); code != 1 {
		t.Errorf("a second install after upgrade should find nothing: exit %d: %q", code, out)
	}
	if out, code := sh(t, root, "freebsd-update -r 9.3-RELEASE upgrade"); code != 1 ||
		!strings.Contains(out, "not available") {
		t.Errorf("upgrade to a release the mirror lacks: exit %d: %q", code, out)
	}
}
