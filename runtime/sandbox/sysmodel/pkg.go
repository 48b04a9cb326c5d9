package sysmodel

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

func init() { model.Register(runtime.Pkg, runPkg) }

const pkgUsage = "usage: pkg [-v] [-d] [-l] [-N] [-j <jail name or id>|-c <chroot path>|-r <rootdir>] [-C <configuration file>] [-R <repo config dir>] [-o var=value] [-4|-6] <command> [<args>]\n"

// runPkg is the host's pkg(8) for what iocage asks of it: `pkg -c ROOT
// COMMAND ARGS...`, which pkg does by chrooting into ROOT, and `pkg -j
// JAIL COMMAND ARGS...`, which pkg does by attaching to the running jail
// (jail_attach(2)). The model runs the release's own /usr/sbin/pkg script
// with the release's /bin/sh, chrooted into ROOT or inside the jail, so
// packages come from the mirror's repository that the jail's pkg
// configuration names. The modelled host itself has no pkg installed:
// without -c or -j it answers as FreeBSD's bootstrapper does when it
// cannot ask.
func runPkg(e *model.Env) int {
	args := e.Args
	root, jail := "", ""
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		switch args[0] {
		case "-c", "-j":
			if len(args) < 2 {
				fmt.Fprint(e.Stderr, pkgUsage)
				return 1
			}
			if args[0] == "-c" {
				root = args[1]
			} else {
				jail = args[1]
			}
			args = args[2:]
		case "-v", "--version":
			// The bootstrapper's own version.
			fmt.Fprintln(e.Stdout, "2.0.6")
			return 0
		default:
			return e.Errorf("option %s is not modelled by the sandbox (only -c ROOT and -j JAIL)", args[0])
		}
	}
	if root != "" && jail != "" {
		fmt.Fprintln(e.Stderr, "pkg: -j, -c and/or -r cannot be used at the same time!")
		fmt.Fprint(e.Stderr, pkgUsage)
		return 1
	}
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, pkgUsage)
		return 1
	}
	if jail != "" {
		return runPkgInJail(e, jail, args)
	}
	if root == "" {
		fmt.Fprintln(e.Stderr, "The package management tool is not yet installed on your system.")
		fmt.Fprintln(e.Stderr, "Please set ASSUME_ALWAYS_YES=yes environment variable to be able to bootstrap pkg.")
		return 1
	}
	local := e.SB.Path(root)
	if fi, err := os.Stat(local); err != nil || !fi.IsDir() {
		return e.Errorf("chroot %s: No such file or directory", root)
	}
	for _, p := range []string{"/bin/sh", "/usr/sbin/pkg"} {
		if _, err := os.Stat(e.SB.Path(root + p)); err != nil {
			return e.Errorf("chroot %s: %s: No such file or directory", root, p)
		}
	}
	cmd := exec.Command("/bin/sh", append([]string{"/usr/sbin/pkg"}, args...)...)
	cmd.Env = append([]string{"PATH=" + model.FreeBSDPath, "HOME=/root", "TERM=dumb"}, e.Environ...)
	cmd.Dir = "/"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: local}
	code, err := runtime.RunProcess(e.Ctx, cmd)
	if err != nil {
		return e.Errorf("%v", err)
	}
	return code
}

// runPkgInJail is `pkg -j JAIL ARGS...`: pkg attaches to the running jail
// and works there, on the jail's package database with the jail's
// configuration and resolver. The model runs the jail's /usr/sbin/pkg
// script inside the jail, as jexec(8) runs a command.
func runPkgInJail(e *model.Env, name string, args []string) int {
	ji, ok := findJail(e, name)
	if !ok {
		return e.Errorf("jail \"%s\" not found", name)
	}
	for _, p := range []string{"/bin/sh", "/usr/sbin/pkg"} {
		if _, err := os.Stat(e.SB.Path(ji.Path + p)); err != nil {
			return e.Errorf("%s in jail %s: No such file or directory", p, name)
		}
	}
	code, err := e.SB.Exec(e.Ctx, &runtime.Cmd{Path: runtime.Jexec,
		Args:  append([]string{ji.Name, "/bin/sh", "/usr/sbin/pkg"}, args...),
		Env:   append([]string{"HOME=/root", "TERM=dumb"}, e.Environ...),
		Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return code
}
