package jail_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/net"
	"github.com/iocage/iocage/builtins/thread/threadtest"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// TestStartUndoStepsReplayTwice replays every undo step of start twice
// on the state its change left, and checks the host is taken back.
func TestStartUndoStepsReplayTwice(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	h := s.Host
	j := stJail(t, s, stUUID, "u", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.57/24"})
	if _, out, err := stRun(t, s, "start", names("u")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	name, root := j.Name(), j.Mountpoint+"/root"
	hasAlias := func() bool {
		ifc, err := net.GetInterface(ctx, h, "em0")
		must(t, err)
		for _, p := range ifc.Inet {
			if p.Addr().String() == "192.168.1.57" {
				return true
			}
		}
		return false
	}
	if !hasAlias() {
		t.Fatal("start added no alias 192.168.1.57 to em0")
	}

	// The launch: jail gone, its mounts and alias with it.
	threadtest.ReplayTwice(t, h, "jail.remove", name, j.Mountpoint, j.UUID, "ip4.addr=em0|192.168.1.57/24")
	if jid, err := jail.JID(ctx, h, name); err != nil || jid != 0 {
		t.Errorf("after jail.remove: jid %d, %v", jid, err)
	}
	if ms, err := jail.JailMounts(ctx, h, j); err != nil || len(ms) > 0 {
		t.Errorf("after jail.remove: mounts %q, %v", ms, err)
	}
	if hasAlias() {
		t.Error("after jail.remove: em0 still has 192.168.1.57")
	}

	must(t, h.Change(ctx, runtime.Mount, "-t", "procfs", "proc", root+"/proc"))
	threadtest.ReplayTwice(t, h, "jail.umount", root+"/proc")
	if ms, _ := jail.Mounts(ctx, h); strings.Contains(ms2s(ms), root+"/proc") {
		t.Errorf("after jail.umount: %s still mounted", root+"/proc")
	}

	p := jail.FstabPath(j.UUID)
	must(t, h.PrivateDir(jail.FstabDir))
	must(t, h.WriteFile(p, []byte("made\n"), 0o644))
	threadtest.ReplayTwice(t, h, "jail.fstab_restore", p, base64.StdEncoding.EncodeToString([]byte("old\n")))
	if b, err := h.ReadFile(p); err != nil || string(b) != "old\n" {
		t.Errorf("after jail.fstab_restore: %q, %v", b, err)
	}
	threadtest.ReplayTwice(t, h, "jail.fstab_restore", p)
	if _, err := h.Lstat(p); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after jail.fstab_restore of none: %v", err)
	}

	dir := "/var/tmp/ioc-undo-rmdir"
	must(t, h.MkdirAll(dir, 0o755))
	threadtest.ReplayTwice(t, h, "jail.rmdir_if_empty", dir)
	if _, err := h.Lstat(dir); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after jail.rmdir_if_empty: %v", err)
	}

	r := h.InRoot(root)
	_ = r.Remove("dev/log")
	must(t, r.Symlink("../var/run/log", "dev/log"))
	threadtest.ReplayTwice(t, h, "jail.devlog_remove", root)
	if _, err := r.Lstat("dev/log"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after jail.devlog_remove: %v", err)
	}

	// The ZFS side.
	snap, clone := j.Dataset+"/root@undo", j.Dataset+"/undo-clone"
	threadtest.ReplayTwice(t, h, "jail.base_snapshot", snap)
	threadtest.ReplayTwice(t, h, "jail.base_clone", snap, clone)
	for _, ds := range []string{snap, clone} {
		if ok, err := zfs.Exists(ctx, h, ds); err != nil || !ok {
			t.Errorf("after the replays %s exists: %v, %v", ds, ok, err)
		}
	}
	threadtest.ReplayTwice(t, h, "jail.base_destroy", clone)
	threadtest.ReplayTwice(t, h, "jail.base_destroy", snap, "-r")
	for _, ds := range []string{snap, clone} {
		if ok, err := zfs.Exists(ctx, h, ds); err != nil || ok {
			t.Errorf("after the destroys %s exists: %v, %v", ds, ok, err)
		}
	}

	prop := func(ds, name string) string {
		d, err := zfs.Get(ctx, h, ds, name)
		must(t, err)
		v, _ := d.Value(name)
		return v
	}
	threadtest.ReplayTwice(t, h, "jail.mountpoint_restore", j.Dataset, j.Mountpoint)
	if got := prop(j.Dataset, "mountpoint"); got != j.Mountpoint {
		t.Errorf("mountpoint = %s, want %s", got, j.Mountpoint)
	}

	link := jail.Root + "/tags/undo-tag"
	must(t, h.MkdirAll(jail.Root+"/tags", 0o755))
	threadtest.ReplayTwice(t, h, "jail.tag_link", j.Mountpoint, link)
	if got, err := h.Readlink(link); err != nil || got != j.Mountpoint {
		t.Errorf("after jail.tag_link: %q, %v", got, err)
	}
	threadtest.ReplayTwice(t, h, "jail.tag_unlink", link, j.Mountpoint)
	if _, err := h.Lstat(link); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after jail.tag_unlink: %v", err)
	}

	data := j.Dataset + "/data"
	threadtest.ReplayTwice(t, h, "jail.jailed_off", data)
	if got := prop(data, "jailed"); got != "off" {
		t.Errorf("jailed = %s, want off", got)
	}
	// The jail is gone: it holds no dataset to take back.
	threadtest.ReplayTwice(t, h, "jail.unjail", name, data)

	ls := jailprops.Prefix + "last_started"
	threadtest.ReplayTwice(t, h, "jail.last_started_restore", j.Dataset, "2020-01-02_03:04:05")
	if got := prop(j.Dataset, ls); got != "2020-01-02_03:04:05" {
		t.Errorf("last_started = %s", got)
	}
	threadtest.ReplayTwice(t, h, "jail.last_started_restore", j.Dataset)
	if got := prop(j.Dataset, ls); got != "" && got != "-" {
		t.Errorf("last_started after inherit = %s, want it unset", got)
	}
}

func ms2s(ms []jail.Mount) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Point + "\n")
	}
	return b.String()
}

// TestModuleUndoStepsReplayTwice does the same for the steps of the rctl
// and release modules, which start and fetch use.
func TestModuleUndoStepsReplayTwice(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	h := s.Host
	j := stJail(t, s, stUUID, "m", map[string]string{"vnet": "off"})
	if _, out, err := stRun(t, s, "start", names("m")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	jid, err := jail.JID(ctx, h, j.Name())
	must(t, err)
	rule := "jail:" + j.Name() + ":maxproc:deny=300"
	rules := func() string {
		out, err := h.Output(ctx, runtime.Rctl, "jail:"+j.Name())
		must(t, err)
		return out
	}
	must(t, h.Change(ctx, runtime.Rctl, "-a", rule))
	threadtest.ReplayTwice(t, h, "rctl.remove", rule)
	if got := rules(); got != "" {
		t.Errorf("rules after rctl.remove: %q", got)
	}
	threadtest.ReplayTwice(t, h, "rctl.add", rule)
	if got := rules(); got != rule+"\n" {
		t.Errorf("rules after rctl.add: %q, want %s once", got, rule)
	}
	must(t, h.Change(ctx, runtime.Rctl, "-r", "jail:"+j.Name()))
	old, err := h.Output(ctx, runtime.Cpuset, "-g", "-j", strconv.Itoa(jid))
	must(t, err)
	must(t, h.Change(ctx, runtime.Cpuset, "-l", "0", "-j", strconv.Itoa(jid)))
	threadtest.ReplayTwice(t, h, "rctl.cpuset", strconv.Itoa(jid), "0,1")
	if got, _ := h.Output(ctx, runtime.Cpuset, "-g", "-j", strconv.Itoa(jid)); got != old {
		t.Errorf("cpuset after rctl.cpuset: %q, want %q", got, old)
	}
	if _, out, err := stRun(t, s, "stop", names("m")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	// The jail is gone: its set went with it.
	threadtest.ReplayTwice(t, h, "rctl.cpuset", strconv.Itoa(jid), "0,1")

	file := "/var/tmp/ioc-undo-download"
	must(t, h.WriteFile(file, []byte("x"), 0o644))
	threadtest.ReplayTwice(t, h, "release.remove_file", file)
	if _, err := h.Lstat(file); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after release.remove_file: %v", err)
	}
	top := s.Pool + "/iocage/undo-test"
	must(t, zfs.Create(ctx, h, top+"/a/b", true, nil))
	fs := top + "/a"
	must(t, zfs.Set(ctx, h, fs, map[string]string{"org.freebsd.iocage:fetched": "yes"}))
	threadtest.ReplayTwice(t, h, "release.unmark_fetched", fs)
	if d, err := zfs.Get(ctx, h, fs, "org.freebsd.iocage:fetched"); err != nil {
		t.Error(err)
	} else if v, _ := d.Value("org.freebsd.iocage:fetched"); v != "" && v != "-" {
		t.Errorf("fetched after release.unmark_fetched = %q", v)
	}
	must(t, zfs.Snapshot(ctx, h, fs+"@backout", true))
	threadtest.ReplayTwice(t, h, "release.backout", fs+"@backout", "-r")
	for _, ds := range []string{fs + "@backout", fs + "/b@backout"} {
		if ok, err := zfs.Exists(ctx, h, ds); err != nil || ok {
			t.Errorf("after release.backout %s exists: %v, %v", ds, ok, err)
		}
	}
	threadtest.ReplayTwice(t, h, "release.destroy", top)
	if ok, err := zfs.Exists(ctx, h, top); err != nil || ok {
		t.Errorf("after release.destroy %s exists: %v, %v", top, ok, err)
	}
}
