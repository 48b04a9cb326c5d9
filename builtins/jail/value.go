package jail

import (
	"fmt"
	"sort"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("of", "jail.of(spec) -> jail.jail\n\n"+
		"The jail a jail.spec describes, once its datasets exist, as builtins\n"+
		"that take a jail want it (jail.say for create's progress lines, for\n"+
		"one): its UUID, tag, dataset, mountpoint and properties, stopped. No\n"+
		"host access; native sizes are not known (\"-\").", stOf)
}

func stOf(_ *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sv *SpecValue
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "spec", &sv); err != nil {
		return nil, err
	}
	s := sv.Spec()
	j := &Jail{UUID: s.UUID, Tag: s.Tag, Dataset: s.Dataset, Mountpoint: s.Mountpoint, Props: map[string]string{}, Raw: map[string]string{}}
	for k, v := range s.Props {
		j.Props[k] = v
	}
	for _, c := range userColumns() {
		if n := c[len(jailprops.Prefix):]; j.Props[n] == "" {
			j.Props[n] = "-"
		}
	}
	for _, p := range jailprops.NativeProperties() {
		if j.Props[p.Name] == "" {
			j.Props[p.Name] = "-"
		}
		j.Raw[p.Name] = j.Props[p.Name]
	}
	return NewValue(j), nil
}

// Value is a jail as Starlark sees it: immutable, its attributes the data
// read when it was listed.
type Value struct{ j *Jail }

// NewValue wraps j; j must not change afterwards.
func NewValue(j *Jail) *Value { return &Value{j: j} }

// Jail returns the wrapped jail.
func (v *Value) Jail() *Jail { return v.j }

var _ starlark.HasAttrs = (*Value)(nil)

// String implements starlark.Value.
func (v *Value) String() string {
	if v.j.Default {
		return `jail.jail("default")`
	}
	return fmt.Sprintf("jail.jail(%q, tag=%q)", v.j.UUID, v.j.Tag)
}

// Type implements starlark.Value.
func (v *Value) Type() string { return "jail.jail" }

// Freeze implements starlark.Value.
func (v *Value) Freeze() {}

// Truth implements starlark.Value.
func (v *Value) Truth() starlark.Bool { return true }

// Hash implements starlark.Value.
func (v *Value) Hash() (uint32, error) { return starlark.String(v.j.Dataset).Hash() }

var valueAttrs = []string{"uuid", "tag", "name", "dataset", "mountpoint", "path", "state", "jid", "is_default", "template", "format_version", "properties", "raw"}

// AttrNames implements starlark.HasAttrs.
func (v *Value) AttrNames() []string {
	a := append([]string(nil), valueAttrs...)
	sort.Strings(a)
	return a
}

// Attr implements starlark.HasAttrs.
func (v *Value) Attr(name string) (starlark.Value, error) {
	j := v.j
	switch name {
	case "uuid":
		return starlark.String(j.UUID), nil
	case "tag":
		return starlark.String(j.Tag), nil
	case "name":
		if j.Default {
			return starlark.None, nil
		}
		return starlark.String(j.Name()), nil
	case "dataset":
		return starlark.String(j.Dataset), nil
	case "mountpoint":
		return starlark.String(j.Mountpoint), nil
	case "path":
		return starlark.String(j.Mountpoint + "/root"), nil
	case "state":
		return starlark.String(j.State()), nil
	case "jid":
		if j.JID == 0 {
			return starlark.None, nil
		}
		return starlark.MakeInt(j.JID), nil
	case "is_default":
		return starlark.Bool(j.Default), nil
	case "template":
		return starlark.Bool(j.Props["template"] == "yes"), nil
	case "format_version":
		n := 0
		fmt.Sscan(j.Props["format_version"], &n)
		return starlark.MakeInt(n), nil
	case "properties":
		return frozenDict(j.Props), nil
	case "raw":
		return frozenDict(j.Raw), nil
	}
	return nil, nil
}

func frozenDict(m map[string]string) *starlark.Dict {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := starlark.NewDict(len(m))
	for _, k := range keys {
		_ = d.SetKey(starlark.String(k), starlark.String(m[k]))
	}
	d.Freeze()
	return d
}
