package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

// Main runs this process as one of the sandbox's programs when it was
// started as one, and exits; otherwise it returns. Call it first in main
// and in TestMain of packages whose tests use the sandbox (their test
// binary is then what a test sandbox installs). The process is:
//   - a helper (`__sandbox-helper NAME`), such as a jail's init;
//   - the installed multi-call binary (ROOT/.sandbox/iocage-sandbox)
//     called by a program's name: the model of that FreeBSD program, run
//     here on the Linux side with the sandbox's state, or else the Linux
//     program of that name run inside the root.
func Main() {
	if len(os.Args) >= 3 && os.Args[1] == model.HelperArg {
		fn, ok := model.Helper(os.Args[2])
		if !ok {
			fmt.Fprintf(os.Stderr, "sandbox: unknown helper %q\n", os.Args[2])
			os.Exit(2)
		}
		os.Exit(fn(os.Args[3:]))
	}
	root, ok := installedRoot()
	if !ok {
		return
	}
	os.Exit(runProgram(root, os.Args))
}

// installedRoot says whether this process is an installed multi-call
// binary, and of which root: "/" when it runs inside the root already.
func installedRoot() (string, bool) {
	exe, err := os.Executable()
	if err != nil {
		// Without /proc there is no telling, except inside a root, where
		// the binary sits at a known place.
		if _, serr := os.Stat(installedSuffix); serr == nil {
			return "/", true
		}
		return "", false
	}
	if !strings.HasSuffix(exe, installedSuffix) {
		return "", false
	}
	root := strings.TrimSuffix(exe, installedSuffix)
	if root == "" {
		root = "/"
	}
	return root, true
}

// modelFor returns the FreeBSD path of the model that answers for the
// program name a caller used: a FreeBSD path, or a bare name found on
// PATH (go-zfs runs `zfs`; a shell user types `jls`).
func modelFor(name string) (string, bool) {
	if _, ok := model.Lookup(name); ok {
		return name, true
	}
	if strings.Contains(name, "/") {
		// Linux's merged /usr: the root's /usr/sbin/zfs is its /sbin/zfs.
		alt := strings.Replace(filepath.Clean(name), "/usr/", "/", 1)
		if _, ok := model.Lookup(alt); ok {
			return alt, true
		}
		name = filepath.Base(name)
	}
	for _, p := range model.Programs() {
		if filepath.Base(p) == name {
			return p, true
		}
	}
	return "", false
}

// runProgram serves one program of the root: argv[0] names it.
func runProgram(root string, argv []string) int {
	name := argv[0]
	if prog, ok := modelFor(name); ok {
		if root == "/" {
			fmt.Fprintf(os.Stderr, "%s: a modelled FreeBSD program runs on the machine's side of the sandbox, not inside its root (use iocage-sandbox shell)\n", name)
			return 126
		}
		return runModel(root, prog, argv[1:])
	}
	return enterRoot(root, name, argv)
}

// runModel runs the model prog with this process's standard I/O. The
// sandbox directory is the root's parent (Create lays them out so).
func runModel(root, prog string, args []string) int {
	b, err := Open(filepath.Dir(root))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: sandbox: %v\n", filepath.Base(prog), err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	env := model.Environ("")
	// The output goes through writers that are not files, as it did when
	// the models ran inside their client: what a model starts (a jail's
	// background daemons) then writes to a pipe of this process, not to
	// the client's, which would stay open until the daemon exits.
	c := &runtime.Cmd{Path: prog, Args: args, Env: env, Dir: hostDir(root),
		Stdin: os.Stdin, Stdout: struct{ io.Writer }{os.Stdout}, Stderr: struct{ io.Writer }{os.Stderr}}
	code, err := b.Exec(ctx, c)
	zfscompat.SaveStats()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(prog), err)
		return 1
	}
	return code
}

// hostDir is the working directory as a path of the modelled host: the
// root's "/" when the process works outside the root.
func hostDir(root string) string {
	wd, err := os.Getwd()
	if err != nil {
		return "/"
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "/"
	}
	return filepath.Clean("/" + rel)
}

// enterRoot replaces this process with the Linux program name, run inside
// the root with FreeBSD's PATH, so that host paths in its arguments mean
// the sandbox host's files.
func enterRoot(root, name string, argv []string) int {
	usr := "/usr"
	if root == "/" {
		usr = "/" + linuxDir + "/usr"
	}
	lp, ok := linuxProgram(usr, name)
	if !ok {
		fmt.Fprintf(os.Stderr, "%s: not found\n", name)
		return 127
	}
	if root != "/" {
		dir := hostDir(root)
		if err := syscall.Chroot(root); err != nil {
			fmt.Fprintf(os.Stderr, "%s: chroot %s: %v\n", name, root, err)
			return 126
		}
		if err := os.Chdir(dir); err != nil {
			_ = os.Chdir("/")
		}
		lp = "/" + linuxDir + lp
	}
	err := syscall.Exec(lp, argv, model.Environ(model.FreeBSDPath))
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	if errors.Is(err, syscall.ENOENT) {
		return 127
	}
	return 126
}
