//go:build linux

package sysmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// mountFlags turns FreeBSD generic options into Linux mount flags.
func mountFlags(ro bool, flags []string) uintptr {
	var f uintptr
	if ro {
		f |= unix.MS_RDONLY
	}
	for _, o := range flags {
		switch o {
		case "noexec":
			f |= unix.MS_NOEXEC
		case "nosuid":
			f |= unix.MS_NOSUID
		case "noatime":
			f |= unix.MS_NOATIME
		}
	}
	return f
}

// private keeps a new mount out of the machine's shared mount peer groups:
// without it a bind of a shared mount would propagate later mounts back to
// its source, which FreeBSD's nullfs never does.
func private(dst string) {
	_ = unix.Mount("", dst, "", unix.MS_PRIVATE, "")
}

// bindMount is nullfs: a non-recursive bind (nullfs does not carry the
// source's submounts), made read-only or noexec by a remount.
func bindMount(src, dst string, ro bool, flags []string) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	private(dst)
	if extra := mountFlags(ro, flags); extra != 0 {
		if err := unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|extra, ""); err != nil {
			_ = unix.Unmount(dst, unix.MNT_DETACH)
			return err
		}
	}
	return nil
}

// fsMount mounts a kernel file system (tmpfs, proc) on dst.
func fsMount(source, fstype, dst string, ro bool, flags []string, data string) error {
	if err := unix.Mount(source, dst, fstype, mountFlags(ro, flags), data); err != nil {
		return err
	}
	private(dst)
	return nil
}

// fdescMount gives dst the entries 0, 1 and 2 of fdescfs as links to the
// opening process's own descriptors.
func fdescMount(dst string, ro bool, flags []string) error {
	if err := fsMount("fdescfs", "tmpfs", dst, false, nil, "mode=0555,size=64k"); err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", i), filepath.Join(dst, fmt.Sprint(i))); err != nil {
			_ = unix.Unmount(dst, unix.MNT_DETACH)
			return err
		}
	}
	if ro || len(flags) > 0 {
		if err := unix.Mount("", dst, "", unix.MS_REMOUNT|mountFlags(ro, flags), "mode=0555,size=64k"); err != nil {
			_ = unix.Unmount(dst, unix.MNT_DETACH)
			return err
		}
	}
	return nil
}

// devfsMount prepares the tmpfs that stands for a devfs mount; populate
// fills it.
func devfsMount(dst string, ro bool, flags []string) error {
	return fsMount("devfs", "tmpfs", dst, ro, flags, "mode=0755,size=1m")
}

// unmount detaches the Linux mount at p. force maps umount -f to a lazy
// detach, which, like FreeBSD's forced unmount, does not wait for users.
func unmount(p string, force bool) error {
	flags := 0
	if force {
		flags = unix.MNT_DETACH
	}
	return unix.Unmount(p, flags)
}

// mknodChar makes a character device node.
func mknodChar(p string, mode uint32, major, minor uint32) error {
	if err := unix.Mknod(p, unix.S_IFCHR|mode, int(unix.Mkdev(major, minor))); err != nil {
		return err
	}
	// Mknod honours the umask; devfs modes are exact.
	return os.Chmod(p, os.FileMode(mode))
}

// devptsMount gives a devfs its own pts instance, so a jail's terminals
// are not the machine's.
func devptsMount(dst string) error {
	err := unix.Mount("devpts", dst, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
	if err != nil {
		return err
	}
	private(dst)
	return nil
}

// isMountpoint reports whether p is the root of a Linux mount.
func isMountpoint(p string) bool {
	var st, pst unix.Stat_t
	if unix.Lstat(p, &st) != nil || unix.Lstat(filepath.Dir(p), &pst) != nil {
		return false
	}
	return st.Dev != pst.Dev
}

// setAffinity pins every thread of pid to cpus.
func setAffinity(pid int, cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return unix.SchedSetaffinity(pid, &set)
	}
	var errs []error
	for _, t := range tasks {
		var tid int
		if _, err := fmt.Sscan(t.Name(), &tid); err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// getAffinity returns the CPUs pid may run on.
func getAffinity(pid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &set); err != nil {
		return nil, err
	}
	var out []int
	for c := 0; c < 1024; c++ {
		if set.IsSet(c) {
			out = append(out, c)
		}
	}
	return out, nil
}
