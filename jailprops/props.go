package jailprops

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Prefix is the ZFS user property namespace of every iocage property.
const Prefix = "org.freebsd.iocage:"

// Groups, in the order `get all` and `defaults` walk them.
const (
	GroupNet    = "net"
	GroupJail   = "jail"
	GroupRctl   = "rctl"
	GroupCustom = "custom"
	GroupZFS    = "zfs"
	GroupSync   = "sync"
	GroupFTP    = "ftp"
)

// Property is one row of the table.
type Property struct {
	Name  string
	Group string
	// Type names the value syntax for help texts ("0/1", "on/off", "size",
	// "rctl", ...).
	Type string
	// Default is the built-in default. Values that depend on the invocation
	// (a new UUID, the host's hostid) are written as placeholders such as
	// "<uuid>" and expanded by Builtins.
	Default string
	// Values describes the accepted values for help and error messages.
	Values string
	// Native marks a native ZFS property; the others are ZFS user
	// properties named Prefix+Name.
	Native bool
	// ReadOnly properties cannot be changed by `set` (native read-only
	// ZFS properties, and the ones iocage itself maintains).
	ReadOnly bool
	// Kept properties survive `reset`.
	Kept bool
	// PerJail properties are unique to each jail (identity, generated MACs,
	// bookkeeping): new jails never take them from the defaults dataset.
	PerJail bool
	// HostFacing properties act on the host or widen what the jail may
	// do to it (hooks run on the host, the delegated dataset, jail(8)
	// privileges): a value that came from elsewhere (an import stream) is
	// not taken without the administrator saying so.
	HostFacing bool
	// JailParam is the jail(8) parameter the property becomes, if any.
	JailParam string
	// Rctl is the rctl(8) resource the property limits, if any.
	Rctl string
	// Doc is one line on what the property does.
	Doc string

	check func(p *Property, v string) error
}

// ZFSName is the name of the ZFS property that stores p.
func (p *Property) ZFSName() string {
	if p.Native {
		return p.Name
	}
	return Prefix + p.Name
}

// Validate checks v against p's accepted values. It does not consider
// ReadOnly: the program itself writes read-only properties.
func (p *Property) Validate(v string) error {
	if err := checkCommon(p, v); err != nil {
		return err
	}
	if p.check == nil {
		return nil
	}
	return p.check(p, v)
}

func checkCommon(p *Property, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("property %s: empty value not allowed (accepted: %s)", p.Name, p.Values)
	case v == "-":
		// zfs prints an unset user property as "-", so it cannot be stored.
		return fmt.Errorf("property %s: %q is not a value (accepted: %s)", p.Name, v, p.Values)
	case len(v) > 8000:
		return fmt.Errorf("property %s: value is %d bytes long, ZFS keeps at most 8000", p.Name, len(v))
	}
	if why := unprintable(v); why != "" {
		return fmt.Errorf("property %s: invalid value %q: %s (accepted: %s)", p.Name, v, why, p.Values)
	}
	return nil
}

// unprintable says where v holds a byte or character no property takes,
// or is "" when it holds none: invalid UTF-8, and the C0 controls, DEL and
// the C1 controls. Tabs and newlines would break the tab-separated
// `zfs list -H` rows; the others would reach terminals, logs and jail(8)
// as escape sequences.
func unprintable(v string) string {
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return fmt.Sprintf("byte 0x%02x at offset %d is not valid UTF-8", v[i], i)
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return fmt.Sprintf("control character %U at offset %d", r, i)
		}
		i += size
	}
	return ""
}

// FormatVersion is the format of jail datasets this program writes. It is
// stored in the format_version property of every jail and of the defaults.
const FormatVersion = 1

// Version is the iocage_version stamp written next to format_version, kept
// for the shell iocage, which compares it on every run.
var Version = "iocage go"

var table []*Property
var byName = map[string]*Property{}

func add(group string, rows ...*Property) {
	for _, p := range rows {
		p.Group = group
		if p.Native {
			p.Group = GroupZFS
		}
		if _, dup := byName[p.Name]; dup {
			panic("jailprops: duplicate property " + p.Name)
		}
		table = append(table, p)
		byName[p.Name] = p
	}
}

// All returns every property in table order (net, jail, rctl, custom, zfs,
// sync, ftp).
func All() []*Property { return append([]*Property(nil), table...) }

// Group returns the properties of one group in order.
func Group(g string) []*Property {
	var out []*Property
	for _, p := range table {
		if p.Group == g {
			out = append(out, p)
		}
	}
	return out
}

// UserProperties returns the user (non-native) properties in the order of
// `get all`: net, jail, rctl, custom, sync, ftp.
func UserProperties() []*Property {
	var out []*Property
	for _, g := range []string{GroupNet, GroupJail, GroupRctl, GroupCustom, GroupSync, GroupFTP} {
		out = append(out, Group(g)...)
	}
	return out
}

// NativeProperties returns the native ZFS properties in table order.
func NativeProperties() []*Property { return Group(GroupZFS) }

// Obsolete user properties older datasets may still carry; migrations
// remove them.
var Obsolete = []string{"hostname", "jail_zfs_pool"}

// Pseudo-properties accepted by get/show that are not stored.
var Pseudo = []string{"status", "all"}

// Lookup finds a property by name. An unknown name is an error naming the
// closest known names.
func Lookup(name string) (*Property, error) {
	if p, ok := byName[name]; ok {
		return p, nil
	}
	if name == "" {
		return nil, fmt.Errorf("empty property name")
	}
	msg := fmt.Sprintf("unknown property %q", name)
	if s := Suggest(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
	}
	return nil, fmt.Errorf("%s", msg)
}

// Suggest returns up to three known property names close to name: those
// within an edit distance of a third of its length, and those containing it.
func Suggest(name string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	limit := max(2, len(name)/3)
	for _, p := range table {
		d := editDistance(name, p.Name)
		if d <= limit || (len(name) >= 3 && strings.Contains(p.Name, name)) {
			cs = append(cs, cand{p.Name, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// CheckSet validates an assignment made by a user (`iocage set`, create
// overrides): the property must exist, be writable and the value valid.
func CheckSet(name, value string) (*Property, error) {
	p, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if p.ReadOnly {
		return nil, fmt.Errorf("property %s is read-only", name)
	}
	if err := p.Validate(value); err != nil {
		return nil, err
	}
	return p, nil
}

// ParseAssignment splits "NAME=VALUE" and checks it with CheckSet. An
// argument without "=" is an error (the shell iocage stored the name as
// its own value).
func ParseAssignment(arg string) (*Property, string, error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return nil, "", fmt.Errorf("%q is not PROPERTY=VALUE", arg)
	}
	p, err := CheckSet(name, value)
	if err != nil {
		return nil, "", err
	}
	return p, value, nil
}
