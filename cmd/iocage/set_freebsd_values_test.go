package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSetRefusesWhatFreeBSDRefuses: a value rctl, cpuset, jail(8), route
// or zfs would refuse at start is refused by set, exit 1 with the property,
// the value and the accepted form on stderr, and the stored value stays.
func TestSetRefusesWhatFreeBSDRefuses(t *testing.T) {
	dataSandbox(t)
	good := map[string]string{
		"memoryuse": "2G:deny", "cpuset": "0-1", "ip4_addr": "lo1|127.0.1.1", "defaultrouter": "192.168.1.1",
		"notes": "café", "jail_zfs_dataset": "DEFAULT/iocage/jails/0000aaaa-0000-4000-8000-000000000001/data",
		"interfaces": "vnet0:bridge0",
	}
	for k, v := range good {
		if r := iocageOn(t, "", "set", k+"="+v, "web"); r.Code != 0 {
			t.Fatalf("set %s=%s: %+v", k, v, r)
		}
	}
	for _, tc := range []struct{ prop, value, why string }{
		{"memoryuse", "1.5G:deny", `"1.5G" is not an amount: it ends in ".5G"`},
		{"memoryuse", "8GB:log", `"8GB" is not an amount: it ends in "GB"`},
		{"cpuset", "+1", `"+1" is not a CPU number`},
		{"ip4_addr", "0.0.0.0", "the unspecified address"},
		{"defaultrouter", "127.0.0.1", "a loopback address"},
		{"notes", "ring\x07", "control character U+0007 at offset 4"},
		{"jail_zfs_dataset", "DEFAULT/iocage/../../etc", `component ".." is not a name`},
		{"interfaces", "vnet0:bridge1234567890", "longer than 15 characters"},
	} {
		r := iocageOn(t, "", "set", tc.prop+"="+tc.value, "web")
		prefix := "property " + tc.prop + ": invalid value "
		if r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, prefix) ||
			!strings.Contains(r.Stderr, tc.why) || !strings.Contains(r.Stderr, "(accepted: ") {
			t.Errorf("set %s=%q = %+v; want exit 1 and %q, %q and the accepted form on stderr", tc.prop, tc.value, r, prefix, tc.why)
		}
		if d := cmp.Diff(result{Stdout: good[tc.prop] + "\n"}, iocageOn(t, "", "get", tc.prop, "web")); d != "" {
			t.Errorf("after the refused set %s=%q (-want +got):\n%s", tc.prop, tc.value, d)
		}
	}
	// The defaults are checked the same way.
	if r := iocageOn(t, "", "set", "memoryuse=1.5G:deny", "default"); r.Code != 1 || !strings.Contains(r.Stderr, "property memoryuse: invalid value") {
		t.Errorf("set on the defaults = %+v, want a refusal", r)
	}
	if d := cmp.Diff(result{Stdout: "8G:log\n"}, iocageOn(t, "", "get", "memoryuse", "default")); d != "" {
		t.Errorf("defaults after the refused set (-want +got):\n%s", d)
	}
}
