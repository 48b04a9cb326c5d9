package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// RootDir is a directory tree whose contents someone else controls: a
// jail's root, where the jail's root user can make any file a symlink to a
// host path. Every operation resolves its path inside the tree with
// os.Root, so a symlink that would lead out of it is an error, never
// followed. Paths are relative to the tree ("etc/rc.conf"; a leading "/"
// is ignored). Changes are traced, printed in dry-run and subject to
// failure injection as the Host's own file methods are.
type RootDir struct {
	h    *Host
	root string // host path of the tree
}

// InRoot returns the tree at the host path root.
func (h *Host) InRoot(root string) *RootDir { return &RootDir{h: h, root: path.Clean(root)} }

// Path is the host path of rel, for messages and traces.
func (r *RootDir) Path(rel string) string {
	rel = strings.TrimLeft(rel, "/")
	if rel == "" {
		return r.root
	}
	return r.root + "/" + rel
}

func cleanRel(rel string) string {
	rel = path.Clean("/" + rel)[1:]
	if rel == "" {
		return "."
	}
	return rel
}

// open opens the tree itself. The tree's own path belongs to the host (a
// dataset's mountpoint), but it is refused when it is a symlink: then it is
// not the directory the caller meant.
func (r *RootDir) open() (*os.Root, error) {
	local := r.h.b.LocalPath(r.root)
	fi, err := os.Lstat(local)
	if err != nil {
		return nil, mapErr(r.root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is %s, not a directory: %w", r.root, FileKind(fi.Mode()), ErrUnsafe)
	}
	rt, err := os.OpenRoot(local)
	if err != nil {
		return nil, mapErr(r.root, err)
	}
	return rt, nil
}

// rootErr maps an os.Root error: an escape names the path and says why it
// was refused.
func (r *RootDir) rootErr(rel string, err error) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%s leads out of %s through a symbolic link: %w", r.Path(rel), r.root, ErrUnsafe)
	}
	return mapErr(r.Path(rel), err)
}

func (r *RootDir) with(rel string, do func(rt *os.Root, rel string) error) error {
	rt, err := r.open()
	if err != nil {
		return err
	}
	defer rt.Close()
	rel = cleanRel(rel)
	return r.rootErr(rel, do(rt, rel))
}

// ReadFile reads rel, following symlinks only inside the tree.
func (r *RootDir) ReadFile(rel string) ([]byte, error) {
	var b []byte
	err := r.with(rel, func(rt *os.Root, rel string) error {
		var err error
		b, err = rt.ReadFile(rel)
		return err
	})
	return b, err
}

// Lstat describes rel without following a final symlink; the directories
// on the way are resolved inside the tree.
func (r *RootDir) Lstat(rel string) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := r.with(rel, func(rt *os.Root, rel string) error {
		var err error
		fi, err = rt.Lstat(rel)
		return err
	})
	return fi, err
}

// Stat describes rel, following symlinks only inside the tree.
func (r *RootDir) Stat(rel string) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := r.with(rel, func(rt *os.Root, rel string) error {
		var err error
		fi, err = rt.Stat(rel)
		return err
	})
	return fi, err
}

// WriteFile replaces rel with data atomically: a temporary file in the
// same directory renamed over it, so a symlink at rel is replaced, not
// written through.
func (r *RootDir) WriteFile(rel string, data []byte, perm fs.FileMode) error {
	return r.h.fileChange("write "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error {
			var rnd [6]byte
			if _, err := rand.Read(rnd[:]); err != nil {
				return err
			}
			tmp := path.Join(path.Dir(rel), ".ioc-tmp-"+hex.EncodeToString(rnd[:]))
			f, err := rt.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
			if err != nil {
				return err
			}
			defer rt.Remove(tmp)
			_, err = f.Write(data)
			if err == nil {
				err = f.Chmod(perm)
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			return rt.Rename(tmp, rel)
		})
	})
}

// Symlink makes rel a symlink to target (stored verbatim, as the jail
// will read it).
func (r *RootDir) Symlink(target, rel string) error {
	return r.h.fileChange("ln -s "+Quote(target)+" "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error { return rt.Symlink(target, rel) })
	})
}

// MkdirAll makes the directory rel and its parents inside the tree.
func (r *RootDir) MkdirAll(rel string, perm fs.FileMode) error {
	if fi, err := r.Stat(rel); err == nil && fi.IsDir() {
		return nil
	}
	return r.h.fileChange("mkdir -p "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error { return rt.MkdirAll(rel, perm) })
	})
}

// Remove removes the file, symlink (not its target) or empty directory
// rel.
func (r *RootDir) Remove(rel string) error {
	return r.h.fileChange("rm "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error { return rt.Remove(rel) })
	})
}

// maxLinks bounds the symlinks followed in one resolution, as the
// kernel's MAXSYMLINKS does.
const maxLinks = 32

// Resolve returns the host path that rel names once every symlink on the
// way is followed as the jail sees it: an absolute link target starts
// again at the tree's top. A path that climbs above the top (with "..",
// directly or through a link) is refused, so the result always lies inside
// the tree and holds no symlink that existed when it was resolved: hand it
// to mount(8), which would follow a link to the host. Components that do
// not exist yet are kept as they are.
func (r *RootDir) Resolve(rel string) (string, error) {
	local := r.h.b.LocalPath(r.root)
	if fi, err := os.Lstat(local); err != nil {
		return "", mapErr(r.root, err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%s is %s, not a directory: %w", r.root, FileKind(fi.Mode()), ErrUnsafe)
	}
	todo := strings.Split(rel, "/")
	var done []string
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", fmt.Errorf("%s climbs above %s: %w", r.Path(rel), r.root, ErrUnsafe)
			}
			done = done[:len(done)-1]
			continue
		}
		cur := append(done, c)
		fi, err := os.Lstat(local + "/" + strings.Join(cur, "/"))
		if errors.Is(err, fs.ErrNotExist) {
			done = cur
			continue
		}
		if err != nil {
			return "", mapErr(r.Path(rel), err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = cur
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links: %w", r.Path(rel), ErrUnsafe)
		}
		target, err := os.Readlink(local + "/" + strings.Join(cur, "/"))
		if err != nil {
			return "", mapErr(r.Path(rel), err)
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return r.Path(strings.Join(done, "/")), nil
}
