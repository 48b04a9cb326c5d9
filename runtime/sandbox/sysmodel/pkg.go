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
// COMMAND ARGS...`, which pkg does by chrooting into ROOT. The model runs
// the release's own /usr/sbin/pkg script chrooted into ROOT with the
// release's /bin/sh, so packages come from the mirror's repository that
// the jail's pkg configuration names. The modelled host itself has no pkg
// installed: without -c it answers as FreeBSD's bootstrapper does when it
// cannot ask.
func runPkg(e *model.Env) int {
	args := e.Args
	root := ""
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		switch args[0] {
		case "-c":
			if len(args) < 2 {
				fmt.Fprint(e.Stderr, pkgUsage)
				return 1
			}
			root, args = args[1], args[2:]
		case "-v", "--version":
			// The bootstrapper's own version.
			fmt.Fprintln(e.Stdout, "2.0.6")
			return 0
		default:
			return e.Errorf("option %s is not modelled by the sandbox (only -c ROOT)", args[0])
		}
	}
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, pkgUsage)
		return 1
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
