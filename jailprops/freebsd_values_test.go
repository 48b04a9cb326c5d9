package jailprops

import (
	"strconv"
	"strings"
	"testing"
)

// TestValuesFreeBSDRefuses pins the values that FreeBSD refuses at start
// (rctl, cpuset(1), jail(8), ifconfig, route, zfs) to a refusal at set,
// with the usual error: the property, the value, why, and the accepted
// form.
func TestValuesFreeBSDRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		why         string // a part of the reason
	}{
		// rctl amounts go through expand_number(3): integer and one suffix.
		{"memoryuse", "1.5G:deny", `"1.5G" is not an amount: it ends in ".5G"`},
		{"memoryuse", "8GB:log", `"8GB" is not an amount: it ends in "GB"`},
		{"memoryuse", "8gb:log", `ends in "gb"`},
		{"memoryuse", "+8G:log", `"+8G" is not an amount: it does not start with a digit`},
		{"memoryuse", "-1:log", "does not start with a digit"},
		{"memoryuse", " 8G:log", "does not start with a digit"},
		{"memoryuse", "0x10:log", `ends in "x10"`},
		{"memoryuse", "8Q:log", `ends in "Q"`},
		{"memoryuse", "8E:log", "too large an amount"},
		{"memoryuse", "99999999999999999999:log", "too large an amount"},
		{"cputime", "9223372036855:log", "too large an amount"}, // counted in millions by the kernel
		{"pcpu", "10k:deny", ""},                                // fits: 10240 percent
		{"memoryuse", "8G:throttle", "throttles only readbps, writebps, readiops and writeiops"},
		{"maxproc", "100:sigcont", `unknown signal action "sigcont"`},
		{"wallclock", "3600:deny", "rctl cannot deny wallclock"},
		{"cputime", "3600:deny", "rctl cannot deny cputime"},
		// cpuset(1) -l: plain decimal CPU numbers and ranges.
		{"cpuset", "+1", `"+1" is not a CPU number`},
		{"cpuset", " 1", `" 1" is not a CPU number`},
		{"cpuset", "1 ", `"1 " is not a CPU number`},
		{"cpuset", "0x1", `"0x1" is not a CPU number`},
		{"cpuset", "-1", `"" is not a CPU number`},
		{"cpuset", "1,,2", `"" is not a CPU number`},
		{"cpuset", "1-", `"" is not a CPU number`},
		{"cpuset", "0-1024", "CPU 1024 is above 1023"},
		{"cpuset", "3-1", "range 3-1 is descending"},
		// Addresses jail(8) or ifconfig refuse, through the net parsers.
		{"ip4_addr", "0.0.0.0", `"0.0.0.0" is the unspecified address`},
		{"ip4_addr", "em0|224.0.0.1/24", `"224.0.0.1" is a multicast address`},
		{"ip4_addr", "em0|239.255.255.250", "multicast"},
		{"ip4_addr", "255.255.255.255", `"255.255.255.255" is the broadcast address`},
		{"ip4_addr", "em0|10.0.0.1,em0|0.0.0.0", `entry 2 "em0|0.0.0.0"`},
		{"ip6_addr", "::", `"::" is the unspecified address`},
		{"ip6_addr", "em0|ff02::1/64", `"ff02::1" is a multicast address`},
		{"ip6_addr", "ff05::2", "multicast"},
		{"ip6_addr", "::ffff:1.2.3.4", `"::ffff:1.2.3.4" is not an IPv6 address`},
		{"ip4_addr", "abcdefghijklmnop|10.0.0.1", "longer than 15 characters"},
		// Gateways route(8) cannot use.
		{"defaultrouter", "127.0.0.1", `"127.0.0.1" is a loopback address`},
		{"defaultrouter", "127.1.2.3", "loopback"},
		{"defaultrouter", "0.0.0.0", "unspecified"},
		{"defaultrouter", "224.0.0.1", "multicast"},
		{"defaultrouter", "255.255.255.255", "broadcast"},
		{"defaultrouter", "192.168.1.1/24", "not a unicast IPv4 address"},
		{"defaultrouter6", "::", "unspecified"},
		{"defaultrouter6", "::1", "loopback"},
		{"defaultrouter6", "ff02::1", "multicast"},
		{"defaultrouter6", "2001:db8::1%em0", "only a link-local gateway takes a %interface"},
		{"defaultrouter6", "fe80::1%1em", "does not start with a letter"},
		// IFNAMSIZ is 16 with the NUL.
		{"interfaces", "vnet0:bridge1234567890", `interface name "bridge1234567890" is longer than 15 characters`},
		{"interfaces", "vnet0:bridge/0", `has '/'`},
		{"vnet0_mac", "03ff60a1b2c3,02ff60a1b2c4", "is a multicast address"},
		{"vnet0_mac", "02ff60a1b2c3,02ff60a1b2c3", "both sides have the same MAC"},
		// Control characters and invalid UTF-8 in any value.
		{"notes", "bell\x07", "control character U+0007 at offset 4"},
		{"notes", "esc\x1b[31m", "control character U+001B at offset 3"},
		{"notes", "del\x7f", "control character U+007F at offset 3"},
		{"notes", "csi\u009b1m", "control character U+009B at offset 3"},
		{"notes", "bad\xffutf8", "byte 0xff at offset 3 is not valid UTF-8"},
		{"notes", "cut\xe2\x82", "byte 0xe2 at offset 3 is not valid UTF-8"},
		{"notes", "two\nlines", "control character U+000A at offset 3"},
		{"exec_start", "/bin/sh\t/etc/rc", "control character U+0009 at offset 7"},
		{"host_hostname", "web\x00", "control character U+0000 at offset 3"},
		// ZFS dataset names.
		{"jail_zfs_dataset", "DEFAULT/iocage/../../etc", `component ".." is not a name`},
		{"jail_zfs_dataset", "DEFAULT/./data", `component "." is not a name`},
		{"jail_zfs_dataset", "DEFAULT//data", "component 2 is empty"},
		{"jail_zfs_dataset", "/tank/data", "component 1 is empty"},
		{"jail_zfs_dataset", "tank/data/", "component 3 is empty"},
		{"jail_zfs_dataset", "tank/data@snap", "'@' is not allowed"},
		{"jail_zfs_dataset", "tank/data#bm", "'#' is not allowed"},
		{"jail_zfs_dataset", "tank/da%ta", "'%' is not allowed"},
		{"jail_zfs_dataset", "tank/my data", "' ' is not allowed"},
		{"jail_zfs_dataset", "tank", "a pool, not a dataset in one"},
		{"jail_zfs_dataset", "1tank/data", "the pool name does not start with a letter"},
		{"jail_zfs_dataset", "tank/" + strings.Repeat("a", 251), "more than the 255 of a ZFS name"},
		// jail(8) parameter ranges.
		{"devfs_ruleset", "65536", "out of range 0-65535"},
		{"children_max", "999999", "out of range 0-999998"},
		{"securelevel", "4", "out of range -1-3"},
		{"enforce_statfs", "3", "out of range 0-2"},
	} {
		p, err := CheckSet(tc.name, tc.value)
		if tc.why == "" {
			if err != nil {
				t.Errorf("%s=%q refused: %v", tc.name, tc.value, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s=%q accepted (%v)", tc.name, tc.value, p.Name)
			continue
		}
		msg := err.Error()
		prefix := "property " + tc.name + ": invalid value " + strconv.Quote(tc.value) + ": "
		if !strings.HasPrefix(msg, prefix) {
			t.Errorf("%s=%q: error %q does not start with %q", tc.name, tc.value, msg, prefix)
		}
		if !strings.Contains(msg, tc.why) {
			t.Errorf("%s=%q: error %q does not say %q", tc.name, tc.value, msg, tc.why)
		}
		if !strings.HasSuffix(msg, ")") || !strings.Contains(msg, " (accepted: ") {
			t.Errorf("%s=%q: error %q does not end with what is accepted", tc.name, tc.value, msg)
		}
	}
}

// TestValuesFreeBSDAccepts keeps the checks from refusing what FreeBSD
// takes.
func TestValuesFreeBSDAccepts(t *testing.T) {
	for name, vs := range map[string][]string{
		"memoryuse":        {"8G:log", "8g:deny", "100m:log", "1024:devctl", "512k:sigterm", "1t:sigkill", "0:log", "7E:log", "8388607T:log"},
		"maxproc":          {"200:deny", "1k:sigusr1", "10:sighup"},
		"pcpu":             {"50:deny", "400:log"},
		"cputime":          {"3600:log", "9223372036854:sigxcpu"},
		"wallclock":        {"86400:sigterm"},
		"openfiles":        {"1024:deny"},
		"cpuset":           {"off", "all", "0", "1", "0-3", "1,3", "0-3,8-11", "1023", "0-0"},
		"ip4_addr":         {"10.0.0.5/24", "lo1|127.0.1.1", "lo1|127.0.1.2/32", "em0|192.168.1.10/255.255.255.0", "DEFAULT|10.0.0.2", "vnet0|AUTOIP4", "em0.100|10.1.0.1/24", "vnet0:12|10.0.0.1"},
		"ip6_addr":         {"em0|2001:db8::1/64", "lo1|::1", "fd00::2", "vnet0|2001:db8::10/64"},
		"defaultrouter":    {"none", "192.168.1.1", "10.0.0.254"},
		"defaultrouter6":   {"none", "fe80::1", "fe80::1%vnet0", "2001:db8::1"},
		"interfaces":       {"vnet0:bridge0", "vnet0:bridge123456789", "vnet0:bridge0,vnet1:bridge1", "vnet0:lan_br0"},
		"vnet0_mac":        {"none", "02ff60a1b2c3,02ff60a1b2c4"},
		"notes":            {"plain text", "café ☕ 日本", "quotes \"and\" $(stuff)", "U+FFFD \ufffd is a character"},
		"jail_zfs_dataset": {"DEFAULT/iocage/jails/0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab/data", "tank/jails/web.data", "tank2/a:b/c-d_e", "DEFAULT/data"},
		"devfs_ruleset":    {"0", "4", "65535"},
		"children_max":     {"0", "999998"},
		"securelevel":      {"-1", "0", "3"},
		"enforce_statfs":   {"0", "2"},
		"exec_fib":         {"0", "15"},
		"quota":            {"none", "1.5G", "8GB", "10G", "1024"}, // zfs sizes keep decimals
		"reservation":      {"none", "2.5T"},
	} {
		for _, v := range vs {
			if _, err := CheckSet(name, v); err != nil {
				t.Errorf("%s=%q refused: %v", name, v, err)
			}
		}
	}
}

// TestRctlValuesNameTheUnit checks that the accepted form of each rctl
// property says what its amount counts and which actions it takes.
func TestRctlValuesNameTheUnit(t *testing.T) {
	for name, want := range map[string][]string{
		"memoryuse": {"AMOUNT an integer (a size or count)", "ACTION deny, log, devctl or sigNAME"},
		"cputime":   {"AMOUNT an integer (seconds)", "ACTION log, devctl or sigNAME"},
		"wallclock": {"AMOUNT an integer (seconds)", "ACTION log, devctl or sigNAME"},
		"pcpu":      {"AMOUNT an integer (percent of one CPU)", "ACTION deny,"},
	} {
		p, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(p.Values, w) {
				t.Errorf("%s accepted form %q does not say %q", name, p.Values, w)
			}
		}
	}
}
