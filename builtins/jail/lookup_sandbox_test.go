package jail_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// TestLookupReadsOneJail resolves names the ways a user gives them and
// checks each finds the right jail with a fixed number of host commands:
// a tag through its link or a UUID reads only the jail (zfs list, jls);
// a prefix or a tag whose link is missing or stale adds one narrow
// listing. A link is a hint, never trusted for the answer.
func TestLookupReadsOneJail(t *testing.T) {
	s, pool := setup(t)
	ctx := context.Background()
	h := s.Host
	for i, tag := range []string{"web", "db", "dbx", "mail"} {
		mkjail(t, h, pool, uuidN(i+1), tag, nil)
	}
	link := func(tag, target string) {
		t.Helper()
		must(t, h.MkdirAll(jail.Root+"/tags", 0o755))
		_ = h.Remove(jail.Root + "/tags/" + tag)
		must(t, h.Symlink(target, jail.Root+"/tags/"+tag))
	}
	link("web", jail.Root+"/jails/"+uuidN(1))
	// A stale link: "mail" points at db's jail.
	link("mail", jail.Root+"/jails/"+uuidN(2))
	// A link out of the tree is ignored.
	link("db", "/etc")

	for _, c := range []struct {
		name     string
		uuid     string
		commands int
	}{
		{"web", uuidN(1), 2},
		{uuidN(3), uuidN(3), 2},
		{"db", uuidN(2), 3},   // bad link: narrow listing
		{"mail", uuidN(4), 5}, // stale link: its jail read, the listing, the right one read
		{"mai", uuidN(4), 3},  // prefix
		{uuidN(2)[:10], uuidN(2), 3},
	} {
		n := h.Count()
		j, err := jail.Lookup(ctx, h, pool, c.name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", c.name, err)
			continue
		}
		got := h.Count() - n
		if j.UUID != c.uuid || got != c.commands {
			t.Errorf("Lookup(%q) = %s with %d host commands, want %s with %d", c.name, j.UUID, got, c.uuid, c.commands)
		}
		if j.Props["release"] == "" || j.Raw["used"] == "" {
			t.Errorf("Lookup(%q) did not read the jail's properties: %v", c.name, j.Props)
		}
	}
	if _, err := jail.Lookup(ctx, h, pool, "d"); !errors.Is(err, jailprops.ErrAmbiguous) {
		t.Errorf("Lookup(d) = %v, want ambiguous", err)
	}
	if _, err := jail.Lookup(ctx, h, pool, "nope"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("Lookup(nope) = %v, want not found", err)
	}
	if _, err := jail.Lookup(ctx, h, pool, "../../etc"); err == nil {
		t.Errorf("Lookup(../../etc) found a jail")
	}

	for _, c := range []struct {
		arg, uuid, snap string
		commands        int
	}{
		{"web@s1", uuidN(1), "s1", 2}, // through web's link
		{"db@s1", uuidN(2), "s1", 3},  // db's link is bad: the listing
		{"mail", uuidN(4), "", 5},
	} {
		n := h.Count()
		j, snap, err := jail.LookupSnapshot(ctx, h, pool, c.arg)
		if err != nil {
			t.Errorf("LookupSnapshot(%q): %v", c.arg, err)
			continue
		}
		if got := h.Count() - n; j.UUID != c.uuid || snap != c.snap || got != c.commands {
			t.Errorf("LookupSnapshot(%q) = %s, %q with %d host commands; want %s, %q with %d", c.arg, j.UUID, snap, got, c.uuid, c.snap, c.commands)
		}
	}

	claims, err := jail.Claims(ctx, h, pool)
	must(t, err)
	var tags []string
	for _, c := range claims {
		tags = append(tags, c.Tag+" "+c.Props["ip4_addr"]+" "+c.Mountpoint)
	}
	want := []string{
		"web none /iocage/jails/" + uuidN(1), "db none /iocage/jails/" + uuidN(2),
		"dbx none /iocage/jails/" + uuidN(3), "mail none /iocage/jails/" + uuidN(4),
	}
	if d := cmp.Diff(want, tags); d != "" {
		t.Errorf("claims (-want +got):\n%s", d)
	}
	for _, c := range claims {
		if len(c.Props) != 4 || len(c.Raw) != 0 || c.JID != 0 {
			t.Errorf("claims of %s hold more than tag, addresses and hack88: %v %v", c.UUID, c.Props, c.Raw)
		}
	}
}
