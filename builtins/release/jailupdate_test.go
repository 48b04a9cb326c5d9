package release_test

// update and upgrade of jails (recipes/update.star, upgrade.star) on the
// sandbox: jails made by create from releases fetched from the test
// mirror, patched and upgraded by the synthetic releases' freebsd-update.

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/builtins/release/releasetest"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

const oldRel = "14.2-RELEASE"

// recipe runs main of a shipped recipe; out is what it printed.
func recipe(t *testing.T, h *runtime.Host, name string, kwargs map[string]starlark.Value) (v starlark.Value, out string, err error) {
	t.Helper()
	var kw []starlark.Tuple
	for _, k := range sortedKeys(kwargs) {
		kw = append(kw, starlark.Tuple{starlark.String(k), kwargs[k]})
	}
	var b bytes.Buffer
	in := starlib.New(starlib.Options{Host: h, Stdout: &b, Stderr: &b})
	v, err = in.CallMain(context.Background(), starlib.ShippedPrefix+name+".star", kw)
	return v, b.String(), err
}

func str(s string) starlark.Value { return starlark.String(s) }

// makeJail creates a jail of rel with the create recipe (-b for a
// basejail) and returns its UUID.
func makeJail(t *testing.T, s *sandboxtest.Sandbox, tag, rel string, basejail bool) string {
	t.Helper()
	props := starlark.NewDict(2)
	_ = props.SetKey(str("tag"), str(tag))
	_ = props.SetKey(str("release"), str(rel))
	v, out, err := recipe(t, s.Host, "create", map[string]starlark.Value{"props": props, "basejail": starlark.Bool(basejail)})
	if err != nil {
		t.Fatalf("create %s: %v\n%s", tag, err, out)
	}
	uuid, _, _ := v.(*starlark.List).Index(0).(*starlark.Dict).Get(str("uuid"))
	return string(uuid.(starlark.String))
}

// row is the single row a verb returned, as strings.
func row(t *testing.T, v starlark.Value) map[string]string {
	t.Helper()
	r := rows(t, v)
	if len(r) != 1 {
		t.Fatalf("got %d rows, want 1: %v", len(r), v)
	}
	return r[0]
}

// jailTranscript is the transcript without the reads of the jail and
// release lists (pinned by their own packages' goldens): what update and
// upgrade send.
func jailTranscript(s *sandboxtest.Sandbox, uuid string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.ReplaceAll(transcript(s), uuid, "UUID"), "\n") {
		for _, read := range []string{"/sbin/zpool list ", "/sbin/zfs list ", "/sbin/zfs get ", "/usr/sbin/jls "} {
			if strings.HasPrefix(l, read) {
				l = ""
			}
		}
		b.WriteString(l)
	}
	return b.String()
}

// jailState is what a failed update or upgrade must leave as it was: the
// datasets and snapshots, the jail's properties and its userland.
func jailState(t *testing.T, s *sandboxtest.Sandbox, uuid string) string {
	t.Helper()
	ctx := context.Background()
	zl, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name,origin,org.freebsd.iocage:release", "-t", "all", "-r", s.Pool)
	if err != nil {
		t.Fatal(err)
	}
	v, err := release.Version(s.Host, "/iocage/jails/"+uuid+"/root")
	if err != nil {
		t.Fatal(err)
	}
	return zl + v + "\n"
}

// faults fails each host change of fn in turn (every step-th, and the
// first ones): each failed run leaves jailState as it was, and the loop
// ends with a run that succeeds, which it returns.
func faults(t *testing.T, s *sandboxtest.Sandbox, uuid string, step int, fn func() (starlark.Value, string, error)) (starlark.Value, string) {
	t.Helper()
	before := jailState(t, s, uuid)
	for n := 1; ; n += step {
		if n > 200 {
			t.Fatal("still failing after 200 injected failures")
		}
		s.Host.InjectFailure(n)
		v, out, err := fn()
		s.Host.InjectFailure(0)
		if err == nil {
			if n > 1 && step > 1 {
				// Success may have come before n: not every change was failed.
				t.Logf("succeeded with failure %d injected", n)
			}
			return v, out
		}
		if !errors.Is(err, runtime.ErrInjected) && !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("failure %d: unexpected error: %v\n%s", n, err, out)
		}
		if d := cmp.Diff(before, jailState(t, s, uuid)); d != "" {
			t.Fatalf("failure %d (%v) left the jail changed (-before +after):\n%s", n, err, d)
		}
	}
}

var snapRe = regexp.MustCompile(`@ioc-(update|upgrade)_\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d$`)

// TestUpdateJail: a jail of 14.3-RELEASE fetched without updates reports
// 14.3-RELEASE-p1 after update. Every failed step rolls back; the
// transcript of the update that succeeds pins the command lines (the fixed
// -f path, the cron flag); the back-out snapshot stays; a second update
// finds nothing to do.
func TestUpdateJail(t *testing.T) {
	s := setup(t)
	releasetest.Fetch(t, s, s.Pool, rel, releasetest.Options{NoUpdate: true, NoBase: true})
	uuid := makeJail(t, s, "web", rel, false)
	root := "/iocage/jails/" + uuid + "/root"
	if v, _ := release.Version(s.Host, root); v != rel {
		t.Fatalf("new jail's version = %q, want %s", v, rel)
	}
	v, out := faults(t, s, uuid, 1, func() (starlark.Value, string, error) {
		s.Host.Events()
		return recipe(t, s.Host, "update", map[string]starlark.Value{"name": str("web")})
	})
	golden(t, "update", jailTranscript(s, uuid))
	r := row(t, v)
	if r["before"] != rel || r["after"] != rel+"-p1" || !snapRe.MatchString(r["snapshot"]) {
		t.Errorf("update row = %v", r)
	}
	for _, want := range []string{"[" + uuid + "] Updating jail from 14.3-RELEASE to 14.3-RELEASE-p1 OK", "iocage snapremove web@ioc-update_"} {
		if !strings.Contains(out, want) {
			t.Errorf("update output lacks %q:\n%s", want, out)
		}
	}
	if got, _ := release.Version(s.Host, root); got != rel+"-p1" {
		t.Errorf("jail version after update = %q, want %s-p1", got, rel)
	}
	// The back-out snapshot is recursive: the root has it too.
	if _, err := s.Host.Output(context.Background(), runtime.ZFS, "list", "-H", "-o", "name", strings.Replace(r["snapshot"], "@", "/root@", 1)); err != nil {
		t.Errorf("back-out snapshot of the root: %v", err)
	}
	v, out, err := recipe(t, s.Host, "update", map[string]starlark.Value{"name": str("web")})
	if err != nil {
		t.Fatalf("second update: %v\n%s", err, out)
	}
	if r := row(t, v); r["snapshot"] != "-" || r["after"] != rel+"-p1" || !strings.Contains(out, "No updates needed") {
		t.Errorf("second update = %v\n%s", r, out)
	}
}

// TestUpgradeJail: a jail of 14.2-RELEASE is upgraded to the newest
// fetched release, 14.3-RELEASE (with its patch): userland and release
// property follow, every failed step rolls back, the back-out snapshot
// stays.
func TestUpgradeJail(t *testing.T) {
	s := setup(t)
	releasetest.Fetch(t, s, s.Pool, oldRel, releasetest.Options{NoUpdate: true, NoBase: true})
	releasetest.Fetch(t, s, s.Pool, rel, releasetest.Options{NoUpdate: true, NoBase: true})
	uuid := makeJail(t, s, "db", oldRel, false)
	s.Host.Events()
	v, out := faults(t, s, uuid, 1, func() (starlark.Value, string, error) {
		s.Host.Events()
		return recipe(t, s.Host, "upgrade", map[string]starlark.Value{"name": str("db")})
	})
	golden(t, "upgrade", jailTranscript(s, uuid))
	r := row(t, v)
	if r["from"] != oldRel || r["to"] != rel || r["version"] != rel+"-p1" || !snapRe.MatchString(r["snapshot"]) {
		t.Errorf("upgrade row = %v\n%s", r, out)
	}
	got, err := s.Host.Output(context.Background(), runtime.ZFS, "get", "-H", "-o", "value", "org.freebsd.iocage:release", s.Pool+"/iocage/jails/"+uuid)
	if err != nil || strings.TrimSpace(got) != rel {
		t.Errorf("release property after upgrade = %q, %v", got, err)
	}
	// Nothing newer is fetched now.
	if _, out, err := recipe(t, s.Host, "upgrade", map[string]starlark.Value{"name": str("db")}); err == nil || !strings.Contains(err.Error(), "no fetched release is newer than 14.3-RELEASE") {
		t.Errorf("second upgrade = %v\n%s", err, out)
	}
}

// TestBasejailUpdateAndUpgrade: a basejail of 14.2 moves to 14.3's base
// (no sources in the synthetic base, so etcupdate cannot run and iocage
// says so); the old base's snapshot of the jail goes, the new one stays.
// Sampled failures put the old clones and release back. Then update,
// after the 14.3 base was refreshed by fetch, re-clones it.
func TestBasejailUpdateAndUpgrade(t *testing.T) {
	s := setup(t)
	releasetest.Fetch(t, s, s.Pool, oldRel, releasetest.Options{NoUpdate: true})
	releasetest.Fetch(t, s, s.Pool, rel, releasetest.Options{NoUpdate: true})
	uuid := makeJail(t, s, "bj", oldRel, true)
	root := "/iocage/jails/" + uuid + "/root"
	v, out := faults(t, s, uuid, 17, func() (starlark.Value, string, error) {
		return recipe(t, s.Host, "upgrade", map[string]starlark.Value{"name": str("bj"), "release": str(rel)})
	})
	if r := row(t, v); r["from"] != oldRel || r["to"] != rel || r["version"] != rel || r["snapshot"] != "-" {
		t.Errorf("basejail upgrade row = %v\n%s", r, out)
	}
	if !strings.Contains(out, "/etc not merged: release 14.3-RELEASE has no sources in /iocage/base/14.3-RELEASE/root/usr/src") {
		t.Errorf("upgrade output does not say /etc was not merged:\n%s", out)
	}
	ctx := context.Background()
	snaps, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "snapshot", "-r", s.Pool+"/iocage/base")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(snaps, oldRel+"/root@"+uuid) || !strings.Contains(snaps, rel+"/root@"+uuid) {
		t.Errorf("base snapshots after the upgrade:\n%s", snaps)
	}
	origin, err := s.Host.Output(ctx, runtime.ZFS, "get", "-H", "-o", "value", "origin,readonly", s.Pool+"/iocage/jails/"+uuid+"/root/bin")
	if err != nil || !strings.HasPrefix(origin, s.Pool+"/iocage/base/"+rel+"/root/bin@"+uuid+"\n") {
		t.Errorf("root/bin origin after upgrade = %q, %v", origin, err)
	}

	// fetch brings the 14.3 base to -p1; update re-clones the jail's base.
	if _, err := fetch(t, s.Host, map[string]starlark.Value{"release": str(rel)}); err != nil {
		t.Fatal(err)
	}
	v, out, err = recipe(t, s.Host, "update", map[string]starlark.Value{"name": str("bj")})
	if err != nil {
		t.Fatalf("basejail update: %v\n%s", err, out)
	}
	if r := row(t, v); r["before"] != rel || r["after"] != rel+"-p1" || r["snapshot"] != "-" {
		t.Errorf("basejail update row = %v\n%s", r, out)
	}
	if got, _ := release.Version(s.Host, root); got != rel+"-p1" {
		t.Errorf("basejail version after update = %q", got)
	}
}
