// Package jails models FreeBSD's jail(8), jls(8), jexec(8) and pkill(1) -j
// in the sandbox host, and owns the "jails" section of the sandbox state.
//
// A started jail is real: it is a jail init process (a sandbox helper)
// living in its own PID, UTS and IPC namespaces, chrooted into the jail's
// path, sharing the host's mounts and network. The init serves a unix socket
// in the sandbox directory; jexec and the exec.start commands of jail -c send
// it an argv with their own standard file descriptors, and the init forks the
// command inside the chroot, with a capability bounding set that cannot
// touch the Linux machine's network, mounts, clock or modules, and answers
// with the exit status. Removal signals every process of the namespace and
// then kills the init, which ends the namespace.
//
// jail(8) checks its parameters as FreeBSD's jail(8) and libjail do, with
// their messages, and runs the creation steps in FreeBSD's order (IP
// aliases, mounts, exec.prestart, create, exec.created, exec.start,
// exec.poststart), undoing what it did when a step fails. A bare jail -r, as
// FreeBSD with no jail.conf, only stops the processes and removes the jail:
// the pseudo-parameters given at creation are not remembered.
//
// Other models see the running jails through Lookup and List, and the
// sandbox stops them all through Teardown.
package jails
