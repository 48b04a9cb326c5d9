package main

import (
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// TestExportImportThroughPipes: `iocage export JAIL -` writes the stream
// to standard output (nothing else there), `iocage import - PROP=VALUE`
// reads it from standard input; the default export file is under
// /iocage/images. The verbs check their arguments.
func TestExportImportThroughPipes(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	r := iocageOn(t, "", "create", "-e", "-H", "tag=v1", "notes=piped")
	if r.Code != 0 {
		t.Fatalf("create: %+v", r)
	}
	uuid := strings.Fields(r.Stdout)[0]
	stream := iocageOn(t, "", "export", "v1", "-")
	if stream.Code != 0 || !strings.Contains(stream.Stderr, "["+uuid+"] Exported v1") || len(stream.Stdout) < 1024 {
		t.Fatalf("export v1 - = code %d, stderr %q, %d bytes", stream.Code, stream.Stderr, len(stream.Stdout))
	}
	r = iocageOn(t, stream.Stdout, "import", "-H", "-", "tag=v2")
	if r.Code != 0 || strings.Fields(r.Stdout)[1] != "v2" || strings.Fields(r.Stdout)[0] == uuid {
		t.Fatalf("import - tag=v2 = %+v", r)
	}
	if g := iocageOn(t, "", "get", "notes", "v2"); g.Stdout != "piped\n" {
		t.Errorf("get notes v2 = %+v", g)
	}
	r = iocageOn(t, "", "export", "-H", "v1")
	if f := strings.Fields(r.Stdout); r.Code != 0 || len(f) != 4 || !strings.HasPrefix(f[2], "/iocage/images/"+uuid+"_") || !strings.HasSuffix(f[2], ".zfs") {
		t.Errorf("export v1 = %+v", r)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"upgrade"}, 2, "upgrade: missing JAIL"},
		{[]string{"import"}, 2, "missing FILE"},
		{[]string{"update", "v1", "x"}, 2, "unexpected argument"},
		{[]string{"upgrade", "v1", "bogus=1"}, 1, "unknown option bogus=...; accepted: release"},
		{[]string{"import", "-", "notes=x"}, 1, "not a ZFS send stream"},
		{[]string{"export", "nosuch"}, 3, `jail "nosuch": does not exist`},
	} {
		r := iocageOn(t, "", tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v = %+v, want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
}
