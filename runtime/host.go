// Package runtime is the one seam between iocage and the operating system.
//
// Every program iocage runs, every file it writes on the host and every host
// fact it reads goes through a *Host. A Host wraps a Backend (the real FreeBSD
// host, the Linux sandbox that models one, or a scripted backend for unit
// tests) and adds what all of them share: tracing with durations and exit
// status, a count of host commands for tests and benchmarks, and dry-run,
// which lets reads through and prints every change instead of making it.
//
// Programs are always named by their absolute FreeBSD path and run with an
// argv; no shell ever sees user data.
package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Absolute paths of the FreeBSD programs iocage runs. Both backends receive
// exactly these paths, so a transcript taken on the sandbox is what a FreeBSD
// host would be sent.
const (
	ZFS            = "/sbin/zfs"
	Zpool          = "/sbin/zpool"
	Jail           = "/usr/sbin/jail"
	Jls            = "/usr/sbin/jls"
	Jexec          = "/usr/sbin/jexec"
	Ifconfig       = "/sbin/ifconfig"
	Route          = "/sbin/route"
	Sysctl         = "/sbin/sysctl"
	Rctl           = "/usr/bin/rctl"
	Cpuset         = "/bin/cpuset"
	Mount          = "/sbin/mount"
	Umount         = "/sbin/umount"
	Devfs          = "/sbin/devfs"
	Uname          = "/usr/bin/uname"
	FreebsdVersion = "/bin/freebsd-version"
	FreebsdUpdate  = "/usr/sbin/freebsd-update"
	Tar            = "/usr/bin/tar"
	Chflags        = "/bin/chflags"
	Chroot         = "/usr/sbin/chroot"
	Cp             = "/bin/cp"
	Pkg            = "/usr/sbin/pkg"
	Pkill          = "/bin/pkill"
	Setfib         = "/usr/sbin/setfib"
	Etcupdate      = "/usr/sbin/etcupdate"
	Sh             = "/bin/sh"
	Env            = "/usr/bin/env"
	Pfctl          = "/sbin/pfctl"
	SSH            = "/usr/bin/ssh"
)

// ErrNotExist is returned (wrapped) when a dataset, jail, file or other host
// object does not exist.
var ErrNotExist = errors.New("does not exist")

// Cmd is one program run on the host.
type Cmd struct {
	Path   string    // absolute FreeBSD path of the program
	Args   []string  // arguments after the program name
	Env    []string  // extra environment, "NAME=value"
	Dir    string    // working directory on the host; empty for "/"
	Stdin  io.Reader // nil: no input
	Stdout io.Writer // nil: captured into Result.Stdout
	Stderr io.Writer // nil: captured; quoted in the error on failure
	// Change marks a command that alters the host. In dry-run mode it is
	// printed instead of run.
	Change bool
}

// Argv returns the full command line, program first.
func (c *Cmd) Argv() []string { return append([]string{c.Path}, c.Args...) }

// String renders the command line for traces and errors, quoting words that
// a shell would split so the line can be pasted into one.
func (c *Cmd) String() string {
	var b strings.Builder
	for _, kv := range c.Env {
		b.WriteString(Quote(kv))
		b.WriteByte(' ')
	}
	for i, a := range c.Argv() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(a))
	}
	return b.String()
}

// Quote returns s quoted for a POSIX shell when it needs to be.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@%+^", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Result is what a finished command left behind.
type Result struct {
	Stdout   []byte // when Cmd.Stdout was nil
	Stderr   []byte // when Cmd.Stderr was nil
	ExitCode int
	Duration time.Duration
}

// ExitError is a command that ran and exited non-zero.
type ExitError struct {
	Cmd      string // the command line
	Stderr   string // trimmed standard error, when it was captured
	ExitCode int
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit %d", e.Cmd, e.ExitCode)
	if e.Stderr != "" {
		msg = fmt.Sprintf("%s: %q: exit %d", e.Cmd, e.Stderr, e.ExitCode)
	}
	return msg
}

// Backend is what a concrete host provides. Backends do not trace, count or
// honour dry-run; Host does that for all of them.
type Backend interface {
	// Name says which host this is, for `iocage version` and traces:
	// "freebsd", or "sandbox /var/lib/iocage-sandbox".
	Name() string
	// Exec runs c to completion, streaming to c's writers (never nil here),
	// and returns the exit code. An error means the program could not be run.
	Exec(ctx context.Context, c *Cmd) (int, error)
	// LocalPath maps a host path ("/iocage/jails") to the path where this
	// process can reach it on the machine it runs on.
	LocalPath(hostPath string) string
}

// Event is one traced host operation.
type Event struct {
	Cmd      string
	Duration time.Duration
	ExitCode int
	DryRun   bool // printed, not performed
}

// Options configure a Host.
type Options struct {
	Trace  io.Writer // when set, each command is printed here as it finishes
	DryRun bool
	Out    io.Writer // where dry-run prints changes; defaults to os.Stderr
	// KillAfterChange, when > 0, kills this process with SIGKILL as soon
	// as its KillAfterChange-th change has been made: crash tests use it
	// to prove that the next iocage takes back what a killed one did.
	// KillWith "hup" sends SIGHUP instead (the run is interrupted and
	// rolls back), "panic" panics (a bug in a builtin).
	KillAfterChange int
	KillWith        string
}

// Host is the seam. It is safe for concurrent use.
type Host struct {
	b    Backend
	opts Options

	mu     sync.Mutex
	count  int
	events []Event
	record bool
	// failAt makes the failAt-th change (1-based, counted from
	// InjectFailure) fail; 0 means never. Fault tests use it to prove
	// that a verb failing at any step leaves the host as it was.
	failAt  int
	changes int
	made    int // changes made, for KillAfterChange
}

// ErrInjected is the error of a change failed by InjectFailure.
var ErrInjected = errors.New("injected failure")

// InjectFailure makes the n-th host change from now on fail with
// ErrInjected without being made (n >= 1); 0 turns injection off.
func (h *Host) InjectFailure(n int) {
	h.mu.Lock()
	h.failAt, h.changes = n, 0
	h.mu.Unlock()
}

// Changes is how many changes have been attempted since InjectFailure.
func (h *Host) Changes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changes
}

// injected counts a change and reports whether it must fail.
func (h *Host) injected() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.changes++
	return h.failAt > 0 && h.changes == h.failAt
}

// madeChange counts a change that was made, and kills the process when
// Options.KillAfterChange says so.
func (h *Host) madeChange() {
	if h.opts.KillAfterChange <= 0 {
		return
	}
	h.mu.Lock()
	h.made++
	kill := h.made == h.opts.KillAfterChange
	h.mu.Unlock()
	if !kill {
		return
	}
	switch h.opts.KillWith {
	case "hup":
		_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
	case "panic":
		panic(fmt.Sprintf("runtime: panic injected after change %d", h.opts.KillAfterChange))
	default:
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way; make nothing more
	}
}

// New wraps a backend.
func New(b Backend, opts Options) *Host {
	if opts.Out == nil {
		opts.Out = os.Stderr
	}
	return &Host{b: b, opts: opts}
}

// Name is the backend's name.
func (h *Host) Name() string { return h.b.Name() }

// Backend returns the backend behind the host.
func (h *Host) Backend() Backend { return h.b }

// DryRun reports whether changes are printed instead of made.
func (h *Host) DryRun() bool { return h.opts.DryRun }

// Count returns how many host commands have run (or been printed in dry-run).
func (h *Host) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Record starts keeping every event, for tests and golden transcripts.
func (h *Host) Record() {
	h.mu.Lock()
	h.record = true
	h.events = nil
	h.mu.Unlock()
}

// Events returns the recorded events and clears them.
func (h *Host) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := h.events
	h.events = nil
	return ev
}

func (h *Host) note(ev Event) {
	h.mu.Lock()
	h.count++
	if h.record {
		h.events = append(h.events, ev)
	}
	h.mu.Unlock()
	if h.opts.Trace != nil {
		status := fmt.Sprintf("exit %d", ev.ExitCode)
		if ev.DryRun {
			status = "dry-run"
		}
		// The sandbox says so on every line: its transcript is what
		// FreeBSD would be sent, but nothing ran on FreeBSD.
		where := ""
		if strings.HasPrefix(h.b.Name(), "sandbox") {
			where = "[sandbox] "
		}
		fmt.Fprintf(h.opts.Trace, "+ %s%s  (%s, %s)\n", where, ev.Cmd, ev.Duration.Round(time.Microsecond), status)
	}
}

// Run runs c. A non-zero exit is an *ExitError quoting the command and its
// captured standard error. In dry-run mode a command with Change set is
// printed and reported as successful without running.
func (h *Host) Run(ctx context.Context, c *Cmd) (*Result, error) {
	if !filepath.IsAbs(c.Path) {
		return nil, fmt.Errorf("runtime: program path %q is not absolute", c.Path)
	}
	line := c.String()
	if c.Change && h.opts.DryRun {
		fmt.Fprintf(h.opts.Out, "would run: %s\n", line)
		h.note(Event{Cmd: line, DryRun: true})
		return &Result{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.Change && h.injected() {
		h.note(Event{Cmd: line, ExitCode: -1})
		return &Result{ExitCode: -1}, fmt.Errorf("%s: %w", line, ErrInjected)
	}
	run := *c
	var stdout, stderr bytes.Buffer
	if run.Stdout == nil {
		run.Stdout = &stdout
	}
	if run.Stderr == nil {
		run.Stderr = &stderr
	}
	start := time.Now()
	code, err := h.b.Exec(ctx, &run)
	res := &Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: code, Duration: time.Since(start)}
	if err != nil {
		code = -1
	}
	h.note(Event{Cmd: line, Duration: res.Duration, ExitCode: code})
	if err != nil {
		return res, fmt.Errorf("%s: %w", line, err)
	}
	if c.Change && code == 0 {
		h.madeChange()
	}
	// A command that succeeded made its change even when an interrupt
	// arrived meanwhile: reporting it as failed would keep its undo step
	// from being recorded, and the change would survive the rollback.
	if ctx.Err() != nil && code != 0 {
		return res, fmt.Errorf("%s: %w", line, ctx.Err())
	}
	if code != 0 {
		return res, &ExitError{Cmd: line, Stderr: strings.TrimSpace(stderr.String()), ExitCode: code}
	}
	return res, nil
}

// Output runs a read-only command and returns its standard output.
func (h *Host) Output(ctx context.Context, path string, args ...string) (string, error) {
	res, err := h.Run(ctx, &Cmd{Path: path, Args: args})
	if err != nil {
		return "", err
	}
	return string(res.Stdout), nil
}

// Change runs a command that alters the host and discards its output.
func (h *Host) Change(ctx context.Context, path string, args ...string) error {
	_, err := h.Run(ctx, &Cmd{Path: path, Args: args, Change: true})
	return err
}

// LocalPath maps a host path to where this process can reach it.
func (h *Host) LocalPath(p string) string { return h.b.LocalPath(p) }

// ReadFile reads a file on the host. A missing file wraps ErrNotExist.
func (h *Host) ReadFile(p string) ([]byte, error) {
	b, err := os.ReadFile(h.b.LocalPath(p))
	return b, mapErr(p, err)
}

// Stat describes a file on the host, following symlinks.
func (h *Host) Stat(p string) (fs.FileInfo, error) {
	fi, err := os.Stat(h.b.LocalPath(p))
	return fi, mapErr(p, err)
}

// Lstat describes a file on the host without following a final symlink.
func (h *Host) Lstat(p string) (fs.FileInfo, error) {
	fi, err := os.Lstat(h.b.LocalPath(p))
	return fi, mapErr(p, err)
}

// ReadDir lists a directory on the host.
func (h *Host) ReadDir(p string) ([]fs.DirEntry, error) {
	ents, err := os.ReadDir(h.b.LocalPath(p))
	return ents, mapErr(p, err)
}

// Readlink returns a symlink's target.
func (h *Host) Readlink(p string) (string, error) {
	t, err := os.Readlink(h.b.LocalPath(p))
	return t, mapErr(p, err)
}

// Open opens a host file for reading.
func (h *Host) Open(p string) (*os.File, error) {
	f, err := os.Open(h.b.LocalPath(p))
	return f, mapErr(p, err)
}

// fileChange traces a file operation and, in dry-run, prints it instead.
func (h *Host) fileChange(desc string, do func() error) error {
	if h.opts.DryRun {
		fmt.Fprintf(h.opts.Out, "would %s\n", desc)
		h.note(Event{Cmd: desc, DryRun: true})
		return nil
	}
	if h.injected() {
		h.note(Event{Cmd: desc, ExitCode: -1})
		return fmt.Errorf("%s: %w", desc, ErrInjected)
	}
	start := time.Now()
	err := do()
	code := 0
	if err != nil {
		code = 1
	}
	h.note(Event{Cmd: desc, Duration: time.Since(start), ExitCode: code})
	if err == nil {
		h.madeChange()
	}
	return err
}

// WriteFile writes a whole file on the host, replacing it atomically so a
// crash never leaves half a file.
func (h *Host) WriteFile(p string, data []byte, perm fs.FileMode) error {
	return h.fileChange("write "+Quote(p), func() error {
		local := h.b.LocalPath(p)
		tmp, err := os.CreateTemp(filepath.Dir(local), ".ioc-tmp-*")
		if err != nil {
			return mapErr(p, err)
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(data); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := tmp.Chmod(perm); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		return mapErr(p, os.Rename(tmp.Name(), local))
	})
}

// Create opens a host file for writing, truncating it. In dry-run mode the
// writes go nowhere.
func (h *Host) Create(p string, perm fs.FileMode) (io.WriteCloser, error) {
	var f io.WriteCloser = nopWriteCloser{io.Discard}
	err := h.fileChange("create "+Quote(p), func() error {
		var err error
		f, err = os.OpenFile(h.b.LocalPath(p), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
		return mapErr(p, err)
	})
	return f, err
}

// OpenAppend opens a host file for appending, creating it when missing.
func (h *Host) OpenAppend(p string, perm fs.FileMode) (io.WriteCloser, error) {
	var f io.WriteCloser = nopWriteCloser{io.Discard}
	err := h.fileChange("append "+Quote(p), func() error {
		var err error
		f, err = os.OpenFile(h.b.LocalPath(p), os.O_CREATE|os.O_APPEND|os.O_WRONLY, perm)
		return mapErr(p, err)
	})
	return f, err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// MkdirAll creates a directory and its parents on the host.
func (h *Host) MkdirAll(p string, perm fs.FileMode) error {
	if fi, err := os.Stat(h.b.LocalPath(p)); err == nil && fi.IsDir() {
		return nil
	}
	return h.fileChange("mkdir -p "+Quote(p), func() error {
		return mapErr(p, os.MkdirAll(h.b.LocalPath(p), perm))
	})
}

// Remove removes a file or empty directory on the host.
func (h *Host) Remove(p string) error {
	return h.fileChange("rm "+Quote(p), func() error {
		return mapErr(p, os.Remove(h.b.LocalPath(p)))
	})
}

// RemoveAll removes a tree on the host; a missing path is not an error.
func (h *Host) RemoveAll(p string) error {
	return h.fileChange("rm -rf "+Quote(p), func() error {
		return mapErr(p, os.RemoveAll(h.b.LocalPath(p)))
	})
}

// Rename renames a host file.
func (h *Host) Rename(from, to string) error {
	return h.fileChange("mv "+Quote(from)+" "+Quote(to), func() error {
		return mapErr(from, os.Rename(h.b.LocalPath(from), h.b.LocalPath(to)))
	})
}

// Symlink creates link pointing to target (target is stored verbatim: a host
// path, as FreeBSD would read it).
func (h *Host) Symlink(target, link string) error {
	return h.fileChange("ln -s "+Quote(target)+" "+Quote(link), func() error {
		return mapErr(link, os.Symlink(target, h.b.LocalPath(link)))
	})
}

// Chmod changes a host file's mode.
func (h *Host) Chmod(p string, mode fs.FileMode) error {
	return h.fileChange(fmt.Sprintf("chmod %o %s", mode, Quote(p)), func() error {
		return mapErr(p, os.Chmod(h.b.LocalPath(p), mode))
	})
}

func mapErr(p string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", p, ErrNotExist)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", p, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", p, le.Err)
	}
	return err
}
