package jail

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/jailprops"
)

// Spec is a jail about to be made: its identity, where it goes and every
// property it is created with. It is computed without host access from the
// defaults (or, for clone -P, the source jail) and the command line.
type Spec struct {
	UUID       string
	Tag        string
	Pool       string
	Dataset    string
	Mountpoint string
	Release    string
	Type       string
	// Props holds every user property by bare name and the settable
	// native ones (compression, quota, dedup, reservation, copies).
	Props map[string]string
	// Dropped are the values an import did not take from the stream
	// (host-facing ones), by property name; nil for a create.
	Dropped map[string]string
}

// Root is the jail's root directory on the host.
func (s *Spec) Root() string { return s.Mountpoint + "/root" }

// settableNative are the native properties a new jail takes from the
// command line or its base (properties.md §5).
var settableNative = []string{"compression", "quota", "dedup", "reservation", "copies"}

// ZFSProps are the properties written at creation, as zfs names them:
// every user property, the settable native ones and, with hack88, the
// short mountpoint.
func (s *Spec) ZFSProps() map[string]string {
	out := map[string]string{}
	for k, v := range s.Props {
		p, err := jailprops.Lookup(k)
		if err != nil || (p.Native && p.ReadOnly) {
			continue
		}
		out[p.ZFSName()] = v
	}
	if s.Mountpoint != Root+"/jails/"+s.UUID {
		out["mountpoint"] = s.Mountpoint
	}
	return out
}

// DataDataset is jail_zfs_dataset with a leading DEFAULT/ replaced by the
// pool; any other value is used verbatim (the shell iocage glued the pool
// name onto whatever followed "DEFAULT").
func DataDataset(value, pool string) string {
	if rest, ok := strings.CutPrefix(value, "DEFAULT/"); ok {
		return pool + "/" + rest
	}
	return value
}

// NewOptions shape NewSpec.
type NewOptions struct {
	Pool string
	// Defaults is the defaults pseudo-jail; required.
	Defaults *Jail
	// Source is the jail whose values a clone -P keeps; nil otherwise.
	Source *Jail
	// Jails are the existing jails, for tag uniqueness.
	Jails []*Jail
	// Type is "jail" or "basejail"; with Source it is the source's.
	Type string
	// UUID of the new jail; a fresh one when empty.
	UUID string
	// Base is the template whose base tree a basejail shares (create -b
	// base=TEMPLATE); nil for the release's base.
	Base *Jail
	Now  time.Time
}

// NewSpec resolves a new jail from command-line assignments (checked:
// known, writable, valid) with the one precedence rule of jailprops.Resolve:
// command line, then the base (defaults, or the source jail for clone -P),
// then the built-in. Unlike the shell iocage, template= and ip4_addr from
// the defaults are honoured, and the release property and the release the
// jail is made from are one value.
func NewSpec(cli map[string]string, o NewOptions) (*Spec, error) {
	if o.Defaults == nil {
		return nil, fmt.Errorf("no defaults to create from")
	}
	if err := jailprops.CheckOverrides(cli); err != nil {
		return nil, err
	}
	uuid := o.UUID
	if uuid == "" {
		var err error
		if uuid, err = jailprops.NewUUID(); err != nil {
			return nil, err
		}
	} else if !jailprops.IsUUID(uuid) {
		return nil, fmt.Errorf("uuid %q is not a UUID", uuid)
	}
	for _, j := range o.Jails {
		if j.UUID == uuid {
			return nil, fmt.Errorf("uuid %s is already the jail %s's", uuid, j.Tag)
		}
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	base := o.Defaults
	if o.Source != nil {
		base = o.Source
	}
	tags := map[string]string{}
	for _, j := range o.Jails {
		tags[j.Tag] = j.UUID
	}
	tag, given := cli["tag"]
	if given {
		if other, taken := tags[tag]; taken {
			return nil, fmt.Errorf("tag %q is already used by %s", tag, other)
		}
	} else {
		// Default tags have a one-second grain: jails made within the
		// same second get a suffix instead of a clash.
		tag = jailprops.DefaultTag(now)
		for i := 2; tags[tag] != ""; i++ {
			tag = jailprops.DefaultTag(now) + "_" + strconv.Itoa(i)
		}
	}
	g := jailprops.Generated{
		UUID:    uuid,
		Tag:     tag,
		HostID:  specValueOr(o.Defaults.Props["hostid"], "none"),
		VNET:    o.Defaults.Props["vnet"] == "on",
		Release: specValueOr(base.Props["release"], "none"),
	}
	over := map[string]string{"tag": tag}
	for k, v := range cli {
		over[k] = v
	}
	vals := jailprops.Resolve(over, base.Props, jailprops.Builtins(g))
	for _, n := range settableNative {
		if v, ok := cli[n]; ok {
			vals[n] = v
			continue
		}
		if v := nativeValue(base, n); v != "" {
			vals[n] = v
		}
	}
	typ := o.Type
	if o.Source != nil {
		// clone -P: the source's kind; it is no template, and what is
		// the host's (hostid) or unique to a jail (MACs, last start) is
		// not copied.
		typ = specValueOr(o.Source.Props["type"], "jail")
		if _, ok := cli["template"]; !ok {
			vals["template"] = "no"
		}
		vals["hostid"] = g.HostID
		// Addresses stay with the source: two jails must not share one.
		for _, n := range []string{"ip4_addr", "ip6_addr"} {
			if _, ok := cli[n]; !ok {
				vals[n] = "none"
			}
		}
	}
	if typ == "" {
		typ = "jail"
	}
	if typ != "jail" && typ != "basejail" {
		return nil, fmt.Errorf("type %q: want jail or basejail", typ)
	}
	vals["type"] = typ
	vals["basejail_source"] = "none"
	if o.Source != nil && typ == "basejail" {
		vals["basejail_source"] = specValueOr(o.Source.Props["basejail_source"], "none")
	}
	if o.Base != nil {
		if typ != "basejail" {
			return nil, fmt.Errorf("a base is for basejails; a %s has none", typ)
		}
		if o.Base.Props["template"] != "yes" {
			return nil, fmt.Errorf("%s (%s) is not a template", o.Base.UUID, o.Base.Tag)
		}
		if r, ok := cli["release"]; ok && r != o.Base.Props["release"] {
			return nil, fmt.Errorf("release=%s: a basejail of the template %s is of its release, %s", r, o.Base.Tag, o.Base.Props["release"])
		}
		vals["basejail_source"] = o.Base.UUID
		vals["release"] = specValueOr(o.Base.Props["release"], "none")
	}
	if err := checkResolved(vals); err != nil {
		return nil, err
	}
	if err := CheckUnique(uuid, map[string]string{"ip4_addr": vals["ip4_addr"], "ip6_addr": vals["ip6_addr"]}, o.Jails); err != nil {
		return nil, err
	}
	s := &Spec{UUID: uuid, Tag: vals["tag"], Pool: o.Pool, Dataset: JailsDS(o.Pool) + "/" + uuid,
		Release: vals["release"], Type: typ, Props: vals}
	s.Mountpoint = Root + "/jails/" + uuid
	if vals["hack88"] == "1" {
		s.Mountpoint = Root + "/jails/" + uuid[:8]
		for _, j := range o.Jails {
			if j.Mountpoint == s.Mountpoint {
				return nil, fmt.Errorf("hack88: mountpoint %s is already used by jail %s (UUIDs share their first 8 characters)", s.Mountpoint, j.UUID)
			}
		}
	}
	return s, nil
}

// checkResolved refuses a resolved set with an empty or invalid value (a
// corrupt defaults dataset), naming every property at fault.
func checkResolved(vals map[string]string) error {
	if errs := invalidValues(vals, nil); len(errs) > 0 {
		return fmt.Errorf("resolved properties are invalid (check the defaults with `iocage get all default`): %s", strings.Join(errs, "; "))
	}
	return nil
}

// invalidValues checks each value of vals that skip does not name against
// its property, and returns the errors sorted; unknown names are passed
// over.
func invalidValues(vals, skip map[string]string) []string {
	var errs []string
	for k, v := range vals {
		if _, skipped := skip[k]; skipped {
			continue
		}
		p, err := jailprops.Lookup(k)
		if err != nil {
			continue
		}
		if err := p.Validate(v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	sort.Strings(errs)
	return errs
}

// nativeValue is base's exact value of a settable native property, in the
// form zfs set takes; "" when it has none.
func nativeValue(base *Jail, name string) string {
	v := base.Raw[name]
	switch {
	case v == "" || v == "-":
		return ""
	case (name == "quota" || name == "reservation") && v == "0":
		return "none"
	}
	return v
}

func specValueOr(v, def string) string {
	if v == "" || v == "-" {
		return def
	}
	return v
}

// SpecValue is a Spec as Starlark sees it (type jail.spec): immutable data.
type SpecValue struct{ s *Spec }

// NewSpecValue wraps s; s must not change afterwards.
func NewSpecValue(s *Spec) *SpecValue { return &SpecValue{s: s} }

// Spec returns the wrapped spec.
func (v *SpecValue) Spec() *Spec { return v.s }

var _ starlark.HasAttrs = (*SpecValue)(nil)

func (v *SpecValue) String() string {
	return fmt.Sprintf("jail.spec(%q, tag=%q)", v.s.UUID, v.s.Tag)
}
func (v *SpecValue) Type() string          { return "jail.spec" }
func (v *SpecValue) Freeze()               {}
func (v *SpecValue) Truth() starlark.Bool  { return true }
func (v *SpecValue) Hash() (uint32, error) { return starlark.String(v.s.Dataset).Hash() }

var specAttrs = []string{"uuid", "tag", "pool", "dataset", "mountpoint", "path", "release", "type", "data_dataset", "properties", "zfs_properties", "dropped"}

// AttrNames implements starlark.HasAttrs.
func (v *SpecValue) AttrNames() []string {
	a := append([]string(nil), specAttrs...)
	sort.Strings(a)
	return a
}

// Attr implements starlark.HasAttrs.
func (v *SpecValue) Attr(name string) (starlark.Value, error) {
	s := v.s
	switch name {
	case "uuid":
		return starlark.String(s.UUID), nil
	case "tag":
		return starlark.String(s.Tag), nil
	case "pool":
		return starlark.String(s.Pool), nil
	case "dataset":
		return starlark.String(s.Dataset), nil
	case "mountpoint":
		return starlark.String(s.Mountpoint), nil
	case "path":
		return starlark.String(s.Root()), nil
	case "release":
		return starlark.String(s.Release), nil
	case "type":
		return starlark.String(s.Type), nil
	case "data_dataset":
		return starlark.String(DataDataset(s.Props["jail_zfs_dataset"], s.Pool)), nil
	case "properties":
		return frozenDict(s.Props), nil
	case "zfs_properties":
		return frozenDict(s.ZFSProps()), nil
	case "dropped":
		return frozenDict(s.Dropped), nil
	}
	return nil, nil
}
