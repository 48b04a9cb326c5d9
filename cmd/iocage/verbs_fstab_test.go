package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The fstab verb from the command line: its action after the jail, list
// as a table with -H and --json, and its mistakes with exit status 2 (3
// for a jail that does not exist).
func TestFstabVerbCommandLine(t *testing.T) {
	s := dataSandboxOf(t)
	const web = "0000aaaa-0000-4000-8000-000000000001"
	if err := os.MkdirAll(s.Path("/iocage/jails/"+web+"/root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.Path("/srv/data"), 0o755); err != nil {
		t.Fatal(err)
	}
	header := "INDEX  SOURCE  DESTINATION  TYPE  OPTIONS  DUMP  PASS\n"
	for _, tc := range []struct {
		args []string
		want result
	}{
		{[]string{"fstab", "web", "list"}, result{Stdout: header}},
		{[]string{"fstab", "web", "add", "/srv/data", "/mnt/data"}, result{Stdout: "INDEX  SOURCE     DESTINATION  TYPE    OPTIONS  DUMP  PASS\n1      /srv/data  /mnt/data    nullfs  ro       0     0\n"}},
		{[]string{"fstab", "-H", "web", "list"}, result{Stdout: "1\t/srv/data\t/mnt/data\tnullfs\tro\t0\t0\n"}},
		{[]string{"fstab", "web", "list", "--json"}, result{Stdout: `[
  {
    "index": 1,
    "source": "/srv/data",
    "destination": "/mnt/data",
    "type": "nullfs",
    "options": "ro",
    "dump": "0",
    "pass": "0"
  }
]
`}},
		{[]string{"fstab", "web", "frob"}, result{Code: 2, Stderr: "iocage: error: fstab: unknown action \"frob\": want add, rm, list or edit (see `iocage fstab --help`)\n"}},
		{[]string{"fstab", "web", "add", "/srv/data"}, result{Code: 2, Stderr: "iocage: error: fstab: add takes SRC DST [TYPE [OPTIONS]] (see `iocage fstab --help`)\n"}},
		{[]string{"fstab", "web", "rm", "/mnt/data"}, result{Stdout: "INDEX  SOURCE     DESTINATION  TYPE    OPTIONS  DUMP  PASS\n1      /srv/data  /mnt/data    nullfs  ro       0     0\n"}},
		{[]string{"fstab", "-H", "web", "list"}, result{}},
	} {
		got := iocageOn(t, "", tc.args...)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, d)
		}
	}
	if r := iocageOn(t, "", "fstab", "nosuch", "list"); r.Code != 3 || !strings.Contains(r.Stderr, `jail "nosuch": does not exist`) {
		t.Errorf("fstab nosuch list = %+v; want exit 3 naming the jail", r)
	}
	if r := iocageOn(t, "", "fstab", "web"); r.Code != 2 {
		t.Errorf("fstab web = %+v; want exit 2 for the missing action", r)
	}
}
