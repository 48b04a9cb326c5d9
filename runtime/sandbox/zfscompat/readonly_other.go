//go:build !linux

package zfscompat

import "errors"

// remountReadonly needs Linux's bind remounts; zfs-fuse runs nowhere else.
func remountReadonly(path string, ro bool) error {
	return errors.New("read-only remounts of zfs-fuse mounts need Linux")
}
