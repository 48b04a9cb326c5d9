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
	return dataSandboxOf(t).Pool
}

func dataSandboxOf(t *testing.T) *sandboxtest.Sandbox {
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
	return s
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

func TestEmptyTablesPrintTheirHeader(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "JID  UUID  BOOT  STATE  TAG\n"},
		{[]string{"list", "-l"}, "JID  UUID  BOOT  STATE  TAG  IPV4  IPV6  VNET  TYPE  INTERFACES  VNET0_MAC  VNET1_MAC  VNET2_MAC  VNET3_MAC\n"},
		{[]string{"list", "-r"}, "Downloaded releases:\n"},
		{[]string{"list", "-n"}, "JID  UUID  BOOT  STATE  TAG\n"},
		{[]string{"status"}, "UUID  STATUS\n"},
		{[]string{"show", "notes"}, "UUID  TAG  notes\n"},
		{[]string{"get", "boot"}, "UUID  BOOT\n"},
		{[]string{"get", "boot", "ALL"}, "UUID  BOOT\n"},
		{[]string{"df"}, "UUID                                  TAG\n  CRT     RES    QTA    USE    AVA\n"},
		{[]string{"df", "-p"}, "UUID CRT RES QTA USE AVA\n"},
		{[]string{"list", "-H"}, ""},
		{[]string{"df", "-p", "-H"}, ""},
		{[]string{"list", "--json"}, "[]\n"},
		{[]string{"list", "-n", "--json"}, "{\n  \"jails\": [],\n  \"others\": []\n}\n"},
	} {
		if d := cmp.Diff(result{Stdout: tc.want}, iocageOn(t, "", tc.args...)); d != "" {
			t.Errorf("iocage %s (-want +got):\n%s", strings.Join(tc.args, " "), d)
		}
	}
}

func TestDataVerbLayoutsOfTheSpec(t *testing.T) {
	s := dataSandboxOf(t)
	pool, h := s.Pool, s.Host
	const web, db = "0000aaaa-0000-4000-8000-000000000001", "0000bbbb-0000-4000-8000-000000000002"
	ctx := context.Background()
	if err := zfs.Set(ctx, h, pool+"/iocage/jails/"+web, map[string]string{"quota": "1G"}); err != nil {
		t.Fatal(err)
	}

	// df: two lines per jail, tag order; -p one line of exact values, UUID order.
	r := iocageOn(t, "", "df")
	lines := strings.Split(r.Stdout, "\n")
	if r.Code != 0 || len(lines) != 7 {
		t.Fatalf("df = %+v", r)
	}
	if d := cmp.Diff([]string{
		"UUID                                  TAG",
		"  CRT     RES    QTA    USE    AVA",
		db + "  db",
	}, lines[:3]); d != "" {
		t.Errorf("df header and first jail (-want +got):\n%s", d)
	}
	if f := strings.Fields(lines[5]); len(f) != 5 || !strings.HasPrefix(lines[5], "  1.00x   none   1G     ") || f[2] != "1G" {
		t.Errorf("df second line of web = %q, want CRT RES QTA USE AVA in columns 6/5/5/5/5", lines[5])
	}
	r = iocageOn(t, "", "df", "-p", "-H")
	rows := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	if len(rows) != 2 || !strings.HasPrefix(rows[0], web+"\t1.00\t0\t1073741824\t") || !strings.HasPrefix(rows[1], db+"\t") {
		t.Errorf("df -p -H = %q", r.Stdout)
	}
	r = iocageOn(t, "", "df", "-p")
	if !strings.HasPrefix(r.Stdout, "UUID CRT RES QTA USE AVA\n"+web+" 1.00 0 1073741824 ") {
		t.Errorf("df -p = %q", r.Stdout)
	}

	// get all: status first, then name:value lines; --json an object.
	r = iocageOn(t, "", "get", "all", "web")
	if !strings.HasPrefix(r.Stdout, "status:down\ninterfaces:") || !strings.Contains(r.Stdout, "\ntag:web\n") || !strings.Contains(r.Stdout, "\nboot:off\n") {
		t.Errorf("get all web = %+v", r)
	}
	r = iocageOn(t, "", "get", "--json", "all", "web")
	if !strings.HasPrefix(r.Stdout, "{\n  \"status\": \"down\",\n  \"interfaces\": ") || !strings.Contains(r.Stdout, "\"tag\": \"web\"") {
		t.Errorf("get all web --json = %+v", r)
	}

	// defaults: NAME=VALUE lines.
	r = iocageOn(t, "", "defaults")
	if !strings.HasPrefix(r.Stdout, "interfaces=") || !strings.Contains(r.Stdout, "\nmemoryuse=8G:log\n") {
		t.Errorf("defaults = %.200q", r.Stdout)
	}

	// list -n: the jails, then the banner and the others.
	if err := h.MkdirAll("/tmp/other", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := h.Change(ctx, "/usr/sbin/jail", "-c", "name=other", "path=/tmp/other", "host.hostname=other.example", "persist"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Change(ctx, "/usr/sbin/jail", "-r", "other") })
	r = iocageOn(t, "", "list", "-n")
	want := "JID  UUID                                  BOOT  STATE  TAG\n" +
		"-    " + db + "  off   down   db\n" +
		"-    " + web + "  off   down   web\n" +
		"--- non iocage jails currently active ---\n"
	if !strings.HasPrefix(r.Stdout, want) || !strings.Contains(r.Stdout, "JID  PATH        IP4  HOSTNAME\n") || !strings.HasSuffix(r.Stdout, "  /tmp/other  -    other.example\n") {
		t.Errorf("list -n = %q", r.Stdout)
	}
	r = iocageOn(t, "", "list", "-n", "-H")
	if strings.Contains(r.Stdout, "---") || strings.Count(r.Stdout, "\n") != 3 || !strings.HasSuffix(r.Stdout, "\t/tmp/other\t-\tother.example\n") {
		t.Errorf("list -n -H = %q", r.Stdout)
	}
}

func TestCreateAndCloneReportProgressOnStderr(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	r := iocageOn(t, "", "create", "-e", "tag=e1")
	lines := strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n")
	if r.Code != 0 || len(lines) != 3 {
		t.Fatalf("create -e = %+v", r)
	}
	uuid := strings.TrimSuffix(strings.TrimPrefix(lines[0], "["), `] Creating (tag: "e1", empty)`)
	if d := cmp.Diff([]string{
		"[" + uuid + `] Creating (tag: "e1", empty)`,
		"[" + uuid + "] Creating datasets OK",
		"[" + uuid + "] Writing the fstab template OK",
	}, lines); d != "" {
		t.Errorf("create progress (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(r.Stdout, "UUID") || !strings.Contains(r.Stdout, uuid+"  e1\n") {
		t.Errorf("create stdout = %q, want the table of the new jail", r.Stdout)
	}

	r = iocageOn(t, "", "clone", "e1", "tag=e2")
	lines = strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n")
	if r.Code != 0 || len(lines) != 3 {
		t.Fatalf("clone = %+v", r)
	}
	clone := lines[0][1:37]
	if d := cmp.Diff([]string{
		"[" + clone + "] Cloning " + uuid + ` (tag: "e1") to tag "e2"`,
		"[" + clone + "] Cloning datasets from @" + clone + " OK",
		"[" + clone + "] Writing fstab and rc.conf OK",
	}, lines); d != "" {
		t.Errorf("clone progress (-want +got):\n%s", d)
	}
	if !strings.Contains(r.Stdout, clone+"  e2\n") {
		t.Errorf("clone stdout = %q", r.Stdout)
	}
}
