package pkg_test

import (
	"context"
	"errors"
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

// run calls pkg.NAME(args...) on a scripted host whose jail root has the
// given resolv.conf ("" for none) and returns the command lines sent.
func run(t *testing.T, resolv string, replies map[string]runtime.Reply, name string, args ...starlark.Value) ([]string, *thread.Undo, error) {
	t.Helper()
	root := t.TempDir()
	sc := &runtime.Scripted{Root: root, Replies: replies}
	h := runtime.New(sc, runtime.Options{})
	etc := filepath.Join(root, "iocage/jails/J/root/etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if resolv != "" {
		if err := os.WriteFile(filepath.Join(etc, "resolv.conf"), []byte(resolv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	th := &starlark.Thread{}
	undo := thread.NewUndo(h, nil)
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h, Undo: undo})
	fn, _ := pkg.NewModule(h).Attr(name)
	_, err := starlark.Call(th, fn, args, nil)
	return sc.Calls(), undo, err
}

func names(ns ...string) *starlark.List {
	var vs []starlark.Value
	for _, n := range ns {
		vs = append(vs, starlark.String(n))
	}
	return starlark.NewList(vs)
}

const root = "/iocage/jails/J/root"

func TestInstallOnAStoppedRootAndItsUndo(t *testing.T) {
	info := runtime.Reply{Stdout: "hello-1.0                        Print a friendly greeting\n"}
	calls, undo, err := run(t, "nameserver 127.0.0.1\n", map[string]runtime.Reply{"/usr/sbin/pkg -c " + root + " info": info},
		"install", starlark.String(root), names("webserver", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/sbin/pkg -c " + root + " info", "/usr/sbin/pkg -c " + root + " install -qy webserver hello"}
	if d := cmp.Diff(want, calls); d != "" {
		t.Errorf("argv (-want +got):\n%s", d)
	}
	// Only what was not installed before is taken back.
	if undo.Len() != 1 {
		t.Fatalf("undo steps = %d, want 1", undo.Len())
	}
}

func TestInstallInARunningJailGoesThroughJexec(t *testing.T) {
	j := &jail.Jail{UUID: "0000aaaa-0000-4000-8000-000000000001", Mountpoint: "/iocage/jails/J", JID: 3, Props: map[string]string{}}
	calls, _, err := run(t, "search example.org\nnameserver 10.0.0.1\n", nil, "install", jail.NewValue(j), starlark.String("tree"))
	if err != nil {
		t.Fatal(err)
	}
	want := "/usr/sbin/jexec ioc-0000aaaa-0000-4000-8000-000000000001 /usr/sbin/pkg install -qy tree"
	if len(calls) != 2 || calls[1] != want {
		t.Errorf("calls %q, want the second %q", calls, want)
	}
}

func TestInstallRefusesWithoutResolver(t *testing.T) {
	for _, resolv := range []string{"", "# nothing\nsearch example.org\n"} {
		calls, _, err := run(t, resolv, nil, "install", starlark.String(root), names("tree"))
		if err == nil || !strings.Contains(err.Error(), "no working resolver") || !strings.Contains(err.Error(), "resolver=copy") {
			t.Errorf("resolv.conf %q: %v, want a resolver error with a hint", resolv, err)
		}
		if len(calls) != 0 {
			t.Errorf("pkg ran without a resolver: %q", calls)
		}
	}
}

func TestBadArgumentsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		args []starlark.Value
		want string
	}{
		{[]starlark.Value{starlark.String("relative/root"), names("x")}, "absolute path"},
		{[]starlark.Value{starlark.String(root), names("-f")}, "not a package name"},
		{[]starlark.Value{starlark.String(root), names()}, "no package"},
		{[]starlark.Value{starlark.MakeInt(1), names("x")}, "want jail.jail"},
	} {
		calls, _, err := run(t, "nameserver 1.1.1.1\n", nil, "install", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || len(calls) != 0 {
			t.Errorf("install%v: %v (calls %q), want %q and nothing run", tc.args, err, calls, tc.want)
		}
	}
}

func TestFailingPkgIsReported(t *testing.T) {
	replies := map[string]runtime.Reply{"/usr/sbin/pkg -c " + root + " install -qy nosuch": {Stderr: "pkg: No packages available to install matching 'nosuch'", ExitCode: 1}}
	_, undo, err := run(t, "nameserver 1.1.1.1\n", replies, "install", starlark.String(root), names("nosuch"))
	var ee *runtime.ExitError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("err = %v, want pkg's exit error", err)
	}
	if undo.Len() != 0 {
		t.Errorf("a failed install pushed %d undo steps", undo.Len())
	}
}
