package main

import (
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/release/releasetest"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// TestFetchVerb runs `iocage fetch` in the spec's key=value form and with
// flags, then `list -r`: the table names the files and the patch level.
func TestFetchVerb(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	cfg := *s.Model(t).Config()
	cfg.Mirror = releasetest.Mirror(t)
	if err := sandbox.WriteConfig(s.Dir, &cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cfg.Mirror = ""
		_ = sandbox.WriteConfig(s.Dir, &cfg)
	})
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	r := iocageOn(t, "", "fetch", "-H", "release=14.3-RELEASE", "ftpfiles=base.txz")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "14.3-RELEASE\tbase.txz\t") || !strings.HasSuffix(r.Stdout, "\tfetched\t14.3-RELEASE-p1\n") || strings.Count(r.Stdout, "\n") != 1 {
		t.Fatalf("fetch release=14.3-RELEASE ftpfiles=base.txz = %+v", r)
	}
	r = iocageOn(t, "", "fetch", "-H", "--release", "14.2-RELEASE", "--no-update")
	if r.Code != 0 || !strings.Contains(r.Stdout, "\tlib32.txz\t") || !strings.HasSuffix(r.Stdout, "\tfetched\t14.2-RELEASE\n") {
		t.Fatalf("fetch --release 14.2-RELEASE --no-update = %+v", r)
	}
	if r := iocageOn(t, "", "list", "-r", "-H"); r.Stdout != "14.2-RELEASE\n14.3-RELEASE\n" {
		t.Errorf("list -r -H = %+v", r)
	}
	r = iocageOn(t, "", "fetch", "release=14.3-RELEASE", "bogus=1")
	if r.Code == 0 || !strings.Contains(r.Stderr, "unknown option bogus=...; accepted: release, ftpproto, ftphost, ftpdir, ftpfiles") {
		t.Errorf("fetch bogus=1 = %+v", r)
	}
}
