package netmodel

import (
	"fmt"
	"io"
	"strings"
)

// Interface flag bits, as <net/if.h> numbers them.
var ifFlags = []struct {
	bit  uint32
	name string
}{
	{0x1, "UP"}, {0x2, "BROADCAST"}, {0x8, "LOOPBACK"}, {0x40, "RUNNING"}, {0x100, "PROMISC"},
	{0x800, "SIMPLEX"}, {0x8000, "MULTICAST"}, {0x1000000, "LOWER_UP"},
}

// flagsOf works the flags out as the drivers set them: an epair is always
// RUNNING with its link up; em0's link is always up; a bridge's link is up
// while it has members; a bridge member is PROMISC.
func flagsOf(v *vnet, ifc *iface) uint32 {
	var f uint32
	if ifc.Up {
		f |= 0x1
	}
	switch ifc.Kind {
	case kindLoop:
		f |= 0x8 | 0x8000
		if ifc.Up {
			f |= 0x40 | 0x1000000
		}
	case kindEther:
		f |= 0x2 | 0x800 | 0x8000 | 0x1000000
		if ifc.Up {
			f |= 0x40
		}
	case kindEpair:
		f |= 0x2 | 0x40 | 0x800 | 0x8000 | 0x1000000
	case kindBridge:
		f |= 0x2 | 0x800 | 0x8000
		if ifc.Up {
			f |= 0x40
		}
		if len(ifc.Members) > 0 {
			f |= 0x1000000
		}
	}
	if v.bridgeOf(ifc) != nil {
		f |= 0x100
	}
	return f
}

func bitsString(f uint32) string {
	var names []string
	for _, b := range ifFlags {
		if f&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	return fmt.Sprintf("%x<%s>", f, strings.Join(names, ","))
}

// options is the capabilities line of each driver.
var options = map[string]string{
	kindEther:  "46504bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU,VLAN_HWCSUM,LRO,VLAN_HWFILTER,VLAN_HWTSO,RXCSUM_IPV6,TXCSUM_IPV6,NOMAP>",
	kindLoop:   "680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>",
	kindEpair:  "8<VLAN_MTU>",
	kindBridge: "0",
}

// show prints one interface as FreeBSD 14's ifconfig does; af limits the
// listing to one address family.
func show(w io.Writer, v *vnet, ifc *iface, af string) {
	fmt.Fprintf(w, "%s: flags=%s metric 0 mtu %d\n", ifc.Name, bitsString(flagsOf(v, ifc)), ifc.MTU)
	if af == "" && ifc.Description != "" {
		fmt.Fprintf(w, "\tdescription: %s\n", ifc.Description)
	}
	if af == "" {
		fmt.Fprintf(w, "\toptions=%s\n", options[ifc.Kind])
	}
	if ifc.MAC != "" && (af == "" || af == "link" || af == "ether" || af == "lladdr") {
		fmt.Fprintf(w, "\tether %s\n", ifc.MAC)
		if ifc.HWAddr != "" && ifc.HWAddr != ifc.MAC {
			fmt.Fprintf(w, "\thwaddr %s\n", ifc.HWAddr)
		}
	}
	if af == "" || af == "inet" {
		for _, a := range ifc.Inet {
			fmt.Fprintf(w, "\tinet %s netmask 0x%08x", a.Prefix.Addr(), maskOf(a.Prefix.Bits()))
			if a.Broadcast.IsValid() {
				fmt.Fprintf(w, " broadcast %s", a.Broadcast)
			}
			fmt.Fprintln(w)
		}
	}
	if af == "" || af == "inet6" {
		for _, a := range ifc.Inet6 {
			addr := a.Prefix.Addr()
			if addr.IsLinkLocalUnicast() {
				fmt.Fprintf(w, "\tinet6 %s%%%s prefixlen %d scopeid 0x%x\n", addr, ifc.Name, a.Prefix.Bits(), ifc.Index)
			} else {
				fmt.Fprintf(w, "\tinet6 %s prefixlen %d\n", addr, a.Prefix.Bits())
			}
		}
	}
	if af != "" {
		return
	}
	if ifc.Kind == kindBridge {
		fmt.Fprintf(w, "\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n")
		fmt.Fprintf(w, "\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n")
		fmt.Fprintf(w, "\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n")
		for _, i := range ifc.Members {
			m := v.byIndex(i)
			if m == nil {
				continue
			}
			cost := 20000 // 1 Gb/s
			if m.Kind == kindEpair {
				cost = 2000 // 10 Gb/s
			}
			fmt.Fprintf(w, "\tmember: %s flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n", m.Name)
			fmt.Fprintf(w, "\t        ifmaxaddr 0 port %d priority 128 path cost %d\n", m.Index, cost)
		}
	}
	if len(ifc.Groups) > 0 {
		fmt.Fprintf(w, "\tgroups: %s\n", strings.Join(ifc.Groups, " "))
	}
	switch ifc.Kind {
	case kindEther:
		fmt.Fprintf(w, "\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n\tstatus: active\n")
	case kindEpair:
		fmt.Fprintf(w, "\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n")
	}
	switch {
	case ifc.Kind == kindLoop:
		fmt.Fprintf(w, "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")
	case ifc.Kind == kindBridge && len(ifc.Inet6) == 0:
		fmt.Fprintf(w, "\tnd6 options=9<PERFORMNUD,IFDISABLED>\n")
	case ifc.Kind == kindBridge:
		fmt.Fprintf(w, "\tnd6 options=1<PERFORMNUD>\n")
	case len(ifc.Inet6) == 0:
		fmt.Fprintf(w, "\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n")
	default:
		fmt.Fprintf(w, "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")
	}
}

func maskOf(bits int) uint32 {
	if bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}
