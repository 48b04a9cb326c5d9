// Package setup is the logic of `iocage-sandbox setup|teardown|status|shell`: it
// turns a Debian machine into a sandbox host (the Debian packages the
// sandbox needs, the zfs-fuse daemon, the sandbox directory and pool, the
// synthetic FreeBSD releases and the local mirror that serves them) in one
// idempotent step, and undoes it.
package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/mirror"
	"github.com/iocage/iocage/runtime/sandbox/model"
	"github.com/iocage/iocage/runtime/sandbox/release"
)

// Package is a Debian package the sandbox needs, with the file that shows
// it is usable.
type Package struct {
	Name string
	File string
}

// Packages are installed by Setup when missing.
var Packages = []Package{
	{Name: "zfs-fuse", File: "/usr/sbin/zfs-fuse"},
	{Name: "busybox-static", File: "/bin/busybox"},
	{Name: "xz-utils", File: "/usr/bin/xz"},
	// FreeBSD's base has ssh(1): iocage send runs it.
	{Name: "openssh-client", File: "/usr/bin/ssh"},
}

// TestPackages are what the test suite needs besides the sandbox, which
// Deps (make test) installs too: mandoc lints the manual pages, zsh and
// fish check the syntax of their completion scripts, openssh-server
// answers iocage send's tests.
var TestPackages = []Package{
	{Name: "mandoc", File: "/usr/bin/mandoc"},
	{Name: "zsh", File: "/usr/bin/zsh"},
	{Name: "fish", File: "/usr/bin/fish"},
	// sshd on 127.0.0.1 is the second host's end of iocage send's tests.
	{Name: "openssh-server", File: "/usr/sbin/sshd"},
}

const (
	aptGet    = "/usr/bin/apt-get"
	dpkgQuery = "/usr/bin/dpkg-query"
	zpool     = "/usr/sbin/zpool"
	zfsSocket = "/var/run/zfs/zfs_socket"
)

// runFunc runs a Linux program with extra environment and returns its
// combined output. Tests replace it.
type runFunc func(ctx context.Context, env []string, path string, args ...string) ([]byte, error)

func runProgram(ctx context.Context, env []string, path string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = model.LinuxEnv(env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %q: %w", path, strings.Join(args, " "), lastLines(out, 3), err)
	}
	return out, nil
}

// Setup makes or repairs the sandbox in dir (an absolute path): it installs
// missing Debian packages, starts zfs-fuse, creates the sandbox with its
// pool "zroot", builds the releases into dir/mirror unless they are
// current, starts the mirror and records its address in the sandbox
// configuration. Running it again changes nothing that is in order.
func Setup(ctx context.Context, dir string, out io.Writer) error {
	return setupWith(ctx, dir, out, runProgram)
}

func setupWith(ctx context.Context, dir string, out io.Writer, run runFunc) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("sandbox setup: directory %q: must be an absolute path", dir)
	}
	if os.Getuid() != 0 {
		return errors.New("sandbox setup: must run as root (it installs packages, mounts and creates a ZFS pool)")
	}
	if err := ensurePackages(ctx, out, run, Packages); err != nil {
		return fmt.Errorf("sandbox setup: %w", err)
	}
	if err := sandbox.EnsureZFS(); err != nil {
		return fmt.Errorf("sandbox setup: %w", err)
	}
	fmt.Fprintln(out, "zfs-fuse: running")
	cfg, err := sandbox.Create(dir, sandbox.CreateOptions{})
	if err != nil {
		return fmt.Errorf("sandbox setup: create %s: %w", dir, err)
	}
	fmt.Fprintf(out, "sandbox: %s (pools %s)\n", dir, strings.Join(cfg.Pools, ", "))
	addr := cfg.Mirror
	if addr == "" {
		addr = mirror.DefaultAddr
	}
	if err := buildReleases(filepath.Join(dir, mirror.TreeDir), addr, out); err != nil {
		return fmt.Errorf("sandbox setup: %w", err)
	}
	if _, err := mirror.Start(dir, addr); err != nil {
		return fmt.Errorf("sandbox setup: %w", err)
	}
	fmt.Fprintf(out, "mirror: http://%s\n", addr)
	if cfg.Mirror != addr {
		cfg.Mirror = addr
		if err := sandbox.WriteConfig(dir, cfg); err != nil {
			return fmt.Errorf("sandbox setup: %w", err)
		}
	}
	return nil
}

// missingPackages lists the packages dpkg does not report installed or
// whose file is absent.
func missingPackages(ctx context.Context, run runFunc, pkgs []Package) []string {
	var missing []string
	for _, p := range pkgs {
		status, err := run(ctx, nil, dpkgQuery, "-W", "-f=${Status}", p.Name)
		_, ferr := os.Stat(p.File)
		if err != nil || strings.TrimSpace(string(status)) != "install ok installed" || ferr != nil {
			missing = append(missing, p.Name)
		}
	}
	return missing
}

// ensurePackages installs what is missing; the package lists are only
// refreshed when something has to be installed.
func ensurePackages(ctx context.Context, out io.Writer, run runFunc, pkgs []Package) error {
	missing := missingPackages(ctx, run, pkgs)
	if len(missing) == 0 {
		fmt.Fprintln(out, "packages: installed")
		return nil
	}
	fmt.Fprintf(out, "packages: installing %s\n", strings.Join(missing, " "))
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	if _, err := run(ctx, env, aptGet, "update", "-q"); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	args := append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)
	if _, err := run(ctx, env, aptGet, args...); err != nil {
		return fmt.Errorf("install %s: %w", strings.Join(missing, " "), err)
	}
	return nil
}

// buildReleases builds the mirror tree unless its stamp says it was built
// from the same busybox, format and mirror address.
func buildReleases(tree, addr string, out io.Writer) error {
	opts := release.Options{Mirror: addr}
	ok, err := release.UpToDate(tree, opts)
	if err != nil {
		return err
	}
	var names []string
	for _, r := range release.Releases {
		names = append(names, r.Name)
	}
	if ok {
		fmt.Fprintf(out, "releases: %s up to date\n", strings.Join(names, " "))
		return nil
	}
	fmt.Fprintf(out, "releases: building %s\n", strings.Join(names, " "))
	start := time.Now()
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return err
	}
	if err := release.Build(tree, opts); err != nil {
		return err
	}
	fmt.Fprintf(out, "releases: built in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// Teardown stops the mirror and destroys the sandbox in dir: jails,
// mounts, pools and files.
func Teardown(dir string) error {
	if err := mirror.Stop(dir); err != nil {
		return fmt.Errorf("sandbox teardown: %w", err)
	}
	if err := sandbox.Destroy(dir); err != nil {
		return fmt.Errorf("sandbox teardown: %w", err)
	}
	return nil
}

// Status prints what state the sandbox in dir is in. A missing sandbox is
// an error wrapping runtime.ErrNotExist.
func Status(dir string, out io.Writer) error {
	cfg, err := sandbox.ReadConfig(dir)
	if err != nil {
		fmt.Fprintf(out, "sandbox   %s: not set up (run `iocage-sandbox setup` as root)\n", dir)
		return err
	}
	fmt.Fprintf(out, "sandbox   %s\n", dir)
	fmt.Fprintf(out, "root      %s\n", cfg.Root)
	zfsState := "not running"
	if c, err := net.Dial("unix", zfsSocket); err == nil {
		c.Close()
		zfsState = "running"
	}
	fmt.Fprintf(out, "zfs-fuse  %s\n", zfsState)
	for _, p := range cfg.Pools {
		health := "not imported"
		if b, err := sandbox.LinuxCommand(zpool, "list", "-H", "-o", "health", p).Output(); err == nil {
			health = strings.TrimSpace(string(b))
		}
		fmt.Fprintf(out, "pool      %s (%s)\n", p, health)
	}
	if addr, ok := mirror.Running(dir); ok {
		fmt.Fprintf(out, "mirror    running on http://%s\n", addr)
	} else {
		fmt.Fprintf(out, "mirror    stopped (configured %s)\n", orNone(cfg.Mirror))
	}
	releases := "not built"
	if cfg.Mirror != "" {
		if ok, err := release.UpToDate(filepath.Join(dir, mirror.TreeDir), release.Options{Mirror: cfg.Mirror}); err == nil && ok {
			var names []string
			for _, r := range release.Releases {
				names = append(names, r.Name)
			}
			releases = strings.Join(names, " ")
		} else if err == nil {
			releases = "out of date (run `iocage-sandbox setup`)"
		}
	}
	fmt.Fprintf(out, "releases  %s\n", releases)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Deps installs the Debian packages the sandbox and the tests need and
// starts the zfs-fuse daemon: what `make test` needs on a fresh machine,
// without making a sandbox.
func Deps(ctx context.Context, out io.Writer) error {
	if err := ensurePackages(ctx, out, runProgram, append(append([]Package(nil), Packages...), TestPackages...)); err != nil {
		return err
	}
	return sandbox.EnsureZFS()
}

// Shell runs argv (or the user's shell) with the sandbox's modelled
// FreeBSD programs first in PATH, and returns its exit status.
func Shell(ctx context.Context, dir string, argv []string) (int, error) {
	cfg, err := sandbox.ReadConfig(dir)
	if err != nil {
		return 0, fmt.Errorf("%w (make one with `iocage-sandbox setup` as root)", err)
	}
	if len(argv) == 0 {
		sh := os.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		argv = []string{sh}
	}
	env := []string{
		"PATH=" + sandbox.ProgramsDir(cfg.Root) + ":" + os.Getenv("PATH"),
		sandbox.EnvDir + "=" + dir,
		"IOCAGE_ROOT=" + cfg.Root,
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 127, err
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return runtime.RunProcess(ctx, cmd)
}
