// Package rctl is the Starlark module `rctl`: the resource limits of
// rctl(8) and the CPU affinity of cpuset(1) that iocage applies to a
// running jail. Each builtin is one rctl or cpuset command line; the ones
// that change the host push their inverse on the run's undo log, so a
// start that fails after limiting a jail takes the limits back.
//
// Starlark signatures:
//
//	rctl.rules(name, props) -> [str]
//	rctl.add(rule)
//	rctl.remove(filter) -> [str]
//	rctl.list(filter="", human=False) -> [str]
//	rctl.usage(filter, human=False) -> dict
//	rctl.cpuset(jid, cpus)
//	rctl.cpus(jid) -> str
package rctl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"rctl":        "rctl: resource limits (rctl(8)) and CPU affinity (cpuset(1)) of jails.",
	"rctl.rules":  "rctl.rules(name, props) -> list of str\n\nThe rctl(8) rules of the jail named name (\"ioc-UUID\") from its\nproperties (a dict such as j.properties): for every resource limit\nproperty (memoryuse, maxproc, ...) whose value is not \"off\",\n\"jail:NAME:RESOURCE:ACTION=LIMIT\", in the property table's order. No host\naccess. Fails naming a value that is not LIMIT:ACTION.",
	"rctl.add":    "rctl.add(rule)\n\nAdds a rule (`rctl -a RULE`), e.g. \"jail:ioc-UUID:maxproc:deny=100\".\nUndone (`rctl -r RULE`) when the run fails.",
	"rctl.remove": "rctl.remove(filter) -> list of str\n\nRemoves every rule matching filter (`rctl -r FILTER`), e.g.\n\"jail:ioc-UUID\", after reading them (`rctl FILTER`); nothing is run when\nnone matches. Returns the rules removed; they are added back when the run\nfails.",
	"rctl.list":   "rctl.list(filter=\"\", human=False) -> list of str\n\nThe rules matching filter, all of them when empty (`rctl [-h] [FILTER]`;\n\"jail:\" matches every jail's rules); none on a kernel without RCTL or\nwith it disabled. human: amounts with unit suffixes (8G), as rctl -h\nprints them.",
	"rctl.usage":  "rctl.usage(filter, human=False) -> dict\n\nThe resource use of a subject (`rctl -u FILTER`, e.g. \"jail:ioc-UUID\"):\nresource name to amount (int), in the order rctl prints them, which is\nthe kernel's (newer kernels report more resources). human: `rctl -hu\nFILTER`, amounts as strings with unit suffixes (\"4040K\").",
	"rctl.cpuset": "rctl.cpuset(jid, cpus)\n\nRestricts the running jail jid to the CPUs of the cpuset(1) list cpus\n(\"1\", \"0-3\", \"1,3\"): `cpuset -l CPUS -j JID`, after reading the jail's\ncurrent set (`cpuset -g -j JID`), which is put back when the run fails.",
	"rctl.cpus":   "rctl.cpus(jid) -> str\n\nThe CPU list of the running jail jid (`cpuset -g -j JID`), as \"0,1\".",
}

// NewModule returns the rctl module driving h (the run's host when nil).
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"rules": m.rules, "add": m.add, "remove": m.remove, "list": m.list, "usage": m.usage,
		"cpuset": m.cpuset, "cpus": m.cpus,
	}
	return thread.Module("rctl", fns)
}

type module struct{ h *runtime.Host }

func (m *module) host(t *starlark.Thread) *runtime.Host { return thread.HostOr(m.h, t) }

func fail(b *starlark.Builtin, err error) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: %w", b.Name(), err)
}

// Rules builds the rctl rules of the jail called name from its property
// values: properties.md §3.3 with the limit and action split at the first
// colon, and malformed values refused instead of sent to rctl.
func Rules(name string, props map[string]string) ([]string, error) {
	if err := checkWord("jail name", name); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range jailprops.All() {
		if p.Rctl == "" {
			continue
		}
		v := props[p.Name]
		if v == "" || v == "-" || v == "off" {
			continue
		}
		if err := p.Validate(v); err != nil {
			return nil, err
		}
		limit, action, _ := strings.Cut(v, ":")
		out = append(out, fmt.Sprintf("jail:%s:%s:%s=%s", name, p.Rctl, action, limit))
	}
	return out, nil
}

// checkWord refuses what would be taken for an option or split a rule.
func checkWord(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if s[0] == '-' {
		return fmt.Errorf("%s %q starts with '-'", what, s)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%s %q has a space or control character", what, s)
		}
	}
	return nil
}

func (m *module) rules(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var props *starlark.Dict
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "props", &props); err != nil {
		return nil, err
	}
	pm := map[string]string{}
	for _, it := range props.Items() {
		k, ok1 := starlark.AsString(it[0])
		v, ok2 := starlark.AsString(it[1])
		if !ok1 || !ok2 {
			return fail(b, fmt.Errorf("props: want a dict of strings, got %s: %s", it[0].Type(), it[1].Type()))
		}
		pm[k] = v
	}
	rs, err := Rules(name, pm)
	if err != nil {
		return fail(b, err)
	}
	return strList(rs), nil
}

func (m *module) add(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var rule string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "rule", &rule); err != nil {
		return nil, err
	}
	if err := checkRule(rule, true); err != nil {
		return fail(b, err)
	}
	h := m.host(t)
	err := thread.UndoOf(t).Do("rctl -r "+rule, thread.Step{Kind: "rctl.remove", Args: []string{rule}}, func() error {
		return h.Change(thread.Context(t), runtime.Rctl, "-a", rule)
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// checkRule checks the shape subject:id:resource[:action[=amount[/per]]];
// a rule to add needs every part.
func checkRule(rule string, full bool) error {
	if err := checkWord("rule", rule); err != nil {
		return err
	}
	f := strings.SplitN(rule, ":", 4)
	switch f[0] {
	case "process", "user", "loginclass", "jail":
	default:
		return fmt.Errorf("rule %q: subject %q is not process, user, loginclass or jail", rule, f[0])
	}
	if full && (len(f) < 4 || f[1] == "" || f[2] == "" || !strings.Contains(f[3], "=")) {
		return fmt.Errorf("rule %q: want SUBJECT:ID:RESOURCE:ACTION=AMOUNT", rule)
	}
	return nil
}

func (m *module) list(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var filter string
	var human bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "filter?", &filter, "human?", &human); err != nil {
		return nil, err
	}
	rs, err := list(thread.Context(t), m.host(t), filter, human)
	if err != nil {
		return fail(b, err)
	}
	return strList(rs), nil
}

// List returns the rules matching filter (all when empty).
func List(ctx context.Context, h *runtime.Host, filter string) ([]string, error) {
	return list(ctx, h, filter, false)
}

func list(ctx context.Context, h *runtime.Host, filter string, human bool) ([]string, error) {
	var args []string
	if human {
		args = append(args, "-h")
	}
	if filter != "" {
		if err := checkRule(filter, false); err != nil {
			return nil, err
		}
		args = append(args, filter)
	}
	out, err := h.Output(ctx, runtime.Rctl, args...)
	var ee *runtime.ExitError
	if errors.As(err, &ee) && strings.Contains(ee.Stderr, "RACCT/RCTL") {
		// A kernel without RCTL, or with it disabled, holds no rules;
		// stop asks on every host.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return lines(out), nil
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (m *module) remove(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var filter string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "filter", &filter); err != nil {
		return nil, err
	}
	h, ctx := m.host(t), thread.Context(t)
	rs, err := List(ctx, h, filter)
	if err != nil {
		return fail(b, err)
	}
	// rctl -r fails when nothing matches; having nothing to remove is
	// what the caller wants, so it is not an error here.
	if len(rs) == 0 {
		return starlark.NewList(nil), nil
	}
	err = thread.UndoOf(t).Do("rctl -a "+strings.Join(rs, " "), thread.Step{Kind: "rctl.add", Args: rs}, func() error {
		return h.Change(ctx, runtime.Rctl, "-r", filter)
	})
	if err != nil {
		return fail(b, err)
	}
	return strList(rs), nil
}

func (m *module) usage(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var filter string
	var human bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "filter", &filter, "human?", &human); err != nil {
		return nil, err
	}
	use, err := Usage(thread.Context(t), m.host(t), filter, human)
	if err != nil {
		return fail(b, err)
	}
	d := starlark.NewDict(len(use))
	for _, u := range use {
		var v starlark.Value = starlark.String(u.Amount)
		if !human {
			n, err := strconv.ParseInt(u.Amount, 10, 64)
			if err != nil {
				return fail(b, fmt.Errorf("rctl -u %s: %s: amount %q is not a number", filter, u.Resource, u.Amount))
			}
			v = starlark.MakeInt64(n)
		}
		_ = d.SetKey(starlark.String(u.Resource), v)
	}
	return d, nil
}

// Use is one line of `rctl -u`: a resource and the amount consumed, as
// rctl printed it.
type Use struct {
	Resource, Amount string
}

// Usage reads what the subject of filter consumes (`rctl [-h]u FILTER`),
// in rctl's order; human asks for unit suffixes.
func Usage(ctx context.Context, h *runtime.Host, filter string, human bool) ([]Use, error) {
	if err := checkRule(filter, false); err != nil {
		return nil, err
	}
	flag := "-u"
	if human {
		flag = "-hu"
	}
	out, err := h.Output(ctx, runtime.Rctl, flag, filter)
	if err != nil {
		return nil, err
	}
	var use []Use
	for _, l := range lines(out) {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("rctl %s %s: line %q is not RESOURCE=AMOUNT", flag, filter, l)
		}
		use = append(use, Use{k, v})
	}
	return use, nil
}

// CPUs reads the CPU list of jail jid, as "0,1".
func CPUs(ctx context.Context, h *runtime.Host, jid int) (string, error) {
	out, err := h.Output(ctx, runtime.Cpuset, "-g", "-j", strconv.Itoa(jid))
	if err != nil {
		return "", err
	}
	// "jail 5 mask: 0, 1"; a second line may name the domain policy.
	for _, l := range lines(out) {
		if _, list, ok := strings.Cut(l, " mask: "); ok && !strings.Contains(l, "domain") {
			return strings.ReplaceAll(list, " ", ""), nil
		}
	}
	return "", fmt.Errorf("cpuset -g -j %d: no mask in %q", jid, out)
}

func (m *module) cpus(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var jid int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "jid", &jid); err != nil {
		return nil, err
	}
	if jid <= 0 {
		return fail(b, fmt.Errorf("jid %d: want a running jail's id (> 0)", jid))
	}
	s, err := CPUs(thread.Context(t), m.host(t), jid)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(s), nil
}

// CheckCPUList checks a cpuset(1) -l list: CPU numbers and ascending
// ranges separated by commas.
func CheckCPUList(s string) error {
	if s == "" {
		return fmt.Errorf("cpu list is empty")
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > 1023 {
			return fmt.Errorf("cpu list %q: %q is not a CPU number 0-1023", s, lo)
		}
		if isRange {
			z, err := strconv.Atoi(hi)
			if err != nil || z < 0 || z > 1023 {
				return fmt.Errorf("cpu list %q: %q is not a CPU number 0-1023", s, hi)
			}
			if z < a {
				return fmt.Errorf("cpu list %q: range %s is descending", s, part)
			}
		}
	}
	return nil
}

func (m *module) cpuset(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var jid int
	var cpus string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "jid", &jid, "cpus", &cpus); err != nil {
		return nil, err
	}
	if jid <= 0 {
		return fail(b, fmt.Errorf("jid %d: want a running jail's id (> 0)", jid))
	}
	if err := CheckCPUList(cpus); err != nil {
		return fail(b, err)
	}
	h, ctx := m.host(t), thread.Context(t)
	old, err := CPUs(ctx, h, jid)
	if err != nil {
		return fail(b, err)
	}
	j := strconv.Itoa(jid)
	err = thread.UndoOf(t).Do("cpuset -l "+old+" -j "+j, thread.Step{Kind: "rctl.cpuset", Args: []string{j, old}}, func() error {
		return h.Change(ctx, runtime.Cpuset, "-l", cpus, "-j", j)
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func strList(ss []string) *starlark.List {
	out := make([]starlark.Value, len(ss))
	for i, s := range ss {
		out[i] = starlark.String(s)
	}
	return starlark.NewList(out)
}
