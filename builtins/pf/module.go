package pf

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"path"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"pf":                       "pf: NAT and port redirects of jails with the packet filter (pf(4)), in anchors of iocage's own.",
	"pf.anchor":                "pf.anchor(name) -> str\n\nThe anchor holding the pf rules of the jail called name (j.name,\n\"ioc-UUID\"): \"iocage/ioc-UUID\". No host access.",
	"pf.parse_rdr":             "pf.parse_rdr(value) -> list of struct\n\nThe redirects of an rdr property value (\"tcp 8080:80, udp 5353:53\";\n\"none\" is none): structs with proto, host_port and jail_port. Fails\nnaming an entry that is not PROTO HOSTPORT:JAILPORT (tcp or udp, ports\n1-65535) or a host port taken twice. No host access.",
	"pf.rules":                 "pf.rules(interface, addresses, nat=False, rdr=\"\") -> list of str\n\nThe pf.conf(5) rules of a jail whose IPv4 addresses are addresses\n(strings) and whose traffic leaves the host by interface: with nat,\n`nat on IF inet from ADDR to any -> (IF)` per address; per redirect of\nrdr (an rdr property value), `rdr pass on IF inet proto PROTO from any\nto (IF) port HOSTPORT -> ADDR port JAILPORT` to the first address.\nEmpty without nat and redirects. No host access.",
	"pf.load_rules":            "pf.load_rules(anchor, rules)\n\nReplaces the rules of anchor (one of iocage's, iocage/NAME) with rules:\n`pfctl -a ANCHOR -f -`, the rules on standard input. Undone (`pfctl -a\nANCHOR -F all`) when the run fails.",
	"pf.flush":                 "pf.flush(anchor)\n\nRemoves every rule of anchor (one of iocage's): `pfctl -a ANCHOR -F\nall`. Not undone: it is what stop does, and a stop is never taken back.",
	"pf.show":                  "pf.show(anchor, what=\"nat\") -> list of str\n\nThe rules of anchor as pfctl prints them: `pfctl -a ANCHOR -s nat`\n(translation rules), or `-s rules` with what=\"rules\" (filter rules).",
	"pf.anchor_points":         "pf.anchor_points() -> list of str\n\nThe lines pf.conf needs for the rules in iocage's anchors to be\nevaluated: nat-anchor, rdr-anchor and anchor \"iocage/*\". No host\naccess.",
	"pf.install_anchor_points": "pf.install_anchor_points(path=\"/etc/pf.conf\") -> list of str\n\nAppends to the pf.conf at path the anchor points it lacks (creating it\nwhen missing) and returns the lines added, none when all were there. The\nfile is put back as it was when the run fails. pf reads it when it is\nreloaded (`service pf reload`).",
	"pf.missing_anchor_points": "pf.missing_anchor_points(path=\"/etc/pf.conf\") -> list of str\n\nThe anchor points the pf.conf at path lacks (all of them when there is\nno such file).",
}

// NewModule returns the pf module driving h (the run's host when nil).
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"anchor": m.anchor, "parse_rdr": m.parseRdr, "rules": m.rules, "load_rules": m.load, "flush": m.flush,
		"show": m.show, "anchor_points": m.anchorPoints, "install_anchor_points": m.install,
		"missing_anchor_points": m.missing,
	}
	return thread.Module("pf", fns)
}

type module struct{ h *runtime.Host }

func (m *module) host(t *starlark.Thread) *runtime.Host { return thread.HostOr(m.h, t) }

func fail(b *starlark.Builtin, err error) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: %w", b.Name(), err)
}

func strList(ss []string) *starlark.List {
	vals := make([]starlark.Value, len(ss))
	for i, s := range ss {
		vals[i] = starlark.String(s)
	}
	return starlark.NewList(vals)
}

func stringsOf(what string, l *starlark.List) ([]string, error) {
	var out []string
	for i := 0; i < l.Len(); i++ {
		s, ok := starlark.AsString(l.Index(i))
		if !ok {
			return nil, fmt.Errorf("%s: want a list of strings, got %s", what, l.Index(i).Type())
		}
		out = append(out, s)
	}
	return out, nil
}

func (m *module) anchor(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	a, err := Anchor(name)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(a), nil
}

func (m *module) parseRdr(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value); err != nil {
		return nil, err
	}
	rs, err := ParseRedirects(value)
	if err != nil {
		return fail(b, err)
	}
	vals := make([]starlark.Value, len(rs))
	for i, r := range rs {
		vals[i] = starlarkstruct.FromStringDict(starlark.String("pf.redirect"), starlark.StringDict{
			"proto": starlark.String(r.Proto), "host_port": starlark.MakeInt(r.HostPort), "jail_port": starlark.MakeInt(r.JailPort),
		})
	}
	return starlark.NewList(vals), nil
}

func (m *module) rules(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface, rdr string
	var addrs *starlark.List
	var nat bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "interface", &iface, "addresses", &addrs, "nat?", &nat, "rdr?", &rdr); err != nil {
		return nil, err
	}
	ss, err := stringsOf("addresses", addrs)
	if err != nil {
		return fail(b, err)
	}
	var as []netip.Addr
	for _, s := range ss {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fail(b, fmt.Errorf("address %q is not an IP address", s))
		}
		as = append(as, a)
	}
	rds, err := ParseRedirects(rdr)
	if err != nil {
		return fail(b, err)
	}
	rs, err := Rules(iface, as, nat, rds)
	if err != nil {
		return fail(b, err)
	}
	return strList(rs), nil
}

func (m *module) load(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var anchor string
	var rules *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "anchor", &anchor, "rules", &rules); err != nil {
		return nil, err
	}
	rs, err := stringsOf("rules", rules)
	if err != nil {
		return fail(b, err)
	}
	if err := checkOwnAnchor(anchor); err != nil {
		return fail(b, err)
	}
	h, ctx := m.host(t), thread.Context(t)
	err = thread.UndoOf(t).Do("pfctl -a "+anchor+" -F all", thread.Step{Kind: "pf.flush", Args: []string{anchor}}, func() error {
		return Load(ctx, h, anchor, rs)
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) flush(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var anchor string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "anchor", &anchor); err != nil {
		return nil, err
	}
	if err := Flush(thread.Context(t), m.host(t), anchor); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func (m *module) show(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var anchor string
	what := "nat"
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "anchor", &anchor, "what?", &what); err != nil {
		return nil, err
	}
	rs, err := Show(thread.Context(t), m.host(t), anchor, what)
	if err != nil {
		return fail(b, err)
	}
	return strList(rs), nil
}

func (m *module) anchorPoints(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return strList(AnchorPoints), nil
}

func checkConfPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p {
		return fmt.Errorf("path %q is not a clean absolute path", p)
	}
	return nil
}

func (m *module) missing(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p := PfConf
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path?", &p); err != nil {
		return nil, err
	}
	if err := checkConfPath(p); err != nil {
		return fail(b, err)
	}
	data, err := m.host(t).ReadFile(p)
	if err != nil && !isNotExist(err) {
		return fail(b, err)
	}
	return strList(MissingAnchorPoints(string(data))), nil
}

func (m *module) install(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p := PfConf
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path?", &p); err != nil {
		return nil, err
	}
	if err := checkConfPath(p); err != nil {
		return fail(b, err)
	}
	u := thread.UndoOf(t)
	added, err := InstallAnchorPoints(m.host(t), p, func(old []byte, existed bool) error {
		st := thread.Step{Kind: "pf.conf_restore", Args: []string{p}}
		if existed {
			st.Args = append(st.Args, base64.StdEncoding.EncodeToString(old))
		}
		return u.Record("restore "+p, st)
	})
	if err != nil {
		return fail(b, err)
	}
	return strList(added), nil
}
