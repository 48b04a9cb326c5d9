package jail_test

// Import of crafted streams (issue: hostile input): an export is another
// host's data. Its properties are checked like set's, what would act on
// this host is dropped unless asked for, and nothing of it mounts or
// links outside the jail's own directory.

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// hostileExport exports the jail web after hostile (set directly with
// zfs, as another host could) properties and changes, destroys it, and
// returns the host's state without it.
func hostileExport(t *testing.T, s *sandboxtest.Sandbox, props map[string]string, change func(j *jail.Jail)) string {
	t.Helper()
	j := trJail(t, s)
	if len(props) > 0 {
		zp := map[string]string{}
		for k, v := range props {
			zp[jailprops.Prefix+k] = v
		}
		must(t, zfs.Set(context.Background(), s.Host, j.Dataset, zp))
	}
	if change != nil {
		change(j)
	}
	if _, out, err := stRun(t, s, "export", map[string]starlark.Value{"name": str(j.UUID), "file": str("/var/tmp/web.zfs"), "force": starlark.True}); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, out, err := stRunIn(t, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{str(j.UUID)}), "force": starlark.True}, ""); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	return stState(t, s)
}

func importProps(kv ...string) map[string]starlark.Value {
	d := starlark.NewDict(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		_ = d.SetKey(str(kv[i]), str(kv[i+1]))
	}
	return map[string]starlark.Value{"file": str("/var/tmp/web.zfs"), "props": d}
}

func TestImportDropsHooksPrivilegesAndHookFiles(t *testing.T) {
	s := stSetup(t)
	hostile := map[string]string{
		"exec_prestart":    "/bin/sh -c 'touch /pwned'",
		"exec_poststop":    "/usr/bin/touch /pwned",
		"jail_zfs":         "on",
		"jail_zfs_dataset": s.Pool + "/iocage",
		"allow_mount":      "1",
		"enforce_statfs":   "0",
		"devfs_ruleset":    "0",
		"securelevel":      "-1",
	}
	hookBody := "#!/bin/sh\ntouch /pwned\n"
	fstab := "/ %jailroot%/mnt nullfs rw 0 0\n"
	hostileExport(t, s, hostile, func(j *jail.Jail) {
		must(t, s.Host.WriteFile(j.Mountpoint+"/prestart", []byte(hookBody), 0o755))
		must(t, s.Host.Symlink("/etc/master.passwd", j.Mountpoint+"/poststart"))
		must(t, s.Host.WriteFile(j.Mountpoint+"/fstab", []byte(fstab), 0o644))
	})

	v, out, err := stRun(t, s, "import", importProps())
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	uuid := trRows(t, v)[0]["uuid"]
	js, err := jail.List(context.Background(), s.Host, s.Pool)
	must(t, err)
	j, err := jail.Find(js, uuid)
	must(t, err)
	defaults := map[string]string{
		"exec_prestart": "/usr/bin/true", "exec_poststop": "/usr/bin/true", "jail_zfs": "off",
		"jail_zfs_dataset": "DEFAULT/iocage/jails/" + uuid + "/data", "allow_mount": "0",
		"enforce_statfs": "2", "devfs_ruleset": "4", "securelevel": "2",
	}
	got := map[string]string{}
	for k := range defaults {
		got[k] = j.Props[k]
	}
	if d := cmp.Diff(defaults, got); d != "" {
		t.Errorf("host-facing properties after import (-want +got):\n%s", d)
	}
	if j.Props["notes"] != "travels" {
		t.Errorf("notes = %q: the other properties must stay", j.Props["notes"])
	}
	for k, v := range hostile {
		if !strings.Contains(out, "Not imported: "+k+"="+v) {
			t.Errorf("import does not say it dropped %s=%s:\n%s", k, v, out)
		}
	}
	for _, name := range []string{"prestart", "poststart", "fstab"} {
		if !strings.Contains(out, "Moved aside: "+j.Mountpoint+"/"+name) {
			t.Errorf("import does not say it moved %s aside:\n%s", name, out)
		}
		if _, err := s.Host.Lstat(j.Mountpoint + "/" + name + jail.DisarmedSuffix); err != nil {
			t.Errorf("%s: %v", name+jail.DisarmedSuffix, err)
		}
	}
	for _, name := range []string{"prestart", "poststart"} {
		if _, err := s.Host.Lstat(j.Mountpoint + "/" + name); err == nil {
			t.Errorf("hook file %s is still in place", name)
		}
	}
	if b, _ := s.Host.ReadFile(j.Mountpoint + "/fstab"); string(b) != jail.FstabTemplate {
		t.Errorf("fstab after import = %q, want the template", b)
	}
	// What start would run on the host is this host's default now.
	for _, hook := range []string{"prestart", "poststart"} {
		cmd, err := jail.HookCommand(s.Host, j, hook)
		if err != nil || cmd != "/usr/bin/true" {
			t.Errorf("hook %s after import = %q, %v", hook, cmd, err)
		}
	}
}

func TestImportKeepHooksKeepsThem(t *testing.T) {
	s := stSetup(t)
	hostileExport(t, s, map[string]string{"exec_prestart": "/usr/bin/logger imported", "allow_raw_sockets": "1"}, func(j *jail.Jail) {
		must(t, s.Host.WriteFile(j.Mountpoint+"/fstab", []byte("/var/db %jailroot%/mnt nullfs ro 0 0\n"), 0o644))
	})
	kw := importProps()
	kw["keep_hooks"] = starlark.True
	v, out, err := stRun(t, s, "import", kw)
	if err != nil {
		t.Fatalf("import --keep-hooks: %v\n%s", err, out)
	}
	uuid := trRows(t, v)[0]["uuid"]
	js, err := jail.List(context.Background(), s.Host, s.Pool)
	must(t, err)
	j, err := jail.Find(js, uuid)
	must(t, err)
	if j.Props["exec_prestart"] != "/usr/bin/logger imported" || j.Props["allow_raw_sockets"] != "1" {
		t.Errorf("kept values: exec_prestart %q, allow_raw_sockets %q", j.Props["exec_prestart"], j.Props["allow_raw_sockets"])
	}
	if b, _ := s.Host.ReadFile(j.Mountpoint + "/fstab"); !strings.Contains(string(b), "nullfs") {
		t.Errorf("fstab with --keep-hooks = %q", b)
	}
	if strings.Contains(out, "Not imported") || strings.Contains(out, "Moved aside") {
		t.Errorf("--keep-hooks dropped something:\n%s", out)
	}
}

func TestImportRefusesTraversingTagAndInvalidValues(t *testing.T) {
	s := stSetup(t)
	before := hostileExport(t, s, map[string]string{"tag": "../../root/.ssh", "priority": "5000"}, nil)
	_, out, err := stRun(t, s, "import", importProps())
	if err == nil || !strings.Contains(err.Error(), "property tag") || !strings.Contains(err.Error(), "property priority") {
		t.Fatalf("import of a traversing tag and a bad priority = %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused import left (-before +after):\n%s", d)
	}
	for _, p := range []string{"/root/.ssh", "/iocage/root"} {
		if _, err := s.Host.Lstat(p); err == nil {
			t.Errorf("%s exists after the refused import", p)
		}
	}
	// Replaced on the command line, the values are the user's own.
	v, out, err := stRun(t, s, "import", importProps("tag", "web", "priority", "10"))
	if err != nil {
		t.Fatalf("import tag=web priority=10: %v\n%s", err, out)
	}
	if r := trRows(t, v); r[0]["tag"] != "web" {
		t.Errorf("rows = %v", r)
	}
	if l, err := s.Host.Readlink("/iocage/tags/web"); err != nil || !strings.HasPrefix(l, "/iocage/jails/") {
		t.Errorf("tag link: %q, %v", l, err)
	}
}

func TestImportRefusesDatasetsMountingOutside(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	target := "/var/hostile-target"
	must(t, s.Host.MkdirAll(target, 0o755))
	must(t, s.Host.WriteFile(target+"/keep", []byte("host file\n"), 0o644))
	before := hostileExport(t, s, nil, func(j *jail.Jail) {
		ds := j.Dataset + "/evil"
		must(t, zfs.Create(ctx, s.Host, ds, false, map[string]string{"canmount": "noauto", "mountpoint": target}))
		must(t, zfs.Set(ctx, s.Host, ds, map[string]string{"canmount": "on"}))
	})
	_, out, err := stRun(t, s, "import", importProps())
	if err == nil || !strings.Contains(err.Error(), "would mount on "+target+", outside the jail's directory") {
		t.Fatalf("import of a dataset mounting on %s = %v\n%s", target, err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused import left (-before +after):\n%s", d)
	}
	if b, err := os.ReadFile(s.Host.LocalPath(target + "/keep")); err != nil || string(b) != "host file\n" {
		t.Errorf("the host directory after the refused import: %q, %v", b, err)
	}
	mounts, err := s.Host.Output(ctx, runtime.Mount, "-p")
	must(t, err)
	if strings.Contains(mounts, target) {
		t.Errorf("something is mounted on %s:\n%s", target, mounts)
	}
}

func TestImportRefusesASharedDataset(t *testing.T) {
	s := stSetup(t)
	before := hostileExport(t, s, nil, func(j *jail.Jail) {
		// zfs-fuse sets the property but fails to export it (no NFS
		// server here): what counts is the value the stream carries.
		_ = zfs.Set(context.Background(), s.Host, j.Dataset+"/root", map[string]string{"sharenfs": "rw"})
		v, err := s.Host.Output(context.Background(), runtime.ZFS, "get", "-H", "-o", "value", "sharenfs", j.Dataset+"/root")
		must(t, err)
		if strings.TrimSpace(v) != "rw" {
			t.Fatalf("the sandbox's zfs did not set sharenfs (%q)", v)
		}
	})
	_, out, err := stRun(t, s, "import", importProps())
	if err == nil || !strings.Contains(err.Error(), "sharenfs=rw") {
		t.Fatalf("import of a shared dataset = %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused import left (-before +after):\n%s", d)
	}
}

func TestImportRefusesATakenAddress(t *testing.T) {
	s := stSetup(t)
	hostileExport(t, s, nil, nil)
	other := stJail(t, s, "0000cccc-0000-4000-8000-000000000003", "db", map[string]string{"ip4_addr": "em1|192.168.1.70/32"})
	before := stState(t, s)
	_, out, err := stRun(t, s, "import", importProps())
	if err == nil || !strings.Contains(err.Error(), "address 192.168.1.70 is already used by jail "+other.UUID) {
		t.Fatalf("import of a taken address = %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused import left (-before +after):\n%s", d)
	}
	if _, out, err := stRun(t, s, "import", importProps("ip4_addr", "em0|192.168.1.71/24")); err != nil {
		t.Fatalf("import ip4_addr=another: %v\n%s", err, out)
	}
}

// A jail or template that came from elsewhere passes its values on only
// through the checks of set: clone -P copies its properties, create -t
// its release.
func TestCloneAndTemplateOfInvalidValuesRefused(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := trJail(t, s)
	must(t, zfs.Set(ctx, s.Host, j.Dataset, map[string]string{jailprops.Prefix + "priority": "5000"}))
	before := stState(t, s)
	d := starlark.NewDict(1)
	_ = d.SetKey(str("tag"), str("c1"))
	_, out, err := stRun(t, s, "clone", map[string]starlark.Value{"source": str("web"), "props": d, "keep_props": starlark.True})
	if err == nil || !strings.Contains(err.Error(), "property priority") {
		t.Errorf("clone -P of a jail with priority=5000 = %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused clone left (-before +after):\n%s", d)
	}

	must(t, zfs.Set(ctx, s.Host, j.Dataset, map[string]string{jailprops.Prefix + "priority": "50",
		jailprops.Prefix + "template": "yes", jailprops.Prefix + "release": "../../etc"}))
	before = stState(t, s)
	d = starlark.NewDict(1)
	_ = d.SetKey(str("tag"), str("t1"))
	_, out, err = stRun(t, s, "create", map[string]starlark.Value{"template": str("web"), "props": d})
	if err == nil || !strings.Contains(err.Error(), "property release") {
		t.Errorf("create -t of a template of release ../../etc = %v\n%s", err, out)
	}
	if d := cmp.Diff(before, stState(t, s)); d != "" {
		t.Errorf("refused create left (-before +after):\n%s", d)
	}
}
