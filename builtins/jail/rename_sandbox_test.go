package jail_test

// iocage rename (recipes/rename.star) on real jails of the sandbox.

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func renameArgs(name, tag string) map[string]starlark.Value {
	return map[string]starlark.Value{"name": starlark.String(name), "new_tag": starlark.String(tag)}
}

// renameJail is a jail tagged tag whose host name follows the tag, in its
// properties and in its rc.conf, with its tag link.
func renameJail(t *testing.T, s *sandboxtest.Sandbox, uuid, tag string, extra map[string]string) *jail.Jail {
	t.Helper()
	props := map[string]string{"vnet": "off", "host_hostname": tag}
	for k, v := range extra {
		props[k] = v
	}
	j := stJail(t, s, uuid, tag, props)
	rc := "# made by hand\nhostname=\"" + tag + "\"\nsshd_enable=\"YES\"\n"
	must(t, os.WriteFile(s.Host.LocalPath(j.Mountpoint+"/root/etc/rc.conf"), []byte(rc), 0o644))
	link, err := jail.TagLink(s.Host, tag)
	must(t, err)
	must(t, s.Host.Symlink(j.Mountpoint, link))
	return j
}

// renameState is stState with what a rename changes besides: every
// jail's iocage properties, rc.conf and, when running, host name.
func renameState(t *testing.T, s *sandboxtest.Sandbox) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(stState(t, s))
	js, err := jail.List(ctx, s.Host, s.Pool)
	must(t, err)
	for _, j := range js {
		b.WriteString(j.UUID + ": tag=" + j.Props["tag"] + " host_hostname=" + j.Props["host_hostname"] + "\n")
		rc, _ := os.ReadFile(s.Host.LocalPath(j.Mountpoint + "/root/etc/rc.conf"))
		b.WriteString("rc.conf: " + string(rc) + "\n")
		if j.JID > 0 {
			hn, _, err := jail.LiveHostname(ctx, s.Host, j.Name())
			must(t, err)
			b.WriteString("live host.hostname=" + hn + "\n")
		}
	}
	return b.String()
}

// A stopped jail: the property, the link, host_hostname and rc.conf
// follow; the new tag finds the jail, the old one nothing. The command
// lines are pinned in testdata/rename-stopped.golden.
func TestRenameStopped(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	j := renameJail(t, s, stUUID, "old", nil)
	s.Host.Record()
	v, out, err := stRun(t, s, "rename", renameArgs("old", "new"))
	if err != nil {
		t.Fatalf("rename: %v\n%s", err, out)
	}
	evs := s.Host.Events()
	stCompareGolden(t, "rename-stopped", stGolden(s, evs))
	t.Logf("rename of a stopped jail: %d host commands and file operations", len(evs))
	if want := `[{"uuid": "` + stUUID + `", "tag": "new", "old_tag": "old", "host_hostname": "new"}]`; v.String() != want {
		t.Errorf("rename = %s, want %s", v, want)
	}
	got, err := jail.Lookup(ctx, s.Host, s.Pool, "new")
	must(t, err)
	if got.UUID != stUUID || got.Tag != "new" || got.Props["host_hostname"] != "new" {
		t.Errorf("lookup new = %s tag=%s host_hostname=%s", got.UUID, got.Tag, got.Props["host_hostname"])
	}
	if _, err := jail.Lookup(ctx, s.Host, s.Pool, "old"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("lookup old after rename: %v, want not found", err)
	}
	if l, err := s.Host.Readlink("/iocage/tags/new"); err != nil || l != j.Mountpoint {
		t.Errorf("/iocage/tags/new -> %q, %v; want %s", l, err, j.Mountpoint)
	}
	if _, err := s.Host.Lstat("/iocage/tags/old"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("/iocage/tags/old after rename: %v", err)
	}
	rc, err := os.ReadFile(s.Host.LocalPath(j.Mountpoint + "/root/etc/rc.conf"))
	must(t, err)
	if want := "# made by hand\nhostname=\"new\"\nsshd_enable=\"YES\"\n"; string(rc) != want {
		t.Errorf("rc.conf:\n%s\nwant\n%s", rc, want)
	}

	// The same tag again: nothing changes, no error.
	before := renameState(t, s)
	s.Host.Record()
	if _, out, err := stRun(t, s, "rename", renameArgs("new", "new")); err != nil {
		t.Fatalf("rename to the same tag: %v\n%s", err, out)
	}
	for _, e := range s.Host.Events() {
		if strings.HasPrefix(e.Cmd, runtime.ZFS+" set") || strings.HasPrefix(e.Cmd, runtime.Jail) || strings.Contains(e.Cmd, "/tags/new") {
			t.Errorf("rename to the same tag ran %s", e.Cmd)
		}
	}
	if d := cmp.Diff(before, renameState(t, s)); d != "" {
		t.Errorf("rename to the same tag changed (-before +after):\n%s", d)
	}
}

// A running jail is renamed in place: its host name changes at once
// (jail -m) and it keeps running with the same jid. A jail whose host
// name is its own (the UUID, the default) keeps it, live and stored.
func TestRenameRunning(t *testing.T) {
	s := stSetup(t)
	ctx := context.Background()
	renameJail(t, s, stUUID, "run", nil)
	own := stJail(t, s, stUUID2, "own", map[string]string{"vnet": "off"})
	if _, out, err := stRun(t, s, "start", names("run", "own")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	j, err := jail.Lookup(ctx, s.Host, s.Pool, "run")
	must(t, err)
	own, err = jail.Lookup(ctx, s.Host, s.Pool, "own")
	must(t, err)
	s.Host.Record()
	if _, out, err := stRun(t, s, "rename", renameArgs("run", "web")); err != nil {
		t.Fatalf("rename of a running jail: %v\n%s", err, out)
	}
	evs := s.Host.Events()
	stCompareGolden(t, "rename-running", stGolden(s, evs))
	t.Logf("rename of a running jail: %d host commands and file operations", len(evs))
	after, err := jail.Lookup(ctx, s.Host, s.Pool, "web")
	must(t, err)
	if after.JID != j.JID || after.JID == 0 {
		t.Errorf("jid after rename %d, before %d: the jail must keep running", after.JID, j.JID)
	}
	if hn, running, err := jail.LiveHostname(ctx, s.Host, j.Name()); err != nil || !running || hn != "web" {
		t.Errorf("live host name after rename: %q running=%v %v, want web", hn, running, err)
	}
	if out, err := s.Host.Output(ctx, runtime.Jexec, j.Name(), "/bin/hostname"); err != nil || strings.TrimSpace(out) != "web" {
		t.Errorf("hostname in the jail: %q, %v; want web", out, err)
	}

	s.Host.Record()
	if _, out, err := stRun(t, s, "rename", renameArgs("own", "mine")); err != nil {
		t.Fatalf("rename of a jail with its own host name: %v\n%s", err, out)
	}
	for _, e := range s.Host.Events() {
		if strings.HasPrefix(e.Cmd, runtime.Jail+" ") || strings.Contains(e.Cmd, "rc.conf") {
			t.Errorf("rename of a jail whose host name is its own ran %s", e.Cmd)
		}
	}
	mine, err := jail.Lookup(ctx, s.Host, s.Pool, "mine")
	must(t, err)
	if mine.Props["host_hostname"] != stUUID2 || mine.JID != own.JID {
		t.Errorf("own: host_hostname=%s jid=%d", mine.Props["host_hostname"], mine.JID)
	}
	if hn, _, err := jail.LiveHostname(ctx, s.Host, own.Name()); err != nil || hn != stUUID2 {
		t.Errorf("own's live host name %q, %v; want its UUID", hn, err)
	}
}

// A tag of another jail, and invalid tags, are refused with nothing
// changed; so is a tag that is no host name when the host name follows.
func TestRenameRefused(t *testing.T) {
	s := stSetup(t)
	renameJail(t, s, stUUID, "a", nil)
	renameJail(t, s, stUUID2, "b", nil)
	before := renameState(t, s)
	for _, tc := range []struct{ name, tag, want string }{
		{"a", "b", `tag "b" is already used by ` + stUUID2},
		{"a", "ALL", "reserved keyword"},
		{"a", "default", "reserved keyword"},
		{"a", "", "property tag: empty value"},
		{"a", "x/y", "only letters, digits"},
		{"a", "x y", "only letters, digits"},
		{"a", "-x", "only letters, digits"},
		{"a", strings.Repeat("x", 65), "longer than 64"},
		{"a", stUUID2, "looks like a UUID"},
		{"a", "my_jail", "property host_hostname"},
		{"ALL", "c", "rename takes one jail"},
		{"default", "c", "rename takes one jail"},
		{"nosuch", "c", "does not exist"},
	} {
		_, out, err := stRun(t, s, "rename", renameArgs(tc.name, tc.tag))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rename %s %q: %v, want an error with %q\n%s", tc.name, tc.tag, err, tc.want, out)
		}
		if d := cmp.Diff(before, renameState(t, s)); d != "" {
			t.Fatalf("refused rename %s %q changed (-before +after):\n%s", tc.name, tc.tag, d)
		}
	}
}

// A rename that fails at any of its host changes leaves the jail as it
// was: tag, link, host_hostname, rc.conf and the running host name.
func TestRenameFaults(t *testing.T) {
	s := stSetup(t)
	renameJail(t, s, stUUID, "f", map[string]string{"ip4_addr": "em0|192.168.1.70/24"})
	if _, out, err := stRun(t, s, "start", names("f")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	n := stEachFailure(t, s, "rename", 20, 1, func() string { return renameState(t, s) }, func() (string, error) {
		_, out, err := stRun(t, s, "rename", renameArgs("f", "g"))
		return out, err
	})
	if n < 4 {
		t.Errorf("rename succeeded with its change %d failing", n)
	}
	g, err := jail.Lookup(context.Background(), s.Host, s.Pool, "g")
	must(t, err)
	if g.Props["host_hostname"] != "g" || g.JID == 0 || g.Tag != "g" {
		t.Errorf("after the rename: tag=%s host_hostname=%s jid=%d", g.Tag, g.Props["host_hostname"], g.JID)
	}
}
