package pf

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRedirects(t *testing.T) {
	got, err := ParseRedirects("tcp 8080:80, udp 5353:53,tcp 53:53")
	if err != nil {
		t.Fatal(err)
	}
	want := []Redirect{{"tcp", 8080, 80}, {"udp", 5353, 53}, {"tcp", 53, 53}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, v := range []string{"none", "", " none "} {
		if rs, err := ParseRedirects(v); err != nil || rs != nil {
			t.Errorf("%q = %v, %v", v, rs, err)
		}
	}
	for v, msg := range map[string]string{
		"sctp 1:1":                 `protocol "sctp" is not tcp or udp`,
		"tcp 0:80":                 `port "0" is not a number 1-65535`,
		"tcp 65536:80":             `port "65536" is not a number 1-65535`,
		"tcp 80:080":               `port "080" is not a number 1-65535`,
		"tcp 80":                   `want HOSTPORT:JAILPORT`,
		"tcp 8000-8010:80":         `port ranges are not supported`,
		"tcp 8080:80, tcp 8080:81": `redirects "tcp 8080:80" and "tcp 8080:81" both take tcp port 8080 of the host`,
		"tcp 8080:80,":             `want PROTO HOSTPORT:JAILPORT`,
		"tcp 1:2 3":                `want PROTO HOSTPORT:JAILPORT`,
		"tcp -1:2":                 `port ranges`,
		"tcp +1:2":                 `not a number`,
	} {
		_, err := ParseRedirects(v)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v, want it to say %q", v, err, msg)
		}
	}
	// The same host port over two protocols is two redirects.
	if _, err := ParseRedirects("tcp 53:53, udp 53:53"); err != nil {
		t.Error(err)
	}
}

func TestRules(t *testing.T) {
	a := []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.6")}
	got, err := Rules("em0", a, true, []Redirect{{"tcp", 8080, 80}, {"udp", 5353, 53}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"nat on em0 inet from 10.0.0.5 to any -> (em0)",
		"nat on em0 inet from 10.0.0.6 to any -> (em0)",
		"rdr pass on em0 inet proto tcp from any to (em0) port 8080 -> 10.0.0.5 port 80",
		"rdr pass on em0 inet proto udp from any to (em0) port 5353 -> 10.0.0.5 port 53",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if rs, err := Rules("em0", nil, false, nil); rs != nil || err != nil {
		t.Errorf("nothing to do = %v, %v", rs, err)
	}
	for _, tc := range []struct {
		iface string
		addrs []netip.Addr
		msg   string
	}{
		{"em0", nil, "no IPv4 address"},
		{"em0", []netip.Addr{netip.MustParseAddr("2001:db8::1")}, "not IPv4"},
		{"-em0", a, "does not start with a letter"},
		{"em0 ", a, "is not a letter"},
		{"abcdefghijklmnop", a, "1 to 15"},
	} {
		if _, err := Rules(tc.iface, tc.addrs, true, nil); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q %v: %v, want %q", tc.iface, tc.addrs, err, tc.msg)
		}
	}
}

func TestAnchorAndMissingPoints(t *testing.T) {
	if a, err := Anchor("ioc-abc"); err != nil || a != "iocage/ioc-abc" {
		t.Errorf("Anchor = %q, %v", a, err)
	}
	for _, n := range []string{"", "..", "-x", "a/b", "a b"} {
		if _, err := Anchor(n); err == nil {
			t.Errorf("Anchor(%q) accepted", n)
		}
	}
	for _, a := range []string{"iocage", "other/x", "iocage/a/b", "iocage/.."} {
		if checkOwnAnchor(a) == nil {
			t.Errorf("checkOwnAnchor(%q) accepted", a)
		}
	}
	conf := "set skip on lo\n  nat-anchor   \"iocage/*\"\n#anchor \"iocage/*\"\n"
	if d := cmp.Diff([]string{`rdr-anchor "iocage/*"`, `anchor "iocage/*"`}, MissingAnchorPoints(conf)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
