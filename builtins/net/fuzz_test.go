package net

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// roundTrip checks that what a parser accepts, rendered back, parses to
// the same entries: nothing accepted is lost or reinterpreted.
func roundTrip(t *testing.T, value string, parse func(string) ([]Addr, error), inet6 bool) {
	addrs, err := parse(value)
	if err != nil {
		if !strings.Contains(err.Error(), "accepted:") {
			t.Fatalf("error without what is accepted: %v", err)
		}
		return
	}
	var parts []string
	for _, a := range addrs {
		switch {
		case a.Auto && inet6:
			t.Fatalf("AUTOIP4 accepted in ip6_addr %q", value)
		case !a.Auto && a.Address.Is4() == inet6:
			t.Fatalf("%q gave an address of the wrong family: %v", value, a.Address)
		case a.Prefix > a.Address.BitLen() && !a.Auto:
			t.Fatalf("%q gave prefix %d", value, a.Prefix)
		}
		parts = append(parts, a.String())
	}
	if len(parts) == 0 {
		return
	}
	again, err := parse(strings.Join(parts, ","))
	if err != nil {
		t.Fatalf("rendering %q as %q does not parse: %v", value, strings.Join(parts, ","), err)
	}
	if diff := cmp.Diff(addrs, again, addrCmp); diff != "" {
		t.Fatalf("round trip of %q (-first +again):\n%s", value, diff)
	}
}

func FuzzParseIP4Addr(f *testing.F) {
	for _, s := range []string{"none", "em0|192.168.1.10/24", "DEFAULT|10.0.0.5/255.255.0.0", "vnet0|AUTOIP4",
		"em0|10.1.1.1/32, em0|10.1.1.2/32", "vnet0|192.168.1.10/24 mtu 9000", "1.2.3.4", "em0|1.2.3.4/33", "|", ",", "a|b|c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { roundTrip(t, s, ParseIP4Addr, false) })
}

func FuzzParseIP6Addr(f *testing.F) {
	for _, s := range []string{"none", "vnet0|2001:db8::10/64", "em0|2001:db8:1::1 prefixlen 48", "::1", "fe80::1%lo0", "vnet0|::ffff:1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { roundTrip(t, s, ParseIP6Addr, true) })
}

func FuzzParseInterfaces(f *testing.F) {
	for _, s := range []string{"vnet0:bridge0,vnet1:bridge1", "vnet0:", "bridge0", "vnet3:b,vnet2:b,vnet1:b,vnet0:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nics, err := ParseInterfaces(s)
		if err != nil {
			return
		}
		if len(nics) == 0 || len(nics) > MaxNICs {
			t.Fatalf("%q gave %d NICs", s, len(nics))
		}
		for i, n := range nics {
			if n.Index != i || ValidInterfaceName(n.Bridge) != nil || !strings.HasPrefix(n.Name, "vnet") {
				t.Fatalf("%q gave %+v", s, n)
			}
		}
	})
}

func FuzzVnetMAC(f *testing.F) {
	f.Add("a1b2c3d4-0000", 0)
	f.Add("000000", 3)
	f.Add("ffffff", 3)
	f.Fuzz(func(t *testing.T, uuid string, index int) {
		h, j, err := VnetMAC(uuid, index)
		if err != nil {
			return
		}
		if _, _, err := ParseVnetMAC(h + "," + j); err != nil {
			t.Fatalf("VnetMAC(%q, %d) = %s,%s which ParseVnetMAC refuses: %v", uuid, index, h, j, err)
		}
	})
}
