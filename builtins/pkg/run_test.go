package pkg_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/pkg"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func TestCommandSkipsGlobalOptionsAndRefusesWhere(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		cmd   string
		local bool
		err   string
	}{
		{[]string{"install", "-y", "nginx"}, "install", false, ""},
		{[]string{"info"}, "info", true, ""},
		{[]string{"-d", "-o", "ASSUME_ALWAYS_YES=yes", "delete", "x"}, "delete", true, ""},
		{[]string{"-oFOO=1", "upgrade"}, "upgrade", false, ""},
		{[]string{"-dC", "/x.conf", "which", "/bin/ls"}, "which", true, ""},
		{[]string{"--option", "A=b", "--config=/c", "query", "%n"}, "query", true, ""},
		{[]string{"-R", "/repos", "update"}, "update", false, ""},
		{[]string{"-v"}, "", true, ""},
		{[]string{"--", "search", "x"}, "search", false, ""},
		{[]string{"-j", "other", "info"}, "", false, "-j"},
		{[]string{"-dc", "/", "info"}, "", false, "-c"},
		{[]string{"--rootdir=/", "info"}, "", false, "--rootdir"},
		{[]string{"--jail", "x", "info"}, "", false, "--jail"},
	} {
		cmd, err := pkg.Command(tc.args)
		local, lerr := pkg.Local(tc.args)
		if tc.err != "" {
			if err == nil || lerr == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "iocage says where pkg works") {
				t.Errorf("Command(%q) = %q, %v; want an error naming %s", tc.args, cmd, err, tc.err)
			}
			continue
		}
		if err != nil || lerr != nil || cmd != tc.cmd || local != tc.local {
			t.Errorf("Command(%q) = %q, %v; Local = %v, %v; want %q, local %v", tc.args, cmd, err, local, lerr, tc.cmd, tc.local)
		}
	}
}

func TestRunArgvAndDryRun(t *testing.T) {
	root := t.TempDir()
	sc := &runtime.Scripted{Root: root, Replies: map[string]runtime.Reply{
		"/usr/sbin/pkg -c /iocage/jails/J/root info -e x": {ExitCode: 1},
	}}
	var dry strings.Builder
	h := runtime.New(sc, runtime.Options{DryRun: true, Out: &dry})
	ctx := context.Background()
	stopped := pkg.Target{Root: "/iocage/jails/J/root"}
	running := pkg.Target{Root: "/iocage/jails/J/root", Jail: "ioc-J"}
	// info runs in dry-run, and its exit status comes back.
	if code, err := pkg.Run(ctx, h, stopped, []string{"info", "-e", "x"}, nil, nil, nil); err != nil || code != 1 {
		t.Errorf("Run info -e x = %d, %v; want exit 1", code, err)
	}
	// install is printed, not run.
	if code, err := pkg.Run(ctx, h, running, []string{"install", "-y", "tree"}, nil, nil, nil); err != nil || code != 0 {
		t.Errorf("Run install = %d, %v", code, err)
	}
	if d := cmp.Diff([]string{"/usr/sbin/pkg -c /iocage/jails/J/root info -e x"}, sc.Calls()); d != "" {
		t.Errorf("commands run (-want +got):\n%s", d)
	}
	if want := "would run: /usr/sbin/pkg -j ioc-J install -y tree\n"; dry.String() != want {
		t.Errorf("dry-run printed %q, want %q", dry.String(), want)
	}
	if _, err := pkg.Run(ctx, h, running, []string{"-r", "/", "info"}, nil, nil, nil); err == nil {
		t.Errorf("Run -r / info ran")
	}
}

func TestCheckRemoteSaysWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	h := runtime.New(&runtime.Scripted{Root: dir}, runtime.Options{})
	r := filepath.Join(dir, "iocage/jails/J/root")
	const root = "/iocage/jails/J/root"
	if err := os.MkdirAll(r+"/etc/pkg", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := pkg.CheckRemote(h, root); err == nil || !strings.Contains(err.Error(), "no working resolver") {
		t.Errorf("no resolv.conf: %v", err)
	}
	if err := pkg.CheckResolver(h, root); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("CheckResolver without resolv.conf = %v", err)
	}
	if err := os.WriteFile(r+"/etc/resolv.conf", []byte("nameserver 10.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := pkg.CheckResolver(h, root); err != nil {
		t.Errorf("CheckResolver with a nameserver = %v", err)
	}
	if err := pkg.CheckRemote(h, root); err == nil || !strings.Contains(err.Error(), "no pkg repository configured") {
		t.Errorf("no repository: %v", err)
	}
	// A repository directory that leads out of the root counts as none.
	if err := os.MkdirAll(r+"/usr/local/etc/pkg", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/pkg", r+"/usr/local/etc/pkg/repos"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/x.conf", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := pkg.CheckRemote(h, root); err == nil || !strings.Contains(err.Error(), "no pkg repository configured") {
		t.Errorf("repos dir leading out: %v", err)
	}
	if err := os.WriteFile(r+"/etc/pkg/FreeBSD.conf", []byte("FreeBSD: { enabled: yes }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := pkg.CheckRemote(h, root); err != nil {
		t.Errorf("resolver and repository: %v", err)
	}
}

func TestRunBuiltinPassesTheExitStatus(t *testing.T) {
	j := &jail.Jail{UUID: "0000aaaa-0000-4000-8000-000000000001", Mountpoint: "/iocage/jails/J", JID: 3, Props: map[string]string{}}
	sc := &runtime.Scripted{Root: t.TempDir(), Replies: map[string]runtime.Reply{
		"/usr/sbin/pkg -j ioc-0000aaaa-0000-4000-8000-000000000001 info -e nosuch": {ExitCode: 70},
	}}
	h := runtime.New(sc, runtime.Options{})
	th := &starlark.Thread{}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h})
	fn, _ := pkg.NewModule(h).Attr("run")
	v, err := starlark.Call(th, fn, starlark.Tuple{jail.NewValue(j), starlark.NewList([]starlark.Value{
		starlark.String("info"), starlark.String("-e"), starlark.String("nosuch")})}, nil)
	if err != nil || v != starlark.MakeInt(70) {
		t.Errorf("pkg.run = %v, %v; want 70", v, err)
	}
}
