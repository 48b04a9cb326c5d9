package sysmodel_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/mirror"
	sbrelease "github.com/iocage/iocage/runtime/sandbox/release"
)

// updateRoot serves a freshly built release tree and extracts rel's
// base.txz into a directory of the sandbox; it returns that host path.
func updateRoot(t *testing.T, rel string) (*runtime.Host, string) {
	t.Helper()
	s := newSandbox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tree := t.TempDir()
	if err := sbrelease.Build(tree, sbrelease.Options{Mirror: ln.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mirror.Serve(ctx, ln, tree) }()
	t.Cleanup(func() { cancel(); <-done })

	root := "/tmp/fu-test/root"
	if err := s.Host.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Host.RemoveAll("/tmp/fu-test") })
	// tar runs chrooted in the sandbox root: hand it the archive there.
	b, err := os.ReadFile(filepath.Join(tree, sbrelease.ReleaseDir(rel), "base.txz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Host.WriteFile("/tmp/fu-test/base.txz", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, s.Host, runtime.Tar, "-C", root, "-xf", "/tmp/fu-test/base.txz"); r.Code != 0 {
		t.Fatalf("tar: %+v", r)
	}
	return s.Host, root
}

// TestFreebsdUpdatePatchesARoot sends the command lines iocage sends
// (lifecycle §1 step 5 with the check of updatesready) and finds the root
// at -p1 afterwards; a second round finds nothing to do.
func TestFreebsdUpdatePatchesARoot(t *testing.T) {
	const rel = "14.3-RELEASE"
	h, root := updateRoot(t, rel)
	env := []string{"UNAME_r=" + rel, "PAGER=/bin/cat"}
	common := []string{"-b", root, "-f", root + "/etc/freebsd-update.conf", "-d", root + "/var/db/freebsd-update/"}
	fetch := runEnv(t, h, env, runtime.FreebsdUpdate, append(append([]string{"--not-running-from-cron"}, common...), "fetch")...)
	if fetch.Code != 0 || !strings.Contains(fetch.Stdout, "updating to\n"+rel+"-p1") {
		t.Fatalf("fetch: %+v", fetch)
	}
	if r := runEnv(t, h, env, runtime.FreebsdUpdate, append(common, "updatesready")...); r.Code != 0 {
		t.Fatalf("updatesready after fetch: %+v", r)
	}
	if r := runEnv(t, h, env, runtime.FreebsdUpdate, append(common, "install")...); r.Code != 0 {
		t.Fatalf("install: %+v", r)
	}
	b, err := h.ReadFile(root + "/bin/freebsd-version")
	if err != nil || !strings.Contains(string(b), `USERLAND_VERSION="`+rel+`-p1"`) {
		t.Fatalf("freebsd-version after install: %v\n%s", err, b)
	}
	if r := runEnv(t, h, env, runtime.FreebsdUpdate, append([]string{"--not-running-from-cron"}, append(common, "fetch")...)...); r.Code != 0 || !strings.Contains(r.Stdout, "No updates needed") {
		t.Errorf("second fetch: %+v", r)
	}
	if r := runEnv(t, h, env, runtime.FreebsdUpdate, append(common, "updatesready")...); r.Code != 2 {
		t.Errorf("updatesready with nothing fetched: %+v, want exit 2", r)
	}
}

// TestFreebsdUpdateRefusals: what the model cannot do is refused by name.
func TestFreebsdUpdateRefusals(t *testing.T) {
	h, root := updateRoot(t, "14.2-RELEASE")
	for _, c := range []struct {
		args []string
		want result
	}{
		{[]string{"fetch"}, result{Stderr: "freebsd-update: the sandbox host has no FreeBSD userland to update: give -b with a release or jail root\n", Code: 1}},
		{[]string{"-b", root, "-f", "/etc/freebsd-update.conf", "fetch"}, result{Stderr: "freebsd-update: -f /etc/freebsd-update.conf: the sandbox's freebsd-update needs it inside the base " + root + "\n", Code: 1}},
		{[]string{"-b", root, "cron"}, result{Stderr: "freebsd-update: the cron command is not modelled by the sandbox's freebsd-update\n", Code: 1}},
		{[]string{"-b", root, "frobnicate"}, result{Stderr: "usage: freebsd-update [options] command ... (see freebsd-update(8))\n", Code: 1}},
		{[]string{"-b", "/tmp/nowhere", "fetch"}, result{Stderr: "freebsd-update: /tmp/nowhere: base directory does not exist\n", Code: 1}},
		{[]string{"-b", root}, result{Stderr: "usage: freebsd-update [options] command ... (see freebsd-update(8))\n", Code: 1}},
	} {
		got := run(t, h, runtime.FreebsdUpdate, c.args...)
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("freebsd-update %v (-want +got):\n%s", c.args, d)
		}
	}
	// Without -f the base's own configuration is read: the update works.
	r := runEnv(t, h, []string{"UNAME_r=14.2-RELEASE"}, runtime.FreebsdUpdate, "--not-running-from-cron", "-b", root, "fetch", "install")
	if r.Code != 0 {
		t.Fatalf("fetch install without -f: %+v", r)
	}
}
