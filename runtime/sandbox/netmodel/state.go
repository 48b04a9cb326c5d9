package netmodel

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

// section is the state store section this package owns.
const section = "net"

// Interface kinds: they decide flags, options, media and what may be done.
const (
	kindEther  = "ether"  // a physical NIC (em0)
	kindLoop   = "loop"   // lo(4)
	kindBridge = "bridge" // if_bridge(4)
	kindEpair  = "epair"  // if_epair(4), one end
)

// state is the whole modelled network: every vnet by name ("" is the host).
type state struct {
	Seed  string           `json:"seed"`
	Vnets map[string]*vnet `json:"vnets"`
}

// vnet is one network stack: its interfaces in creation order and its
// static routes. Connected routes follow from interface addresses.
type vnet struct {
	Ifaces []*iface  `json:"ifaces"`
	Routes []*sroute `json:"routes"`
}

// iface is one network interface.
type iface struct {
	Name  string `json:"name"`
	Index int    `json:"index"` // if_index, global as on FreeBSD 14
	Kind  string `json:"kind"`
	Unit  int    `json:"unit"`
	// Home is the vnet that created the interface; a jail's removal sends
	// it back there.
	Home        string   `json:"home"`
	Driver      string   `json:"driver"` // name at creation, e.g. epair3b
	MAC         string   `json:"mac,omitempty"`
	HWAddr      string   `json:"hwaddr,omitempty"` // the address it was made with
	MTU         int      `json:"mtu"`
	Up          bool     `json:"up"`
	Description string   `json:"description,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Inet        []inet4  `json:"inet,omitempty"`
	Inet6       []inet6  `json:"inet6,omitempty"`
	// Members of a bridge by if_index, newest first as if_bridge lists them.
	Members []int `json:"members,omitempty"`
}

type inet4 struct {
	Prefix    netip.Prefix `json:"prefix"` // address with its mask length
	Broadcast netip.Addr   `json:"broadcast"`
}

type inet6 struct {
	Prefix netip.Prefix `json:"prefix"` // address (no zone) with its prefix length
}

// sroute is a static route.
type sroute struct {
	Dest    netip.Prefix `json:"dest"`
	Gateway netip.Addr   `json:"gateway"`
	Iface   int          `json:"iface"` // if_index of the interface it leaves by
	Host    bool         `json:"host,omitempty"`
}

// hostVnet names the host's own network stack.
const hostVnet = ""

// load reads the network state, setting up the initial host on first use.
func load(tx *model.Tx, sb *model.Sandbox) (*state, error) {
	var st state
	if err := tx.Get(section, &st); err != nil {
		return nil, err
	}
	if st.Vnets == nil {
		st.init(sb)
	}
	return &st, nil
}

func save(tx *model.Tx, st *state) error { return tx.Put(section, st) }

// init makes the host a fresh FreeBSD box prepared for iocage as its
// manual asks: em0 in bridge0, an empty bridge1 (iocage's default
// interfaces are vnet0:bridge0,vnet1:bridge1; both are cloned_interfaces in
// rc.conf), lo0, and a default route to 192.168.1.1.
func (st *state) init(sb *model.Sandbox) {
	st.Seed = seedOf(sb)
	st.Vnets = map[string]*vnet{}
	h := &vnet{}
	st.Vnets[hostVnet] = h
	em0 := &iface{Name: "em0", Driver: "em0", Index: 1, Kind: kindEther, MTU: 1500, Up: true,
		MAC: st.mac("00:1b:21", "em0"), HWAddr: st.mac("00:1b:21", "em0"),
		Inet: []inet4{{Prefix: netip.MustParsePrefix("192.168.1.2/24"), Broadcast: netip.MustParseAddr("192.168.1.255")}}}
	lo0 := newLoopback(2, hostVnet)
	bridge0 := &iface{Name: "bridge0", Driver: "bridge0", Index: 3, Kind: kindBridge, MTU: 1500, Up: true,
		MAC: st.mac("58:9c:fc", "bridge0"), HWAddr: st.mac("58:9c:fc", "bridge0"), Groups: []string{"bridge"}, Members: []int{1}}
	bridge1 := &iface{Name: "bridge1", Driver: "bridge1", Index: 4, Kind: kindBridge, MTU: 1500, Up: true,
		MAC: st.mac("58:9c:fc", "bridge1"), HWAddr: st.mac("58:9c:fc", "bridge1"), Groups: []string{"bridge"}}
	h.Ifaces = []*iface{em0, lo0, bridge0, bridge1}
	h.Routes = []*sroute{{Dest: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.168.1.1"), Iface: 1}}
}

// newLoopback is lo0 as /etc/rc leaves it: up, with the usual addresses.
func newLoopback(index int, home string) *iface {
	return &iface{Name: "lo0", Driver: "lo0", Index: index, Kind: kindLoop, MTU: 16384, Up: true, Home: home,
		Groups: []string{"lo"},
		Inet:   []inet4{{Prefix: netip.MustParsePrefix("127.0.0.1/8")}},
		Inet6:  []inet6{{Prefix: netip.MustParsePrefix("::1/128")}, {Prefix: netip.MustParsePrefix("fe80::1/64")}}}
}

// seedOf makes MAC addresses stable for one sandbox: its hostid, as
// FreeBSD derives generated MACs from the host.
func seedOf(sb *model.Sandbox) string {
	if sb != nil {
		if b, err := os.ReadFile(sb.Path("/etc/hostid")); err == nil {
			return strings.TrimSpace(string(b))
		}
		return sb.Root
	}
	return "sandbox"
}

// mac returns a stable address with the given OUI for name.
func (st *state) mac(oui, name string) string {
	sum := sha256.Sum256([]byte(st.Seed + "/" + name))
	return fmt.Sprintf("%s:%02x:%02x:%02x", oui, sum[0], sum[1], sum[2])
}

// epairMAC is if_epair's scheme: locally administered, the low byte 0a
// or 0b for the two ends.
func (st *state) epairMAC(unit int, side byte) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/epair%d", st.Seed, unit))
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", sum[0], sum[1], sum[2], sum[3], 0x0a+side-'a')
}

// vnetOf returns the stack of name, creating a jail's stack with its own
// lo0 when it is first used.
func (st *state) vnetOf(name string) *vnet {
	v, ok := st.Vnets[name]
	if !ok {
		v = &vnet{Ifaces: []*iface{newLoopback(st.freeIndex(), name)}}
		st.Vnets[name] = v
	}
	return v
}

// freeIndex is the lowest unused if_index, as if_alloc picks it.
func (st *state) freeIndex() int {
	used := map[int]bool{}
	for _, v := range st.Vnets {
		for _, ifc := range v.Ifaces {
			used[ifc.Index] = true
		}
	}
	for i := 1; ; i++ {
		if !used[i] {
			return i
		}
	}
}

// find returns the interface called name in v.
func (v *vnet) find(name string) *iface {
	for _, ifc := range v.Ifaces {
		if ifc.Name == name {
			return ifc
		}
	}
	return nil
}

// byIndex returns the interface with if_index i in v.
func (v *vnet) byIndex(i int) *iface {
	for _, ifc := range v.Ifaces {
		if ifc.Index == i {
			return ifc
		}
	}
	return nil
}

// locate finds an interface by if_index in any vnet.
func (st *state) locate(index int) (string, *vnet, *iface) {
	for name, v := range st.Vnets {
		if ifc := v.byIndex(index); ifc != nil {
			return name, v, ifc
		}
	}
	return "", nil, nil
}

// bridgeOf returns the bridge ifc is a member of.
func (v *vnet) bridgeOf(ifc *iface) *iface {
	for _, b := range v.Ifaces {
		if b.Kind == kindBridge && slices.Contains(b.Members, ifc.Index) {
			return b
		}
	}
	return nil
}

// detach takes ifc out of v: out of its bridge, its addresses and the
// routes through it gone. It stays in v.Ifaces; the caller removes it.
func (v *vnet) detach(ifc *iface) {
	if b := v.bridgeOf(ifc); b != nil {
		b.Members = slices.DeleteFunc(b.Members, func(i int) bool { return i == ifc.Index })
	}
	if ifc.Kind == kindBridge {
		ifc.Members = nil
	}
	ifc.Inet, ifc.Inet6 = nil, nil
	v.Routes = slices.DeleteFunc(v.Routes, func(r *sroute) bool { return r.Iface == ifc.Index })
}

// remove deletes ifc from v.
func (v *vnet) remove(ifc *iface) {
	v.detach(ifc)
	v.Ifaces = slices.DeleteFunc(v.Ifaces, func(x *iface) bool { return x == ifc })
}

// destroy removes ifc and, for an epair, its other end wherever it is.
func (st *state) destroy(v *vnet, ifc *iface) {
	v.remove(ifc)
	if ifc.Kind != kindEpair {
		return
	}
	for _, ov := range st.Vnets {
		for _, peer := range ov.Ifaces {
			if peer.Kind == kindEpair && peer.Unit == ifc.Unit && peer.Home == ifc.Home {
				ov.remove(peer)
				break
			}
		}
	}
}

// move puts ifc from vnet from into vnet to, as if_vmove does: it leaves
// its bridge and loses its addresses and routes, and comes up down.
func (st *state) move(from, to *vnet, ifc *iface) {
	from.remove(ifc)
	ifc.Up = false
	to.Ifaces = append(to.Ifaces, ifc)
}

// jailRemoved sends the interfaces a removed jail borrowed back to their
// home vnet and forgets the jail's own stack (lo0, interfaces it created,
// its routes).
func (st *state) jailRemoved(name string) {
	v, ok := st.Vnets[name]
	if !ok || name == hostVnet {
		return
	}
	delete(st.Vnets, name)
	for _, ifc := range v.Ifaces {
		v.detach(ifc)
		if ifc.Home == name {
			// created inside the jail: an epair's other end goes too
			if ifc.Kind == kindEpair {
				st.destroyPeers(ifc)
			}
			continue
		}
		home := st.vnetOf(ifc.Home)
		if home.find(ifc.Name) != nil {
			// the name is taken at home by now: come back as created
			ifc.Name = ifc.Driver
		}
		ifc.Up = false
		home.Ifaces = append(home.Ifaces, ifc)
	}
}

func (st *state) destroyPeers(ifc *iface) {
	for _, ov := range st.Vnets {
		for _, peer := range ov.Ifaces {
			if peer.Kind == kindEpair && peer.Unit == ifc.Unit && peer.Home == ifc.Home && peer != ifc {
				ov.remove(peer)
				return
			}
		}
	}
}

// connected reports whether gw lies in a subnet of an interface of v, the
// kernel's test for a reachable gateway; it returns that interface.
func (v *vnet) connected(gw netip.Addr) *iface {
	for _, ifc := range v.Ifaces {
		if gw.Is4() {
			for _, a := range ifc.Inet {
				if a.Prefix.Masked().Contains(gw) {
					return ifc
				}
			}
			continue
		}
		if gw.Zone() != "" {
			if ifc.Name == gw.Zone() {
				return ifc
			}
			continue
		}
		for _, a := range ifc.Inet6 {
			if a.Prefix.Masked().Contains(gw) {
				return ifc
			}
		}
	}
	return nil
}

// pruneRoutes drops static routes whose gateway is no longer reachable,
// as the kernel does when the address they relied on goes.
func (v *vnet) pruneRoutes() {
	v.Routes = slices.DeleteFunc(v.Routes, func(r *sroute) bool {
		ifc := v.connected(r.Gateway)
		return ifc == nil || ifc.Index != r.Iface
	})
}

// update runs fn on the network state inside one store transaction and
// saves it when fn reports a change; fn's exit status is returned. A failing
// fn saves nothing, so a command line either applies whole or not at all.
func update(e *model.Env, fn func(tx *model.Tx, st *state) (code int, changed bool)) int {
	code := 0
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		st, err := load(tx, e.SB)
		if err != nil {
			return err
		}
		var changed bool
		code, changed = fn(tx, st)
		if !changed || code != 0 {
			return nil
		}
		return save(tx, st)
	})
	if err != nil {
		return e.Errorf("sandbox state: %v", err)
	}
	return code
}

func init() {
	model.Register(runtime.Ifconfig, ifconfig)
	model.Register(runtime.Route, route)
	model.MarkJailAware(runtime.Ifconfig)
	model.MarkJailAware(runtime.Route)
	model.OnJailRemoved(func(tx *model.Tx, name string, _ int) error {
		var st state
		if err := tx.Get(section, &st); err != nil {
			return err
		}
		if st.Vnets == nil {
			return nil // nothing was ever set up, so nothing to give back
		}
		if _, ok := st.Vnets[name]; !ok {
			return nil
		}
		st.jailRemoved(name)
		return save(tx, &st)
	})
}
