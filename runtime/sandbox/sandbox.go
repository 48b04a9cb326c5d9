// Package sandbox is the sandbox host: a model of a FreeBSD host on Linux
// that iocage drives with exactly the command lines it sends to FreeBSD.
//
// ZFS is real (Debian's zfs-fuse, with a compatibility layer for the newer
// OpenZFS command line). The FreeBSD programs Linux lacks are modelled in
// process by the packages under runtime/sandbox; every other program runs
// for real, chrooted into the sandbox's root directory, which looks like a
// FreeBSD host's "/" (the Linux /usr bind-mounted read-only, its own /etc,
// and /iocage where the sandbox pool is mounted through its altroot).
package sandbox

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

// DefaultDir is where `iocage sandbox setup` puts the sandbox; IOCAGE_SANDBOX
// names another.
const DefaultDir = "/var/lib/iocage-sandbox"

// EnvDir is the environment variable that selects a sandbox directory.
const EnvDir = "IOCAGE_SANDBOX"

// Config is the sandbox's sandbox.json.
type Config struct {
	Root   string   `json:"root"`   // the modelled host's "/"
	Pools  []string `json:"pools"`  // ZFS pools of this sandbox, in `zpool list` order
	Vdevs  []string `json:"vdevs"`  // file vdevs, one per pool
	Mirror string   `json:"mirror"` // host:port of the release mirror, when set up
}

// Dir returns the sandbox directory chosen by the environment.
func Dir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	return DefaultDir
}

// ReadConfig reads dir/sandbox.json.
func ReadConfig(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "sandbox.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no sandbox in %s: %w", dir, runtime.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s/sandbox.json: %w", dir, err)
	}
	return &c, nil
}

// WriteConfig writes dir/sandbox.json.
func WriteConfig(dir string, c *Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sandbox.json"), append(b, '\n'), 0o644)
}

// Backend is the sandbox as a runtime.Backend.
type Backend struct {
	dir string
	cfg *Config
	sb  *model.Sandbox
}

// Open opens the sandbox in dir. It also points go-zfs (which finds `zfs` on
// PATH) at the compatibility shims and exports the sandbox directory to the
// programs iocage starts.
func Open(dir string) (*Backend, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	store, err := model.NewStore(filepath.Join(dir, "state"))
	if err != nil {
		return nil, err
	}
	b := &Backend{dir: dir, cfg: cfg}
	b.sb = &model.Sandbox{Root: cfg.Root, Dir: dir, Store: store, Self: self, Pools: cfg.Pools, Exec: b.Exec}
	shims, err := b.shimDir(self)
	if err != nil {
		return nil, err
	}
	os.Setenv(EnvDir, dir)
	path := os.Getenv("PATH")
	if !strings.HasPrefix(path, shims+":") {
		os.Setenv("PATH", shims+":"+path)
	}
	return b, nil
}

// shimDir makes (once per executable) a directory with `zfs` and `zpool`
// links to this executable, which Main turns into the compatibility layer.
func (b *Backend) shimDir(self string) (string, error) {
	sum := sha1.Sum([]byte(self))
	d := filepath.Join(b.dir, "shims", hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	for _, n := range []string{"zfs", "zpool"} {
		l := filepath.Join(d, n)
		if t, err := os.Readlink(l); err == nil && t == self {
			continue
		}
		os.Remove(l)
		if err := os.Symlink(self, l); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return d, nil
}

// Sandbox exposes the model view (for tests and the sandbox verbs).
func (b *Backend) Sandbox() *model.Sandbox { return b.sb }

// Config returns the sandbox configuration.
func (b *Backend) Config() *Config { return b.cfg }

// Dir is the sandbox directory.
func (b *Backend) Dir() string { return b.dir }

// Name implements runtime.Backend.
func (b *Backend) Name() string { return "sandbox " + b.dir }

// LocalPath implements runtime.Backend.
func (b *Backend) LocalPath(p string) string { return b.sb.Path(p) }

// Exec implements runtime.Backend: a modelled program runs in process, any
// other program runs for real inside the sandbox root.
func (b *Backend) Exec(ctx context.Context, c *runtime.Cmd) (int, error) {
	if p, ok := model.Lookup(c.Path); ok {
		e := &model.Env{Ctx: ctx, Prog: c.Path, Args: c.Args, Environ: c.Env, Dir: c.Dir,
			Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, SB: b.sb}
		if e.Stdin == nil {
			e.Stdin = strings.NewReader("")
		}
		return p(e), nil
	}
	return b.execReal(ctx, c)
}

func (b *Backend) execReal(ctx context.Context, c *runtime.Cmd) (int, error) {
	local := b.sb.Path(c.Path)
	if _, err := os.Stat(local); err != nil {
		fmt.Fprintf(c.Stderr, "%s: not found\n", c.Path)
		return 127, nil
	}
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = append(baseEnv(), c.Env...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: b.cfg.Root}
	return runtime.RunProcess(ctx, cmd)
}

// baseEnv is the environment of real programs in the sandbox: this
// process's, less the sandbox shims on PATH.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") {
			kv = "PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"
		}
		env = append(env, kv)
	}
	return env
}

// Main runs this process as a sandbox helper when it was started as one
// (a `zfs`/`zpool` compatibility shim, or `__sandbox-helper NAME`), and
// exits. Otherwise it returns. Call it first in main and in TestMain of
// packages whose tests use the sandbox.
func Main() {
	base := filepath.Base(os.Args[0])
	if base == "zfs" || base == "zpool" {
		os.Exit(runShim(base, os.Args[1:]))
	}
	if len(os.Args) >= 3 && os.Args[1] == model.HelperArg {
		fn, ok := model.Helper(os.Args[2])
		if !ok {
			fmt.Fprintf(os.Stderr, "sandbox: unknown helper %q\n", os.Args[2])
			os.Exit(2)
		}
		os.Exit(fn(os.Args[3:]))
	}
}

// runShim serves go-zfs: it runs the modelled zfs/zpool of the sandbox named
// by IOCAGE_SANDBOX with this process's stdio.
func runShim(name string, args []string) int {
	b, err := Open(Dir())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: sandbox: %v\n", name, err)
		return 1
	}
	prog := runtime.ZFS
	if name == "zpool" {
		prog = runtime.Zpool
	}
	code, err := b.Exec(context.Background(), &runtime.Cmd{Path: prog, Args: args, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	return code
}
