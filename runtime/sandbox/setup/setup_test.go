package setup

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/mirror"
	"github.com/iocage/iocage/runtime/sandbox/release"
)

// TestMain serves the mirror helper that Setup starts from this binary.
func TestMain(m *testing.M) {
	sandbox.Main()
	os.Exit(m.Run())
}

type call struct {
	Env  []string
	Argv []string
}

// fakeRun answers dpkg-query with status[pkg] and records every call.
func fakeRun(status map[string]string, calls *[]call) runFunc {
	return func(_ context.Context, env []string, path string, args ...string) ([]byte, error) {
		*calls = append(*calls, call{Env: env, Argv: append([]string{path}, args...)})
		if path == dpkgQuery {
			s, ok := status[args[len(args)-1]]
			if !ok {
				return []byte("dpkg-query: no packages found"), errors.New("exit status 1")
			}
			return []byte(s), nil
		}
		return nil, nil
	}
}

func TestEnsurePackages(t *testing.T) {
	for _, p := range Packages {
		if _, err := os.Stat(p.File); err != nil {
			t.Skipf("%s is not installed here (%v); the test needs the machine set up", p.Name, err)
		}
	}
	query := func(pkg string) call {
		return call{Argv: []string{dpkgQuery, "-W", "-f=${Status}", pkg}}
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	tests := []struct {
		name    string
		status  map[string]string
		want    []call
		wantOut string
	}{
		{
			name: "all installed: no apt-get at all",
			status: map[string]string{"zfs-fuse": "install ok installed",
				"busybox-static": "install ok installed", "xz-utils": "install ok installed",
				"openssh-client": "install ok installed"},
			want:    []call{query("zfs-fuse"), query("busybox-static"), query("xz-utils"), query("openssh-client")},
			wantOut: "packages: installed\n",
		},
		{
			name: "missing and removed ones are installed after an update",
			status: map[string]string{"zfs-fuse": "deinstall ok config-files",
				"busybox-static": "install ok installed", "openssh-client": "install ok installed"},
			want: []call{query("zfs-fuse"), query("busybox-static"), query("xz-utils"), query("openssh-client"),
				{Env: env, Argv: []string{aptGet, "update", "-q"}},
				{Env: env, Argv: []string{aptGet, "install", "-y", "-q", "--no-install-recommends", "zfs-fuse", "xz-utils"}}},
			wantOut: "packages: installing zfs-fuse xz-utils\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []call
			var out bytes.Buffer
			if err := ensurePackages(context.Background(), &out, fakeRun(tc.status, &calls), Packages); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, calls); diff != "" {
				t.Errorf("programs run (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantOut, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnsurePackagesReportsAptFailure(t *testing.T) {
	run := func(_ context.Context, _ []string, path string, args ...string) ([]byte, error) {
		switch {
		case path == dpkgQuery:
			return nil, errors.New("not installed")
		case args[0] == "install":
			return nil, errors.New("E: Unable to locate package zfs-fuse")
		}
		return nil, nil
	}
	err := ensurePackages(context.Background(), &bytes.Buffer{}, run, Packages)
	if err == nil || !strings.Contains(err.Error(), "Unable to locate package") {
		t.Errorf("ensurePackages with a failing apt-get = %v, want its error", err)
	}
}

func TestBuildReleasesSkipsWhenCurrent(t *testing.T) {
	tree := filepath.Join(t.TempDir(), "mirror")
	var out bytes.Buffer
	if err := buildReleases(tree, "127.0.0.1:8180", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "releases: building") {
		t.Errorf("first build output %q, want building", out.String())
	}
	base := filepath.Join(tree, release.ReleaseDir("14.3-RELEASE"), "base.txz")
	st1, err := os.Stat(base)
	if err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := buildReleases(tree, "127.0.0.1:8180", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "up to date") {
		t.Errorf("second build output %q, want up to date", out.String())
	}
	if st2, _ := os.Stat(base); !st2.ModTime().Equal(st1.ModTime()) {
		t.Error("a current tree was rebuilt")
	}

	// The address is baked into the releases: another one rebuilds.
	out.Reset()
	if err := buildReleases(tree, "127.0.0.1:8181", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "releases: building") {
		t.Errorf("build for another mirror address: %q, want building", out.String())
	}
	conf, err := os.ReadFile(filepath.Join(tree, release.StampFile))
	if err != nil || !strings.Contains(string(conf), "mirror=127.0.0.1:8181") {
		t.Errorf("stamp after rebuild = %q, %v", conf, err)
	}
}

func TestSetupRejectsRelativeDir(t *testing.T) {
	err := Setup(context.Background(), "sandbox", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("Setup(relative dir) = %v, want an absolute-path error", err)
	}
}

func TestStatusOfMissingSandbox(t *testing.T) {
	var out bytes.Buffer
	err := Status(filepath.Join(t.TempDir(), "none"), &out)
	if !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("Status of no sandbox = %v, want runtime.ErrNotExist", err)
	}
	if !strings.Contains(out.String(), "not set up") {
		t.Errorf("Status output %q", out.String())
	}
}

// TestSetupTeardown runs the real thing: pool, releases, mirror daemon. It
// needs root and zfs-fuse, uses port 8180 unless taken, and is opt-in
// because it changes the machine (IOCAGE_SETUP_TEST=1).
func TestSetupTeardown(t *testing.T) {
	if os.Getenv("IOCAGE_SETUP_TEST") != "1" {
		t.Skip("set IOCAGE_SETUP_TEST=1 (as root) to run setup for real")
	}
	if c, err := net.Dial("tcp", mirror.DefaultAddr); err == nil {
		c.Close()
		t.Skipf("%s is in use", mirror.DefaultAddr)
	}
	// Setup adopts an existing pool "zroot" and Teardown destroys it.
	if exec.Command(zpool, "list", "-H", "zroot").Run() == nil {
		t.Skip("a pool named zroot exists; it may be someone's sandbox")
	}
	dir, err := os.MkdirTemp("/var/tmp", "iocage-setup-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Teardown(dir); err != nil {
			t.Errorf("Teardown: %v", err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("Teardown left %s", dir)
		}
	})
	for i, wantBuild := range []bool{true, false} {
		var out bytes.Buffer
		if err := Setup(context.Background(), dir, &out); err != nil {
			t.Fatalf("Setup #%d: %v\n%s", i+1, err, out.String())
		}
		t.Logf("Setup #%d:\n%s", i+1, out.String())
		if got := strings.Contains(out.String(), "releases: building"); got != wantBuild {
			t.Errorf("Setup #%d built releases = %v, want %v", i+1, got, wantBuild)
		}
	}
	cfg, err := sandbox.ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mirror != mirror.DefaultAddr {
		t.Errorf("config mirror = %q, want %q", cfg.Mirror, mirror.DefaultAddr)
	}
	var out bytes.Buffer
	if err := Status(dir, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"zfs-fuse  running", "(ONLINE)", "mirror    running on http://" + mirror.DefaultAddr, "releases  14.2-RELEASE 14.3-RELEASE"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Status lacks %q:\n%s", want, out.String())
		}
	}
}
