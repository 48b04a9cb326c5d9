package sysmodel

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

func init() { model.Register(runtime.FreebsdUpdate, runFreebsdUpdate) }

const freebsdUpdateUsage = "usage: freebsd-update [options] command ... (see freebsd-update(8))\n"

// freebsdUpdateCommands are the commands of freebsd-update(8); the ones the
// release's script implements run, the others are refused by name.
var freebsdUpdateCommands = map[string]bool{
	"fetch": true, "install": true, "upgrade": true, "updatesready": true,
	"cron": false, "rollback": false, "IDS": false, "showconfig": false,
}

// runFreebsdUpdate is the host's freebsd-update(8) for a system mounted
// at -b BASEDIR (a release or a jail root): the modelled host's own /usr
// is Linux's, but every synthetic release carries a freebsd-update script
// that speaks to the sandbox mirror. That script runs with the base's
// busybox sh, chrooted into the base, with -f and -d translated to paths
// inside it. The command line is FreeBSD's; the limits of the model are
// refused with a message: -b is required (the sandbox host itself has no
// FreeBSD userland to update), -f and -d must lie inside the base, and
// -j, -k, -s, -t and the cron, rollback, IDS and showconfig commands are
// not modelled. Without -f the base's /etc/freebsd-update.conf is read
// (FreeBSD would read the host's, which the sandbox host lacks); without
// -d the base's /var/db/freebsd-update. UNAME_r and PAGER pass through.
func runFreebsdUpdate(e *model.Env) int {
	var base, conf, workdir string
	var pass, commands []string
	args := e.Args
	for i := 0; i < len(args); i++ {
		a := args[i]
		needArg := func() (string, bool) {
			if i+1 >= len(args) {
				fmt.Fprint(e.Stderr, freebsdUpdateUsage)
				return "", false
			}
			i++
			return args[i], true
		}
		switch a {
		case "-b", "-d", "-f", "-r", "--currently-running":
			v, ok := needArg()
			if !ok {
				return 1
			}
			switch a {
			case "-b":
				base = v
			case "-d":
				workdir = v
			case "-f":
				conf = v
			default:
				pass = append(pass, a, v)
			}
		case "-F", "--not-running-from-cron":
			pass = append(pass, a)
		case "-j", "-k", "-s", "-t", "-v":
			return e.Errorf("%s is not modelled by the sandbox's freebsd-update", a)
		default:
			run, known := freebsdUpdateCommands[a]
			if !known {
				fmt.Fprint(e.Stderr, freebsdUpdateUsage)
				return 1
			}
			if !run {
				return e.Errorf("the %s command is not modelled by the sandbox's freebsd-update", a)
			}
			commands = append(commands, a)
		}
	}
	if len(commands) == 0 {
		fmt.Fprint(e.Stderr, freebsdUpdateUsage)
		return 1
	}
	if base == "" {
		return e.Errorf("the sandbox host has no FreeBSD userland to update: give -b with a release or jail root")
	}
	base = absHost(e, base)
	if base == "/" {
		return e.Errorf("-b /: the sandbox host has no FreeBSD userland to update")
	}
	local := e.SB.Path(base)
	if fi, err := os.Stat(local); err != nil || !fi.IsDir() {
		return e.Errorf("%s: base directory does not exist", base)
	}
	if _, err := os.Stat(e.SB.Path(base + "/usr/sbin/freebsd-update")); err != nil {
		return e.Errorf("%s has no usr/sbin/freebsd-update: not a release or jail root", base)
	}
	inside := func(opt, p string) (string, bool) {
		p = absHost(e, p)
		rel, ok := strings.CutPrefix(p, base)
		if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
			e.Errorf("%s %s: the sandbox's freebsd-update needs it inside the base %s", opt, p, base)
			return "", false
		}
		return "/" + strings.TrimPrefix(rel, "/"), true
	}
	argv := []string{"/usr/sbin/freebsd-update", "-b", "/"}
	if conf != "" {
		c, ok := inside("-f", conf)
		if !ok {
			return 1
		}
		argv = append(argv, "-f", c)
	}
	if workdir != "" {
		d, ok := inside("-d", workdir)
		if !ok {
			return 1
		}
		argv = append(argv, "-d", d)
	}
	argv = append(append(argv, pass...), commands...)

	env := []string{"PATH=/sbin:/bin:/usr/sbin:/usr/bin", "HOME=/root", "TERM=dumb"}
	for _, kv := range e.Environ {
		if name, _, ok := strings.Cut(kv, "="); ok && name != "PATH" {
			env = append(env, kv)
		}
	}
	cmd := exec.Command("/bin/sh", argv...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: local}
	code, err := runtime.RunProcess(e.Ctx, cmd)
	if err != nil {
		return e.Errorf("%s: %v", path.Join(base, "bin/sh"), err)
	}
	return code
}
