package jail

// What must be unique among a host's jails — tag, UUID, addresses — is
// checked here against the jails read under the host's identity lock
// (jail.locked), so that the check and the claim (the dataset that holds
// the value) happen with no other iocage in between.

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/net"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("locked", "jail.locked(fn) -> value of fn()\n\n"+
		"Calls fn holding the host's identity lock (an flock on\n"+
		"/var/run/iocage/autoip4.lock, the lock AUTOIP4 allocation takes), so\n"+
		"that what must be unique among jails (tag, UUID, addresses) is checked\n"+
		"and claimed with no other iocage in between: read the jails inside fn,\n"+
		"then make or change the jail there. Nested calls in one run (and\n"+
		"net.autoip4_locked inside) take the lock once. Waits for other iocage\n"+
		"processes; fails when interrupted.", stLocked)
}

func stLocked(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn); err != nil {
		return nil, err
	}
	return net.CallLocked(t, b, h, fn)
}

// CheckUnique refuses props for the jail uuid when another of jails has
// the same tag or one of the same IPv4/IPv6 addresses. props holds the
// values the jail will have (only "tag", "ip4_addr" and "ip6_addr" are
// read; a missing one is not checked). Values of other jails that do not
// parse are ignored: they cannot start, so they hold no address.
func CheckUnique(uuid string, props map[string]string, jails []*Jail) error {
	if tag, ok := props["tag"]; ok {
		for _, o := range jails {
			if o.UUID != uuid && !o.Default && o.Tag == tag {
				return fmt.Errorf("tag %q is already used by %s", tag, o.UUID)
			}
		}
	}
	mine := map[netip.Addr]bool{}
	for _, name := range []string{"ip4_addr", "ip6_addr"} {
		if v, ok := props[name]; ok {
			for _, a := range addressesOf(name, v) {
				mine[a] = true
			}
		}
	}
	if len(mine) == 0 {
		return nil
	}
	for _, o := range jails {
		if o.UUID == uuid || o.Default {
			continue
		}
		var clash []string
		for _, name := range []string{"ip4_addr", "ip6_addr"} {
			for _, a := range addressesOf(name, o.Props[name]) {
				if mine[a] {
					clash = append(clash, a.String())
				}
			}
		}
		if len(clash) > 0 {
			sort.Strings(clash)
			return fmt.Errorf("address %s is already used by jail %s (%s): two jails cannot share an address", strings.Join(clash, ", "), o.UUID, o.Tag)
		}
	}
	return nil
}

// addressesOf is the literal addresses of an ip4_addr or ip6_addr value
// (AUTOIP4 and unparsable values hold none).
func addressesOf(prop, v string) []netip.Addr {
	if v == "" || v == "-" || v == "none" {
		return nil
	}
	parse := net.ParseIP4Addr
	if prop == "ip6_addr" {
		parse = net.ParseIP6Addr
	}
	as, err := parse(v)
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if !a.Auto && a.Address.IsValid() {
			out = append(out, a.Address.WithZone(""))
		}
	}
	return out
}
