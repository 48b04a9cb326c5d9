package jail_test

// These tests drive the jail model against real ZFS in the sandbox. They
// need root; see sandboxtest.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// setup activates the sandbox pool and prepares the iocage tree.
func setup(t testing.TB) (*sandboxtest.Sandbox, string) {
	t.Helper()
	s := sandboxtest.New(t)
	ctx := context.Background()
	must(t, jail.Activate(ctx, s.Host, s.Pool))
	_, err := jail.Prepare(ctx, s.Host, s.Pool)
	must(t, err)
	return s, s.Pool
}

// mkjail creates a jail dataset the way create will: every property
// resolved from the defaults, written at creation.
func mkjail(t testing.TB, h *runtime.Host, pool, uuid, tag string, extra map[string]string) {
	t.Helper()
	vals := jailprops.Resolve(map[string]string{"tag": tag}, nil, jailprops.Builtins(jailprops.Generated{UUID: uuid, Tag: tag, HostID: "h", Release: "14.3-RELEASE"}))
	props := map[string]string{}
	for k, v := range vals {
		if p, _ := jailprops.Lookup(k); !p.Native {
			props[jailprops.Prefix+k] = v
		}
	}
	for k, v := range extra {
		props[k] = v
	}
	must(t, zfs.Create(context.Background(), h, jail.JailsDS(pool)+"/"+uuid, false, props))
}

func uuidN(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

func TestSandboxActivationAndPrepare(t *testing.T) {
	s := sandboxtest.New(t)
	ctx := context.Background()
	if _, err := jail.ActivePool(ctx, s.Host); !errors.Is(err, jail.ErrNoPool) || !strings.Contains(err.Error(), s.Pool) {
		t.Errorf("no active pool: %v, want ErrNoPool naming %s", err, s.Pool)
	}
	must(t, jail.Activate(ctx, s.Host, s.Pool))
	p, err := jail.ActivePool(ctx, s.Host)
	if err != nil || p != s.Pool {
		t.Fatalf("active pool = %q, %v; want %s", p, err, s.Pool)
	}
	// Reads of a pool without the tree see no jails and change nothing.
	js, err := jail.List(ctx, s.Host, s.Pool)
	if err != nil || len(js) != 0 {
		t.Errorf("list before prepare = %v, %v", js, err)
	}
	did, err := jail.Prepare(ctx, s.Host, s.Pool)
	must(t, err)
	want := []string{"created " + s.Pool + "/iocage", "created " + s.Pool + "/iocage/jails", "created " + s.Pool + "/iocage/.defaults",
		"created " + s.Pool + "/iocage/download", "created " + s.Pool + "/iocage/releases"}
	if d := cmp.Diff(want, did[:len(want)]); d != "" {
		t.Errorf("prepare (-want +got):\n%s", d)
	}
	d, err := jail.Defaults(ctx, s.Host, s.Pool)
	must(t, err)
	for k, v := range map[string]string{"memoryuse": "8G:log", "format_version": "1", "release": "14.3-RELEASE", "priority": "99"} {
		if d.Props[k] != v {
			t.Errorf("defaults %s = %q, want %q", k, d.Props[k], v)
		}
	}
	if d.Mountpoint != "/iocage/.defaults" {
		t.Errorf("defaults mountpoint = %q", d.Mountpoint)
	}
	for _, dir := range []string{"/iocage/tags", "/iocage/log"} {
		if fi, err := s.Host.Stat(dir); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", dir, err)
		}
	}
	before := s.Host.Count()
	did, err = jail.Prepare(ctx, s.Host, s.Pool)
	if err != nil || len(did) != 0 || s.Host.Count()-before != 1 {
		t.Errorf("prepare of a prepared pool did %v (%v) with %d host operations, want nothing with 1", did, err, s.Host.Count()-before)
	}
	must(t, jail.Deactivate(ctx, s.Host, s.Pool))
	if _, err := jail.ActivePool(ctx, s.Host); !errors.Is(err, jail.ErrNoPool) {
		t.Errorf("after deactivate: %v, want ErrNoPool", err)
	}
}

func TestSandboxListSetReset(t *testing.T) {
	s, pool := setup(t)
	ctx := context.Background()
	mkjail(t, s.Host, pool, uuidN(0xabc1), "web", nil)
	mkjail(t, s.Host, pool, uuidN(0xabc2), "abc", map[string]string{"quota": "1G"})
	mkjail(t, s.Host, pool, uuidN(0xdef), "db", nil)
	// Not a jail: no UUID name.
	must(t, zfs.Create(ctx, s.Host, jail.JailsDS(pool)+"/stray", false, nil))

	s.Host.Record()
	before := s.Host.Count()
	js, err := jail.List(ctx, s.Host, pool)
	must(t, err)
	if n := s.Host.Count() - before; n != 2 {
		t.Errorf("list ran %d host commands, want 2 (one zfs, one jls)", n)
	}
	var tags []string
	for _, j := range js {
		tags = append(tags, j.Tag)
	}
	if d := cmp.Diff([]string{"abc", "db", "web"}, tags); d != "" {
		t.Errorf("jails by tag (-want +got):\n%s", d)
	}
	abc := js[0]
	if abc.Props["quota"] != "1G" || abc.Raw["quota"] != "1073741824" || abc.State() != "down" || abc.Mountpoint != "/iocage/jails/"+abc.UUID {
		t.Errorf("abc: quota %q/%q state %s mountpoint %s", abc.Props["quota"], abc.Raw["quota"], abc.State(), abc.Mountpoint)
	}
	// The tag "abc" wins over the UUID prefix of the jail tagged web.
	if j, err := jail.Find(js, "abc"); err != nil || j.Tag != "abc" {
		t.Errorf("find abc = %v, %v", j, err)
	}
	if _, err := jail.Find(js, "0000"); !errors.Is(err, jailprops.ErrAmbiguous) {
		t.Errorf("find by a shared UUID prefix: %v, want ambiguity", err)
	}

	// Valid assignments round-trip through ZFS in one zfs set.
	assign := map[string]string{"boot": "on", "notes": "hello world; $(x)", "quota": "2G", "memoryuse": "1G:deny"}
	must(t, jail.Validate(abc, assign, js))
	s.Host.Record()
	must(t, jail.Set(ctx, s.Host, abc, assign))
	if ev := s.Host.Events(); len(ev) != 1 {
		t.Errorf("set ran %v, want one command", ev)
	}
	js, err = jail.List(ctx, s.Host, pool)
	must(t, err)
	for k, v := range map[string]string{"boot": "on", "notes": "hello world; $(x)", "quota": "2G", "memoryuse": "1G:deny"} {
		if js[0].Props[k] != v {
			t.Errorf("after set %s = %q, want %q", k, js[0].Props[k], v)
		}
	}

	// Invalid values, unknown names, read-only properties, duplicate tags:
	// refused before anything is written.
	for _, bad := range []map[string]string{
		{"boot": "on", "vnet": "maybe"},
		{"alow_mount": "1"},
		{"host_hostuuid": uuidN(9)},
		{"tag": "web"},
		{"tag": "a/b"},
	} {
		if err := jail.Validate(js[0], bad, js); err == nil {
			t.Errorf("Validate(%v) accepted", bad)
		}
	}

	// A new tag moves the link in /iocage/tags.
	must(t, jail.Set(ctx, s.Host, js[0], map[string]string{"tag": "abc2"}))
	if target, err := s.Host.Readlink("/iocage/tags/abc2"); err != nil || target != js[0].Mountpoint {
		t.Errorf("tag link = %q, %v; want %s", target, err, js[0].Mountpoint)
	}

	// Reset keeps identity and kept properties, returns the rest to the
	// defaults (with the defaults' quota, none).
	defs, err := jail.Defaults(ctx, s.Host, pool)
	must(t, err)
	must(t, jail.Set(ctx, s.Host, defs, map[string]string{"priority": "10"}))
	_, err = jail.Reset(ctx, s.Host, js[0], defs)
	must(t, err)
	js, err = jail.List(ctx, s.Host, pool)
	must(t, err)
	j, err := jail.Find(js, "abc2")
	must(t, err)
	for k, v := range map[string]string{"host_hostuuid": j.UUID, "host_hostname": j.UUID, "tag": "abc2", "boot": "off",
		"notes": "none", "priority": "10", "quota": "none", "memoryuse": "8G:log"} {
		if j.Props[k] != v {
			t.Errorf("after reset %s = %q, want %q", k, j.Props[k], v)
		}
	}
}

func TestSandboxShellJailReadInPlaceAndMigrated(t *testing.T) {
	s, pool := setup(t)
	ctx := context.Background()
	uuid := uuidN(0x5e11)
	p := jailprops.Prefix
	must(t, zfs.Create(ctx, s.Host, jail.JailsDS(pool)+"/"+uuid, false, map[string]string{
		p + "tag": "2015-11-10@12:34:56", p + "hostname": "legacy", p + "jail_zfs_pool": "tank2",
		p + "jail_zfs_dataset": "iocage/jails/" + uuid + "/root/data", p + "host_hostuuid": uuid,
		p + "iocage_version": "iocage gofast (2015/11/10)", p + "boot": "on",
	}))
	s.Host.Record()
	js, err := jail.List(ctx, s.Host, pool)
	must(t, err)
	for _, ev := range s.Host.Events() {
		if strings.Contains(ev.Cmd, " set ") || strings.Contains(ev.Cmd, " inherit ") {
			t.Errorf("a read wrote: %s", ev.Cmd)
		}
	}
	j, snap, err := jail.FindSnapshot(js, "2015-11-10@12:34:56")
	if err != nil || j.UUID != uuid || snap != "" {
		t.Errorf("shell tag with @ = %v, %q, %v", j, snap, err)
	}
	j, snap, err = jail.FindSnapshot(js, "2015-11-10@12:34:56@daily")
	if err != nil || j.UUID != uuid || snap != "daily" {
		t.Errorf("shell tag @ snapshot = %v, %q, %v", j, snap, err)
	}
	if js[0].Props["hostname"] != "legacy" || js[0].Props["priority"] != "-" {
		t.Errorf("shell jail read: hostname %q priority %q", js[0].Props["hostname"], js[0].Props["priority"])
	}
	defs, err := jail.Defaults(ctx, s.Host, pool)
	must(t, err)
	notes, err := jail.Migrate(ctx, s.Host, js[0], defs)
	must(t, err)
	if len(notes) == 0 {
		t.Error("migration reported nothing")
	}
	js, err = jail.List(ctx, s.Host, pool)
	must(t, err)
	for k, v := range map[string]string{"hostname": "-", "jail_zfs_pool": "-", "host_hostname": "legacy",
		"jail_zfs_dataset": "tank2/iocage/jails/" + uuid + "/root/data", "priority": "99", "boot": "on", "format_version": "1"} {
		if js[0].Props[k] != v {
			t.Errorf("after migration %s = %q, want %q", k, js[0].Props[k], v)
		}
	}
	notes, err = jail.Migrate(ctx, s.Host, js[0], defs)
	if err != nil || len(notes) != 0 {
		t.Errorf("second migration: %v, %v; want nothing", notes, err)
	}
}
