// Package model is the common ground of the sandbox's modelled FreeBSD
// programs: the environment a program runs in, the registry that maps a
// FreeBSD path such as /usr/sbin/jail to its model, and the locked state
// store that lets separate iocage processes see one consistent host.
//
// A model behaves like the FreeBSD program it stands for: it checks its
// arguments as the manual page defines them, prints what the program
// prints, and returns its exit status. Where Linux can do the real effect
// (processes in a chroot, bind mounts) the model does it.
package model

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/iocage/iocage/runtime"
)

// Sandbox is what every model may use of the sandbox it runs in.
type Sandbox struct {
	// Root is the local directory that is the modelled host's "/".
	Root string
	// Dir is the sandbox's own directory (configuration, state, logs).
	Dir string
	// Store holds the modelled kernel state.
	Store *Store
	// Self is the executable to re-exec for helper processes
	// (see RegisterHelper).
	Self string
	// Pools are the ZFS pools that belong to this sandbox.
	Pools []string
	// Exec runs another host program, modelled or real, as the host would.
	Exec func(ctx context.Context, c *runtime.Cmd) (int, error)
}

// Path maps a host path to its local path under Root.
func (s *Sandbox) Path(hostPath string) string {
	return filepath.Join(s.Root, filepath.Clean("/"+hostPath))
}

// Env is one run of a modelled program.
type Env struct {
	Ctx     context.Context
	Prog    string   // FreeBSD path it was called by, e.g. /usr/sbin/jail
	Args    []string // arguments after the program name
	Environ []string // extra environment "NAME=value"
	Dir     string   // working directory (host path)
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	SB      *Sandbox
	// Jail is set when the program runs inside a jail (through jexec), to
	// the jail's name; network models then act on the jail's vnet.
	Jail string
}

// Errorf prints "prog: message" to standard error as FreeBSD tools do and
// returns exit status 1.
func (e *Env) Errorf(format string, a ...any) int {
	fmt.Fprintf(e.Stderr, "%s: %s\n", filepath.Base(e.Prog), fmt.Sprintf(format, a...))
	return 1
}

// Usage prints a usage line and returns exit status 64 (EX_USAGE) or 1 as
// the program does; code is passed through.
func (e *Env) Usage(code int, usage string) int {
	fmt.Fprintf(e.Stderr, "usage: %s\n", usage)
	return code
}

// Program is a modelled FreeBSD program. It returns the exit status.
type Program func(e *Env) int

var (
	regMu    sync.RWMutex
	programs = map[string]Program{}
	helpers  = map[string]func(args []string) int{}
)

// Register makes p answer for the FreeBSD path prog.
func Register(prog string, p Program) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := programs[prog]; dup {
		panic("model: program registered twice: " + prog)
	}
	programs[prog] = p
}

// Lookup returns the model for prog.
func Lookup(prog string) (Program, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	p, ok := programs[prog]
	return p, ok
}

// Programs lists the modelled paths, sorted.
func Programs() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for p := range programs {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// RegisterHelper registers a helper entry point run in a separate process:
// the sandbox re-executes Self as `Self __sandbox-helper NAME ARGS...` and
// runs fn(ARGS) there. Jail init processes are such helpers.
func RegisterHelper(name string, fn func(args []string) int) {
	regMu.Lock()
	defer regMu.Unlock()
	helpers[name] = fn
}

// Helper returns a registered helper.
func Helper(name string) (func(args []string) int, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	fn, ok := helpers[name]
	return fn, ok
}

// HelperArg is the first argument that marks a helper process.
const HelperArg = "__sandbox-helper"

var jailAware = map[string]bool{}

// MarkJailAware says that prog, when run inside a jail through jexec, is
// answered by its model in the jail's context (Env.Jail set) rather than by
// a binary in the jail: ifconfig and route act on the jail's vnet.
func MarkJailAware(prog string) {
	regMu.Lock()
	defer regMu.Unlock()
	jailAware[prog] = true
}

// JailAware reports whether prog is answered by its model inside jails.
func JailAware(prog string) bool {
	regMu.RLock()
	defer regMu.RUnlock()
	return jailAware[prog]
}

var jailRemoved []func(tx *Tx, name string, jid int) error

// OnJailRemoved registers fn to run, inside the jail model's state
// transaction, when a jail is removed: other models release what belonged
// to it (vnet interfaces go back to the host, per-jail settings go).
func OnJailRemoved(fn func(tx *Tx, name string, jid int) error) {
	regMu.Lock()
	defer regMu.Unlock()
	jailRemoved = append(jailRemoved, fn)
}

// JailRemoved runs the OnJailRemoved hooks.
func JailRemoved(tx *Tx, name string, jid int) error {
	regMu.RLock()
	hooks := append([]func(*Tx, string, int) error(nil), jailRemoved...)
	regMu.RUnlock()
	for _, fn := range hooks {
		if err := fn(tx, name, jid); err != nil {
			return err
		}
	}
	return nil
}

// LinuxPath is the PATH of the Linux programs the sandbox runs on the
// machine's side (zfs-fuse and its tools, which run mount and umount by
// name; apt-get; xz). Never a client's PATH: iocage puts a sandbox root's
// FreeBSD programs first in its own.
const LinuxPath = "/usr/sbin:/usr/bin:/sbin:/bin"

// FreeBSDPath is FreeBSD's login.conf PATH for root: that of programs run
// inside the root or a jail.
const FreeBSDPath = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"

// LinuxEnv is this process's environment with LinuxPath, plus extra.
func LinuxEnv(extra ...string) []string { return Environ(LinuxPath, extra...) }

// Environ is this process's environment with PATH set to path (left out
// when path is ""), then extra. Later entries win and each name appears
// once: programs differ in which of two entries getenv finds.
func Environ(path string, extra ...string) []string {
	env := os.Environ()
	if path != "" {
		env = append(env, "PATH="+path)
	}
	seen := map[string]int{}
	var out []string
	for _, kv := range append(env, extra...) {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" && path == "" {
			continue
		}
		if i, ok := seen[k]; ok {
			out[i] = kv
			continue
		}
		seen[k] = len(out)
		out = append(out, kv)
	}
	return out
}
