package jail

// Copying files between the host and jails (iocage cp). The jail side of a
// copy is hostile: its root user can make any name a symlink to a host
// path. Every jail path is resolved inside the jail's root (runtime's
// RootDir, over os.Root): a ".." component is refused, and a symlink that
// leads out of the root (an absolute one, or a relative one climbing above
// it) is an error, for reading and writing alike; one that stays inside is
// followed to a directory as cp does. Nothing is written through a
// symlink: a new file is made with O_EXCL under a temporary name and
// renamed into place, so a link where a file goes is replaced, never
// followed. A copy that fails half-way takes back what it made and puts
// back what it replaced (journaled undo steps).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("copy", "jail.copy(src, dst, recursive=False, src_jail=None, dst_jail=None) -> int\n\n"+
		"Copies the file (or, with recursive=True, the directory tree) src to dst,\n"+
		"as cp(1) -R does: when dst is a directory the copy goes into it under\n"+
		"src's name; a directory is merged into an existing one. src is a path\n"+
		"inside src_jail (a jail.jail) or, when None, an absolute host path; dst\n"+
		"likewise with dst_jail. A jail path is resolved inside the jail's root:\n"+
		"'..' is refused, a symlink leading out of the root is an error (a link\n"+
		"to a directory inside it is followed as cp does), and a symlink where\n"+
		"a file is written is replaced, never written through. Files keep their permission bits, setuid and\n"+
		"setgid dropped; symlinks inside a copied tree are copied as links; other\n"+
		"special files are refused. An existing file is replaced atomically.\n"+
		"When the copy fails, what it made is removed and what it replaced is\n"+
		"put back. Returns the number of files, links and directories written.", stCopy)
	thread.RegisterUndo("jail.copy_remove", replayCopyRemove)
	thread.RegisterUndo("jail.copy_restore", replayCopyRestore)
}

// Place is one end of a copy: Path in the jail whose root is Root, or a
// host path when Root is "".
type Place struct {
	Root string // host path of the jail's root; "" for the host
	Path string // absolute, inside the jail when Root is set
	Name string // the jail's name for messages ("web:"), "" for the host
}

func (p Place) String() string {
	if p.Root == "" {
		return p.Path
	}
	return p.Name + ":" + p.Path
}

// side is the file operations of one end: the host's, or a jail root's
// resolved inside it.
type side interface {
	Lstat(p string) (fs.FileInfo, error)
	Stat(p string) (fs.FileInfo, error)
	ReadDir(p string) ([]fs.DirEntry, error)
	Open(p string) (*os.File, error)
	Readlink(p string) (string, error)
	CreateNew(p string, perm fs.FileMode) (io.WriteCloser, error)
	Mkdir(p string, perm fs.FileMode) error
	Symlink(target, p string) error
	Rename(from, to string) error
	RemoveAll(p string) error
}

type hostSide struct{ *runtime.Host }

type jailSide struct{ *runtime.RootDir }

func sideOf(h *runtime.Host, p Place) side {
	if p.Root == "" {
		return hostSide{h}
	}
	return jailSide{h.InRoot(p.Root)}
}

// checkPlace refuses a path that is not absolute (the host) or that holds
// a ".." component (a jail: it could only mean climbing out).
func checkPlace(p Place) (Place, error) {
	if p.Path == "" {
		return p, fmt.Errorf("%s: empty path", p)
	}
	if p.Root == "" {
		if !path.IsAbs(p.Path) {
			return p, fmt.Errorf("host path %q is not absolute", p.Path)
		}
		return Place{Path: path.Clean(p.Path)}, nil
	}
	for _, c := range strings.Split(p.Path, "/") {
		if c == ".." {
			return p, fmt.Errorf("%s: a jail path may not hold '..': %w", p, runtime.ErrUnsafe)
		}
	}
	p.Path = path.Clean("/" + p.Path)
	return p, nil
}

// copier is one copy under way.
type copier struct {
	ctx      context.Context
	h        *runtime.Host
	undo     *thread.Undo
	src, dst Place
	s, d     side
	backups  []string // replaced destination files, dropped when all is done
	written  int
}

// Copy copies src to dst (see jail.copy) and returns how many files,
// links and directories it wrote. Changes are recorded on undo.
func Copy(ctx context.Context, h *runtime.Host, undo *thread.Undo, src, dst Place, recursive bool) (int, error) {
	src, err := checkPlace(src)
	if err != nil {
		return 0, err
	}
	if dst, err = checkPlace(dst); err != nil {
		return 0, err
	}
	c := &copier{ctx: ctx, h: h, undo: undo, src: src, dst: dst, s: sideOf(h, src), d: sideOf(h, dst)}
	fi, err := c.s.Stat(src.Path)
	if err != nil {
		return 0, fmt.Errorf("source %s: %w", src, err)
	}
	if fi.IsDir() && !recursive {
		return 0, fmt.Errorf("source %s is a directory: copying one needs recursive (cp -r)", src)
	}
	// A destination that is a directory, or a link to one (inside the
	// jail's root: one leading out is an error), receives src under its
	// name; the link itself is never written to.
	target := dst.Path
	if dfi, err := c.d.Stat(dst.Path); err == nil && dfi.IsDir() {
		if src.Path == "/" {
			return 0, fmt.Errorf("source %s is a root: name the destination directory itself", src)
		}
		target = path.Join(dst.Path, path.Base(src.Path))
	} else if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return 0, fmt.Errorf("destination %s: %w", dst, err)
	}
	if src.Root == dst.Root && (target == src.Path || strings.HasPrefix(target, strings.TrimSuffix(src.Path, "/")+"/")) {
		return 0, fmt.Errorf("cannot copy %s into itself (%s)", src, target)
	}
	if err := c.copy(src.Path, fi, target); err != nil {
		return 0, err
	}
	// Everything is in place: the replaced files are no longer needed.
	for _, b := range c.backups {
		if err := c.d.RemoveAll(b); err != nil {
			return c.written, err
		}
	}
	return c.written, nil
}

func (c *copier) where(p Place, path string) string {
	p.Path = path
	return p.String()
}

func (c *copier) copy(sp string, sfi fs.FileInfo, tp string) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	tfi, err := c.d.Lstat(tp)
	exists := err == nil
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return fmt.Errorf("destination %s: %w", c.where(c.dst, tp), err)
	}
	if exists && c.dst.Root == "" && tfi.Mode()&fs.ModeSymlink != 0 && sfi.IsDir() {
		// The host's own link to a directory is followed, as cp does.
		if fi, err := c.d.Stat(tp); err == nil && fi.IsDir() {
			tfi = fi
		}
	}
	switch m := sfi.Mode(); {
	case m.IsDir():
		if exists && !tfi.IsDir() {
			return fmt.Errorf("cannot overwrite %s, which is %s, with directory %s", c.where(c.dst, tp), runtime.FileKind(tfi.Mode()), c.where(c.src, sp))
		}
		if !exists {
			err := c.undo.Do("rm -rf "+c.where(c.dst, tp), c.removeStep(tp), func() error { return c.d.Mkdir(tp, modeOf(sfi)) })
			if err != nil {
				return err
			}
			c.written++
		}
		ents, err := c.s.ReadDir(sp)
		if err != nil {
			return fmt.Errorf("source %s: %w", c.where(c.src, sp), err)
		}
		for _, e := range ents {
			esp := path.Join(sp, e.Name())
			efi, err := c.s.Lstat(esp)
			if err != nil {
				return fmt.Errorf("source %s: %w", c.where(c.src, esp), err)
			}
			if err := c.copy(esp, efi, path.Join(tp, e.Name())); err != nil {
				return err
			}
		}
		return nil
	case m&fs.ModeSymlink != 0, m.IsRegular():
		if exists && tfi.IsDir() {
			return fmt.Errorf("cannot overwrite directory %s with %s %s", c.where(c.dst, tp), runtime.FileKind(sfi.Mode()), c.where(c.src, sp))
		}
		return c.place(sp, sfi, tp, exists)
	}
	return fmt.Errorf("source %s is %s: only files, directories and symbolic links are copied", c.where(c.src, sp), runtime.FileKind(sfi.Mode()))
}

// place writes the file or symlink sp under a temporary name beside tp,
// then renames it to tp, putting an existing tp aside first.
func (c *copier) place(sp string, sfi fs.FileInfo, tp string, exists bool) error {
	tmp := runtime.TempName(tp)
	err := c.undo.Do("rm -f "+c.where(c.dst, tmp), c.removeStep(tmp), func() error {
		if sfi.Mode()&fs.ModeSymlink != 0 {
			target, err := c.s.Readlink(sp)
			if err != nil {
				return fmt.Errorf("source %s: %w", c.where(c.src, sp), err)
			}
			return c.d.Symlink(target, tmp)
		}
		return c.writeFile(sp, sfi, tmp)
	})
	if err != nil {
		return err
	}
	if exists {
		backup := runtime.TempName(tp)
		// Kept when it fails: the old file may be aside already.
		err = c.undo.DoKeep("put back "+c.where(c.dst, tp), c.restoreStep(tp, backup), func() error {
			if err := c.d.Rename(tp, backup); err != nil {
				return err
			}
			return c.d.Rename(tmp, tp)
		})
		if err == nil {
			c.backups = append(c.backups, backup)
		}
	} else {
		err = c.undo.Do("rm -f "+c.where(c.dst, tp), c.removeStep(tp), func() error { return c.d.Rename(tmp, tp) })
	}
	if err != nil {
		return err
	}
	c.written++
	return nil
}

func (c *copier) writeFile(sp string, sfi fs.FileInfo, tmp string) error {
	in, err := c.s.Open(sp)
	if err != nil {
		return fmt.Errorf("source %s: %w", c.where(c.src, sp), err)
	}
	defer in.Close()
	// The file opened may not be the one described (the jail can swap
	// it): what counts is what was opened.
	ofi, err := in.Stat()
	if err != nil {
		return err
	}
	if !ofi.Mode().IsRegular() {
		return fmt.Errorf("source %s is %s, not a file", c.where(c.src, sp), runtime.FileKind(ofi.Mode()))
	}
	out, err := c.d.CreateNew(tmp, modeOf(ofi))
	if err != nil {
		return err
	}
	_, err = io.Copy(out, ctxReader{c.ctx, in})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", c.where(c.src, sp), c.where(c.dst, tmp), err)
	}
	return nil
}

// ctxReader stops a long copy when the run is interrupted.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// modeOf is the mode a copy gets: the permission bits and the sticky
// bit. Setuid and setgid are dropped, as cp(1) does without -p: the copy
// belongs to root, and a jail's set-id program must not become the host's.
func modeOf(fi fs.FileInfo) fs.FileMode {
	return fi.Mode().Perm() | fi.Mode()&fs.ModeSticky
}

func (c *copier) removeStep(p string) thread.Step {
	return thread.Step{Kind: "jail.copy_remove", Args: []string{c.dst.Root, p}}
}

func (c *copier) restoreStep(p, backup string) thread.Step {
	return thread.Step{Kind: "jail.copy_restore", Args: []string{c.dst.Root, p, backup}}
}

// replayCopyRemove removes what a copy made: args are the jail root (""
// for the host) and the path.
func replayCopyRemove(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.copy_remove", args, 2, 2); err != nil {
		return err
	}
	p, err := checkPlace(Place{Root: args[0], Path: args[1]})
	if err != nil {
		return err
	}
	return sideOf(h, p).RemoveAll(p.Path)
}

// replayCopyRestore puts back a file a copy replaced: when the file set
// aside is still there, it goes back to its name; when it is gone, either
// the replacement never happened or the copy finished and kept its work.
func replayCopyRestore(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.copy_restore", args, 3, 3); err != nil {
		return err
	}
	p, err := checkPlace(Place{Root: args[0], Path: args[1]})
	if err != nil {
		return err
	}
	b, err := checkPlace(Place{Root: args[0], Path: args[2]})
	if err != nil {
		return err
	}
	s := sideOf(h, p)
	if _, err := s.Lstat(b.Path); errors.Is(err, runtime.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	return s.Rename(b.Path, p.Path)
}

func stCopy(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var src, dst string
	var recursive bool
	var sj, dj starlark.Value = starlark.None, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "src", &src, "dst", &dst, "recursive?", &recursive,
		"src_jail?", &sj, "dst_jail?", &dj); err != nil {
		return nil, err
	}
	sp, err := placeOf(b, "src_jail", sj, src)
	if err != nil {
		return nil, err
	}
	dp, err := placeOf(b, "dst_jail", dj, dst)
	if err != nil {
		return nil, err
	}
	n, err := Copy(thread.Context(t), h, thread.UndoOf(t), sp, dp, recursive)
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt(n), nil
}

func placeOf(b *starlark.Builtin, what string, v starlark.Value, p string) (Place, error) {
	if v == starlark.None {
		return Place{Path: p}, nil
	}
	jv, ok := v.(*Value)
	if !ok {
		return Place{}, fmt.Errorf("%s: %s: got %s, want jail.jail or None", b.Name(), what, v.Type())
	}
	if err := stCheckJail(b, jv.j); err != nil {
		return Place{}, err
	}
	name := jv.j.Tag
	if name == "" {
		name = jv.j.UUID
	}
	return Place{Root: stRoot(jv.j), Path: p, Name: name}, nil
}
