//go:build linux

package net_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/net"
	"github.com/iocage/iocage/builtins/thread/threadtest"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// TestUndoStepsReplayTwice makes each change of the net module by hand,
// replays its undo step twice and checks the host is taken back.
func TestUndoStepsReplayTwice(t *testing.T) {
	s := sandboxtest.New(t)
	h := s.Host
	ctx := context.Background()
	root := "/jailroots/undotest"
	if err := os.MkdirAll(s.Path(root+"/etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(s.Path(root)) })
	mustRun(t, h, runtime.Jail, "-c", "name=ioc-undo", "path="+root, "vnet", "persist")
	t.Cleanup(func() { run(t, h, runtime.Jail, "-r", "ioc-undo") })

	a := strings.TrimSpace(mustRun(t, h, runtime.Ifconfig, "epair", "create"))
	b := strings.TrimSuffix(a, "a") + "b"
	mustRun(t, h, runtime.Ifconfig, "bridge0", "addm", a, "up")
	mustRun(t, h, runtime.Ifconfig, b, "vnet", "ioc-undo")
	in := func(args ...string) string {
		return mustRun(t, h, runtime.Jexec, append([]string{"ioc-undo"}, args...)...)
	}
	in(runtime.Ifconfig, b, "name", "vnet0")
	in(runtime.Ifconfig, "vnet0", "inet", "192.168.1.60/24", "up")
	in(runtime.Route, "add", "default", "192.168.1.1")

	threadtest.ReplayTwice(t, h, "net.route_delete", "ioc-undo", "0")
	if _, errs, code := run(t, h, runtime.Jexec, "ioc-undo", runtime.Route, "-n", "get", "default"); code == 0 {
		t.Errorf("the jail's default route is still there (%s)", errs)
	}
	threadtest.ReplayTwice(t, h, "net.alias_remove", "ioc-undo", "0", "vnet0", "inet", "192.168.1.60")
	if out := in(runtime.Ifconfig, "vnet0"); strings.Contains(out, "192.168.1.60") {
		t.Errorf("vnet0 keeps its address:\n%s", out)
	}
	threadtest.ReplayTwice(t, h, "net.rename", "ioc-undo", "0", "vnet0", b)
	if out := in(runtime.Ifconfig, "-l"); !strings.Contains(out, b) {
		t.Errorf("jail interfaces after the rename back: %q", out)
	}
	threadtest.ReplayTwice(t, h, "net.vnet_reclaim", b, "ioc-undo")
	if _, err := net.GetInterface(ctx, h, b); err != nil {
		t.Errorf("%s is not back on the host: %v", b, err)
	}
	threadtest.ReplayTwice(t, h, "net.bridge_deletem", "bridge0", a)
	if ifc, err := net.GetInterface(ctx, h, "bridge0"); err != nil || strings.Contains(strings.Join(ifc.Members, " "), a) {
		t.Errorf("bridge0 after deletem: %+v, %v", ifc, err)
	}
	threadtest.ReplayTwice(t, h, "net.ifconfig_destroy", a)
	if _, err := net.GetInterface(ctx, h, a); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("%s after destroy: %v", a, err)
	}

	// Steps inside a jail that is gone: what they undo went with it.
	mustRun(t, h, runtime.Jail, "-r", "ioc-undo")
	threadtest.ReplayTwice(t, h, "net.route_delete", "ioc-undo", "0")
	threadtest.ReplayTwice(t, h, "net.alias_remove", "ioc-undo", "0", "vnet0", "inet", "192.168.1.60")

	conf := s.Path(root + "/etc/resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 10.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	threadtest.ReplayTwice(t, h, "net.resolv_restore", root, base64.StdEncoding.EncodeToString([]byte("nameserver 10.0.0.2\n")))
	if got, err := os.ReadFile(conf); err != nil || string(got) != "nameserver 10.0.0.2\n" {
		t.Errorf("resolv.conf after restore: %q, %v", got, err)
	}
	threadtest.ReplayTwice(t, h, "net.resolv_restore", root)
	if _, err := os.Lstat(conf); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("resolv.conf after restore of none: %v", err)
	}
}
