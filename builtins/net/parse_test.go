package net

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestParseIP4Addr(t *testing.T) {
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		in   string
		want []Addr
	}{
		{"none", nil},
		{"-", nil},
		{"em0|192.168.1.10/24", []Addr{{Interface: "em0", Address: ip("192.168.1.10"), Prefix: 24}}},
		{"192.168.1.10", []Addr{{Address: ip("192.168.1.10"), Prefix: -1}}},
		{"DEFAULT|10.0.0.5/255.255.0.0", []Addr{{Interface: "DEFAULT", Address: ip("10.0.0.5"), Prefix: 16}}},
		{"vnet0|AUTOIP4", []Addr{{Interface: "vnet0", Auto: true, Prefix: -1}}},
		{"em0|10.1.1.1/32, em0|10.1.1.2/32", []Addr{
			{Interface: "em0", Address: ip("10.1.1.1"), Prefix: 32},
			{Interface: "em0", Address: ip("10.1.1.2"), Prefix: 32}}},
		{"vnet0|192.168.1.10/24 mtu 9000", []Addr{{Interface: "vnet0", Address: ip("192.168.1.10"), Prefix: 24, Params: []string{"mtu", "9000"}}}},
		{"vnet0:12|10.0.0.1/0", []Addr{{Interface: "vnet0:12", Address: ip("10.0.0.1"), Prefix: 0}}},
	} {
		got, err := ParseIP4Addr(tc.in)
		if err != nil {
			t.Errorf("ParseIP4Addr(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, addrCmp); diff != "" {
			t.Errorf("ParseIP4Addr(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseIP4AddrRefuses(t *testing.T) {
	const accepted = `; accepted: "none", or comma-separated entries [IFACE|]ADDR[/MASK] [ifconfig params], ` +
		`with IFACE an interface name or DEFAULT, ADDR an IPv4 address or AUTOIP4, MASK a length 0-32 or a dotted netmask`
	for in, want := range map[string]string{
		"":                                `ip4_addr: empty value` + accepted,
		"em0|192.168.1.300/24":            `ip4_addr: entry 1 "em0|192.168.1.300/24": "192.168.1.300" is not an IPv4 address` + accepted,
		"em0|10.0.0.1/24,em0|10.0.0.2/33": `ip4_addr: entry 2 "em0|10.0.0.2/33": mask length 33 is out of range 0-32` + accepted,
		"em0|10.0.0.1/255.0.255.0":        `ip4_addr: entry 1 "em0|10.0.0.1/255.0.255.0": netmask "255.0.255.0" is not contiguous` + accepted,
		"em0|10.0.0.1/abc":                `ip4_addr: entry 1 "em0|10.0.0.1/abc": mask "abc" is neither a length nor a dotted netmask` + accepted,
		"em0|10.0.0.1/-1":                 `ip4_addr: entry 1 "em0|10.0.0.1/-1": mask "-1" is neither a length nor a dotted netmask` + accepted,
		"em0|":                            `ip4_addr: entry 1 "em0|": no address` + accepted,
		"em0|2001:db8::1":                 `ip4_addr: entry 1 "em0|2001:db8::1": "2001:db8::1" is not an IPv4 address` + accepted,
		"1em|10.0.0.1":                    `ip4_addr: entry 1 "1em|10.0.0.1": interface name "1em" does not start with a letter` + accepted,
		"em 0|10.0.0.1":                   `ip4_addr: entry 1 "em 0|10.0.0.1": ifconfig parameter "0|10.0.0.1" has a character that is not accepted` + accepted,
		"em0|10.0.0.1,,em0|10.0.0.2":      `ip4_addr: entry 2 "": empty entry` + accepted,
		"em0|AUTOIP4/24":                  `ip4_addr: entry 1 "em0|AUTOIP4/24": AUTOIP4 takes no mask (ip4_autosubnet gives it)` + accepted,
		"em0|AUTOIP4,em1|AUTOIP4":         `ip4_addr: entry 2 "em1|AUTOIP4": AUTOIP4 may appear once` + accepted,
		"em0|10.0.0.1 mtu\x01":            `ip4_addr: entry 1 "em0|10.0.0.1 mtu\x01": ifconfig parameter "mtu\x01" has a character that is not accepted` + accepted,
		"abcdefghijklmnop|10.0.0.1":       `ip4_addr: entry 1 "abcdefghijklmnop|10.0.0.1": interface name "abcdefghijklmnop" is longer than 15 characters` + accepted,
	} {
		_, err := ParseIP4Addr(in)
		if err == nil {
			t.Errorf("ParseIP4Addr(%q) accepted", in)
			continue
		}
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Errorf("ParseIP4Addr(%q) error (-want +got):\n%s", in, diff)
		}
	}
}

func TestParseIP6Addr(t *testing.T) {
	got, err := ParseIP6Addr("vnet0|2001:db8::10/64,em0|2001:db8:1::1 prefixlen 48")
	if err != nil {
		t.Fatal(err)
	}
	want := []Addr{
		{Interface: "vnet0", Address: netip.MustParseAddr("2001:db8::10"), Prefix: 64},
		{Interface: "em0", Address: netip.MustParseAddr("2001:db8:1::1"), Prefix: -1, Params: []string{"prefixlen", "48"}},
	}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{
		"vnet0|AUTOIP4":           "AUTOIP4 is for ip4_addr only",
		"vnet0|10.0.0.1":          `"10.0.0.1" is not an IPv6 address`,
		"vnet0|::ffff:10.0.0.1":   `"::ffff:10.0.0.1" is not an IPv6 address`,
		"vnet0|2001:db8::1/129":   "mask length 129 is out of range 0-128",
		"vnet0|2001:db8::1/ffff:": `prefix length "ffff:" is not a number 0-128`,
		"vnet0|fe80::1%vnet0":     `"fe80::1%vnet0": a scoped address is not accepted here`,
	} {
		_, err := ParseIP6Addr(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "ip6_addr: entry 1") {
			t.Errorf("ParseIP6Addr(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestParseInterfaces(t *testing.T) {
	got, err := ParseInterfaces("vnet0:bridge0,vnet1:bridge1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]NIC{{"vnet0", "bridge0", 0}, {"vnet1", "bridge1", 1}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	const accepted = "; accepted: comma-separated NIC:BRIDGE entries (at most 4), NIC one of vnet0 vnet1 vnet2 vnet3 (each once), BRIDGE an interface name"
	for in, want := range map[string]string{
		"":                  "interfaces: empty value" + accepted,
		"bridge0":           `interfaces: entry 1 "bridge0": no ":" between NIC and BRIDGE` + accepted,
		"vnet4:bridge0":     `interfaces: entry 1 "vnet4:bridge0": NIC "vnet4" is not one of vnet0 vnet1 vnet2 vnet3` + accepted,
		"vnet0:":            `interfaces: entry 1 "vnet0:": empty interface name` + accepted,
		"vnet0:b0,vnet0:b1": `interfaces: entry 2 "vnet0:b1": NIC vnet0 appears twice` + accepted,
		"vnet0:b,vnet1:b,vnet2:b,vnet3:b,vnet0:b": "interfaces: 5 entries, more than 4" + accepted,
	} {
		_, err := ParseInterfaces(in)
		if err == nil {
			t.Errorf("ParseInterfaces(%q) accepted", in)
			continue
		}
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Errorf("ParseInterfaces(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestVnetMAC(t *testing.T) {
	for _, tc := range []struct {
		uuid       string
		index      int
		host, jail string
	}{
		{"a1b2c3d4-0000-1111-2222-333344445555", 0, "02ff60A1B2C3", "02ff60A1B2C4"},
		{"a1b2c3d4-0000-1111-2222-333344445555", 1, "02ff60A1B2C5", "02ff60A1B2C6"},
		// the original printed "02ff60" + "5" here: too short for a MAC
		{"000004aa-0000-1111-2222-333344445555", 0, "02ff60000004", "02ff60000005"},
		{"00000000-0000-1111-2222-333344445555", 3, "02ff60000006", "02ff60000007"},
		// past FFFFFF the last six digits are kept
		{"fffffe00-0000-1111-2222-333344445555", 1, "02ff60000000", "02ff60000001"},
	} {
		h, j, err := VnetMAC(tc.uuid, tc.index)
		if err != nil {
			t.Errorf("VnetMAC(%q, %d): %v", tc.uuid, tc.index, err)
			continue
		}
		if diff := cmp.Diff([2]string{tc.host, tc.jail}, [2]string{h, j}); diff != "" {
			t.Errorf("VnetMAC(%q, %d) (-want +got):\n%s", tc.uuid, tc.index, diff)
		}
		if _, _, err := ParseVnetMAC(h + "," + j); err != nil {
			t.Errorf("generated pair is refused: %v", err)
		}
	}
	for _, tc := range []struct {
		uuid  string
		index int
		want  string
	}{
		{"xyz123-...", 0, `vnet MAC: jail UUID "xyz123-..." does not start with 6 hex digits`},
		{"ab", 0, `vnet MAC: jail UUID "ab" is shorter than 6 characters`},
		{"a1b2c3d4", 4, "vnet MAC: interface index 4 is out of range 0-3"},
	} {
		if _, _, err := VnetMAC(tc.uuid, tc.index); err == nil || err.Error() != tc.want {
			t.Errorf("VnetMAC(%q, %d) = %v, want %q", tc.uuid, tc.index, err, tc.want)
		}
	}
}

func TestParseVnetMAC(t *testing.T) {
	h, j, err := ParseVnetMAC("02ff60a1b2c3,02ff60a1b2c4")
	if err != nil || h != "02ff60a1b2c3" || j != "02ff60a1b2c4" {
		t.Errorf("ParseVnetMAC = %q, %q, %v", h, j, err)
	}
	if h, j, err := ParseVnetMAC("none"); err != nil || h != "" || j != "" {
		t.Errorf("ParseVnetMAC(none) = %q, %q, %v", h, j, err)
	}
	for in, want := range map[string]string{
		"02ff60a1b2c3":               "not two MACs",
		"02ff60a1b2c,02ff60a1b2c4":   `"02ff60a1b2c" is not 12 hex digits`,
		"02ff60a1b2cg,02ff60a1b2c4":  `"02ff60a1b2cg" is not 12 hex digits`,
		"03ff60a1b2c3,02ff60a1b2c4":  `"03ff60a1b2c3" is a multicast address`,
		"02ff60a1b2c3,02FF60A1B2C3":  "both sides have the same MAC",
		"02:ff:60:a1:b2:c3,02ff60a1": "not 12 hex digits",
	} {
		_, _, err := ParseVnetMAC(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "accepted:") {
			t.Errorf("ParseVnetMAC(%q) = %v, want %q and what is accepted", in, err, want)
		}
	}
}

func TestValidMAC(t *testing.T) {
	for _, ok := range []string{"02ff60a1b2c3", "02:ff:60:a1:b2:c3", "2:ff:60:a1:b2:c3"} {
		if err := ValidMAC(ok); err != nil {
			t.Errorf("ValidMAC(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "02ff60", "01:00:5e:00:00:01", "02:ff:60:a1:b2", "02:ff:60:a1:b2:c3:d4", "02::60:a1:b2:c3", "-2ff60a1b2c3"} {
		if err := ValidMAC(bad); err == nil {
			t.Errorf("ValidMAC(%q) accepted", bad)
		}
	}
}

func TestParseDefaultRouter(t *testing.T) {
	for _, tc := range []struct {
		in    string
		inet6 bool
		want  string
	}{
		{"none", false, "invalid IP"},
		{"192.168.1.1", false, "192.168.1.1"},
		{"2001:db8::1", true, "2001:db8::1"},
		{"fe80::1%vnet0", true, "fe80::1%vnet0"},
	} {
		a, err := ParseDefaultRouter(tc.in, tc.inet6)
		if err != nil || a.String() != tc.want {
			t.Errorf("ParseDefaultRouter(%q, %v) = %v, %v; want %s", tc.in, tc.inet6, a, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in    string
		inet6 bool
	}{
		{"192.168.1.1/24", false}, {"2001:db8::1", false}, {"192.168.1.1", true}, {"0.0.0.0", false},
		{"224.0.0.1", false}, {"2001:db8::1%vnet0", true}, {"", false}, {"gateway", false},
	} {
		_, err := ParseDefaultRouter(tc.in, tc.inet6)
		if err == nil || !strings.Contains(err.Error(), "accepted:") {
			t.Errorf("ParseDefaultRouter(%q, %v) = %v, want a refusal saying what is accepted", tc.in, tc.inet6, err)
		}
	}
}

func TestAllocateAutoIP4(t *testing.T) {
	gw := netip.MustParseAddr("192.168.1.1")
	used := []string{
		"em0|192.168.1.10/24",
		"none",
		"vnet0|192.168.1.11/24,vnet0|192.168.1.12", // the original only saw .11
		"broken value 192.168.1.13 ,,",             // does not parse, still counts
	}
	p, err := AllocateAutoIP4(gw, 10, 20, 24, used)
	if err != nil || p.String() != "192.168.1.14/24" {
		t.Errorf("AllocateAutoIP4 = %v, %v; want 192.168.1.14/24", p, err)
	}
	// The gateway itself is never handed out.
	if p, err := AllocateAutoIP4(gw, 1, 3, 24, nil); err != nil || p.String() != "192.168.1.2/24" {
		t.Errorf("AllocateAutoIP4 from 1 = %v, %v; want 192.168.1.2/24", p, err)
	}
	for _, tc := range []struct {
		start, end, subnet int
		used               []string
		want               string
	}{
		{10, 11, 24, []string{"192.168.1.10", "192.168.1.11"}, "AUTOIP4: address exhaustion: every address from .10 to .11 of 192.168.1.0 is in use"},
		{253, 255, 24, []string{"192.168.1.253"}, "AUTOIP4: next free address 192.168.1.254 is outside of bounds (254 and 255 are never used)"},
		{0, 10, 24, nil, "ip4_autostart 0 is out of range 1-255 (set it on the defaults)"},
		{1, 256, 24, nil, "ip4_autoend 256 is out of range 1-255 (set it on the defaults)"},
		{1, 10, 33, nil, "ip4_autosubnet 33 is out of range 1-32 (set it on the defaults)"},
		{20, 10, 24, nil, "ip4_autostart 20 is above ip4_autoend 10"},
	} {
		_, err := AllocateAutoIP4(gw, tc.start, tc.end, tc.subnet, tc.used)
		if err == nil || err.Error() != tc.want {
			t.Errorf("AllocateAutoIP4(%d, %d, %d) = %v, want %q", tc.start, tc.end, tc.subnet, err, tc.want)
		}
	}
}
