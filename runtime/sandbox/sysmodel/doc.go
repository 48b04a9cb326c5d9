// Package sysmodel models the FreeBSD system programs the sandbox host lacks
// on Linux: mount(8), umount(8), devfs(8), sysctl(8), rctl(8), cpuset(1),
// uname(1), freebsd-version(1), chflags(1) and setfib(1).
//
// Each model checks its arguments as the FreeBSD 14 manual page defines
// them, prints what the FreeBSD program prints (errors included) and keeps
// the kernel state it changes in the sandbox store, in the sections
// "mounts", "devfs", "sysctl", "rctl" and "cpuset". Where Linux can do the
// real thing it is done: nullfs is a bind mount, devfs a tmpfs holding real
// device nodes filtered by the devfs ruleset, procfs is Linux proc, cpuset
// pins the jail's processes with sched_setaffinity and rctl -u reads the
// jail's processes from /proc. The FreeBSD-view mount table is kept in state
// so that `mount` lists what FreeBSD would, and Teardown undoes every mount
// a model made.
package sysmodel
