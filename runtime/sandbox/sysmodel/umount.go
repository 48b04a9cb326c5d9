package sysmodel

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

const umountUsage = `usage: umount [-fnv] [-t fstypelist] special ... | node ... | fsid ...
       umount -a | -A [-F fstab] [-fnv] [-h host] [-t type]
`

// knownVFS are the file system types the modelled kernel knows; umount -a
// skips fstab lines of other types, as getvfsbyname(3) fails for them.
var knownVFS = map[string]bool{
	"ufs": true, "zfs": true, "devfs": true, "nullfs": true, "tmpfs": true, "procfs": true, "fdescfs": true,
	"cd9660": true, "msdosfs": true, "nfs": true,
}

// umounter holds no state lock between unmounts: a ZFS unmount runs the
// zfs model, which takes the lock itself.
type umounter struct {
	e       *model.Env
	tab     []tabEntry
	force   bool
	verbose bool
	types   string
}

func runUmount(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "AaF:fh:nt:v")
	if !ok {
		fmt.Fprint(e.Stderr, umountUsage)
		return 1
	}
	u := &umounter{e: e}
	all := 0
	fstab := "/etc/fstab"
	nonbusy, haveT := false, false
	for _, o := range opts {
		switch o.Flag {
		case 'A', 'h':
			all = 2
		case 'a':
			all = 1
		case 'F':
			fstab = o.Arg
		case 'f':
			u.force = true
		case 'n':
			nonbusy = true
		case 't':
			if haveT {
				return e.Errorf("only one -t option may be specified")
			}
			haveT, u.types = true, o.Arg
		case 'v':
			u.verbose = true
		}
	}
	if u.force && nonbusy {
		return e.Errorf("-f and -n are mutually exclusive")
	}
	if (len(args) == 0 && all == 0) || (len(args) != 0 && all != 0) {
		fmt.Fprint(e.Stderr, umountUsage)
		return 1
	}
	if err := u.refresh(); err != nil {
		return e.Errorf("%v", err)
	}
	code := 0
	switch all {
	case 2:
		// Everything but the root and /dev, latest first.
		tab := u.tab
		for i := len(tab) - 1; i >= 0; i-- {
			t := tab[i]
			if t.Point == "/" || t.Point == "/dev" || !vfsSelected(u.types, t.FSType) {
				continue
			}
			if u.umountEntry(t) != 0 {
				code = 1
			}
		}
	case 1:
		ents, err := readFstab(e, fstab)
		if err != nil {
			return e.Errorf("%s: %s", fstab, strerror(err))
		}
		for i := len(ents) - 1; i >= 0; i-- {
			fe := ents[i]
			if fe.File == "/" || (fe.Type != "rw" && fe.Type != "ro" && fe.Type != "rq") ||
				!knownVFS[fe.VFSType] || !vfsSelected(u.types, fe.VFSType) {
				continue
			}
			if u.checkname(fe.File) != 0 {
				code = 1
			}
		}
	default:
		for _, a := range args {
			if u.checkname(a) != 0 {
				code = 1
			}
		}
	}
	return code
}

// refresh rereads the mount table.
func (u *umounter) refresh() error {
	return u.e.SB.Store.View(func(tx *model.Tx) error {
		recs, err := loadMounts(tx)
		if err != nil {
			return err
		}
		u.tab, _, err = mountTable(u.e.SB, recs)
		return err
	})
}

// lookup finds the latest table entry mounted on, or from, name.
func (u *umounter) lookup(name string) (tabEntry, bool) {
	for _, match := range []func(t tabEntry) bool{
		func(t tabEntry) bool { return t.Point == name },
		func(t tabEntry) bool { return t.Device == name },
	} {
		for i := len(u.tab) - 1; i >= 0; i-- {
			if match(u.tab[i]) {
				return u.tab[i], true
			}
		}
	}
	return tabEntry{}, false
}

// checkname is umount(8)'s: find the file system by name, falling back to
// what statfs(2) would say of the path.
func (u *umounter) checkname(name string) int {
	e := u.e
	t, ok := u.lookup(name)
	if !ok {
		trimmed := strings.TrimRight(name, "/")
		if trimmed == "" {
			trimmed = "/"
		}
		name = trimmed
		t, ok = u.lookup(name)
	}
	if !ok {
		p, err := realpath(e.SB, absHost(e, name))
		if err != nil {
			e.Errorf("%s: statfs: %s", name, strerror(err))
			return e.Errorf("%s: unknown file system", name)
		}
		fi, err := os.Stat(e.SB.Path(p))
		if err != nil {
			e.Errorf("%s: stat: %s", name, strerror(err))
			return e.Errorf("%s: unknown file system", name)
		}
		if !fi.IsDir() {
			return e.Errorf("%s: unknown file system", name)
		}
		if t, ok = u.lookup(p); !ok {
			return e.Errorf("%s: not a file system root directory", name)
		}
	}
	if !vfsSelected(u.types, t.FSType) {
		return 1
	}
	return u.umountEntry(t)
}

// umountEntry unmounts one table entry and takes it out of the table.
func (u *umounter) umountEntry(t tabEntry) int {
	e := u.e
	switch t.kind {
	case kindSandbox:
		return e.Errorf("unmount of %s failed: %s", t.Point, errnoText[syscall.EBUSY])
	case kindZFS:
		// ZFS file systems belong to zfs-fuse; its model unmounts them so
		// that ZFS's own view stays right.
		args := []string{"unmount"}
		if u.force {
			args = append(args, "-f")
		}
		var errb bytes.Buffer
		code, err := e.SB.Exec(e.Ctx, &runtime.Cmd{Path: runtime.ZFS, Args: append(args, t.Point),
			Stdin: strings.NewReader(""), Stdout: &errb, Stderr: &errb})
		if err != nil || code != 0 {
			return e.Errorf("unmount of %s failed: %s", t.Point, strings.TrimSpace(errb.String()))
		}
	case kindOurs:
		var uerr error
		err := e.SB.Store.Update(func(tx *model.Tx) error {
			recs, err := loadMounts(tx)
			if err != nil {
				return err
			}
			if _, recs, err = mountTable(e.SB, recs); err != nil {
				return err
			}
			for i := len(recs) - 1; i >= 0; i-- {
				r := recs[i]
				if r.Point != t.Point || r.Device != t.Device || r.FSType != t.FSType {
					continue
				}
				if err := unmountRec(e.SB, r, u.force); err != nil && !isGone(err) {
					uerr = err
					break
				}
				recs = append(recs[:i:i], recs[i+1:]...)
				break
			}
			return tx.Put(secMounts, recs)
		})
		if err != nil {
			return e.Errorf("%v", err)
		}
		if uerr != nil {
			return e.Errorf("unmount of %s failed: %s", t.Point, strerror(uerr))
		}
	}
	if u.verbose {
		fmt.Fprintf(e.Stdout, "%s: unmount from %s\n", t.Device, t.Point)
	}
	if err := u.refresh(); err != nil {
		return e.Errorf("%v", err)
	}
	return 0
}
