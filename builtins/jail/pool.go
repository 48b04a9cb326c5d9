package jail

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// Root is the iocage root path; POOL/iocage is mounted there.
const Root = "/iocage"

// ActiveProp marks the pool iocage uses, on the pool's root dataset.
const ActiveProp = jailprops.Prefix + "active"

// ErrNoPool is returned (wrapped) when no pool is active.
var ErrNoPool = errors.New("no active pool")

// Pool is one pool as activation sees it.
type Pool struct {
	Name    string
	Active  bool
	AltRoot bool // imported with an altroot: never used
}

// Pools reads every pool in `zpool list` order with its activation mark:
// one zpool and one zfs process.
func Pools(ctx context.Context, h *runtime.Host) ([]Pool, error) {
	out, err := h.Output(ctx, runtime.Zpool, "list", "-H", "-o", "name,altroot")
	if err != nil {
		return nil, err
	}
	var pools []Pool
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		name, alt, _ := strings.Cut(line, "\t")
		pools = append(pools, Pool{Name: name, AltRoot: alt != "-" && alt != ""})
		names = append(names, name)
	}
	if len(pools) == 0 {
		return nil, nil
	}
	out, err = h.Output(ctx, runtime.ZFS, append([]string{"get", "-H", "-o", "name,value", ActiveProp}, names...)...)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if name, v, ok := strings.Cut(line, "\t"); ok && v == "yes" {
			active[name] = true
		}
	}
	for i := range pools {
		pools[i].Active = active[pools[i].Name]
	}
	return pools, nil
}

// ActivePool returns the first active pool without an altroot, in
// `zpool list` order. With none it refuses, rather than silently
// activating the last pool as the shell iocage did.
func ActivePool(ctx context.Context, h *runtime.Host) (string, error) {
	pools, err := Pools(ctx, h)
	if err != nil {
		return "", err
	}
	for _, p := range pools {
		if p.Active && !p.AltRoot {
			return p.Name, nil
		}
	}
	if len(pools) == 0 {
		return "", fmt.Errorf("%w: no ZFS pool exists", ErrNoPool)
	}
	var names []string
	for _, p := range pools {
		names = append(names, p.Name)
	}
	return "", fmt.Errorf("%w: run `iocage activate POOL` with one of %s", ErrNoPool, strings.Join(names, ", "))
}

// Activate marks pool as iocage's. Other active pools stay marked; the
// first in `zpool list` order wins.
func Activate(ctx context.Context, h *runtime.Host, pool string) error {
	if pool == "" || strings.ContainsAny(pool, "/@ \t") {
		return fmt.Errorf("%q is not a pool name", pool)
	}
	return zfs.Set(ctx, h, pool, map[string]string{ActiveProp: "yes"})
}

// Deactivate removes the mark from pool.
func Deactivate(ctx context.Context, h *runtime.Host, pool string) error {
	if pool == "" || strings.ContainsAny(pool, "/@ \t") {
		return fmt.Errorf("%q is not a pool name", pool)
	}
	return zfs.Inherit(ctx, h, pool, ActiveProp, false)
}

// Tree lists the datasets of layout.md §2 that pre-flight creates, with
// their mountpoints, parents first.
var Tree = []string{"", "/jails", "/.defaults", "/download", "/releases"}

// Dataset names of a pool's iocage tree.
func IocageDS(pool string) string   { return pool + "/iocage" }
func JailsDS(pool string) string    { return pool + "/iocage/jails" }
func DefaultsDS(pool string) string { return pool + "/iocage/.defaults" }

// HostFacts reads what the built-in defaults depend on: /etc/hostid and the
// host's release (one process and a file read). Unlike the shell iocage,
// VIMAGE does not turn vnet on by default: `ip4_addr="em0|ADDR"`, iocage's
// quick how-to, must make a working shared-IP jail on every kernel; VNET is
// asked for with vnet=on (and start checks VIMAGE then).
func HostFacts(ctx context.Context, h *runtime.Host) (jailprops.Generated, error) {
	var g jailprops.Generated
	if b, err := h.ReadFile("/etc/hostid"); err == nil {
		g.HostID = strings.TrimSpace(string(b))
	} else if !errors.Is(err, runtime.ErrNotExist) {
		return g, err
	}
	if g.HostID == "" {
		g.HostID = "none"
	}
	out, err := h.Output(ctx, runtime.Uname, "-r")
	if err != nil {
		return g, err
	}
	rel := strings.TrimSpace(out)
	if i := strings.Index(rel, "-p"); i > 0 {
		rel = rel[:i]
	}
	g.Release = rel
	return g, nil
}

// Prepare is the pre-flight of every changing command: it creates the
// missing datasets of the iocage tree (the defaults dataset with every
// built-in default), brings the defaults to the current format, and
// makes /iocage/tags and /iocage/log. On a prepared pool it costs one zfs
// process. It returns what it did, for INFO lines.
func Prepare(ctx context.Context, h *runtime.Host, pool string) ([]string, error) {
	ds, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{IocageDS(pool)}, Depth: 1, Types: []string{"filesystem"},
		Props: []string{jailprops.Prefix + "format_version"}})
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return nil, err
	}
	have := map[string]*zfs.Dataset{}
	for _, d := range ds {
		have[d.Name] = d
	}
	var did []string
	var g *jailprops.Generated
	facts := func() (jailprops.Generated, error) {
		if g == nil {
			f, err := HostFacts(ctx, h)
			if err != nil {
				return f, err
			}
			g = &f
		}
		return *g, nil
	}
	for _, suffix := range Tree {
		name := IocageDS(pool) + suffix
		if _, ok := have[name]; ok {
			continue
		}
		props := map[string]string{"mountpoint": Root + suffix}
		if suffix == "/.defaults" {
			f, err := facts()
			if err != nil {
				return did, err
			}
			for k, v := range defaultsFill(f) {
				props[jailprops.Prefix+k] = v
			}
		}
		if err := zfs.Create(ctx, h, name, true, props); err != nil {
			return did, err
		}
		did = append(did, "created "+name)
	}
	if d, ok := have[DefaultsDS(pool)]; ok {
		if v, _ := d.Value(jailprops.Prefix + "format_version"); v != fmt.Sprint(jailprops.FormatVersion) {
			f, err := facts()
			if err != nil {
				return did, err
			}
			notes, err := migrateDataset(ctx, h, DefaultsDS(pool), "", defaultsFill(f))
			if err != nil {
				return did, err
			}
			did = append(did, notes...)
		}
	}
	for _, dir := range []string{Root + "/tags", Root + "/log"} {
		if _, err := h.Stat(dir); err == nil {
			continue
		}
		if err := h.MkdirAll(dir, 0o755); err != nil {
			return did, err
		}
		did = append(did, "created "+dir)
	}
	return did, nil
}

// defaultsFill is what the defaults dataset holds: every user property's
// built-in default. The per-jail ones are stored too (the shell iocage
// did) but never used for new jails.
func defaultsFill(g jailprops.Generated) map[string]string {
	g.UUID = "00000000-0000-0000-0000-000000000000"
	g.Tag = "default"
	out := map[string]string{}
	for k, v := range jailprops.Builtins(g) {
		if p, _ := jailprops.Lookup(k); p != nil && !p.Native {
			out[k] = v
		}
	}
	return out
}

// migrateDataset brings one dataset to the current format: one zfs set of
// every changed property, one zfs inherit per obsolete property.
func migrateDataset(ctx context.Context, h *runtime.Host, name, uuid string, fill map[string]string) ([]string, error) {
	d, err := zfs.Get(ctx, h, name, userColumns()...)
	if err != nil {
		return nil, err
	}
	props := map[string]string{}
	for _, c := range userColumns() {
		if v, ok := d.Value(c); ok {
			props[strings.TrimPrefix(c, jailprops.Prefix)] = v
		}
	}
	return applyMigration(ctx, h, name, uuid, props, fill)
}

func applyMigration(ctx context.Context, h *runtime.Host, name, uuid string, props, fill map[string]string) ([]string, error) {
	plan, err := jailprops.PlanMigration(uuid, props, fill)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if plan.Empty() {
		return nil, nil
	}
	set := map[string]string{}
	for k, v := range plan.Set {
		set[jailprops.Prefix+k] = v
	}
	if err := zfs.Set(ctx, h, name, set); err != nil {
		return nil, err
	}
	for _, k := range plan.Remove {
		if err := zfs.Inherit(ctx, h, name, jailprops.Prefix+k, false); err != nil {
			return nil, err
		}
	}
	notes := []string{fmt.Sprintf("%s: format %d -> %d", name, plan.From, plan.To)}
	for _, n := range plan.Notes {
		notes = append(notes, name+": "+n)
	}
	return notes, nil
}

// userColumns are the zfs columns of every user property, current and
// obsolete, sorted as the table orders them.
func userColumns() []string {
	var cols []string
	for _, p := range jailprops.UserProperties() {
		cols = append(cols, p.ZFSName())
	}
	obs := append([]string(nil), jailprops.Obsolete...)
	sort.Strings(obs)
	for _, o := range obs {
		cols = append(cols, jailprops.Prefix+o)
	}
	return cols
}
