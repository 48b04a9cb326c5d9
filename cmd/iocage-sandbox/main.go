// Command iocage-sandbox makes and runs a sandbox host: a model of a
// FreeBSD jail host on Linux, for iocage and for any other program.
//
// A sandbox is a directory (/var/lib/iocage-sandbox, or $IOCAGE_SANDBOX,
// or -d) holding a zfs-fuse pool and a FreeBSD-looking root whose
// FreeBSD programs (jail, jls, jexec, zfs, ifconfig, rctl, ...) are this
// binary, installed at FreeBSD's paths; see runtime/sandbox. Called by one
// of those names it is that program. iocage on Linux runs ROOT/sbin/zfs or
// ROOT/usr/sbin/jail as it runs /sbin/zfs or /usr/sbin/jail on FreeBSD.
//
// It is started once for every modelled command, so its command line is
// Go's flag package: urfave/cli's start-up alone cost 2 ms a process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/setup"
)

// Exit statuses, as iocage's: 2 is a usage mistake, 3 a missing sandbox.
const (
	exitFailure  = 1
	exitUsage    = 2
	exitNotFound = 3
)

type command struct {
	name, args, usage string
	run               func(ctx context.Context, dir string, args []string) (int, error)
}

var commands = []command{
	{"setup", "", "install what is missing, start zfs-fuse, create the pool, build the releases, start the mirror (idempotent)",
		func(ctx context.Context, dir string, args []string) (int, error) {
			return 0, setup.Setup(ctx, dir, os.Stderr)
		}},
	{"teardown", "", "stop the mirror and every jail, destroy the pools and remove the sandbox",
		func(ctx context.Context, dir string, args []string) (int, error) {
			return 0, setup.Teardown(dir)
		}},
	{"status", "", "show the sandbox: directory, root, pools, mirror, releases",
		func(ctx context.Context, dir string, args []string) (int, error) {
			return 0, setup.Status(dir, os.Stdout)
		}},
	{"deps", "", "install the Debian packages the sandbox and the tests need and start zfs-fuse",
		func(ctx context.Context, dir string, args []string) (int, error) {
			return 0, setup.Deps(ctx, os.Stderr)
		}},
	{"create", "[-pool NAME] [-size BYTES]", "make a bare sandbox (a pool and the root; no releases, no mirror), as test runners do",
		runCreate},
	{"reset", "", "return the sandbox to a fresh host: jails stopped, datasets destroyed, modelled state forgotten",
		func(ctx context.Context, dir string, args []string) (int, error) {
			b, err := sandbox.Open(dir)
			if err != nil {
				return 0, err
			}
			return 0, b.Reset()
		}},
	{"shell", "[-- COMMAND [ARG...]]", "run a shell, or one command, with the sandbox's FreeBSD programs first in PATH: " +
		"jls, jexec, zfs, zpool, ifconfig, rctl and the other models answer for the sandbox host and see what iocage does there; " +
		"other programs are the machine's own, and the host's files are under $IOCAGE_ROOT",
		func(ctx context.Context, dir string, args []string) (int, error) {
			if len(args) > 0 && args[0] == "--" {
				args = args[1:]
			}
			return setup.Shell(ctx, dir, args)
		}},
}

func main() {
	sandbox.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("iocage-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("d", runtime.SandboxDir(), "the sandbox `directory` ($"+runtime.SandboxEnv+")")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, fs)
			return 0
		}
		fmt.Fprintln(stderr, "iocage-sandbox: see iocage-sandbox -h")
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "iocage-sandbox: no command (setup, teardown, status, deps, create, reset, shell)")
		return exitUsage
	}
	name := fs.Arg(0)
	for _, c := range commands {
		if c.name != name {
			continue
		}
		code, err := c.run(ctx, *dir, fs.Args()[1:])
		var ue usageError
		switch {
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "iocage-sandbox %s: %v\n", name, err)
			return exitUsage
		case errors.Is(err, runtime.ErrNotExist):
			fmt.Fprintf(stderr, "iocage-sandbox %s: %v\n", name, err)
			return exitNotFound
		case err != nil:
			fmt.Fprintf(stderr, "iocage-sandbox %s: %v\n", name, err)
			return exitFailure
		}
		return code
	}
	fmt.Fprintf(stderr, "iocage-sandbox: unknown command %q (setup, teardown, status, deps, create, reset, shell)\n", name)
	return exitUsage
}

type usageError struct{ error }

func runCreate(ctx context.Context, dir string, args []string) (int, error) {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pool := fs.String("pool", "zroot", "")
	size := fs.String("size", strconv.Itoa(1<<30), "")
	if err := fs.Parse(args); err != nil {
		return 0, usageError{err}
	}
	if fs.NArg() > 0 {
		return 0, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	n, err := strconv.ParseInt(*size, 10, 64)
	if err != nil || n < 64<<20 {
		return 0, usageError{fmt.Errorf("-size %q: want a number of bytes, at least 67108864 (64 MiB)", *size)}
	}
	_, err = sandbox.Create(dir, sandbox.CreateOptions{Pool: *pool, PoolSize: n})
	return 0, err
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: iocage-sandbox [-d DIR] COMMAND [ARGS]\n\n"+
		"A FreeBSD jail host modelled on Linux, for iocage and any other tool. The sandbox lives in\n"+
		"%s (or $%s, or -d): a zfs-fuse pool, a FreeBSD-looking root whose FreeBSD\n"+
		"programs are modelled, synthetic releases and a mirror on 127.0.0.1. Everything but status\n"+
		"and shell needs root.\n\nCommands:\n", runtime.DefaultSandboxDir, runtime.SandboxEnv)
	for _, c := range commands {
		fmt.Fprintf(w, "  %s %s\n      %s\n", c.name, c.args, c.usage)
	}
	fmt.Fprintln(w, "\nOptions:")
	fs.SetOutput(w)
	fs.PrintDefaults()
}
