package zfscompat

import (
	"fmt"
	"syscall"
)

// fuseMagic is the statfs f_type of FUSE file systems.
const fuseMagic = 0x65735546

// keptFlags are the per-mount flags a bind remount must repeat to keep:
// statfs reports them (ST_*) with the values mount(2) takes (MS_*).
const keptFlags = syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC | syscall.MS_SYNCHRONOUS |
	syscall.MS_MANDLOCK | syscall.MS_NOATIME | syscall.MS_NODIRATIME | syscall.MS_RELATIME

// remountReadonly sets or clears the read-only flag of the FUSE mount at
// path. A bind remount changes the flag of this one mount, busy or not,
// without asking zfs-fuse to remount (it cannot).
func remountReadonly(path string, ro bool) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return err
	}
	if st.Type != fuseMagic {
		return fmt.Errorf("%s is not a zfs-fuse mount (file system type %#x)", path, st.Type)
	}
	flags := uintptr(st.Flags)&keptFlags | syscall.MS_REMOUNT | syscall.MS_BIND
	if ro {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("", path, "", flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", path, err)
	}
	return nil
}
