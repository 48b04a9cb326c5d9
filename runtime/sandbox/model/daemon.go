package model

import (
	"os"
	"strconv"
	"syscall"
)

// KeepNothingInherited marks every descriptor above standard error
// close-on-exec, before a daemon is started. Go opens its own files so,
// but descriptors the process inherited stay open across exec: a test run
// under flock(1) hands its lock to the test binary, and a zfs-fuse, mirror
// or jail init started from there would hold the lock for as long as it
// lives, so that the next test run waits forever.
func KeepNothingInherited() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
