package sandbox

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// bindMount binds src on dst unless something is mounted there already.
func bindMount(src, dst string, readonly, recursive bool) error {
	if mounted(dst) {
		return nil
	}
	flags := uintptr(syscall.MS_BIND)
	if recursive {
		flags |= syscall.MS_REC
	}
	if err := syscall.Mount(src, dst, "", flags, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, dst, err)
	}
	// Keep the sandbox's mounts out of the machine's own tree and back.
	_ = syscall.Mount("", dst, "", syscall.MS_PRIVATE|syscall.MS_REC, "")
	if readonly {
		if err := syscall.Mount("", dst, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", dst, err)
		}
	}
	return nil
}

// unmountBelow unmounts every non-ZFS mount at or below p (ZFS mounts too
// when all is set), deepest first.
func unmountBelow(p string, all bool) error {
	ms, err := Mounts(p)
	if err != nil {
		return err
	}
	zfsMounts := map[string]bool{}
	if !all {
		zfsMounts = fuseMounts()
	}
	var errs []error
	for _, m := range ms {
		if zfsMounts[m] {
			continue
		}
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// detach unmounts p lazily: a mount that programs still use goes when they
// are done with it.
func detach(p string) error { return syscall.Unmount(p, syscall.MNT_DETACH) }

// unmountStale detaches the mounts at or below p whose file system is
// gone (stat fails with ENOTCONN): those a zfs-fuse daemon that died left
// behind. A new daemon does not take them over, and nothing can be made
// under them until they are gone. Shallowest first: below a dead mount no
// path resolves, and detaching it takes the mounts under it along.
func unmountStale(p string) error {
	ms, err := Mounts(p)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if _, err := os.Stat(m); !errors.Is(err, syscall.ENOTCONN) {
			continue
		}
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.ENOTCONN) && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount stale %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}
