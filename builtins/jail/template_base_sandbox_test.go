package jail_test

// Basejails on a template's base (create -b base=TEMPLATE) on the
// sandbox: the base tree made from the template, what the basejail sees
// once started, a template update reaching it at its next start, the
// refusals, destroy, and a create failing at any of its changes.

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

const tbUUID = "7c1e0b52-3a4d-4f6e-8b9a-1c2d3e4f5a6b"

// tbTemplate makes the template tpl, a copy of the release, with
// usr/share/tpl.txt holding text and usr/share/gone.txt.
func tbTemplate(t *testing.T, s *sandboxtest.Sandbox) *jail.Jail {
	t.Helper()
	j := stJail(t, s, tbUUID, "tpl", map[string]string{"template": "yes", "vnet": "off"})
	// The template's freebsd-update asks this test's mirror, not whatever
	// may listen on the default address.
	_, addr := crReleaseTree(t)
	tbWrite(t, s, "etc/freebsd-update.conf", "ServerName "+addr+"\nComponents world\nIgnorePaths\nUpdateIfUnmodified /etc/ /var/ /root/\nKeepModifiedMetadata yes\n")
	tbWrite(t, s, "usr/share/tpl.txt", "v1\n")
	tbWrite(t, s, "usr/share/gone.txt", "old\n")
	return j
}

func tbWrite(t *testing.T, s *sandboxtest.Sandbox, rel, text string) {
	t.Helper()
	must(t, os.WriteFile(s.Host.LocalPath("/iocage/jails/"+tbUUID+"/root/"+rel), []byte(text), 0o644))
}

func tbProps(kv ...string) *starlark.Dict {
	d := starlark.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		_ = d.SetKey(starlark.String(kv[i]), starlark.String(kv[i+1]))
	}
	return d
}

// tbBaseLines keeps the lines of a transcript that make or use a base
// tree, with the UUIDs, the pool and dates replaced: the rest (every
// property of the new jail) belongs to the create goldens.
func tbBaseLines(s *sandboxtest.Sandbox, evs []runtime.Event, bj string) string {
	var b strings.Builder
	date := regexp.MustCompile(`\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d`)
	removed := 0
	for _, e := range evs {
		if !strings.Contains(e.Cmd, "/iocage/base/") && !strings.Contains(e.Cmd, "/iocage/jails/"+tbUUID+"/root") {
			continue
		}
		// The entries removed from the base filesystems before a refresh
		// are the release's files: counted, not listed.
		if strings.HasPrefix(e.Cmd, "rm -rf ") {
			removed++
			continue
		}
		if removed > 0 {
			fmt.Fprintf(&b, "rm -rf ... (%d entries of the base filesystems)\n", removed)
			removed = 0
		}
		line := strings.ReplaceAll(e.Cmd, tbUUID, "TEMPLATE")
		if bj != "" {
			line = strings.ReplaceAll(line, bj, "UUID")
		}
		line = strings.ReplaceAll(line, s.Pool, "POOL")
		b.WriteString(date.ReplaceAllString(line, "DATE") + "\n")
	}
	return b.String()
}

// tbCat runs cat of path inside the running basejail bj.
func tbCat(t *testing.T, s *sandboxtest.Sandbox, bj *jail.Jail, path string) (string, error) {
	t.Helper()
	return s.Host.Output(context.Background(), runtime.Jexec, bj.Name(), "/bin/cat", path)
}

func tbLookup(t *testing.T, s *sandboxtest.Sandbox, name string) *jail.Jail {
	t.Helper()
	js, err := jail.List(context.Background(), s.Host, s.Pool)
	must(t, err)
	j, err := jail.Find(js, name)
	must(t, err)
	return j
}

func TestTemplateBasejailCreateStartUpdateDestroy(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	tbTemplate(t, s)
	plain := stJail(t, s, stUUID, "plain", map[string]string{"vnet": "off"})

	for _, tc := range []struct {
		kw   map[string]starlark.Value
		want string
	}{
		{map[string]starlark.Value{"props": tbProps("base", "tpl")}, "a base is for basejails; give -b too"},
		{map[string]starlark.Value{"props": tbProps("base", "tpl"), "clone": starlark.True}, "a base is for basejails; give -b too"},
		{map[string]starlark.Value{"props": tbProps("base", ""), "basejail": starlark.True}, "base=: name the template"},
		{map[string]starlark.Value{"props": tbProps("base", "nosuch"), "basejail": starlark.True}, `"nosuch": does not exist`},
		{map[string]starlark.Value{"props": tbProps("base", "plain"), "basejail": starlark.True}, plain.UUID + " (plain) is not a template"},
		{map[string]starlark.Value{"props": tbProps("base", "tpl", "release", "14.2-RELEASE"), "basejail": starlark.True}, "of the template's release, 14.3-RELEASE"},
		{map[string]starlark.Value{"props": tbProps("base", "tpl", "basejail_source", tbUUID), "basejail": starlark.True}, "read-only"},
	} {
		before := stState(t, s)
		if _, out, err := stRun(t, s, "create", tc.kw); err == nil || !strings.Contains(err.Error()+out, tc.want) {
			t.Errorf("create %v: %v\n%s\nwant %q", tc.kw, err, out, tc.want)
		}
		if d := cmp.Diff(before, stState(t, s)); d != "" {
			t.Errorf("refused create %v changed the host:\n%s", tc.kw, d)
		}
	}

	s.Host.Record()
	_, out, err := stRun(t, s, "create", map[string]starlark.Value{"props": tbProps("tag", "bj", "vnet", "off", "base", "tpl"), "basejail": starlark.True})
	if err != nil {
		t.Fatalf("create -b base=tpl: %v\n%s", err, out)
	}
	bj := tbLookup(t, s, "bj")
	golden := "# create -b base=tpl tag=bj\n" + tbBaseLines(s, s.Host.Events(), bj.UUID)
	if bj.Props["basejail_source"] != tbUUID || bj.Props["type"] != "basejail" || bj.Props["release"] != "14.3-RELEASE" {
		t.Errorf("basejail: basejail_source %q type %q release %q", bj.Props["basejail_source"], bj.Props["type"], bj.Props["release"])
	}
	base := jail.BaseDS(s.Pool, tbUUID)
	for _, fs := range jail.BaseFilesystems {
		d, err := zfs.Get(ctx, s.Host, bj.Dataset+"/root/"+fs, "origin")
		must(t, err)
		if o, _ := d.Value("origin"); o != base+"/"+fs+"@"+bj.UUID {
			t.Errorf("%s/root/%s: origin %s, want %s/%s@%s", bj.Dataset, fs, o, base, fs, bj.UUID)
		}
	}
	// Its own /etc is the template's, copied.
	if _, err := s.Host.Stat(bj.Mountpoint + "/root/etc/rc.conf"); err != nil {
		t.Errorf("basejail has no /etc/rc.conf: %v", err)
	}

	s.Host.Record()
	if _, out, err := stRun(t, s, "start", names("bj")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	golden += "# start bj\n" + tbBaseLines(s, s.Host.Events(), bj.UUID)
	bj = tbLookup(t, s, "bj")
	if got, err := tbCat(t, s, bj, "/usr/share/tpl.txt"); err != nil || got != "v1\n" {
		t.Errorf("in the basejail, /usr/share/tpl.txt = %q, %v; want v1", got, err)
	}
	if _, out, err := stRun(t, s, "stop", names("bj")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}

	// The template changes; its update publishes the change, which the
	// basejail sees from its next start on, and not before.
	tbWrite(t, s, "usr/share/tpl.txt", "v2\n")
	must(t, os.Remove(s.Host.LocalPath("/iocage/jails/"+tbUUID+"/root/usr/share/gone.txt")))
	s.Host.Record()
	if _, out, err := stRun(t, s, "update", map[string]starlark.Value{"name": starlark.String("tpl")}); err != nil || !strings.Contains(out, "Refreshing the base of its basejails") {
		t.Fatalf("update tpl: %v\n%s", err, out)
	}
	golden += "# update tpl\n" + tbBaseLines(s, s.Host.Events(), bj.UUID)
	if b, err := os.ReadFile(s.Host.LocalPath(bj.Mountpoint + "/root/usr/share/tpl.txt")); err != nil || string(b) != "v1\n" {
		t.Errorf("before its restart the basejail has tpl.txt %q, %v; want v1", b, err)
	}
	if _, out, err := stRun(t, s, "start", names("bj")); err != nil {
		t.Fatalf("start again: %v\n%s", err, out)
	}
	bj = tbLookup(t, s, "bj")
	if got, err := tbCat(t, s, bj, "/usr/share/tpl.txt"); err != nil || got != "v2\n" {
		t.Errorf("after the update, /usr/share/tpl.txt = %q, %v; want v2", got, err)
	}
	if got, err := tbCat(t, s, bj, "/usr/share/gone.txt"); err == nil {
		t.Errorf("a file removed from the template is still in the basejail: %q", got)
	}
	snaps, err := zfs.List(ctx, s.Host, zfs.ListOptions{Roots: []string{jail.BaseDS(s.Pool, tbUUID)}, Recursive: true, Types: []string{"snapshot"}})
	must(t, err)
	for _, sn := range snaps {
		if !strings.HasSuffix(sn.Name, "@"+bj.UUID) {
			t.Errorf("snapshot %s left on the template's base", sn.Name)
		}
	}
	if _, out, err := stRun(t, s, "stop", names("bj")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	stCompareGolden(t, "basejail_template", golden)
	// update of the stopped basejail clones its template's base again.
	if _, out, err := stRun(t, s, "update", map[string]starlark.Value{"name": starlark.String("bj")}); err != nil || !strings.Contains(out, "Updating basejail from the base of template "+tbUUID) {
		t.Errorf("update bj: %v\n%s", err, out)
	}
	if _, out, err := stRun(t, s, "upgrade", map[string]starlark.Value{"name": starlark.String("bj"), "release": starlark.String("14.4-RELEASE")}); err == nil || !strings.Contains(err.Error()+out, "is a basejail of the template") {
		t.Errorf("upgrade bj: %v\n%s", err, out)
	}

	// The template is not destroyed while the basejail is built on it;
	// -R takes both, and the base tree.
	before := stState(t, s)
	destroy := func(recursive bool) (string, error) {
		_, out, err := stRun(t, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("tpl")}),
			"force": starlark.True, "recursive": starlark.Bool(recursive)})
		return out, err
	}
	if out, err := destroy(false); err == nil || !strings.Contains(err.Error(), bj.UUID+" (bj)") {
		t.Errorf("destroy tpl with a basejail on it: %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused destroy changed the host:\n%s", d)
	}
	if out, err := destroy(true); err != nil {
		t.Fatalf("destroy -R tpl: %v\n%s", err, out)
	}
	for _, ds := range []string{bj.Dataset, jail.JailsDS(s.Pool) + "/" + tbUUID, s.Pool + "/iocage/base/" + tbUUID} {
		if ok, err := zfs.Exists(ctx, s.Host, ds); err != nil || ok {
			t.Errorf("after destroy -R tpl, %s exists: %v", ds, err)
		}
	}
}

// A create -b base=TEMPLATE that fails at any of its changes, the base
// tree's among them, leaves the host as it was.
func TestTemplateBasejailCreateFaults(t *testing.T) {
	s := stSetup(t)
	tbTemplate(t, s)
	kw := map[string]starlark.Value{"props": tbProps("tag", "bj", "vnet", "off", "base", "tpl"), "basejail": starlark.True}
	before := stState(t, s)
	s.Host.InjectFailure(0)
	if _, out, err := stRun(t, s, "create", kw); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	changes := s.Host.Changes()
	_, out, err := stRun(t, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("bj")}), "force": starlark.True})
	must(t, err)
	// The base tree stays (other basejails may come): remove it, with
	// the POOL/iocage/base it made, to start each try from nothing.
	must(t, zfs.Destroy(context.Background(), s.Host, s.Pool+"/iocage/base", zfs.DestroyOptions{Recursive: true}))
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Fatalf("create then destroy left:\n%s\n%s", d, out)
	}
	points := []int{1, 2, 3, 10, 17, 18, 19, changes / 2, changes - 2, changes - 1}
	if testing.Short() {
		points = points[:4]
	}
	for _, n := range points {
		s.Host.InjectFailure(n)
		_, out, err := stRun(t, s, "create", kw)
		s.Host.InjectFailure(0)
		if err == nil {
			t.Fatalf("create with change %d of %d failing succeeded", n, changes)
		}
		if d := cmp.Diff(before, stState(t, s)); d != "" {
			t.Fatalf("failure at change %d of %d left the host changed (-before +after):\n%s\n%s", n, changes, d, out)
		}
	}
}
