package jail_test

// A jail sets its own hostname. One that is not iocage's, running beside
// an iocage jail with a hostname made to look like jls rows, must change
// nothing of what iocage reads of its own jails.

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime"
)

func TestHostileHostnameChangesNoOtherJail(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.50/24"})
	if _, out, err := stRun(t, s, "start", names("web")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	before, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	listBefore, out, err := stRun(t, s, "list", map[string]starlark.Value{"long": starlark.True})
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if len(before) != 1 || before[0].JID <= 0 {
		t.Fatalf("the iocage jail is not running: %+v", before)
	}

	// Quotes, a backslash, spaces, a tab and a newline followed by a row
	// naming the iocage jail with another JID and path, as the old
	// `jls -q` reading would have taken it.
	hostile := "x\" y\\ \t'z\n77 " + j.Name() + " /fake 10.9.9.9\n"
	must(t, s.Host.Change(ctx, runtime.Jail, "-c", "name=hostile", "path=/", "host.hostname="+hostile, "persist"))
	t.Cleanup(func() { _ = s.Host.Change(context.Background(), runtime.Jail, "-r", "hostile") })

	rs, err := jail.Running(ctx, s.Host)
	must(t, err)
	hostileJID := 0
	for _, r := range rs {
		if r.Name == "hostile" {
			hostileJID = r.JID
		}
	}
	if hostileJID <= 0 || hostileJID == before[0].JID {
		t.Fatalf("jail.Running: no hostile jail of its own JID: %+v", rs)
	}
	want := []jail.RunningJail{
		{JID: before[0].JID, Name: j.Name(), Path: j.Mountpoint + "/root", Hostname: stUUID, IP4: "192.168.1.50"},
		{JID: hostileJID, Name: "hostile", Path: "/", Hostname: hostile},
	}
	if d := cmp.Diff(want, rs); d != "" {
		t.Errorf("jail.Running (-want +got):\n%s", d)
	}

	after, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	if len(after) != 1 || after[0].JID != before[0].JID || after[0].State() != "up" {
		t.Errorf("jail.List after: %+v, want the one jail with JID %d", after, before[0].JID)
	}
	listAfter, out, err := stRun(t, s, "list", map[string]starlark.Value{"long": starlark.True})
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if d := cmp.Diff(listBefore.String(), listAfter.String()); d != "" {
		t.Errorf("list changed (-before +after):\n%s", d)
	}

	// list -n shows the other jail as one row, its hostname whole.
	v, out, err := stRun(t, s, "list", map[string]starlark.Value{"others": starlark.True})
	if err != nil {
		t.Fatalf("list -n: %v\n%s", err, out)
	}
	if n := strings.Count(v.String(), "/fake"); n != 1 {
		t.Errorf("list -n shows the forged row %d times, want once (inside the hostname): %s", n, v)
	}
	if !strings.Contains(v.String(), starlark.String(hostile).String()) {
		t.Errorf("list -n lacks the hostile hostname whole: %s", v)
	}

	// The iocage jail's own reads see it alone.
	jid, err := jail.JID(ctx, s.Host, j.Name())
	must(t, err)
	if jid != before[0].JID {
		t.Errorf("jail.JID = %d, want %d", jid, before[0].JID)
	}
	rt, out, err := stRun(t, s, "runtime", map[string]starlark.Value{"name": starlark.String("web")})
	if err != nil {
		t.Fatalf("runtime: %v\n%s", err, out)
	}
	if strings.Contains(rt.String(), "fake") || !strings.Contains(rt.String(), `"name=`+j.Name()+`"`) {
		t.Errorf("runtime of web: %s", rt)
	}
	if _, out, err := stRun(t, s, "stop", names("web")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if jid, err := jail.JID(ctx, s.Host, j.Name()); err != nil || jid != 0 {
		t.Errorf("jail.JID after stop = %d, %v; want 0", jid, err)
	}
}
