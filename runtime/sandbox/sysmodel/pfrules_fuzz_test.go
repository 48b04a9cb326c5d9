package sysmodel

import (
	"testing"
)

// FuzzPfRule checks that the rule parser never panics, and that what it
// prints for a rule it accepts is itself a rule it accepts and prints the
// same way (pfctl -s output loads back unchanged).
func FuzzPfRule(f *testing.F) {
	for _, s := range []string{
		"nat on em0 inet from 10.0.0.5 to any -> (em0)",
		"rdr pass on em0 inet proto tcp from any to (em0) port 8080 -> 10.0.0.5 port 80",
		"rdr on em0 proto udp from any to any port = 53 -> 10.0.0.5",
		"pass in quick on em0 inet proto tcp from any to 10.0.0.0/8 port 22",
		"block all", "pass", "nat on em0 from 2001:db8::/32 to any -> (em0)",
		"nat on (em0) from any to any -> 1.2.3.4", "rdr on em0 -> ", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := parsePfRule(line)
		if err != nil {
			return
		}
		r2, err := parsePfRule(r.Text)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", line, r.Text, err)
		}
		if r2 != r {
			t.Fatalf("%q printed as %q, read back as %q", line, r.Text, r2.Text)
		}
	})
}

func TestPfRulesPrinted(t *testing.T) {
	for in, want := range map[string]string{
		"nat on em0 inet from 10.0.0.5 to any -> (em0)":                                  "nat on em0 inet from 10.0.0.5 to any -> (em0) round-robin",
		"rdr pass on em0 inet proto tcp from any to (em0) port 8080 -> 10.0.0.5 port 80": "rdr pass on em0 inet proto tcp from any to (em0) port = 8080 -> 10.0.0.5 port 80",
		"nat on em0 from 10.1.2.3/8 to any->(em0)":                                       "nat on em0 from 10.0.0.0/8 to any -> (em0) round-robin",
		"pass":                             "pass all flags S/SA keep state",
		"pass in proto udp all":            "pass in proto udp all keep state",
		"block out on em0 from any to any": "block out on em0 all",
	} {
		r, err := parsePfRule(in)
		if err != nil || r.Text != want {
			t.Errorf("%q = %q, %v; want %q", in, r.Text, err, want)
		}
	}
	for _, bad := range []string{
		"nat on em0 inet from 2001:db8::1 to any -> (em0)", // family
		"nat on em0 from any to any -> (em0) port 80",      // nat has no target port
		"rdr on em0 from any to any port 80 -> 10.0.0.1",   // port without proto
		"rdr on em0 proto icmp from any to any -> 10.0.0.1",
		"nat on em0 from any to any -> any",
		"nat on em0 from any to any -> (em0",
		"nat on -x from any to any -> (em0)",
		"nat on em0 from $jail to any -> (em0)",
		"rdr pass on em0 inet proto tcp from any to (em0) port 70000 -> 10.0.0.5 port 80",
		"scrub in all", "nat on em0 from any to any -> (em0) extra",
	} {
		if r, err := parsePfRule(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, r.Text)
		}
	}
}
