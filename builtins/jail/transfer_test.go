package jail_test

// export and import (recipes/export.star, import.star) on the sandbox: a
// jail with files in its root travels through a file and comes back, a
// second import gets a new identity, broken streams leave nothing.

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// trTranscript is stGolden without the reads of the jail list (pinned by
// the data model's tests), with this sandbox's hostid and a second UUID
// named.
func trTranscript(t *testing.T, s *sandboxtest.Sandbox, evs []runtime.Event, uuid2 string) string {
	t.Helper()
	hostid, _ := s.Host.ReadFile("/etc/hostid")
	var b strings.Builder
	for _, l := range strings.SplitAfter(stGolden(s, evs), "\n") {
		if strings.HasPrefix(l, "/sbin/zfs list -H -p -o COLUMNS") || strings.HasPrefix(l, "/usr/sbin/jls ") || strings.HasPrefix(l, "/sbin/zpool list ") {
			continue
		}
		if uuid2 != "" {
			l = strings.ReplaceAll(l, uuid2, "UUID2")
		}
		if h := strings.TrimSpace(string(hostid)); h != "" {
			l = strings.ReplaceAll(l, h, "HOSTID")
		}
		b.WriteString(l)
	}
	return b.String()
}

func str(s string) starlark.Value { return starlark.String(s) }

func trRows(t *testing.T, v starlark.Value) []map[string]string {
	t.Helper()
	l, ok := v.(*starlark.List)
	if !ok {
		t.Fatalf("got %v, want a list of rows", v)
	}
	var out []map[string]string
	for i := 0; i < l.Len(); i++ {
		r := map[string]string{}
		d := l.Index(i).(*starlark.Dict)
		for _, k := range d.Keys() {
			v, _, _ := d.Get(k)
			s, _ := starlark.AsString(v)
			r[string(k.(starlark.String))] = s
		}
		out = append(out, r)
	}
	return out
}

// trJail is a stopped jail "web" whose root holds the release, a file of
// its own and an rc.conf naming its UUID.
func trJail(t *testing.T, s *sandboxtest.Sandbox) *jail.Jail {
	t.Helper()
	j := stJail(t, s, stUUID, "web", map[string]string{"notes": "travels", "vnet": "off", "ip4_addr": "em0|192.168.1.70/24"})
	must(t, s.Host.WriteFile(j.Mountpoint+"/root/root/hello.txt", []byte("hello from web\n"), 0o644))
	must(t, s.Host.WriteFile(j.Mountpoint+"/root/etc/rc.conf", []byte(`hostname="`+stUUID+`"`+"\n"), 0o644))
	return j
}

func TestExportDestroyImport(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := trJail(t, s)
	s.Host.Events()
	v, out, err := stRun(t, s, "export", map[string]starlark.Value{"name": str("web"), "file": str("/tmp/web.zfs"), "force": starlark.True})
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	stCompareGolden(t, "export", trTranscript(t, s, s.Host.Events(), ""))
	if r := trRows(t, v); len(r) != 1 || r[0]["uuid"] != stUUID || r[0]["file"] != "/tmp/web.zfs" {
		t.Errorf("export rows = %v", r)
	}
	if _, err := s.Host.Stat("/tmp/web.zfs.part"); err == nil {
		t.Errorf("the partial file is left")
	}
	if _, out, err := stRunIn(t, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{str("web")}), "force": starlark.True}, ""); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	s.Host.Events()
	v, out, err = stRun(t, s, "import", map[string]starlark.Value{"file": str("/tmp/web.zfs")})
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	stCompareGolden(t, "import", trTranscript(t, s, s.Host.Events(), ""))
	if d := cmp.Diff([]map[string]string{{"uuid": stUUID, "tag": "web"}}, trRows(t, v)); d != "" {
		t.Errorf("import rows (-want +got):\n%s", d)
	}
	js, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	back, err := jail.Find(js, "web")
	must(t, err)
	if back.Props["notes"] != "travels" || back.Props["ip4_addr"] != "em0|192.168.1.70/24" || back.Mountpoint != j.Mountpoint {
		t.Errorf("imported jail: notes %q, ip4_addr %q, mountpoint %q", back.Props["notes"], back.Props["ip4_addr"], back.Mountpoint)
	}
	if b, err := s.Host.ReadFile(back.Mountpoint + "/root/root/hello.txt"); err != nil || string(b) != "hello from web\n" {
		t.Errorf("file in the imported root: %q, %v", b, err)
	}
	if l, err := s.Host.Readlink("/iocage/tags/web"); err != nil || l != back.Mountpoint {
		t.Errorf("tag link: %q, %v", l, err)
	}
	snaps, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "snapshot", "-r", back.Dataset)
	if err != nil || snaps != "" {
		t.Errorf("snapshots left after import: %q, %v", snaps, err)
	}

	// The same export again: a new UUID and tag, its rc.conf rewritten.
	s.Host.Events()
	v, out, err = stRun(t, s, "import", map[string]starlark.Value{"file": str("/tmp/web.zfs")})
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	r := trRows(t, v)
	if len(r) != 1 || r[0]["uuid"] == stUUID || r[0]["tag"] != "web_2" {
		t.Fatalf("second import rows = %v", r)
	}
	uuid2 := r[0]["uuid"]
	stCompareGolden(t, "import-again", trTranscript(t, s, s.Host.Events(), uuid2))
	if !strings.Contains(out, "UUID "+stUUID+" is taken by another jail: imported as "+uuid2) {
		t.Errorf("second import output:\n%s", out)
	}
	rc, err := s.Host.ReadFile("/iocage/jails/" + uuid2 + "/root/etc/rc.conf")
	if err != nil || string(rc) != `hostname="`+uuid2+`"`+"\n" {
		t.Errorf("rc.conf of the copy: %q, %v", rc, err)
	}
	js, err = jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	cp, err := jail.Find(js, uuid2)
	must(t, err)
	if cp.Props["host_hostuuid"] != uuid2 || cp.Props["ip4_addr"] != "none" || cp.Props["notes"] != "travels" {
		t.Errorf("copy: host_hostuuid %q, ip4_addr %q, notes %q", cp.Props["host_hostuuid"], cp.Props["ip4_addr"], cp.Props["notes"])
	}
}

// TestImportFailuresLeaveNothing: a truncated stream, and every sampled
// failed step of an import, leave the host as it was.
func TestImportFailuresLeaveNothing(t *testing.T) {
	s := stSetup(t)
	trJail(t, s)
	if _, out, err := stRun(t, s, "export", map[string]starlark.Value{"name": str("web"), "file": str("/tmp/web.zfs"), "force": starlark.True}); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	full, err := os.ReadFile(s.Host.LocalPath("/tmp/web.zfs"))
	must(t, err)
	must(t, s.Host.WriteFile("/tmp/cut.zfs", full[:len(full)/2], 0o600))
	before := stState(t, s)
	_, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str("/tmp/cut.zfs")})
	if err == nil || !strings.Contains(err.Error(), "not a complete ZFS send stream") {
		t.Errorf("import of a truncated stream = %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Fatalf("truncated import left (-before +after):\n%s", d)
	}
	stEachFailure(t, s, "import", 50, 2, func() string { return stState(t, s) }, func() (string, error) {
		_, out, err := stRun(t, s, "import", map[string]starlark.Value{"file": str("/tmp/web.zfs")})
		return out, err
	})
}
