package sysmodel

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

func init() {
	model.Register(runtime.Mount, runMount)
	model.Register(runtime.Umount, runUmount)
	model.Register(runtime.Devfs, runDevfs)
	model.Register(runtime.Sysctl, runSysctl)
	model.Register(runtime.Rctl, runRctl)
	model.Register(runtime.Cpuset, runCpuset)
	model.Register(runtime.Uname, runUname)
	model.Register(runtime.FreebsdVersion, runFreebsdVersion)
	model.Register(runtime.Chflags, runChflags)
	model.Register(runtime.Setfib, runSetfib)
	// Inside a jail these report the jail's view (security.jail.jailed=1,
	// the jail's userland version), so jexec must answer them here.
	model.MarkJailAware(runtime.Sysctl)
	model.MarkJailAware(runtime.Uname)
	model.MarkJailAware(runtime.FreebsdVersion)
	model.OnJailRemoved(cpusetJailRemoved)
}

// errnoText is strerror(3) as FreeBSD words it, for the errors the models
// report; Go's texts are Linux's.
var errnoText = map[syscall.Errno]string{
	syscall.EPERM:        "Operation not permitted",
	syscall.ENOENT:       "No such file or directory",
	syscall.ESRCH:        "No such process",
	syscall.EIO:          "Input/output error",
	syscall.E2BIG:        "Argument list too long",
	syscall.EACCES:       "Permission denied",
	syscall.EBUSY:        "Device busy",
	syscall.EEXIST:       "File exists",
	syscall.ENODEV:       "Operation not supported by device",
	syscall.ENOTDIR:      "Not a directory",
	syscall.EISDIR:       "Is a directory",
	syscall.EINVAL:       "Invalid argument",
	syscall.ENOTTY:       "Inappropriate ioctl for device",
	syscall.ENOSPC:       "No space left on device",
	syscall.EROFS:        "Read-only file system",
	syscall.EDEADLK:      "Resource deadlock avoided",
	syscall.ENOMEM:       "Cannot allocate memory",
	syscall.ELOOP:        "Too many levels of symbolic links",
	syscall.ENAMETOOLONG: "File name too long",
	syscall.EOPNOTSUPP:   "Operation not supported",
	syscall.ENOSYS:       "Function not implemented",
}

// strerror renders err as FreeBSD's strerror would.
func strerror(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		if s, ok := errnoText[en]; ok {
			return s
		}
		return en.Error()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errnoText[syscall.ENOENT]
	case errors.Is(err, fs.ErrPermission):
		return errnoText[syscall.EACCES]
	case errors.Is(err, fs.ErrExist):
		return errnoText[syscall.EEXIST]
	}
	return err.Error()
}

// absHost makes p absolute against the program's working directory.
func absHost(e *model.Env, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	dir := e.Dir
	if dir == "" {
		dir = "/"
	}
	return path.Join(dir, p)
}

// realpath resolves p (a host path) as realpath(3) would on the modelled
// host: symbolic links are followed inside the sandbox root, never out of
// it. On failure it returns the path that failed, as FreeBSD's realpath
// leaves it in the buffer.
func realpath(sb *model.Sandbox, p string) (string, error) {
	todo := splitPath(p)
	resolved := "/"
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, c)
		fi, err := os.Lstat(sb.Path(next))
		if err != nil {
			return next, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if links++; links > 32 {
			return next, syscall.ELOOP
		}
		t, err := os.Readlink(sb.Path(next))
		if err != nil {
			return next, err
		}
		if path.IsAbs(t) {
			resolved = "/"
		}
		todo = append(splitPath(t), todo...)
	}
	return resolved, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// defaultPath is the PATH FreeBSD's login.conf gives root, used to find
// commands given without a slash (setfib's execvp).
var defaultPath = []string{"/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}

// lookPath finds name as execvp(3) would on the modelled host: a modelled
// program or an executable file under the sandbox root.
func lookPath(e *model.Env, name string) (string, bool) {
	if strings.Contains(name, "/") {
		p := absHost(e, name)
		if _, ok := model.Lookup(p); ok {
			return p, true
		}
		fi, err := os.Stat(e.SB.Path(p))
		return p, err == nil && !fi.IsDir()
	}
	// Modelled programs first: the sandbox root's /bin and /sbin are
	// Linux's merged /usr, whose uname would otherwise shadow FreeBSD's
	// /usr/bin/uname.
	for _, d := range defaultPath {
		if _, ok := model.Lookup(path.Join(d, name)); ok {
			return path.Join(d, name), true
		}
	}
	for _, d := range defaultPath {
		p := path.Join(d, name)
		if fi, err := os.Stat(e.SB.Path(p)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// jailInfo is what the models need to know of a running jail.
type jailInfo struct {
	JID  int
	Name string
	Path string // host path of the jail's root
}

// findJail asks the modelled jls(8) about the jail named or numbered id,
// so this package depends on the jail model's command line only, not on
// its state layout. ok is false when no such jail runs. jls takes the state
// lock, so callers must not hold it.
func findJail(e *model.Env, id string) (jailInfo, bool) {
	var out, errb bytes.Buffer
	code, err := e.SB.Exec(e.Ctx, &runtime.Cmd{Path: runtime.Jls, Args: []string{"-j", id, "jid", "name", "path"},
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if err != nil || code != 0 {
		return jailInfo{}, false
	}
	line := strings.TrimSpace(out.String())
	f := strings.SplitN(line, " ", 3)
	if len(f) < 2 {
		return jailInfo{}, false
	}
	jid, err := strconv.Atoi(f[0])
	if err != nil {
		return jailInfo{}, false
	}
	ji := jailInfo{JID: jid, Name: f[1]}
	if len(f) == 3 {
		ji.Path = f[2]
	}
	return ji, true
}

// jailPIDs lists the Linux processes whose root directory is the jail's
// root: the jail model runs jailed processes chrooted there.
func jailPIDs(sb *model.Sandbox, ji jailInfo) []int {
	if ji.Path == "" {
		return nil
	}
	root := sb.Path(ji.Path)
	return model.Processes(func(pid int) bool {
		r, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/root")
		return err == nil && r == root
	})
}
