package net

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAddrsRefuseWhatJailRefuses: jail(8) refuses the unspecified and
// broadcast addresses, ifconfig a multicast one as an interface address.
// Start and set share these parsers, so both refuse the same values.
func TestAddrsRefuseWhatJailRefuses(t *testing.T) {
	for _, tc := range []struct {
		in     string
		inet6  bool
		reason string
	}{
		{"0.0.0.0", false, `entry 1 "0.0.0.0": "0.0.0.0" is the unspecified address, not a unicast address`},
		{"em0|0.0.0.0/0", false, `entry 1 "em0|0.0.0.0/0": "0.0.0.0" is the unspecified address, not a unicast address`},
		{"em0|224.0.0.1/24", false, `entry 1 "em0|224.0.0.1/24": "224.0.0.1" is a multicast address, not a unicast address`},
		{"em0|10.0.0.1,239.1.2.3", false, `entry 2 "239.1.2.3": "239.1.2.3" is a multicast address, not a unicast address`},
		{"255.255.255.255", false, `entry 1 "255.255.255.255": "255.255.255.255" is the broadcast address, not a unicast address`},
		{"::", true, `entry 1 "::": "::" is the unspecified address, not a unicast address`},
		{"em0|ff02::1/64", true, `entry 1 "em0|ff02::1/64": "ff02::1" is a multicast address, not a unicast address`},
		{"ff0e::101", true, `entry 1 "ff0e::101": "ff0e::101" is a multicast address, not a unicast address`},
		{"em0|::ffff:1.2.3.4", true, `entry 1 "em0|::ffff:1.2.3.4": "::ffff:1.2.3.4" is not an IPv6 address`},
	} {
		parse, prop, accepted := ParseIP4Addr, "ip4_addr", ip4Accepted
		if tc.inet6 {
			parse, prop, accepted = ParseIP6Addr, "ip6_addr", ip6Accepted
		}
		_, err := parse(tc.in)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("%s %q: %v, want a *ValueError", prop, tc.in, err)
			continue
		}
		want := ValueError{Property: prop, Reason: tc.reason, Accepted: accepted}
		got := ValueError{Property: ve.Property, Reason: ve.Reason, Accepted: ve.Accepted}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %q (-want +got):\n%s", prop, tc.in, diff)
		}
		if err.Error() != prop+": "+tc.reason+"; accepted: "+accepted {
			t.Errorf("%s %q: error text %q", prop, tc.in, err)
		}
	}
}

// TestAddrsAcceptLoopback: admins commonly give jails 127.0.1.x on a
// cloned lo1, which FreeBSD takes.
func TestAddrsAcceptLoopback(t *testing.T) {
	ip := netip.MustParseAddr
	got, err := ParseIP4Addr("lo1|127.0.1.1,lo1|127.0.1.2/32,10.0.0.5/24")
	if err != nil {
		t.Fatal(err)
	}
	want := []Addr{
		{Interface: "lo1", Address: ip("127.0.1.1"), Prefix: -1},
		{Interface: "lo1", Address: ip("127.0.1.2"), Prefix: 32},
		{Address: ip("10.0.0.5"), Prefix: 24},
	}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("ip4_addr (-want +got):\n%s", diff)
	}
	got, err = ParseIP6Addr("lo1|::1,em0|fe80::1/64")
	if err != nil {
		t.Fatal(err)
	}
	want = []Addr{
		{Interface: "lo1", Address: ip("::1"), Prefix: -1},
		{Interface: "em0", Address: ip("fe80::1"), Prefix: 64},
	}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("ip6_addr (-want +got):\n%s", diff)
	}
}

func TestDefaultRouterRefusesNonGateways(t *testing.T) {
	const (
		acc4 = `"none" or one unicast IPv4 address without mask, not loopback`
		acc6 = `"none" or one unicast IPv6 address without mask, not loopback (a link-local address may carry its %interface, e.g. fe80::1%vnet0)`
	)
	for _, tc := range []struct {
		in     string
		inet6  bool
		reason string
	}{
		{"127.0.0.1", false, `"127.0.0.1" is a loopback address, not a gateway`},
		{"127.255.0.9", false, `"127.255.0.9" is a loopback address, not a gateway`},
		{"0.0.0.0", false, `"0.0.0.0" is the unspecified address, not a gateway`},
		{"224.0.0.1", false, `"224.0.0.1" is a multicast address, not a gateway`},
		{"255.255.255.255", false, `"255.255.255.255" is the broadcast address, not a gateway`},
		{"fe80::1", false, `"fe80::1" is not a unicast IPv4 address`},
		{"::", true, `"::" is the unspecified address, not a gateway`},
		{"::1", true, `"::1" is a loopback address, not a gateway`},
		{"ff02::1", true, `"ff02::1" is a multicast address, not a gateway`},
		{"ff02::1%vnet0", true, `"ff02::1%vnet0": only a link-local gateway takes a %interface`},
		{"2001:db8::1%vnet0", true, `"2001:db8::1%vnet0": only a link-local gateway takes a %interface`},
		{"fe80::1%abcdefghijklmnop", true, `"fe80::1%abcdefghijklmnop": interface name "abcdefghijklmnop" is longer than 15 characters`},
		{"::ffff:10.0.0.1", true, `"::ffff:10.0.0.1" is not a unicast IPv6 address`},
	} {
		prop, acc := "defaultrouter", acc4
		if tc.inet6 {
			prop, acc = "defaultrouter6", acc6
		}
		_, err := ParseDefaultRouter(tc.in, tc.inet6)
		if err == nil {
			t.Errorf("ParseDefaultRouter(%q, %v) accepted", tc.in, tc.inet6)
			continue
		}
		if diff := cmp.Diff(prop+": "+tc.reason+"; accepted: "+acc, err.Error()); diff != "" {
			t.Errorf("ParseDefaultRouter(%q, %v) (-want +got):\n%s", tc.in, tc.inet6, diff)
		}
	}
	for _, tc := range []struct {
		in    string
		inet6 bool
	}{
		{"192.168.1.1", false}, {"10.0.0.254", false}, {"169.254.0.1", false},
		{"fe80::1", true}, {"fe80::1%vnet0", true}, {"2001:db8::1", true},
	} {
		a, err := ParseDefaultRouter(tc.in, tc.inet6)
		if err != nil || a.String() != tc.in {
			t.Errorf("ParseDefaultRouter(%q, %v) = %v, %v", tc.in, tc.inet6, a, err)
		}
	}
}

func TestInterfacesBridgeNameLimit(t *testing.T) {
	if _, err := ParseInterfaces("vnet0:bridge123456789,vnet1:em0.100"); err != nil {
		t.Errorf("15-character bridge refused: %v", err)
	}
	_, err := ParseInterfaces("vnet0:bridge1234567890")
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Reason != `entry 1 "vnet0:bridge1234567890": interface name "bridge1234567890" is longer than 15 characters` {
		t.Errorf("16-character bridge: %v", err)
	}
}
