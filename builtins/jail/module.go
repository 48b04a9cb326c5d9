// Package jail is the Starlark module `jail` for the data of jails: the
// active pool and its dataset tree, the jails with their properties (read
// in one zfs process and one jls whatever their number), lookup by tag or
// UUID, validated property changes, reset, the defaults, format
// migrations and the property table. The property model itself is the
// host-free package jailprops.
//
// Starlark signatures:
//
//	jail.pool() -> str
//	jail.pools() -> [struct(name, active, altroot)]
//	jail.activate(pool)
//	jail.deactivate(pool)
//	jail.prepare(pool="") -> [str]
//	jail.list(pool="") -> [jail.jail]
//	jail.lookup(name, pool="") -> jail.jail
//	jail.lookup_snapshot(arg, pool="") -> (jail.jail, str)
//	jail.claims(pool="") -> [struct(uuid, tag, mountpoint, ip4_addr, ip6_addr)]
//	jail.find(jails, name) -> jail.jail
//	jail.find_snapshot(jails, arg) -> (jail.jail, str)
//	jail.defaults(pool="") -> jail.jail
//	jail.get(j, prop) -> str | dict
//	jail.set(j, props, jails=None) -> jail.jail
//	jail.reset(j, defaults=None) -> jail.jail
//	jail.migrate(j, defaults=None) -> [str]
//	jail.running() -> [struct(jid, name, path, hostname, ip4)]
//	jail.properties() -> [dict]
//	jail.property(name) -> dict
//	jail.builtin_defaults() -> dict
package jail

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"jail":                  "jail: the jails of the active pool and their properties.\n\nA jail is a ZFS dataset POOL/iocage/jails/UUID whose properties are ZFS user\nproperties org.freebsd.iocage:NAME. Values of type jail.jail are snapshots of\nwhat was read; changing builtins return a new one.",
	"jail.pool":             "jail.pool() -> str\n\nThe active pool: the first pool in `zpool list` order whose root dataset\nhas org.freebsd.iocage:active=yes and no altroot (one zpool, one zfs\nprocess). Fails when none is active, naming the pools to choose from.",
	"jail.pools":            "jail.pools() -> list of struct(name, active, altroot)\n\nEvery pool in `zpool list` order with its activation mark.",
	"jail.activate":         "jail.activate(pool)\n\nMarks pool as iocage's (zfs set org.freebsd.iocage:active=yes POOL).\nOther active pools stay marked; the first in zpool order wins.",
	"jail.deactivate":       "jail.deactivate(pool)\n\nRemoves the mark (zfs inherit org.freebsd.iocage:active POOL).",
	"jail.prepare":          "jail.prepare(pool=\"\") -> list of str\n\nPre-flight of changing commands: creates missing datasets of the iocage\ntree (POOL/iocage, jails, .defaults filled with every built-in default,\ndownload, releases) with their /iocage mountpoints, migrates the defaults\nto the current format, makes /iocage/tags and /iocage/log. Returns what\nit did (empty on a prepared pool, which costs one zfs process).",
	"jail.list":             "jail.list(pool=\"\") -> list of jail.jail\n\nEvery jail of the pool, templates included, sorted by tag: one zfs\nprocess for all properties of all jails and one jls for their state.\nA pool without the iocage tree has no jails.",
	"jail.lookup":           "jail.lookup(name, pool=\"\") -> jail.jail\n\nThe jail named by name: exact tag, else exact UUID, else the unique jail\nwhose tag or UUID starts with name (compared literally). \"default\" is\nthe defaults pseudo-jail. Fails when nothing matches (not found) or\nseveral do (the error lists them). Reads that jail alone (one zfs, one\njls), whatever the number of jails: a tag through its /iocage/tags link,\na prefix with one narrow listing of names and tags (jail.claims).",
	"jail.lookup_snapshot":  "jail.lookup_snapshot(arg, pool=\"\") -> (jail.jail, str)\n\nLike jail.find_snapshot, reading as jail.lookup does: JAIL@SNAP splits at\nthe last @ unless arg is exactly the tag of a jail.",
	"jail.claims":           "jail.claims(pool=\"\") -> list of struct(uuid, tag, mountpoint, ip4_addr, ip6_addr)\n\nWhat each jail of the pool claims for itself, read with one narrow zfs\nlist (no other property, no jls): for uniqueness checks and address\nallocation. Call it inside jail.locked when the result decides a claim.",
	"jail.find":             "jail.find(jails, name) -> jail.jail\n\nLike jail.lookup, among a list read before (no host access).",
	"jail.find_snapshot":    "jail.find_snapshot(jails, arg) -> (jail.jail, str)\n\nSplits JAIL@SNAP at the last @ and finds the jail; snap is \"\" when arg\nhas no @ or is exactly the tag of a jail (shell iocage tags hold @).",
	"jail.defaults":         "jail.defaults(pool=\"\") -> jail.jail\n\nThe defaults pseudo-jail POOL/iocage/.defaults (one zfs process).",
	"jail.get":              "jail.get(j, prop) -> str or dict\n\nThe value of prop on j as read: user properties as stored (\"-\" when\nunset), native ones as zfs shows them; \"status\" gives up/down; \"all\"\ngives a dict of every user property in `get all` order. No host access.\nFails on an unknown property, suggesting close names.",
	"jail.set":              "jail.set(j, props, jails=None) -> jail.jail\n\nValidates every NAME: VALUE of the dict props (known, writable, valid;\na tag and IPv4/IPv6 addresses no other jail has, among jails, read narrowly\n(jail.claims) when jails is None: call it inside jail.locked; hack88\nonly on a stopped jail whose short mountpoint no other jail has; no\nAUTOIP4 on a jail: resolve it first, see net.star's autoip4) and writes\nthem all in one zfs set; a new tag also moves the /iocage/tags link.\nNothing is written when any is invalid. Undone, when the run fails, with\nthe previous values (one zfs set, one zfs inherit per property that was\nunset; a native property costs one zfs get first) and the old tag link.\nReturns the updated jail. The mountpoint is not moved: after hack88 call\njail.sync_mountpoint.",
	"jail.reset":            "jail.reset(j, defaults=None) -> jail.jail\n\nReturns every property of j to the defaults dataset's value (or the\nbuilt-in), keeping its identity (UUID, tag), type, template flag, release,\nMACs and the other kept properties; host_hostname becomes the UUID. One\nzfs set (plus one read of the defaults when not given, and one zfs get\nof the native properties it resets). Undone like jail.set.",
	"jail.migrate":          "jail.migrate(j, defaults=None) -> list of str\n\nBrings j (or the defaults) to the current format version with the\nordered migrations (drop hostname, fold jail_zfs_pool into\njail_zfs_dataset, fill unset properties from the defaults). Only\nchanging commands call it. Returns what it did; empty when current.",
	"jail.running":          "jail.running() -> list of struct(jid, name, path, hostname, ip4)\n\nEvery running jail of the host, iocage's or not (one jls).",
	"jail.properties":       "jail.properties() -> list of dict\n\nThe property table: name, group, type, default, values, zfs (storage\nname), native, read_only, kept (by reset), per_jail, jail_param, rctl,\ndoc. No host access.",
	"jail.property":         "jail.property(name) -> dict\n\nThe table row of one property, as in jail.properties(). Fails on an\nunknown name, suggesting the closest ones. No host access.",
	"jail.builtin_defaults": "jail.builtin_defaults() -> dict\n\nThe built-in default of every property in `defaults` order (net, jail,\nrctl, custom, zfs, sync, ftp), with a fresh UUID and tag and this host's\nhostid, VIMAGE and release; read-only ZFS properties show \"readonly\".",
}

// NewModule returns the jail module driving h.
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"pool": m.pool, "pools": m.pools, "activate": m.activate, "deactivate": m.deactivate, "prepare": m.prepare,
		"list": m.list, "lookup": m.lookup, "lookup_snapshot": m.lookupSnapshot, "claims": m.claims, "find": m.find, "find_snapshot": m.findSnapshot, "defaults": m.defaults,
		"get": m.get, "set": m.set, "reset": m.reset, "migrate": m.migrate, "running": m.running,
		"properties": m.properties, "property": m.property, "builtin_defaults": m.builtinDefaults,
	}
	for name, fn := range registered {
		if _, dup := fns[name]; dup {
			panic("jail: builtin registered twice: " + name)
		}
		bound := fn
		fns[name] = func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return bound(m.host(t), t, b, args, kwargs)
		}
	}
	return thread.Module("jail", fns)
}

type module struct{ h *runtime.Host }

func (m *module) host(t *starlark.Thread) *runtime.Host { return thread.HostOr(m.h, t) }

func ctxOf(t *starlark.Thread) context.Context { return thread.Context(t) }

func fail(b *starlark.Builtin, err error) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: %w", b.Name(), err)
}

// poolArg unpacks the optional pool argument of builtins that take only
// that, defaulting to the active pool.
func (m *module) poolArg(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (string, error) {
	var pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool?", &pool); err != nil {
		return "", err
	}
	pool, err := m.poolOf(t, pool)
	if err != nil {
		return "", fmt.Errorf("%s: %w", b.Name(), err)
	}
	return pool, nil
}

func (m *module) poolOf(t *starlark.Thread, pool string) (string, error) {
	if pool != "" {
		return pool, nil
	}
	return activePoolOf(t, m.host(t))
}

// poolKey keeps a run's active pool on its thread: a verb asks for it in
// several builtins (prepare, list, find ...) and it costs two processes.
// activate and deactivate forget it.
const poolKey = "iocage.jail.pool"

// activePoolOf is ActivePool, read once per run.
func activePoolOf(t *starlark.Thread, h *runtime.Host) (string, error) {
	if p, ok := t.Local(poolKey).(string); ok && p != "" {
		return p, nil
	}
	p, err := ActivePool(ctxOf(t), h)
	if err == nil {
		t.SetLocal(poolKey, p)
	}
	return p, err
}

func (m *module) pool(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	p, err := activePoolOf(t, m.host(t))
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(p), nil
}

func (m *module) pools(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	ps, err := Pools(ctxOf(t), m.host(t))
	if err != nil {
		return fail(b, err)
	}
	var out []starlark.Value
	for _, p := range ps {
		out = append(out, starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"name": starlark.String(p.Name), "active": starlark.Bool(p.Active), "altroot": starlark.Bool(p.AltRoot)}))
	}
	return starlark.NewList(out), nil
}

func (m *module) activate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool); err != nil {
		return nil, err
	}
	t.SetLocal(poolKey, "")
	if err := Activate(ctxOf(t), m.host(t), pool); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) deactivate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool); err != nil {
		return nil, err
	}
	t.SetLocal(poolKey, "")
	if err := Deactivate(ctxOf(t), m.host(t), pool); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) prepare(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pool, err := m.poolArg(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	did, err := Prepare(ctxOf(t), m.host(t), pool)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(did), nil
}

func (m *module) list(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pool, err := m.poolArg(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	js, err := List(ctxOf(t), m.host(t), pool)
	if err != nil {
		return fail(b, err)
	}
	return jailList(js), nil
}

func jailList(js []*Jail) *starlark.List {
	out := make([]starlark.Value, len(js))
	for i, j := range js {
		out[i] = NewValue(j)
	}
	return starlark.NewList(out)
}

func (m *module) lookup(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "pool?", &pool); err != nil {
		return nil, err
	}
	if name == jailprops.KeywordAll {
		return fail(b, fmt.Errorf("ALL names every jail; use jail.list()"))
	}
	pool, err := m.poolOf(t, pool)
	if err != nil {
		return fail(b, err)
	}
	if name == jailprops.KeywordDefault {
		d, err := Defaults(ctxOf(t), m.host(t), pool)
		if err != nil {
			return fail(b, err)
		}
		return NewValue(d), nil
	}
	j, err := Lookup(ctxOf(t), m.host(t), pool, name)
	if err != nil {
		return fail(b, err)
	}
	return NewValue(j), nil
}

func (m *module) lookupSnapshot(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var arg, pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "arg", &arg, "pool?", &pool); err != nil {
		return nil, err
	}
	pool, err := m.poolOf(t, pool)
	if err != nil {
		return fail(b, err)
	}
	j, snap, err := LookupSnapshot(ctxOf(t), m.host(t), pool, arg)
	if err != nil {
		return fail(b, err)
	}
	return starlark.Tuple{NewValue(j), starlark.String(snap)}, nil
}

func (m *module) claims(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pool, err := m.poolArg(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	cs, err := claimsOf(t, m.host(t), pool)
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(cs))
	for i, c := range cs {
		out[i] = starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"uuid": starlark.String(c.UUID), "tag": starlark.String(c.Tag), "mountpoint": starlark.String(c.Mountpoint),
			"ip4_addr": starlark.String(c.Props["ip4_addr"]), "ip6_addr": starlark.String(c.Props["ip6_addr"])})
	}
	return starlark.NewList(out), nil
}

func unpackJails(l *starlark.List) ([]*Jail, error) {
	if l == nil {
		return nil, nil
	}
	out := make([]*Jail, 0, l.Len())
	for i := 0; i < l.Len(); i++ {
		v, ok := l.Index(i).(*Value)
		if !ok {
			return nil, fmt.Errorf("jails[%d]: got %s, want jail.jail", i, l.Index(i).Type())
		}
		out = append(out, v.j)
	}
	return out, nil
}

func (m *module) find(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var l *starlark.List
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "jails", &l, "name", &name); err != nil {
		return nil, err
	}
	js, err := unpackJails(l)
	if err != nil {
		return fail(b, err)
	}
	j, err := Find(js, name)
	if err != nil {
		return fail(b, err)
	}
	return NewValue(j), nil
}

func (m *module) findSnapshot(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var l *starlark.List
	var arg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "jails", &l, "arg", &arg); err != nil {
		return nil, err
	}
	js, err := unpackJails(l)
	if err != nil {
		return fail(b, err)
	}
	j, snap, err := FindSnapshot(js, arg)
	if err != nil {
		return fail(b, err)
	}
	return starlark.Tuple{NewValue(j), starlark.String(snap)}, nil
}

func (m *module) defaults(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pool, err := m.poolArg(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	d, err := Defaults(ctxOf(t), m.host(t), pool)
	if err != nil {
		return fail(b, err)
	}
	return NewValue(d), nil
}

func (m *module) get(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var prop string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "prop", &prop); err != nil {
		return nil, err
	}
	switch prop {
	case "status":
		return starlark.String(v.j.State()), nil
	case "all":
		d := starlark.NewDict(len(v.j.Props))
		for _, p := range jailprops.UserProperties() {
			_ = d.SetKey(starlark.String(p.Name), starlark.String(v.j.Props[p.Name]))
		}
		return d, nil
	}
	if _, err := jailprops.Lookup(prop); err != nil {
		return fail(b, err)
	}
	val := v.j.Props[prop]
	if val == "" {
		val = "-"
	}
	return starlark.String(val), nil
}

func (m *module) set(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var props *starlark.Dict
	var l *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "props", &props, "jails?", &l); err != nil {
		return nil, err
	}
	assigns := map[string]string{}
	for _, it := range props.Items() {
		k, ok1 := starlark.AsString(it[0])
		s, ok2 := starlark.AsString(it[1])
		if !ok1 || !ok2 {
			return fail(b, fmt.Errorf("props: want a dict of strings, got %s: %s", it[0].Type(), it[1].Type()))
		}
		assigns[k] = s
	}
	if len(assigns) == 0 {
		return fail(b, fmt.Errorf("no property to set"))
	}
	jails, err := unpackJails(l)
	if err != nil {
		return fail(b, err)
	}
	h := m.host(t)
	_, tag := assigns["tag"]
	_, hack88 := assigns["hack88"]
	_, ip4 := assigns["ip4_addr"]
	_, ip6 := assigns["ip6_addr"]
	if (tag || hack88 || ip4 || ip6) && l == nil && !v.j.Default {
		pool := strings.TrimSuffix(v.j.Dataset, "/iocage/jails/"+v.j.UUID)
		if jails, err = claimsOf(t, h, pool); err != nil {
			return fail(b, err)
		}
	}
	if err := Validate(v.j, assigns, jails); err != nil {
		return fail(b, err)
	}
	keys := make([]string, 0, len(assigns))
	for k := range assigns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	undo, err := SetUndo(ctxOf(t), h, v.j, keys)
	if err != nil {
		return fail(b, err)
	}
	j := clone(v.j)
	if err := thread.UndoOf(t).Do("restore "+strings.Join(keys, ",")+" of "+j.Dataset, undo, func() error {
		return setProps(ctxOf(t), h, j, assigns)
	}); err != nil {
		return fail(b, err)
	}
	// Written: a link that fails to move is taken back with the
	// properties (the restore step moves the link back too).
	if err := followTag(h, j, v.j.Tag); err != nil {
		return fail(b, err)
	}
	if tag || hack88 || ip4 || ip6 {
		forgetClaims(t)
	}
	return NewValue(j), nil
}

func clone(j *Jail) *Jail {
	c := *j
	c.Props = make(map[string]string, len(j.Props))
	for k, v := range j.Props {
		c.Props[k] = v
	}
	c.Raw = make(map[string]string, len(j.Raw))
	for k, v := range j.Raw {
		c.Raw[k] = v
	}
	return &c
}

func (m *module) defaultsFor(t *starlark.Thread, j *Jail, d *Value) (*Jail, error) {
	if d != nil {
		return d.j, nil
	}
	pool, _, _ := strings.Cut(j.Dataset, "/")
	return Defaults(ctxOf(t), m.host(t), pool)
}

func (m *module) reset(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v, d *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "defaults?", &d); err != nil {
		return nil, err
	}
	defs, err := m.defaultsFor(t, v.j, d)
	if err != nil {
		return fail(b, err)
	}
	if v.j.Default {
		return fail(b, fmt.Errorf("the defaults cannot be reset; set their properties instead"))
	}
	h := m.host(t)
	var keys []string
	for k := range ResetProps(v.j, defs) {
		if p, err := jailprops.Lookup(k); err == nil && !(p.Native && p.ReadOnly) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	undo, err := SetUndo(ctxOf(t), h, v.j, keys)
	if err != nil {
		return fail(b, err)
	}
	j := clone(v.j)
	if err := thread.UndoOf(t).Do("restore the properties reset on "+j.Dataset, undo, func() error {
		_, err := Reset(ctxOf(t), h, j, defs)
		return err
	}); err != nil {
		return fail(b, err)
	}
	return NewValue(j), nil
}

func (m *module) migrate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v, d *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "defaults?", &d); err != nil {
		return nil, err
	}
	var defs *Jail
	if !v.j.Default {
		var err error
		if defs, err = m.defaultsFor(t, v.j, d); err != nil {
			return fail(b, err)
		}
	} else {
		g, err := HostFacts(ctxOf(t), m.host(t))
		if err != nil {
			return fail(b, err)
		}
		defs = &Jail{Props: defaultsFill(g)}
	}
	notes, err := Migrate(ctxOf(t), m.host(t), v.j, defs)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(notes), nil
}

func (m *module) running(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	rs, err := Running(ctxOf(t), m.host(t))
	if err != nil {
		return fail(b, err)
	}
	var out []starlark.Value
	for _, r := range rs {
		out = append(out, starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"jid": starlark.MakeInt(r.JID), "name": starlark.String(r.Name), "path": starlark.String(r.Path),
			"hostname": starlark.String(r.Hostname), "ip4": starlark.String(r.IP4)}))
	}
	return starlark.NewList(out), nil
}

func (m *module) properties(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	var out []starlark.Value
	for _, p := range jailprops.All() {
		out = append(out, propDict(p))
	}
	return starlark.NewList(out), nil
}

func (m *module) property(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	p, err := jailprops.Lookup(name)
	if err != nil {
		return fail(b, err)
	}
	return propDict(p), nil
}

func propDict(p *jailprops.Property) *starlark.Dict {
	d := starlark.NewDict(13)
	for _, kv := range []struct {
		k string
		v starlark.Value
	}{
		{"name", starlark.String(p.Name)}, {"group", starlark.String(p.Group)}, {"type", starlark.String(p.Type)},
		{"default", starlark.String(p.Default)}, {"values", starlark.String(p.Values)}, {"zfs", starlark.String(p.ZFSName())},
		{"native", starlark.Bool(p.Native)}, {"read_only", starlark.Bool(p.ReadOnly)}, {"kept", starlark.Bool(p.Kept)},
		{"per_jail", starlark.Bool(p.PerJail)}, {"jail_param", starlark.String(p.JailParam)}, {"rctl", starlark.String(p.Rctl)},
		{"doc", starlark.String(p.Doc)},
	} {
		_ = d.SetKey(starlark.String(kv.k), kv.v)
	}
	return d
}

func (m *module) builtinDefaults(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	g, err := HostFacts(ctxOf(t), m.host(t))
	if err != nil {
		return fail(b, err)
	}
	if g.UUID, err = jailprops.NewUUID(); err != nil {
		return fail(b, err)
	}
	g.Tag = jailprops.DefaultTag(time.Now())
	vals := jailprops.Builtins(g)
	d := starlark.NewDict(len(vals))
	for _, p := range jailprops.All() {
		v, ok := vals[p.Name]
		if !ok {
			v = "readonly"
		}
		_ = d.SetKey(starlark.String(p.Name), starlark.String(v))
	}
	return d, nil
}

func strings2list(ss []string) *starlark.List {
	out := make([]starlark.Value, len(ss))
	for i, s := range ss {
		out[i] = starlark.String(s)
	}
	return starlark.NewList(out)
}

// Builtin is a jail builtin defined outside NewModule's table: it gets the
// module's host with its arguments.
type Builtin func(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

var registered = map[string]Builtin{}

// register adds the builtin jail.NAME, with its doc, from the file that
// implements it (the lifecycle files each register their own), so that
// NewModule's table does not become everyone's file. Call it from init.
func register(name, doc string, fn Builtin) {
	if _, dup := registered[name]; dup {
		panic("jail: builtin registered twice: " + name)
	}
	registered[name] = fn
	Docs["jail."+name] = doc
}
