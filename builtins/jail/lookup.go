package jail

// A verb on one jail reads that jail, not the pool: its name is resolved
// through the /iocage/tags link (no process) or one narrow listing of
// every jail's name and tag, then only that jail's properties and running
// state are read. What must stay unique among jails (tag, UUID, addresses,
// the hack88 mountpoint) is checked against the same narrow listing.

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// claimProps are the user properties Claims reads of every jail: what
// lookup and the uniqueness checks (CheckUnique, NewSpec, hack88) need.
var claimProps = []string{"tag", "ip4_addr", "ip6_addr", "hack88"}

// Claims reads every jail of pool with only its identity and what it
// claims — UUID, tag, mountpoint, addresses, hack88 — in one narrow zfs
// list. The jails it returns hold only those values (Props has the four
// claimProps, Raw is empty, JID is 0): they are for resolving names and
// checking uniqueness, never for a verb to act on.
func Claims(ctx context.Context, h *runtime.Host, pool string) ([]*Jail, error) {
	props := []string{"mountpoint"}
	for _, p := range claimProps {
		props = append(props, jailprops.Prefix+p)
	}
	ds, err := jailRows(ctx, h, pool, zfs.ListOptions{Props: props, Narrow: true})
	if err != nil {
		return nil, err
	}
	var out []*Jail
	for base, d := range ds {
		j := &Jail{UUID: base, Dataset: d.Name, Props: map[string]string{}, Raw: map[string]string{}}
		j.Mountpoint = d.Props["mountpoint"]
		for _, p := range claimProps {
			v := d.Props[jailprops.Prefix+p]
			if v == "" {
				v = "-"
			}
			j.Props[p] = v
		}
		j.Tag = j.Props["tag"]
		out = append(out, j)
	}
	return out, nil
}

// Read reads the one jail pool/iocage/jails/UUID: its properties (one zfs
// list) and its running state (one jls -j). A missing jail wraps
// runtime.ErrNotExist.
func Read(ctx context.Context, h *runtime.Host, pool, uuid string) (*Jail, error) {
	if !jailprops.IsUUID(uuid) {
		return nil, fmt.Errorf("%q is not a jail UUID", uuid)
	}
	ds, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{JailsDS(pool) + "/" + uuid}, Types: []string{"filesystem"}, Props: jailColumns()})
	if errors.Is(err, runtime.ErrNotExist) {
		return nil, fmt.Errorf("jail %s: %w", uuid, runtime.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	if len(ds) != 1 {
		return nil, fmt.Errorf("zfs list of jail %s: %d rows, want 1", uuid, len(ds))
	}
	j := fromDataset(ds[0])
	j.UUID = uuid
	jid, err := JID(ctx, h, j.Name())
	if err != nil {
		return nil, err
	}
	j.JID = jid
	return j, nil
}

// Lookup resolves name (see jailprops.Find: exact tag, exact UUID, unique
// prefix) among the jails of pool and reads that jail alone. A tag is
// resolved through its /iocage/tags link when the link names a jail that
// still holds the tag; a UUID is read directly; anything else (a prefix, a
// tag without its link) costs one narrow listing (Claims).
func Lookup(ctx context.Context, h *runtime.Host, pool, name string) (*Jail, error) {
	if name == "" || strings.ContainsAny(name, " \t\n") {
		_, err := jailprops.Find(nil, name)
		return nil, err
	}
	if j, err := byLink(ctx, h, pool, name); j != nil || err != nil {
		return j, err
	}
	if jailprops.IsUUID(name) {
		j, err := Read(ctx, h, pool, name)
		// A tag equal to this UUID would win over it: only a jail whose
		// tag is another is taken without the listing.
		if err == nil && j.Tag != name {
			return j, nil
		}
		if err != nil && !errors.Is(err, runtime.ErrNotExist) {
			return nil, err
		}
	}
	claims, err := Claims(ctx, h, pool)
	if err != nil {
		return nil, err
	}
	c, err := Find(claims, name)
	if err != nil {
		return nil, err
	}
	return Read(ctx, h, pool, c.UUID)
}

// LookupSnapshot resolves JAIL@SNAP like FindSnapshot (a whole argument
// that is the tag of a jail names that jail, with no snapshot) and reads
// the jail alone: through the tag links when they answer (the whole
// argument's, then JAIL's), else with one narrow listing.
func LookupSnapshot(ctx context.Context, h *runtime.Host, pool, arg string) (*Jail, string, error) {
	if name, snap, ok := jailprops.SplitSnap(arg); ok && snap != "" && linkedUUID(h, arg) == "" {
		if j, err := byLink(ctx, h, pool, name); j != nil || err != nil {
			return j, snap, err
		}
	}
	if strings.Contains(arg, "@") {
		claims, err := Claims(ctx, h, pool)
		if err != nil {
			return nil, "", err
		}
		c, snap, err := FindSnapshot(claims, arg)
		if err != nil {
			return nil, "", err
		}
		j, err := Read(ctx, h, pool, c.UUID)
		return j, snap, err
	}
	j, err := Lookup(ctx, h, pool, arg)
	return j, "", err
}

// byLink reads the jail tagged tag through its /iocage/tags link: nil (and
// no error) when the link does not answer, or names a jail that is gone or
// no longer holds the tag.
func byLink(ctx context.Context, h *runtime.Host, pool, tag string) (*Jail, error) {
	uuid := linkedUUID(h, tag)
	if uuid == "" {
		return nil, nil
	}
	j, err := Read(ctx, h, pool, uuid)
	if errors.Is(err, runtime.ErrNotExist) || (err == nil && j.Tag != tag) {
		return nil, nil
	}
	return j, err
}

// linkedUUID is the UUID whose mountpoint /iocage/tags/NAME points at, or
// "" when there is no such link or it does not end in a UUID (a hack88
// short mountpoint). The link is a hint: the caller checks the jail's tag.
func linkedUUID(h *runtime.Host, name string) string {
	if name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return ""
	}
	target, err := h.Readlink(Root + "/tags/" + name)
	if err != nil {
		return ""
	}
	dir, base := path.Split(target)
	if path.Clean(dir) != Root+"/jails" || !jailprops.IsUUID(base) {
		return ""
	}
	return base
}

// claimsCache is the Claims of one pool kept on a run while it holds the
// identity lock (thread.Run.Claims).
type claimsCache struct {
	pool  string
	jails []*Jail
}

// claimsOf is Claims for the builtins, read once per hold of the identity
// lock: while it is held only this run changes what jails claim, and it
// records each jail it resolves (addClaim), so `create count=N` reads the
// other jails once, not N times.
func claimsOf(t *starlark.Thread, h *runtime.Host, pool string) ([]*Jail, error) {
	run := thread.Get(t)
	if c, ok := run.Claims.(*claimsCache); ok && run.HoldsIdentityLock && c.pool == pool {
		return append([]*Jail(nil), c.jails...), nil
	}
	js, err := Claims(run.Ctx, h, pool)
	if err != nil {
		return nil, err
	}
	if run.HoldsIdentityLock {
		run.Claims = &claimsCache{pool: pool, jails: append([]*Jail(nil), js...)}
	}
	return js, nil
}

// addClaim records the claims of the jail s is about to make on a run
// that holds the identity lock and keeps them: the next jail resolved
// under the same lock must not take its tag, UUID or addresses.
func addClaim(t *starlark.Thread, s *Spec) {
	run := thread.Get(t)
	c, ok := run.Claims.(*claimsCache)
	if !ok || !run.HoldsIdentityLock || c.pool != s.Pool {
		return
	}
	j := &Jail{UUID: s.UUID, Tag: s.Tag, Dataset: s.Dataset, Mountpoint: s.Mountpoint, Props: map[string]string{}, Raw: map[string]string{}}
	for _, p := range claimProps {
		v := s.Props[p]
		if v == "" {
			v = "-"
		}
		j.Props[p] = v
	}
	c.jails = append(c.jails, j)
}

// forgetClaims drops the kept claims after a change of what a jail claims
// (jail.set of a tag or an address): the next check reads them again.
func forgetClaims(t *starlark.Thread) { thread.Get(t).Claims = nil }
