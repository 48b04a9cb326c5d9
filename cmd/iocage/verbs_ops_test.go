package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRcbootAndRcshutdownTakeNoArgumentsAndAreQuietWithoutBootJails(t *testing.T) {
	// No active pool at all: the rc.d script still succeeds.
	for _, verb := range []string{"rcboot", "rcshutdown"} {
		if d := cmp.Diff(result{}, iocage(t, "", verb)); d != "" {
			t.Errorf("%s without a pool (-want +got):\n%s", verb, d)
		}
	}
	dataSandbox(t)
	for _, verb := range []string{"rcboot", "rcshutdown"} {
		if d := cmp.Diff(result{}, iocageOn(t, "", verb)); d != "" {
			t.Errorf("%s without boot=on jails (-want +got):\n%s", verb, d)
		}
		if r := iocageOn(t, "", verb, "web"); r.Code != exitUsage || !strings.Contains(r.Stderr, `unexpected argument "web"`) {
			t.Errorf("%s web = %+v, want a usage error", verb, r)
		}
	}
}

func TestCleanWantsASelectorAndAnAnswer(t *testing.T) {
	dataSandbox(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"clean"}, exitUsage, "clean: name what to clean: -a (everything), -r (releases), -j (jails) or --interrupted (see `iocage clean --help`)"},
		{[]string{"clean", "-f"}, exitUsage, "name what to clean"},
		{[]string{"clean", "-j"}, 1, "not on a terminal (confirm with -f)"},
	} {
		r := iocageOn(t, "", tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.msg) {
			t.Errorf("iocage %s = %+v; want exit %d and %q", strings.Join(tc.args, " "), r, tc.code, tc.msg)
		}
	}
	if r := iocageOn(t, "", "list", "-H"); strings.Count(r.Stdout, "\n") != 2 {
		t.Errorf("a refused clean destroyed jails: %+v", r)
	}
	r := iocageOn(t, "", "clean", "-j", "-f", "-H")
	if r.Code != 0 || !strings.HasSuffix(r.Stdout, "/iocage/jails\n") {
		t.Errorf("clean -j -f = %+v", r)
	}
	if r := iocageOn(t, "", "list", "-H"); r != (result{}) {
		t.Errorf("jails left after clean -j: %+v", r)
	}
}

func TestLimitVerbsRenderTables(t *testing.T) {
	dataSandbox(t)
	const web = "0000aaaa-0000-4000-8000-000000000001"
	if r := iocageOn(t, "", "cap", "web"); r.Code != 0 || r.Stdout != "" ||
		!strings.Contains(r.Stderr, "["+web+"] rlimits is off, so no limits are applied") {
		t.Errorf("cap with rlimits off = %+v", r)
	}
	if r := iocageOn(t, "", "set", "rlimits=on", "maxproc=100:deny", "web"); r.Code != 0 {
		t.Fatalf("set: %+v", r)
	}
	rule := "jail:ioc-" + web + ":maxproc:deny=100"
	want := result{Stdout: "RULE\n" + rule + "\n", Stderr: "[" + web + "] Applying resource limits OK\n"}
	if d := cmp.Diff(want, iocageOn(t, "", "cap", "web")); d != "" {
		t.Errorf("cap (-want +got):\n%s", d)
	}
	wantJSON := `[
  {
    "uuid": "` + web + `",
    "tag": "web",
    "resource": "maxproc",
    "action": "deny",
    "amount": "100"
  }
]
`
	if d := cmp.Diff(result{Stdout: wantJSON}, iocageOn(t, "", "limits", "--json")); d != "" {
		t.Errorf("limits --json (-want +got):\n%s", d)
	}
	if r := iocageOn(t, "", "inuse", "web"); r.Code != 1 || !strings.Contains(r.Stderr, "is not running") {
		t.Errorf("inuse of a stopped jail = %+v", r)
	}
	if d := cmp.Diff(result{}, iocageOn(t, "", "inuse")); d != "" {
		t.Errorf("inuse without running jails (-want +got):\n%s", d)
	}
	want = result{Stdout: rule + "\n", Stderr: "[" + web + "] Releasing resource limits OK\n"}
	if d := cmp.Diff(want, iocageOn(t, "", "uncap", "-H", "web")); d != "" {
		t.Errorf("uncap -H (-want +got):\n%s", d)
	}
	// No rules: the header still says what would be there.
	if d := cmp.Diff(result{Stdout: "UUID  TAG  RESOURCE  ACTION  AMOUNT\n"}, iocageOn(t, "", "limits", "web")); d != "" {
		t.Errorf("limits after uncap (-want +got):\n%s", d)
	}
}
