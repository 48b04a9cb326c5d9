package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// The root's programs. Every program path in the root's /usr/bin and
// /usr/sbin (and so /bin and /sbin, which link there) is a link to one
// multi-call binary, a copy of iocage-sandbox kept in the root itself so
// that it resolves from inside the root too. Called by a FreeBSD path it
// models, it is that program; called by any other name it is the Linux
// program of that name, run inside the root (see Main). A client therefore
// runs ROOT/sbin/zfs or ROOT/usr/bin/tar as plain processes, as it would
// run /sbin/zfs or /usr/bin/tar on FreeBSD. Linux's own /usr is bound
// read-only at /.linux/usr, where the root's libraries link and where a
// program run inside the root is found.
const (
	programDir  = ".sandbox"
	programName = "iocage-sandbox"
	linuxDir    = ".linux"
)

// installedSuffix ends the path of an installed multi-call binary.
const installedSuffix = "/" + programDir + "/" + programName

// makeUsr lays out the root's /usr: Linux's libraries and data through
// links, and bin and sbin as directories of the root's own programs.
func makeUsr(root string) error {
	usr := filepath.Join(root, "usr")
	// Sandboxes made before the programs were installed bound all of /usr.
	if mounted(usr) {
		if err := detach(usr); err != nil {
			return fmt.Errorf("unmount old %s: %w", usr, err)
		}
	}
	linuxUsr := filepath.Join(root, linuxDir, "usr")
	for _, d := range []string{usr, linuxUsr} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := bindMount("/usr", linuxUsr, true, false); err != nil {
		return err
	}
	entries, err := os.ReadDir("/usr")
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(usr, e.Name())
		switch e.Name() {
		case "bin", "sbin", "local":
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..", linuxDir, "usr", e.Name()), p); err != nil {
			return err
		}
	}
	// Debian picks some programs (awk, editor, pager) through the links in
	// /etc/alternatives, which the root's own /etc must carry too.
	alts, _ := os.ReadDir("/etc/alternatives")
	dst := filepath.Join(root, "etc", "alternatives")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, a := range alts {
		t, err := os.Readlink(filepath.Join("/etc/alternatives", a.Name()))
		if err != nil {
			continue
		}
		if err := os.Symlink(t, filepath.Join(dst, a.Name())); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

// install copies program into the root and links every program path of
// the root to it: Linux's names in /usr/bin and /usr/sbin, and the FreeBSD
// paths of the models.
func install(root, program string) error {
	dir := filepath.Join(root, programDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(dir, programName)
	if err := copyProgram(program, bin); err != nil {
		return err
	}
	var paths []string
	for _, d := range []string{"/usr/bin", "/usr/sbin"} {
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			paths = append(paths, d+"/"+e.Name())
		}
	}
	paths = append(paths, model.Programs()...)
	parents := map[string]string{}
	for _, p := range paths {
		if err := linkProgram(root, p, bin, parents); err != nil {
			return err
		}
	}
	// The models alone, by their names, for a PATH on the machine's side.
	if err := os.MkdirAll(ProgramsDir(root), 0o755); err != nil {
		return err
	}
	for _, p := range model.Programs() {
		if err := linkProgram(root, filepath.Join("/", programDir, "bin", filepath.Base(p)), bin, parents); err != nil {
			return err
		}
	}
	return nil
}

// ProgramsDir is the directory of the root holding only the modelled
// FreeBSD programs, by their names: what `iocage-sandbox shell` puts first
// in PATH.
func ProgramsDir(root string) string { return filepath.Join(root, programDir, "bin") }

// linkProgram makes the host path p of the root a relative link to bin,
// which holds inside the root and outside it alike. parents keeps the
// directories resolved so far: a thousand links share a handful.
func linkProgram(root, p, bin string, parents map[string]string) error {
	dir := filepath.Dir(filepath.Join(root, p))
	parent, ok := parents[dir]
	if !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var err error
		if parent, err = filepath.EvalSymlinks(dir); err != nil {
			return err
		}
		parents[dir] = parent
	}
	target, err := filepath.Rel(parent, bin)
	if err != nil {
		return err
	}
	link := filepath.Join(parent, filepath.Base(p))
	if t, err := os.Readlink(link); err == nil && t == target {
		return nil
	}
	_ = os.Remove(link)
	return os.Symlink(target, link)
}

// copyProgram copies src to dst through a new file renamed into place, so
// that processes still running the old copy (jail init helpers) keep it.
func copyProgram(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".new"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}

// linuxProgram finds the Linux program that answers for name (a path or a
// bare name, as a caller gave it) under usr, which is "/usr" seen from
// the machine or "/.linux/usr" seen from inside the root. The path
// returned is a regular file under usr: links are followed here, with
// their /usr targets kept under usr, because inside the root /usr/bin
// holds the multi-call binary again and a link into it would never end.
func linuxProgram(usr, name string) (string, bool) {
	var dirs []string
	switch filepath.Dir(filepath.Clean("/" + name)) {
	case "/bin", "/usr/bin":
		dirs = []string{"bin"}
	case "/sbin", "/usr/sbin":
		dirs = []string{"sbin"}
	default:
		if strings.Contains(name, "/") {
			return "", false
		}
		dirs = []string{"sbin", "bin"}
	}
	for _, d := range dirs {
		if p, ok := resolveUnder(usr, filepath.Join(usr, d, filepath.Base(name))); ok {
			return p, true
		}
	}
	return "", false
}

func resolveUnder(usr, p string) (string, bool) {
	for hops := 0; hops < 40; hops++ {
		fi, err := os.Lstat(p)
		if err != nil {
			return "", false
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			ok := fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && strings.HasPrefix(p, usr+"/")
			return p, ok
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", false
		}
		switch {
		case strings.HasPrefix(t, "/usr/"):
			p = usr + t[len("/usr"):]
		case filepath.IsAbs(t):
			p = t
		default:
			p = filepath.Join(filepath.Dir(p), t)
		}
	}
	return "", false
}
