// Package packaging has no code, only tests. They check that the three ways
// iocage reaches a FreeBSD host agree: the Makefile's install target, the
// FreeBSD port in ports/sysutils/iocage (its Makefile, pkg-plist, pkg-descr
// and files/iocage.in) and the rc.d script template etc/rc.d/iocage.in. A
// file that `make install` installs and the pkg-plist does not list fails,
// as does the reverse, a port rc.d script that is not the template, and an
// rc.d script that calls iocage anywhere but under the PREFIX it was
// installed for.
package packaging
