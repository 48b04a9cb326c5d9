// Package net is the Starlark module `net` and the Go behind it: parsing
// and checking iocage's network properties (ip4_addr, ip6_addr,
// interfaces, vnetN_mac, defaultrouter, defaultrouter6), generating vnet
// MACs and AUTOIP4 addresses, reading host facts (default route,
// interfaces, bridge members, MTU, VIMAGE), and the unit operations of
// VNET networking — epair, bridge, vnet moves, addresses, default routes —
// each one ifconfig(8) or route(8) command line as lifecycle.md §4.3 and
// §5 give it, run inside a jail through jexec(8) when asked.
//
// Starlark signatures:
//
//	net.parse_ip4(value) -> [net.addr]
//	net.parse_ip6(value) -> [net.addr]
//	net.parse_interfaces(value) -> [net.nic]
//	net.parse_vnet_mac(value) -> net.mac | None
//	net.parse_defaultrouter(value, inet6=False) -> str | None
//	net.vnet_mac(uuid, index) -> net.mac
//	net.autoip4(start, end, subnet, used=[], gateway="") -> str
//	net.autoip4_locked(fn) -> fn()
//	net.default_route(inet6=False) -> net.route | None
//	net.interfaces(detail=False) -> [str] | [net.interface]
//	net.interface(name) -> net.interface
//	net.vimage() -> bool
//	net.epair_create(description="") -> net.epair
//	net.epair_destroy(name)
//	net.bridge_add(bridge, member)
//	net.bridge_remove(bridge, member)
//	net.vnet_move(iface, jail)
//	net.vnet_reclaim(iface, jail)
//	net.rename(iface, name, mtu=0, jail="", fib=0) -> str
//	net.set_mtu(iface, mtu, jail="", fib=0)
//	net.set_mac(iface, mac, jail="", fib=0)
//	net.describe(iface, text)
//	net.up(iface, jail="", fib=0)
//	net.add_address(iface, addr, inet6=False, jail="", fib=0)
//	net.add_alias(iface, addr, inet6=False, jail="", fib=0)
//	net.remove_alias(iface, addr, inet6=False, jail="", fib=0)
//	net.route_add_default(gw, jail="", inet6=False, fib=0)
//	net.bridge_create(name)
//	net.bridge_destroy(name)
//	net.resolv_conf(root, value) -> bool
package net

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// Docs documents the module and every builtin; the first line of each is
// its signature.
var Docs = map[string]string{
	"net":                     "net: networking of the host and of VNET jails.\n\nParses and checks the network properties, reads host facts and runs the\nifconfig(8)/route(8) steps of VNET start and stop, one command each.",
	"net.parse_ip4":           "net.parse_ip4(value) -> list of net.addr\n\nParses an ip4_addr value: \"none\", or comma-separated entries\n[IFACE|]ADDR[/MASK] [ifconfig params], IFACE an interface or DEFAULT, ADDR\nan IPv4 address or AUTOIP4, MASK a length or a dotted netmask. Returns\nnet.addr(interface, address, prefix (None when absent), auto, params, text).\nNo host effect. Fails naming the entry at fault and what is accepted.",
	"net.parse_ip6":           "net.parse_ip6(value) -> list of net.addr\n\nParses an ip6_addr value like net.parse_ip4 (no AUTOIP4, prefix lengths\n0-128 only). No host effect. Fails naming the entry at fault.",
	"net.parse_interfaces":    "net.parse_interfaces(value) -> list of net.nic\n\nParses the interfaces property, NIC:BRIDGE entries (at most 4, NIC one\nof vnet0..vnet3, each once). Returns net.nic(name, bridge, index); index\nis the entry's position, which sets its MAC offset. No host effect.\nFails naming the entry at fault.",
	"net.parse_vnet_mac":      "net.parse_vnet_mac(value) -> net.mac or None\n\nChecks a vnetN_mac value: \"none\" (None) or HOSTMAC,JAILMAC, each 12 hex\ndigits, unicast, different. Returns net.mac(host, jail, value). No host\neffect. Fails saying what is accepted.",
	"net.parse_defaultrouter": "net.parse_defaultrouter(value, inet6=False) -> str or None\n\nChecks defaultrouter (IPv4) or, with inet6, defaultrouter6 (IPv6, a\nlink-local gateway may carry %iface). Returns the address, or None for\n\"none\". No host effect.",
	"net.vnet_mac":            "net.vnet_mac(uuid, index) -> net.mac\n\nGenerates the MAC pair of the index-th (0-3) VNET interface of the jail\nwith this UUID: 02ff60 + (first 6 hex digits of uuid + 2*index), and +1\nfor the jail side, zero-padded. Returns net.mac(host, jail, value) with\nvalue \"HOST,JAIL\" as vnetN_mac stores it. No host effect.",
	"net.autoip4":             "net.autoip4(start, end, subnet, used=[], gateway=\"\") -> str\n\nResolves AUTOIP4: the first BASE.k, k from start to end, that no value in\nused (the ip4_addr of every jail) holds, BASE the first three octets of\ngateway (the default route's gateway when empty: one `route -n get\ndefault`). Returns \"A.B.C.k/subnet\". Fails on exhaustion, bounds or a\nmissing default route. Call it inside net.autoip4_locked.",
	"net.autoip4_locked":      "net.autoip4_locked(fn) -> value of fn()\n\nCalls fn holding the host's AUTOIP4 lock (an flock on\n/var/run/iocage/autoip4.lock), so parallel creates never pick the same\naddress: allocate and store ip4_addr inside fn. Waits for other iocage\nprocesses; fails when interrupted.",
	"net.default_route":       "net.default_route(inet6=False) -> net.route or None\n\nReads the default route (`route -n get default`, `route -6 -n get\ndefault` with inet6). Returns net.route(interface, gateway), or None when\nthere is none.",
	"net.interfaces":          "net.interfaces(detail=False) -> list of str or of net.interface\n\nNames of the host's interfaces (`ifconfig -l`); with detail, every\ninterface as net.interface reads it, from one `ifconfig -a`.",
	"net.bridge_create":       "net.bridge_create(name)\n\nCreates bridge name (bridgeN), marked as iocage's by its description, and\nbrings it up (`ifconfig NAME create description 'created by iocage' up`).\nUndone by destroying it when the run fails.",
	"net.bridge_destroy":      "net.bridge_destroy(name)\n\nDestroys bridge name (`ifconfig NAME destroy`) after reading it: refuses\na bridge iocage did not create (no 'created by iocage' description) or\none that still has members.",
	"net.resolv_conf":         "net.resolv_conf(root, value) -> bool\n\nWrites ROOT/etc/resolv.conf as the resolver property value asks: \"none\"\n(or unset) leaves it alone and returns False; \"copy\" copies the host's\n/etc/resolv.conf; anything else is written with each \";\" a line break.\nRefuses when ROOT/etc or the file is a symlink. Undone (old content back)\nwhen the run fails. Returns True when written.",
	"net.interface":           "net.interface(name) -> net.interface\n\nReads one interface (`ifconfig NAME`): net.interface(name, mtu, up, mac,\ndescription, members, groups, inet, inet6); members lists a bridge's\nmembers as ifconfig orders them. Fails when it does not exist.",
	"net.vimage":              "net.vimage() -> bool\n\nWhether the kernel has VIMAGE (`sysctl -n kern.features.vimage` is 1).",
	"net.epair_create":        "net.epair_create(description=\"\") -> net.epair\n\nCreates an epair (`ifconfig epair create [description TEXT]`, the\ndescription given to the a end in the same command). Returns\nnet.epair(a, b), the host (a) and jail (b) ends. Undone by destroying it\nwhen the run fails.",
	"net.epair_destroy":       "net.epair_destroy(name)\n\nDestroys an epair by either end, under any name (`ifconfig NAME\ndestroy`); both ends go, even the one inside a jail.",
	"net.bridge_add":          "net.bridge_add(bridge, member)\n\nAdds member to bridge and brings the bridge up (`ifconfig BRIDGE addm\nMEMBER up`). Fails when member is missing or in another bridge. Undone\nwith deletem when the run fails.",
	"net.bridge_remove":       "net.bridge_remove(bridge, member)\n\nRemoves member from bridge (`ifconfig BRIDGE deletem MEMBER`).",
	"net.vnet_move":           "net.vnet_move(iface, jail)\n\nMoves iface into the running VNET jail (`ifconfig IFACE vnet JAIL`). Fails\nwhen the jail is missing or has no vnet. Undone with -vnet when the run\nfails.",
	"net.vnet_reclaim":        "net.vnet_reclaim(iface, jail)\n\nTakes iface back from the jail (`ifconfig IFACE -vnet JAIL`).",
	"net.rename":              "net.rename(iface, name, mtu=0, jail=\"\", fib=0) -> str\n\nRenames iface, setting its MTU in the same command when mtu > 0\n(`ifconfig IFACE name NAME [mtu MTU]`), inside jail through jexec (with\nsetfib FIB when fib > 0). Returns the new name. Undone by renaming back\nwhen the run fails.",
	"net.set_mtu":             "net.set_mtu(iface, mtu, jail=\"\", fib=0)\n\nSets the MTU (`ifconfig IFACE mtu MTU`), inside jail when given.",
	"net.set_mac":             "net.set_mac(iface, mac, jail=\"\", fib=0)\n\nSets the link address (`ifconfig IFACE link MAC`); mac is 12 hex digits\nor colon form. Inside jail when given.",
	"net.describe":            "net.describe(iface, text)\n\nSets the interface description (`ifconfig IFACE description TEXT`).",
	"net.up":                  "net.up(iface, jail=\"\", fib=0)\n\nBrings iface up (`ifconfig IFACE up`), inside jail when given.",
	"net.add_address":         "net.add_address(iface, addr, inet6=False, jail=\"\", fib=0)\n\nConfigures an address as VNET start does (`ifconfig IFACE [inet6] ADDR\n[params] up`): addr is a net.addr or \"ADDR[/MASK] [params]\". Without alias\nFreeBSD replaces the first IPv4 address. Inside jail when given.",
	"net.add_alias":           "net.add_alias(iface, addr, inet6=False, jail=\"\", fib=0)\n\nAdds an address alias (`ifconfig IFACE [inet6] ADDR alias`). Undone with\n-alias when the run fails.",
	"net.remove_alias":        "net.remove_alias(iface, addr, inet6=False, jail=\"\", fib=0)\n\nRemoves an address (`ifconfig IFACE inet|inet6 ADDR -alias`, the address\ncut at its mask as iocage stop does). Fails when iface lacks it.",
	"net.route_add_default":   "net.route_add_default(gw, jail=\"\", inet6=False, fib=0)\n\nAdds the default route (`route add default GW`, `route add -6 default\nGW`), inside jail through jexec (with setfib FIB when fib > 0). Fails\nwhen gw is on no local subnet or a default route exists.",
}

// NewModule returns the net module driving h.
func NewModule(h *runtime.Host) *starlarkstruct.Module {
	m := &module{h: h}
	fns := map[string]thread.Func{
		"parse_ip4": m.parseIP4, "parse_ip6": m.parseIP6, "parse_interfaces": m.parseInterfaces,
		"parse_vnet_mac": m.parseVnetMAC, "parse_defaultrouter": m.parseDefaultRouter,
		"vnet_mac": m.vnetMAC, "autoip4": m.autoip4, "autoip4_locked": m.autoip4Locked,
		"default_route": m.defaultRoute, "interfaces": m.interfaces, "interface": m.iface,
		"vimage": m.vimage, "epair_create": m.epairCreate, "epair_destroy": m.epairDestroy,
		"bridge_add": m.bridgeAdd, "bridge_remove": m.bridgeRemove, "vnet_move": m.vnetMove,
		"vnet_reclaim": m.vnetReclaim, "rename": m.rename, "set_mtu": m.setMTU, "set_mac": m.setMAC,
		"describe": m.describe, "up": m.up, "add_address": m.addAddress, "add_alias": m.addAlias,
		"remove_alias": m.removeAlias, "route_add_default": m.routeAddDefault,
		"bridge_create": m.bridgeCreate, "bridge_destroy": m.bridgeDestroy, "resolv_conf": m.resolvConf,
	}
	return thread.Module("net", fns)
}

type module struct{ h *runtime.Host }

// fail prefixes an error with the builtin's name.
func fail(b *starlark.Builtin, err error) error { return fmt.Errorf("%s: %w", b.Name(), err) }

func (m *module) host(b *starlark.Builtin) (*runtime.Host, error) {
	if m.h == nil {
		return nil, fmt.Errorf("%s: no host to act on", b.Name())
	}
	return m.h, nil
}

// --- parsing ---------------------------------------------------------------

func (m *module) parseIP4(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value); err != nil {
		return nil, err
	}
	addrs, err := ParseIP4Addr(value)
	if err != nil {
		return nil, fail(b, err)
	}
	return addrList(addrs), nil
}

func (m *module) parseIP6(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value); err != nil {
		return nil, err
	}
	addrs, err := ParseIP6Addr(value)
	if err != nil {
		return nil, fail(b, err)
	}
	return addrList(addrs), nil
}

func addrList(addrs []Addr) *starlark.List {
	vals := make([]starlark.Value, len(addrs))
	for i, a := range addrs {
		vals[i] = addrValue(a)
	}
	return starlark.NewList(vals)
}

func (m *module) parseInterfaces(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value); err != nil {
		return nil, err
	}
	nics, err := ParseInterfaces(value)
	if err != nil {
		return nil, fail(b, err)
	}
	vals := make([]starlark.Value, len(nics))
	for i, n := range nics {
		vals[i] = newRecord("net.nic", "name", starlark.String(n.Name), "bridge", starlark.String(n.Bridge), "index", starlark.MakeInt(n.Index))
	}
	return starlark.NewList(vals), nil
}

func macValue(host, jail string) *record {
	return newRecord("net.mac", "host", starlark.String(host), "jail", starlark.String(jail), "value", starlark.String(host+","+jail))
}

func (m *module) parseVnetMAC(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value); err != nil {
		return nil, err
	}
	host, jail, err := ParseVnetMAC(value)
	if err != nil {
		return nil, fail(b, err)
	}
	if host == "" {
		return starlark.None, nil
	}
	return macValue(host, jail), nil
}

func (m *module) parseDefaultRouter(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var value string
	var inet6 bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "value", &value, "inet6?", &inet6); err != nil {
		return nil, err
	}
	a, err := ParseDefaultRouter(value, inet6)
	if err != nil {
		return nil, fail(b, err)
	}
	if !a.IsValid() {
		return starlark.None, nil
	}
	return starlark.String(a.String()), nil
}

func (m *module) vnetMAC(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var uuid string
	var index int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "uuid", &uuid, "index", &index); err != nil {
		return nil, err
	}
	host, jail, err := VnetMAC(uuid, index)
	if err != nil {
		return nil, fail(b, err)
	}
	return macValue(host, jail), nil
}

func (m *module) autoip4(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var start, end, subnet int
	var used *starlark.List
	var gateway string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "start", &start, "end", &end, "subnet", &subnet,
		"used?", &used, "gateway?", &gateway); err != nil {
		return nil, err
	}
	var values []string
	if used != nil {
		for i := 0; i < used.Len(); i++ {
			s, ok := starlark.AsString(used.Index(i))
			if !ok {
				return nil, fmt.Errorf("%s: used[%d] is %s, want an ip4_addr string", b.Name(), i, used.Index(i).Type())
			}
			values = append(values, s)
		}
	}
	if gateway == "" {
		h, err := m.host(b)
		if err != nil {
			return nil, err
		}
		r, err := DefaultRoute(thread.Context(t), h, false)
		if err != nil {
			return nil, fail(b, err)
		}
		gateway = r.Gateway
	}
	gw, err := netip.ParseAddr(gateway)
	if err != nil {
		return nil, fmt.Errorf("%s: gateway %q is not an IPv4 address", b.Name(), gateway)
	}
	p, err := AllocateAutoIP4(gw, start, end, subnet, values)
	if err != nil {
		return nil, fail(b, err)
	}
	return starlark.String(p.String()), nil
}

func (m *module) autoip4Locked(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn); err != nil {
		return nil, err
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	return CallLocked(t, b, h, fn)
}

// CallLocked calls fn holding the host's identity lock (the AUTOIP4
// lock), for net.autoip4_locked and jail.locked. A run that holds it
// already just calls fn: an flock taken again by one process through a
// second descriptor would wait for itself.
func CallLocked(t *starlark.Thread, b *starlark.Builtin, h *runtime.Host, fn starlark.Callable) (starlark.Value, error) {
	run := thread.Get(t)
	if run.HoldsIdentityLock {
		return starlark.Call(t, fn, nil, nil)
	}
	unlock, err := LockAutoIP4(run.Ctx, h)
	if err != nil {
		return nil, fail(b, err)
	}
	defer unlock()
	run.HoldsIdentityLock = true
	defer func() { run.HoldsIdentityLock, run.Claims = false, nil }()
	return starlark.Call(t, fn, nil, nil)
}

// --- host facts ------------------------------------------------------------

func (m *module) defaultRoute(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var inet6 bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "inet6?", &inet6); err != nil {
		return nil, err
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	r, err := DefaultRoute(thread.Context(t), h, inet6)
	if errors.Is(err, ErrNoRoute) {
		return starlark.None, nil
	}
	if err != nil {
		return nil, fail(b, err)
	}
	return newRecord("net.route", "interface", starlark.String(r.Interface), "gateway", starlark.String(r.Gateway)), nil
}

func (m *module) interfaces(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var detail bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "detail?", &detail); err != nil {
		return nil, err
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	if detail {
		ifs, err := AllInterfaces(thread.Context(t), h)
		if err != nil {
			return nil, fail(b, err)
		}
		vals := make([]starlark.Value, len(ifs))
		for i, ifc := range ifs {
			vals[i] = interfaceValue(ifc)
		}
		return starlark.NewList(vals), nil
	}
	names, err := Interfaces(thread.Context(t), h)
	if err != nil {
		return nil, fail(b, err)
	}
	return strList(names), nil
}

func (m *module) iface(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	ifc, err := GetInterface(thread.Context(t), h, name)
	if err != nil {
		return nil, fail(b, err)
	}
	return interfaceValue(ifc), nil
}

// interfaceValue is the Starlark net.interface of ifc.
func interfaceValue(ifc *Interface) *record {
	var inet, inet6 []string
	for _, p := range ifc.Inet {
		inet = append(inet, p.String())
	}
	for _, p := range ifc.Inet6 {
		inet6 = append(inet6, p.String())
	}
	return newRecord("net.interface",
		"name", starlark.String(ifc.Name), "mtu", starlark.MakeInt(ifc.MTU), "up", starlark.Bool(ifc.Up),
		"mac", starlark.String(ifc.MAC), "description", starlark.String(ifc.Description),
		"members", strList(ifc.Members), "groups", strList(ifc.Groups),
		"inet", strList(inet), "inet6", strList(inet6))
}

func (m *module) vimage(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	ok, err := VIMAGE(thread.Context(t), h)
	if err != nil {
		return nil, fail(b, err)
	}
	return starlark.Bool(ok), nil
}

// --- operations ------------------------------------------------------------

// where is the place a command runs: the host, or inside a jail through
// jexec, behind setfib when the jail has its own FIB.
type where struct {
	jail string
	fib  int
}

func (w where) check() error {
	if w.fib < 0 {
		return fmt.Errorf("fib %d is negative", w.fib)
	}
	if w.jail == "" {
		return nil
	}
	if w.jail[0] == '-' {
		return fmt.Errorf("jail name %q starts with '-'", w.jail)
	}
	for _, r := range w.jail {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("jail name %q has a space or control character", w.jail)
		}
	}
	return nil
}

// cmd builds the command of prog args at w.
func (w where) cmd(prog string, args ...string) *runtime.Cmd {
	if w.jail == "" {
		return &runtime.Cmd{Path: prog, Args: args, Change: true}
	}
	inner := append([]string{w.jail, prog}, args...)
	if w.fib > 0 {
		return &runtime.Cmd{Path: runtime.Setfib, Args: append([]string{strconv.Itoa(w.fib), runtime.Jexec}, inner...), Change: true}
	}
	return &runtime.Cmd{Path: runtime.Jexec, Args: inner, Change: true}
}

// run runs a change at w and returns its standard output.
func (m *module) run(t *starlark.Thread, b *starlark.Builtin, w where, prog string, args ...string) (string, error) {
	h, err := m.host(b)
	if err != nil {
		return "", err
	}
	res, err := h.Run(thread.Context(t), w.cmd(prog, args...))
	if err != nil {
		return "", fail(b, err)
	}
	return string(res.Stdout), nil
}

func checkIfaces(names ...string) error {
	for _, n := range names {
		if err := ValidInterfaceName(n); err != nil {
			return err
		}
	}
	return nil
}

// unpackAt unpacks the common trailing jail= and fib= keywords.
func unpackAt(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) (where, error) {
	var w where
	var jail starlark.Value = starlark.None
	pairs = append(pairs, "jail?", &jail, "fib?", &w.fib)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, pairs...); err != nil {
		return w, err
	}
	if jail != starlark.None {
		s, ok := starlark.AsString(jail)
		if !ok {
			return w, fmt.Errorf("%s: jail is %s, want a jail name or None", b.Name(), jail.Type())
		}
		w.jail = s
	}
	if err := w.check(); err != nil {
		return w, fail(b, err)
	}
	return w, nil
}

func (m *module) epairCreate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var description string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "description?", &description); err != nil {
		return nil, err
	}
	if err := checkDescription(description); err != nil {
		return nil, fail(b, err)
	}
	argv := []string{"epair", "create"}
	if description != "" {
		// In the same command, so that no moment exists in which the epair
		// is there but cannot be told to be the jail's.
		argv = append(argv, "description", description)
	}
	var out string
	var err error
	if description != "" {
		// The epair is known by its description from the moment it
		// exists, so its undo is journaled before it is made: a run
		// killed right after the create leaves nothing behind.
		out, err = m.change(t, b, where{}, thread.Step{Kind: "net.epair_destroy_described", Args: []string{description}},
			where{}.cmd(runtime.Ifconfig, "EPAIR", "destroy"), runtime.Ifconfig, argv...)
	} else {
		out, err = m.run(t, b, where{}, runtime.Ifconfig, argv...)
	}
	if err != nil {
		return nil, err
	}
	a := strings.TrimSpace(out)
	if a == "" && m.h.DryRun() {
		// nothing was created: later steps print with a stand-in name
		a = "epairNa"
	}
	if !strings.HasPrefix(a, "epair") || !strings.HasSuffix(a, "a") || ValidInterfaceName(a) != nil {
		return nil, fmt.Errorf("%s: ifconfig answered %q, not the name of an epair's a end", b.Name(), out)
	}
	if description == "" {
		// Without a description the name, the change's result, is all
		// that tells the epair apart: the step follows the change.
		undo := where{}.cmd(runtime.Ifconfig, a, "destroy")
		if err := thread.UndoOf(t).Record(undo.String(), thread.Step{Kind: "net.ifconfig_destroy", Args: []string{a}}); err != nil {
			return nil, fail(b, err)
		}
	} else if !m.h.DryRun() {
		// Now the name is known: destroy it by name (no read), or, if it
		// was renamed, find it by its description.
		undo := where{}.cmd(runtime.Ifconfig, a, "destroy")
		if err := thread.UndoOf(t).Amend(undo.String(), thread.Step{Kind: "net.epair_destroy_described", Args: []string{description, a}}); err != nil {
			return nil, fail(b, err)
		}
	}
	return newRecord("net.epair", "a", starlark.String(a), "b", starlark.String(strings.TrimSuffix(a, "a")+"b")), nil
}

func (m *module) epairDestroy(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := checkIfaces(name); err != nil {
		return nil, fail(b, err)
	}
	_, err := m.run(t, b, where{}, runtime.Ifconfig, name, "destroy")
	return starlark.None, err
}

func (m *module) bridgeAdd(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var bridge, member string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "bridge", &bridge, "member", &member); err != nil {
		return nil, err
	}
	if err := checkIfaces(bridge, member); err != nil {
		return nil, fail(b, err)
	}
	step := thread.Step{Kind: "net.bridge_deletem", Args: []string{bridge, member}}
	undo := where{}.cmd(runtime.Ifconfig, bridge, "deletem", member)
	if _, err := m.change(t, b, where{}, step, undo, runtime.Ifconfig, bridge, "addm", member, "up"); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

func (m *module) bridgeRemove(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var bridge, member string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "bridge", &bridge, "member", &member); err != nil {
		return nil, err
	}
	if err := checkIfaces(bridge, member); err != nil {
		return nil, fail(b, err)
	}
	_, err := m.run(t, b, where{}, runtime.Ifconfig, bridge, "deletem", member)
	return starlark.None, err
}

func (m *module) vnetMove(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface, jail string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "iface", &iface, "jail", &jail); err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	if jail == "" {
		return nil, fmt.Errorf("%s: empty jail name", b.Name())
	}
	if err := (where{jail: jail}).check(); err != nil {
		return nil, fail(b, err)
	}
	step := thread.Step{Kind: "net.vnet_reclaim", Args: []string{iface, jail}}
	undo := where{}.cmd(runtime.Ifconfig, iface, "-vnet", jail)
	if _, err := m.change(t, b, where{}, step, undo, runtime.Ifconfig, iface, "vnet", jail); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

func (m *module) vnetReclaim(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface, jail string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "iface", &iface, "jail", &jail); err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	if err := (where{jail: jail}).check(); err != nil || jail == "" {
		return nil, fmt.Errorf("%s: jail name %q is not accepted", b.Name(), jail)
	}
	_, err := m.run(t, b, where{}, runtime.Ifconfig, iface, "-vnet", jail)
	return starlark.None, err
}

func checkMTU(mtu int) error {
	if mtu < 72 || mtu > 65535 {
		return fmt.Errorf("mtu %d is out of range 72-65535", mtu)
	}
	return nil
}

func (m *module) rename(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface, name string
	var mtu int
	w, err := unpackAt(b, args, kwargs, "iface", &iface, "name", &name, "mtu?", &mtu)
	if err != nil {
		return nil, err
	}
	if err := checkIfaces(iface, name); err != nil {
		return nil, fail(b, err)
	}
	argv := []string{iface, "name", name}
	if mtu != 0 {
		if err := checkMTU(mtu); err != nil {
			return nil, fail(b, err)
		}
		argv = append(argv, "mtu", strconv.Itoa(mtu))
	}
	step := thread.Step{Kind: "net.rename", Args: atArgs(w, name, iface)}
	if _, err := m.change(t, b, w, step, w.cmd(runtime.Ifconfig, name, "name", iface), runtime.Ifconfig, argv...); err != nil {
		return nil, err
	}
	return starlark.String(name), nil
}

func (m *module) setMTU(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface string
	var mtu int
	w, err := unpackAt(b, args, kwargs, "iface", &iface, "mtu", &mtu)
	if err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	if err := checkMTU(mtu); err != nil {
		return nil, fail(b, err)
	}
	_, err = m.run(t, b, w, runtime.Ifconfig, iface, "mtu", strconv.Itoa(mtu))
	return starlark.None, err
}

func (m *module) setMAC(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface, mac string
	w, err := unpackAt(b, args, kwargs, "iface", &iface, "mac", &mac)
	if err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	if err := ValidMAC(mac); err != nil {
		return nil, fail(b, err)
	}
	_, err = m.run(t, b, w, runtime.Ifconfig, iface, "link", mac)
	return starlark.None, err
}

func (m *module) describe(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface, text string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "iface", &iface, "text", &text); err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	if err := checkDescription(text); err != nil {
		return nil, fail(b, err)
	}
	_, err := m.run(t, b, where{}, runtime.Ifconfig, iface, "description", text)
	return starlark.None, err
}

func checkDescription(text string) error {
	for _, r := range text {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("description %q has a control character", text)
		}
	}
	return nil
}

func (m *module) up(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iface string
	w, err := unpackAt(b, args, kwargs, "iface", &iface)
	if err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	_, err = m.run(t, b, w, runtime.Ifconfig, iface, "up")
	return starlark.None, err
}

// addrArg reads an address argument: a net.addr, or "ADDR[/MASK]
// [params]" of the family.
func addrArg(v starlark.Value, inet6 bool) (Addr, error) {
	if r, ok := v.(*record); ok && r.typ == "net.addr" {
		text, _ := r.Attr("text")
		v = text
	}
	s, ok := starlark.AsString(v)
	if !ok {
		return Addr{}, fmt.Errorf("addr is %s, want a net.addr or an address string", v.Type())
	}
	a, err := parseEntry(strings.TrimSpace(s), inet6)
	if err != nil {
		return Addr{}, fmt.Errorf("address %q: %w", s, err)
	}
	if a.Auto {
		return Addr{}, fmt.Errorf("address %q: AUTOIP4 must be resolved first (net.autoip4)", s)
	}
	return a, nil
}

func (m *module) addrOp(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, how string) (starlark.Value, error) {
	var iface string
	var addr starlark.Value
	var inet6 bool
	w, err := unpackAt(b, args, kwargs, "iface", &iface, "addr", &addr, "inet6?", &inet6)
	if err != nil {
		return nil, err
	}
	if err := checkIfaces(iface); err != nil {
		return nil, fail(b, err)
	}
	a, err := addrArg(addr, inet6)
	if err != nil {
		return nil, fail(b, err)
	}
	argv := []string{iface}
	if inet6 {
		argv = append(argv, "inet6")
	}
	switch how {
	case "up":
		argv = append(append(append(argv, a.AddrText()), a.Params...), "up")
	case "alias":
		argv = append(argv, a.AddrText(), "alias")
	case "-alias":
		if !inet6 {
			argv = append(argv, "inet")
		}
		argv = append(argv, a.Address.String(), "-alias")
	}
	if how != "alias" {
		_, err := m.run(t, b, w, runtime.Ifconfig, argv...)
		return starlark.None, err
	}
	family := "inet"
	if inet6 {
		family = "inet6"
	}
	step := thread.Step{Kind: "net.alias_remove", Args: atArgs(w, iface, family, a.Address.String())}
	undo := w.cmd(runtime.Ifconfig, iface, family, a.Address.String(), "-alias")
	if _, err := m.change(t, b, w, step, undo, runtime.Ifconfig, argv...); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

func (m *module) addAddress(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return m.addrOp(t, b, args, kwargs, "up")
}

func (m *module) addAlias(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return m.addrOp(t, b, args, kwargs, "alias")
}

func (m *module) removeAlias(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return m.addrOp(t, b, args, kwargs, "-alias")
}

func (m *module) routeAddDefault(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var gw string
	var inet6 bool
	w, err := unpackAt(b, args, kwargs, "gw", &gw, "inet6?", &inet6)
	if err != nil {
		return nil, err
	}
	a, err := ParseDefaultRouter(gw, inet6)
	if err != nil {
		return nil, fail(b, err)
	}
	if !a.IsValid() {
		return nil, fmt.Errorf("%s: gateway %q: a gateway address is needed", b.Name(), gw)
	}
	argv := []string{"add", "default", a.String()}
	if inet6 {
		argv = []string{"add", "-6", "default", a.String()}
	}
	step := thread.Step{Kind: "net.route_delete", Args: atArgs(w)}
	undo := w.cmd(runtime.Route, "delete", "default")
	if inet6 {
		step.Args = append(step.Args, "-6")
		undo = w.cmd(runtime.Route, "delete", "-6", "default")
	}
	if _, err := m.change(t, b, w, step, undo, runtime.Route, argv...); err != nil {
		return nil, err
	}
	return starlark.None, nil
}
