package runtime

// Streaming file operations inside a tree someone else controls (a jail's
// root) and their host counterparts, for copying files in and out of
// jails: every path is resolved inside the tree with os.Root, a symlink
// leading out of it is an error, and a new file is made with O_EXCL so a
// symlink planted at its name is never written through.

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// ReadDir lists the directory rel, resolved inside the tree.
func (r *RootDir) ReadDir(rel string) ([]fs.DirEntry, error) {
	var ents []fs.DirEntry
	err := r.with(rel, func(rt *os.Root, rel string) error {
		f, err := rt.Open(rel)
		if err != nil {
			return err
		}
		defer f.Close()
		ents, err = f.ReadDir(-1)
		return err
	})
	return ents, err
}

// Open opens rel for reading, following symlinks only inside the tree.
// It does not wait for a writer when rel is (or was swapped for) a named
// pipe: callers check what they opened.
func (r *RootDir) Open(rel string) (*os.File, error) {
	var f *os.File
	err := r.with(rel, func(rt *os.Root, rel string) error {
		var err error
		f, err = rt.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		return err
	})
	return f, err
}

// Readlink returns the target of the symlink rel, as stored.
func (r *RootDir) Readlink(rel string) (string, error) {
	var t string
	err := r.with(rel, func(rt *os.Root, rel string) error {
		var err error
		t, err = rt.Readlink(rel)
		return err
	})
	return t, err
}

// CreateNew makes the new file rel with mode perm (umask aside) and opens
// it for writing. It fails when rel exists, symlink included: nothing is
// ever written through a link. In dry-run the writes go nowhere.
func (r *RootDir) CreateNew(rel string, perm fs.FileMode) (io.WriteCloser, error) {
	var w io.WriteCloser = nopWriteCloser{io.Discard}
	err := r.h.fileChange("create "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error {
			f, err := rt.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, perm)
			if err != nil {
				return err
			}
			if err := f.Chmod(perm); err != nil {
				f.Close()
				return err
			}
			w = f
			return nil
		})
	})
	return w, err
}

// Mkdir makes the directory rel (its parent must exist) with mode perm,
// umask aside.
func (r *RootDir) Mkdir(rel string, perm fs.FileMode) error {
	return r.h.fileChange("mkdir "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error {
			if err := rt.Mkdir(rel, perm); err != nil {
				return err
			}
			// Through the new directory's descriptor, not its name.
			d, err := rt.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
			if err != nil {
				return err
			}
			defer d.Close()
			return d.Chmod(perm)
		})
	})
}

// Rename renames from to to inside the tree; a symlink at to is replaced,
// not followed.
func (r *RootDir) Rename(from, to string) error {
	return r.h.fileChange("mv "+Quote(r.Path(from))+" "+Quote(r.Path(to)), func() error {
		return r.with(from, func(rt *os.Root, from string) error { return rt.Rename(from, cleanRel(to)) })
	})
}

// RemoveAll removes rel and what it holds, inside the tree; a missing rel
// is not an error.
func (r *RootDir) RemoveAll(rel string) error {
	return r.h.fileChange("rm -rf "+Quote(r.Path(rel)), func() error {
		return r.with(rel, func(rt *os.Root, rel string) error { return rt.RemoveAll(rel) })
	})
}

// TempName returns a fresh name for a file in the directory of rel
// (".ioc-tmp-RANDOM"), for a file written aside and renamed into place.
func TempName(rel string) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return path.Join(path.Dir(rel), ".ioc-tmp-"+hex.EncodeToString(rnd[:]))
}

// CreateNew makes the new host file p with mode perm (umask aside) and
// opens it for writing; it fails when p exists, symlink included. In
// dry-run the writes go nowhere.
func (h *Host) CreateNew(p string, perm fs.FileMode) (io.WriteCloser, error) {
	var w io.WriteCloser = nopWriteCloser{io.Discard}
	err := h.fileChange("create "+Quote(p), func() error {
		f, err := os.OpenFile(h.b.LocalPath(p), os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, perm)
		if err != nil {
			return mapErr(p, err)
		}
		if err := f.Chmod(perm); err != nil {
			f.Close()
			return mapErr(p, err)
		}
		w = f
		return nil
	})
	return w, err
}

// Mkdir makes the host directory p (its parent must exist) with mode
// perm, umask aside.
func (h *Host) Mkdir(p string, perm fs.FileMode) error {
	return h.fileChange("mkdir "+Quote(p), func() error {
		local := h.b.LocalPath(p)
		if err := os.Mkdir(local, perm); err != nil {
			return mapErr(p, err)
		}
		return mapErr(p, os.Chmod(local, perm))
	})
}
