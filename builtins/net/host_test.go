package net

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A blank continuation line (a tab alone) once indexed the first field of
// nothing and panicked.
func TestParseIfconfigSkipsBlankContinuationLines(t *testing.T) {
	out := "em0: flags=8863<UP,BROADCAST> metric 0 mtu 1500\n\t\n \n\tether 58:9c:fc:00:00:01\n\t \t\n\tinet 10.0.0.5 netmask 0xffffff00 broadcast 10.0.0.255\n"
	got, err := ParseIfconfig(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Interface{{Name: "em0", MTU: 1500, Up: true, MAC: "58:9c:fc:00:00:01", Inet: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/24")}}}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseIfconfigRefusesMalformed(t *testing.T) {
	for _, out := range []string{
		"\t\n",                           // indented, before any header
		"\tinet 10.0.0.5 netmask 0xff\n", // the same with text
		"em0 flags=0\n",                  // a header without ": "
		"em0: flags=1<UP> mtu x\n",
		"em0: flags=1<UP>\n\tinet6 ::1 prefixlen 999\n",
		"em0: flags=1<UP>\n\tinet6 10.0.0.1 prefixlen 24\n",
	} {
		if ifs, err := ParseIfconfig(out); err == nil {
			t.Errorf("ParseIfconfig(%q) = %+v, want an error", out, ifs)
		}
	}
}
