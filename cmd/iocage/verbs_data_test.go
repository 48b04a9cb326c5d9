package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// dataSandbox is a sandbox with the pool activated and two jails.
func dataSandbox(t *testing.T) string {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	if r := iocageOn(t, "", "set", "priority=50", "default"); r.Code != 0 {
		t.Fatalf("set on the defaults (prepares the pool): %+v", r)
	}
	for uuid, tag := range map[string]string{"0000aaaa-0000-4000-8000-000000000001": "web", "0000bbbb-0000-4000-8000-000000000002": "db"} {
		p := "org.freebsd.iocage:"
		err := zfs.Create(context.Background(), s.Host, s.Pool+"/iocage/jails/"+uuid, false, map[string]string{
			p + "tag": tag, p + "host_hostuuid": uuid, p + "boot": "off", p + "template": "no", p + "format_version": "1"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s.Pool
}

func TestDataVerbsRenderTablesAndJSON(t *testing.T) {
	pool := dataSandbox(t)
	if r := iocageOn(t, "", "activate"); r != (result{Stdout: pool + "\n"}) {
		t.Errorf("activate without a pool = %+v", r)
	}
	want := result{Stdout: "-\t0000bbbb-0000-4000-8000-000000000002\toff\tdown\tdb\n" +
		"-\t0000aaaa-0000-4000-8000-000000000001\toff\tdown\tweb\n"}
	if d := cmp.Diff(want, iocageOn(t, "", "list", "-H")); d != "" {
		t.Errorf("list -H (-want +got):\n%s", d)
	}
	r := iocageOn(t, "", "list")
	if !strings.HasPrefix(r.Stdout, "JID  UUID") || !strings.Contains(r.Stdout, "STATE  TAG\n") {
		t.Errorf("list header: %q", r.Stdout)
	}
	wantJSON := `[
  {
    "jid": null,
    "uuid": "0000bbbb-0000-4000-8000-000000000002",
    "boot": "off",
    "state": "down",
    "tag": "db"
  },
  {
    "jid": null,
    "uuid": "0000aaaa-0000-4000-8000-000000000001",
    "boot": "off",
    "state": "down",
    "tag": "web"
  }
]
`
	if d := cmp.Diff(result{Stdout: wantJSON}, iocageOn(t, "", "list", "--json")); d != "" {
		t.Errorf("list --json (-want +got):\n%s", d)
	}
	if d := cmp.Diff(result{Stdout: "on\n"}, func() result {
		iocageOn(t, "", "set", "boot=on", "web")
		return iocageOn(t, "", "get", "boot", "web")
	}()); d != "" {
		t.Errorf("set then get (-want +got):\n%s", d)
	}
	if d := cmp.Diff(result{Stdout: "50\n"}, iocageOn(t, "", "get", "priority", "default")); d != "" {
		t.Errorf("get on the defaults (-want +got):\n%s", d)
	}
}

func TestDataVerbsErrors(t *testing.T) {
	dataSandbox(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"set", "boot=maybe", "web"}, 1, "property boot: invalid value \"maybe\""},
		{[]string{"get", "alow_mount", "web"}, 1, "did you mean allow_mount"},
		{[]string{"get", "tag", "nothing"}, exitNotFound, "does not exist"},
		{[]string{"get", "tag", "0000"}, 1, "matches 2 jails"},
		{[]string{"snapshot", "web@"}, 1, "empty snapshot name"},
	} {
		r := iocageOn(t, "", tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.msg) {
			t.Errorf("iocage %s = %+v; want exit %d and %q", strings.Join(tc.args, " "), r, tc.code, tc.msg)
		}
	}
	if r := iocageOn(t, "", "get", "boot", "web"); r.Stdout != "off\n" {
		t.Errorf("a refused set changed boot: %+v", r)
	}
}
