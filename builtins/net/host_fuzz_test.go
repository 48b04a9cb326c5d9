package net

import (
	"strings"
	"testing"
)

func FuzzParseIfconfig(f *testing.F) {
	for _, s := range []string{
		"em0: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\toptions=4e507bb<RXCSUM>\n\tether 58:9c:fc:00:00:01\n\tinet 192.168.1.5 netmask 0xffffff00 broadcast 192.168.1.255\n\tinet6 fe80::1%em0 prefixlen 64 scopeid 0x1\n\tgroups: egress\n",
		"bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: jails bridge\n\tmember: vnet0.1 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\tgroups: bridge\n",
		"lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000\n",
		"em0: flags=0<> mtu 1500\n\t\n", "em0: flags=0<> mtu 1500\n \n\t  \n", "\tinet 1.2.3.4 netmask 0xff\n", "\t\n",
		"em0: mtu x\n", "em0: mtu\n", "em0:\n", "em0: flags=8863<UP mtu 99999999999999999999\n", "x: \n\tgroups:\n\tmember:\n\tether\n\tinet\n\tinet6\n",
		"em0: flags=1<UP>\n\tinet 1.2.3.4 netmask 0xzz\n", "em0: flags=1<UP>\n\tinet6 ::1 prefixlen 999\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		ifs, err := ParseIfconfig(out)
		if err != nil {
			return
		}
		headers := 0
		for _, l := range strings.Split(out, "\n") {
			if l != "" && l[0] != '\t' && l[0] != ' ' {
				headers++
			}
		}
		if len(ifs) != headers {
			t.Fatalf("%d interfaces from %d header lines", len(ifs), headers)
		}
		for _, i := range ifs {
			if i.Name == "" || strings.IndexFunc(i.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
				t.Fatalf("interface name %q", i.Name)
			}
			if strings.ContainsAny(i.MAC, " \n\t") || strings.Contains(i.Description, "\n") {
				t.Fatalf("interface %+v holds a line break", i)
			}
			for _, m := range append(append([]string(nil), i.Members...), i.Groups...) {
				if m == "" || strings.ContainsAny(m, " \n\t") {
					t.Fatalf("interface %s: member or group %q", i.Name, m)
				}
			}
			for _, p := range append(i.Inet[:len(i.Inet):len(i.Inet)], i.Inet6...) {
				if !p.IsValid() {
					t.Fatalf("interface %s: invalid prefix %v", i.Name, p)
				}
			}
		}
	})
}

func FuzzParseRouteGet(f *testing.F) {
	for _, s := range []string{
		"   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n",
		"gateway:\ninterface:\n", "interface: a: b\n", ":\n", "", "\n\n", "gateway: x\r\ninterface: y\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		r := ParseRouteGet(out)
		for _, v := range []string{r.Interface, r.Gateway} {
			if strings.Contains(v, "\n") || v != strings.TrimSpace(v) {
				t.Fatalf("%q gave %+v", out, r)
			}
			if v != "" && !strings.Contains(out, v) {
				t.Fatalf("%q gave %+v, not in the output", out, r)
			}
		}
	})
}

func FuzzParseVnetMAC(f *testing.F) {
	for _, s := range []string{"none", "-", "02ff60a1b2c4,02ff60a1b2c5", "02ff60a1b2c4,02FF60A1B2C4", "02ff60a1b2c4",
		" 02ff60a1b2c4,02ff60a1b2c5 ", "02:ff:60:a1:b2:c4,02ff60a1b2c5", "ffffffffffff,000000000000", "0,1,2", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h, j, err := ParseVnetMAC(v)
		if err != nil || h == "" && j == "" {
			return
		}
		for _, m := range []string{h, j} {
			if len(m) != 12 || strings.Trim(m, "0123456789abcdefABCDEF") != "" {
				t.Fatalf("%q gave MAC %q", v, m)
			}
		}
		h2, j2, err := ParseVnetMAC(h + "," + j)
		if err != nil || h2 != h || j2 != j {
			t.Fatalf("%q gave %s,%s which reads back as %s,%s, %v", v, h, j, h2, j2, err)
		}
	})
}

func FuzzParseDefaultRouter(f *testing.F) {
	for _, s := range []string{"none", "-", "auto", "192.168.1.1", "127.0.0.1", "0.0.0.0", "224.0.0.1", "2001:db8::1",
		"fe80::1%vnet0", "fe80::1%a b", "2001:db8::1%em0", "::", "ff02::1", "::ffff:1.2.3.4", "1.2.3.4/24", " 10.0.0.1 "} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, inet6 bool) {
		a, err := ParseDefaultRouter(v, inet6)
		if err != nil || !a.IsValid() {
			return
		}
		if a.Is6() != inet6 || a.Is4In6() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
			t.Fatalf("ParseDefaultRouter(%q, %v) accepted %v", v, inet6, a)
		}
		if a.Zone() != "" && (!a.IsLinkLocalUnicast() || ValidInterfaceName(a.Zone()) != nil) {
			t.Fatalf("ParseDefaultRouter(%q, %v) accepted zone %q", v, inet6, a.Zone())
		}
		if again, err := ParseDefaultRouter(a.String(), inet6); err != nil || again != a {
			t.Fatalf("ParseDefaultRouter(%q) = %v, which reads back as %v, %v", v, a, again, err)
		}
	})
}
