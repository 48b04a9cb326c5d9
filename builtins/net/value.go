package net

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// record is an immutable Starlark value with named fields, such as
// net.addr or net.route; its attributes are data only.
type record struct {
	typ    string
	names  []string
	vals   []starlark.Value
	frozen bool
}

var (
	_ starlark.HasAttrs   = (*record)(nil)
	_ starlark.Comparable = (*record)(nil)
)

func newRecord(typ string, kv ...any) *record {
	r := &record{typ: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		r.names = append(r.names, kv[i].(string))
		r.vals = append(r.vals, kv[i+1].(starlark.Value))
	}
	r.Freeze()
	return r
}

func (r *record) String() string {
	var b strings.Builder
	b.WriteString(r.typ + "(")
	for i, n := range r.names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %s", n, r.vals[i].String())
	}
	b.WriteString(")")
	return b.String()
}

func (r *record) Type() string { return r.typ }

func (r *record) Freeze() {
	if r.frozen {
		return
	}
	r.frozen = true
	for _, v := range r.vals {
		v.Freeze()
	}
}

func (r *record) Truth() starlark.Bool { return starlark.True }

func (r *record) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: %s", r.typ) }

// Attr returns nil, nil for unknown names so the interpreter can suggest
// the right one.
func (r *record) Attr(name string) (starlark.Value, error) {
	for i, n := range r.names {
		if n == name {
			return r.vals[i], nil
		}
	}
	return nil, nil
}

func (r *record) AttrNames() []string {
	out := append([]string(nil), r.names...)
	sort.Strings(out)
	return out
}

func (r *record) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	o := y.(*record)
	eq := r.typ == o.typ && len(r.names) == len(o.names)
	for i := 0; eq && i < len(r.names); i++ {
		if r.names[i] != o.names[i] {
			eq = false
			break
		}
		e, err := starlark.EqualDepth(r.vals[i], o.vals[i], depth-1)
		if err != nil {
			return false, err
		}
		eq = e
	}
	switch op {
	case syntax.EQL:
		return eq, nil
	case syntax.NEQ:
		return !eq, nil
	}
	return false, fmt.Errorf("%s %s %s not implemented", r.typ, op, o.typ)
}

func strList(ss []string) *starlark.List {
	vals := make([]starlark.Value, len(ss))
	for i, s := range ss {
		vals[i] = starlark.String(s)
	}
	l := starlark.NewList(vals)
	l.Freeze()
	return l
}

// addrValue is the Starlark net.addr of an ip4_addr/ip6_addr entry.
func addrValue(a Addr) *record {
	var prefix starlark.Value = starlark.None
	if a.Prefix >= 0 {
		prefix = starlark.MakeInt(a.Prefix)
	}
	address := "AUTOIP4"
	if !a.Auto {
		address = a.Address.String()
	}
	return newRecord("net.addr",
		"interface", starlark.String(a.Interface),
		"address", starlark.String(address),
		"prefix", prefix,
		"auto", starlark.Bool(a.Auto),
		"params", strList(a.Params),
		"text", starlark.String(a.String()),
	)
}
