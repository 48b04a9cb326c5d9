package runtime

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// ErrUnsafe is returned (wrapped) when a path iocage would write through
// can be changed by someone other than root: a symlink, a directory owned
// by another user or one that others may write.
var ErrUnsafe = errors.New("unsafe path")

// privateOwner is the uid that must own iocage's private directories: root
// on FreeBSD; on a backend that maps host paths under a directory of its
// own (the sandbox, scripted tests) the user running this process, who
// owns everything there.
func (h *Host) privateOwner() int {
	if h.b.LocalPath("/") != "/" {
		return os.Geteuid()
	}
	return 0
}

// PrivateDir makes sure p is a directory only root can change, for files
// iocage generates and later hands to root's programs (the fstab of a
// start, the AUTOIP4 lock). A missing one is made with mode 0700 (parents
// as needed). An existing one is checked without following a symlink: it
// must be a directory, owned by root, with no group or other write bit.
// Anything else is refused, not repaired: someone else prepared it, and
// what is already inside cannot be trusted. In dry-run the creation is
// printed; the checks still run.
func (h *Host) PrivateDir(p string) error {
	local := h.b.LocalPath(p)
	_, err := os.Lstat(local)
	if errors.Is(err, fs.ErrNotExist) {
		return h.fileChange("mkdir -m 0700 -p "+Quote(p), func() error {
			if err := os.MkdirAll(h.b.LocalPath(path.Dir(p)), 0o755); err != nil {
				return mapErr(p, err)
			}
			if err := os.Mkdir(local, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return mapErr(p, err)
			}
			// Made by a racing process or under a wide umask: check
			// what is there now rather than trust it.
			return h.checkPrivate(p, local)
		})
	}
	if err != nil {
		return mapErr(p, err)
	}
	return h.checkPrivate(p, local)
}

func (h *Host) checkPrivate(p, local string) error {
	fi, err := os.Lstat(local)
	if err != nil {
		return mapErr(p, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, not a directory: %w (remove it; iocage makes it with mode 0700)", p, ErrUnsafe)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory: %w (remove it; iocage makes it with mode 0700)", p, ErrUnsafe)
	}
	want := h.privateOwner()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != want {
		return fmt.Errorf("%s is owned by uid %d, not %d: %w (check what is in it, then `chown root:wheel %s`)", p, st.Uid, want, ErrUnsafe, p)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s has mode %04o, which lets group or others write: %w (check what is in it, then `chmod 0700 %s`)", p, perm, ErrUnsafe, p)
	}
	return nil
}

// OpenLock opens (creating, mode 0600) the lock file p in a private
// directory, for an flock. The directory is checked with PrivateDir and
// the file opened without following a symlink. Taking a lock changes
// nothing worth printing, so dry-run opens it too.
func (h *Host) OpenLock(p string) (*os.File, error) {
	if err := h.privateDirNoDryRun(path.Dir(p)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(h.b.LocalPath(p), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, mapErr(p, noFollowErr(err)))
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s: not a regular file: %w", p, ErrUnsafe)
	}
	return f, nil
}

// privateDirNoDryRun is PrivateDir made even in dry-run: a lock must be
// taken for real, or two dry runs would not exclude a real one.
func (h *Host) privateDirNoDryRun(p string) error {
	local := h.b.LocalPath(p)
	if _, err := os.Lstat(local); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(h.b.LocalPath(path.Dir(p)), 0o755); err != nil {
			return mapErr(p, err)
		}
		if err := os.Mkdir(local, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return mapErr(p, err)
		}
	}
	return h.checkPrivate(p, local)
}

// noFollowErr names what O_NOFOLLOW's error means: ELOOP on Linux,
// EMLINK on FreeBSD, both for "the last component is a symlink".
func noFollowErr(err error) error {
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		return fmt.Errorf("is a symbolic link: %w", ErrUnsafe)
	}
	return err
}

// ReadRegular reads the host file p without following a symlink: a
// symlink, device or directory there is refused. It is for files others
// supply next to a jail (MP/fstab, the hook files of an imported jail),
// which a link would turn into any file of the host. A missing file wraps
// ErrNotExist.
func (h *Host) ReadRegular(p string) ([]byte, error) {
	local := h.b.LocalPath(p)
	fi, err := os.Lstat(local)
	if err != nil {
		return nil, mapErr(p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file: %w (a link could name any file of the host)", p, FileKind(fi.Mode()), ErrUnsafe)
	}
	f, err := os.OpenFile(local, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, mapErr(p, noFollowErr(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", p, ErrUnsafe)
	}
	b, err := io.ReadAll(f)
	return b, mapErr(p, err)
}

// LstatRegular describes p without following a symlink and refuses
// anything but a regular file, as ReadRegular does.
func (h *Host) LstatRegular(p string) (fs.FileInfo, error) {
	fi, err := os.Lstat(h.b.LocalPath(p))
	if err != nil {
		return nil, mapErr(p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file: %w (a link could name any file of the host)", p, FileKind(fi.Mode()), ErrUnsafe)
	}
	return fi, nil
}

// FileKind names what kind of file mode m is, for messages ("a symbolic
// link", "a named pipe").
func FileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a file"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
