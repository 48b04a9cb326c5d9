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

// DefaultDir is where `iocage-sandbox setup` puts the sandbox; EnvDir
// names another.
const DefaultDir = runtime.DefaultSandboxDir

// EnvDir is the environment variable that selects a sandbox directory.
const EnvDir = runtime.SandboxEnv

// Config is the sandbox's sandbox.json.
type Config struct {
	Root   string   `json:"root"`   // the modelled host's "/"
	Pools  []string `json:"pools"`  // ZFS pools of this sandbox, in `zpool list` order
	Vdevs  []string `json:"vdevs"`  // file vdevs, one per pool
	Mirror string   `json:"mirror"` // host:port of the release mirror, when set up
}

// Dir returns the sandbox directory chosen by the environment.
func Dir() string { return runtime.SandboxDir() }

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

// Backend is the sandbox's own view of itself: the models run in this
// process. The multi-call binary serves each program through it, and tests
// and the sandbox's commands use it to reset or inspect the modelled host.
// Clients such as iocage do not: they run the root's programs as
// processes (runtime.FreeBSD with the root).
type Backend struct {
	dir string
	cfg *Config
	sb  *model.Sandbox
}

// Open opens the sandbox in dir.
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
	return b, nil
}

// Sandbox exposes the model view (for tests and the sandbox verbs).
func (b *Backend) Sandbox() *model.Sandbox { return b.sb }

// Config returns the sandbox configuration.
func (b *Backend) Config() *Config { return b.cfg }

// Dir is the sandbox directory.
func (b *Backend) Dir() string { return b.dir }

// Exec runs c on the sandbox: a modelled program in this process, any
// other program for real inside the sandbox root.
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
	path := c.Path
	// The root's /usr/bin holds the multi-call binary: go to the Linux
	// program directly rather than through it.
	if lp, ok := linuxProgram(filepath.Join(b.cfg.Root, linuxDir, "usr"), c.Path); ok && b.isProgramLink(c.Path) {
		path = strings.TrimPrefix(lp, b.cfg.Root)
	} else if _, err := os.Stat(b.sb.Path(c.Path)); err != nil {
		fmt.Fprintf(c.Stderr, "%s: not found\n", c.Path)
		return 127, nil
	}
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	cmd := exec.Command(path, c.Args...)
	cmd.Args[0] = c.Path
	cmd.Env = model.Environ(model.FreeBSDPath, c.Env...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: b.cfg.Root}
	return runtime.RunProcess(ctx, cmd)
}

// isProgramLink reports whether the host path p of the root is a link to
// the installed multi-call binary.
func (b *Backend) isProgramLink(p string) bool {
	t, err := filepath.EvalSymlinks(b.sb.Path(p))
	return err == nil && t == filepath.Join(b.cfg.Root, programDir, programName)
}
