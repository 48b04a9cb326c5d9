package sysmodel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const mountUsage = `usage: mount [-adflpruvw] [-F fstab] [-o options] [-t ufs | external_type]
       mount [-dfpruvw] special | node
       mount [-dfpruvw] [-o options] [-t ufs | external_type] special node
`

// externalMountProgs are the types mount(8) hands to a mount_TYPE program;
// the sandbox has none of them except mount_nullfs, which it models.
var externalMountProgs = map[string]bool{
	"cd9660": true, "mfs": true, "msdosfs": true, "nfs": true, "nfs4": true, "ntfs": true,
	"nwfs": true, "portalfs": true, "smbfs": true, "udf": true, "unionfs": true,
}

// fsOptions are the file-system specific options each modelled type
// accepts; anything else is refused as FreeBSD's nmount(2) refuses it.
var fsOptions = map[string][]string{
	"nullfs":  {"cache", "nocache"},
	"devfs":   {"ruleset"},
	"tmpfs":   {"size", "mode", "uid", "gid", "inodes", "maxfilesize", "nonc", "nomtime", "easize", "pgread"},
	"fdescfs": {"linrdlnk", "nodup"},
	"procfs":  {},
}

// mountReq is one mount to make.
type mountReq struct {
	vfstype, spec, node string
	opts                string // merged option string
	verbose, debug      bool
}

func runMount(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "adF:flo:prt:uvw")
	if !ok {
		fmt.Fprint(e.Stderr, mountUsage)
		return 1
	}
	var (
		all, debug, fstabStyle, verbose, update bool
		options                                 []string
		vfslist                                 string
		haveT                                   bool
		fstab                                   = "/etc/fstab"
	)
	vfstype := "ufs"
	for _, o := range opts {
		switch o.Flag {
		case 'a':
			all = true
		case 'd':
			debug = true
		case 'F':
			fstab = o.Arg
		case 'f', 'l':
		case 'o':
			if o.Arg != "" {
				options = append(options, o.Arg)
			}
		case 'p':
			fstabStyle, verbose = true, true
		case 'r':
			options = append(options, "ro")
		case 't':
			if haveT {
				return e.Errorf("only one -t option may be specified")
			}
			haveT, vfslist, vfstype = true, o.Arg, o.Arg
		case 'u':
			update = true
		case 'v':
			verbose = true
		case 'w':
			options = append(options, "noro")
		}
	}
	optstr := strings.Join(options, ",")
	if update {
		// Remounting changes flags of a live mount; nothing iocage sends
		// needs it, so the sandbox refuses rather than pretends.
		return e.Errorf("%s: %s", strings.Join(args, " "), errnoText[syscall.EOPNOTSUPP])
	}
	code := 0
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		recs, err := loadMounts(tx)
		if err != nil {
			return err
		}
		tab, recs, err := mountTable(e.SB, recs)
		if err != nil {
			return err
		}
		switch len(args) {
		case 0:
			if all {
				ents, err := readFstab(e, fstab)
				if err != nil {
					fmt.Fprintf(e.Stderr, "fstab: %s:0: %s\n", fstab, strerror(err))
					break
				}
				for _, fe := range ents {
					if fe.Type != "rw" && fe.Type != "ro" && fe.Type != "rq" {
						continue
					}
					if !vfsSelected(vfslist, fe.VFSType) || hasOpt(fe.MntOps, "noauto") || hasOpt(fe.MntOps, "late") {
						continue
					}
					if isMounted(e, tab, fe.File) {
						continue
					}
					req := mountReq{vfstype: fe.VFSType, spec: fe.Spec, node: fe.File, opts: catopt(fe.MntOps, optstr), verbose: verbose, debug: debug}
					if mountOne(e, tx, &recs, req) != 0 {
						code = 1
					}
					tab, recs, err = mountTable(e.SB, recs)
					if err != nil {
						return err
					}
				}
				break
			}
			for _, t := range tab {
				if !vfsSelected(vfslist, t.FSType) {
					continue
				}
				if fstabStyle {
					fmt.Fprintln(e.Stdout, t.fstabLine())
				} else {
					fmt.Fprintln(e.Stdout, t.describe())
				}
			}
		case 1:
			if haveT {
				fmt.Fprint(e.Stderr, mountUsage)
				code = 1
				break
			}
			ents, _ := readFstab(e, fstab)
			var found *fstabEnt
			for i := range ents {
				if ents[i].File == args[0] {
					found = &ents[i]
					break
				}
			}
			if found == nil {
				for i := range ents {
					if ents[i].Spec == args[0] {
						found = &ents[i]
						break
					}
				}
			}
			if found == nil {
				code = e.Errorf("%s: unknown special file or file system", args[0])
				break
			}
			code = mountOne(e, tx, &recs, mountReq{vfstype: found.VFSType, spec: found.Spec, node: found.File,
				opts: catopt(found.MntOps, optstr), verbose: verbose, debug: debug})
		case 2:
			code = mountOne(e, tx, &recs, mountReq{vfstype: vfstype, spec: args[0], node: args[1], opts: optstr, verbose: verbose, debug: debug})
		default:
			fmt.Fprint(e.Stderr, mountUsage)
			code = 1
		}
		return tx.Put(secMounts, recs)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return code
}

// vfsSelected applies a -t list ("nullfs,tmpfs" or "nonullfs,tmpfs") as
// checkvfsname(3) does.
func vfsSelected(list, fstype string) bool {
	if list == "" {
		return true
	}
	skip := strings.HasPrefix(list, "no")
	if skip {
		list = list[2:]
	}
	for _, t := range strings.Split(list, ",") {
		if t == fstype {
			return !skip
		}
	}
	return skip
}

// hasOpt reports whether the option list turns option on, as mount(8)'s
// hasopt: a later "nofoo" cancels "foo".
func hasOpt(list, option string) bool {
	found := false
	for _, o := range strings.Split(list, ",") {
		if strings.HasPrefix(o, "no") && strings.EqualFold(o[2:], option) {
			found = false
		} else if strings.EqualFold(o, option) {
			found = true
		}
	}
	return found
}

func catopt(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "," + b
}

// isMounted is mount -a's check that an fstab entry's mount point already
// has a file system.
func isMounted(e *model.Env, tab []tabEntry, file string) bool {
	p, err := realpath(e.SB, absHost(e, file))
	if err != nil {
		p = file
	}
	for _, t := range tab {
		if t.Point == p {
			return true
		}
	}
	return false
}

// parsedOpts is an option string split the way nmount(2) sees it.
type parsedOpts struct {
	ro    bool
	flags []string // noatime, noexec, nosuid
	fs    []string // file-system specific, key[=value]
}

func parseOpts(s string) parsedOpts {
	var p parsedOpts
	set := func(f string, on bool) {
		var keep []string
		for _, x := range p.flags {
			if x != f {
				keep = append(keep, x)
			}
		}
		if on {
			keep = append(keep, f)
		}
		p.flags = keep
	}
	for _, o := range strings.Split(s, ",") {
		switch {
		case o == "":
		case o == "ro" || o == "rdonly":
			p.ro = true
		case o == "rw" || o == "noro":
			p.ro = false
		case o == "noexec" || o == "nosuid" || o == "noatime":
			set(o, true)
		case o == "exec" || o == "suid" || o == "atime":
			set("no"+o, false)
		case o == "noauto" || o == "late" || o == "failok" || o == "update" || o == "force" ||
			o == "userquota" || o == "groupquota" || strings.HasPrefix(o, "userquota=") || strings.HasPrefix(o, "groupquota="):
			// mount(8) consumes these itself.
		case o == "async" || o == "sync" || o == "noasync" || o == "nosync" || o == "noclusterr" || o == "noclusterw" ||
			o == "nosymfollow" || o == "multilabel" || o == "acls" || o == "nfsv4acls" || o == "union" || o == "suiddir":
			// Generic flags every file system takes; Linux has no
			// equivalent worth modelling.
		default:
			p.fs = append(p.fs, o)
		}
	}
	return p
}

// mountOne is mountfs(): resolve the mount point, check the options, make
// the Linux mount and record it.
func mountOne(e *model.Env, tx *model.Tx, recs *[]mountRec, r mountReq) int {
	mp, err := realpath(e.SB, absHost(e, r.node))
	if err != nil {
		return e.Errorf("%s: %s", mp, strerror(err))
	}
	mfi, err := os.Stat(e.SB.Path(mp))
	if err != nil {
		return e.Errorf("%s: %s", mp, strerror(err))
	}
	if !mfi.IsDir() && r.vfstype != "nullfs" {
		return e.Errorf("%s: %s", mp, errnoText[syscall.ENOTDIR])
	}
	if r.vfstype == "msdos" {
		fmt.Fprintln(e.Stderr, `mount: Using "-t msdosfs", since "-t msdos" is deprecated.`)
		r.vfstype = "msdosfs"
	}
	po := parseOpts(r.opts)
	if r.debug {
		o := ""
		for _, x := range strings.Split(r.opts, ",") {
			if x != "" && x != "noauto" && x != "late" {
				o += " -o " + x
			}
		}
		if externalMountProgs[r.vfstype] || r.vfstype == "nullfs" {
			fmt.Fprintf(e.Stdout, "exec: mount_%s%s %s %s\n", r.vfstype, o, r.spec, mp)
		} else {
			fmt.Fprintf(e.Stdout, "mount -t %s%s %s %s\n", r.vfstype, o, r.spec, mp)
		}
		return 0
	}
	if externalMountProgs[r.vfstype] {
		return e.Errorf("exec mount_%s not found in /sbin:/usr/sbin: %s", r.vfstype, errnoText[syscall.ENOENT])
	}
	allowed, known := fsOptions[r.vfstype]
	if !known {
		return e.Errorf("%s: %s", r.spec, errnoText[syscall.ENODEV])
	}
	// mount_nullfs is a program of its own and says so in its errors.
	fail := e.Errorf
	if r.vfstype == "nullfs" {
		fail = func(format string, a ...any) int {
			fmt.Fprintf(e.Stderr, "mount_nullfs: %s\n", fmt.Sprintf(format, a...))
			return 1
		}
	}
	for _, o := range po.fs {
		k, _, _ := strings.Cut(o, "=")
		if !has(allowed, k) {
			return fail("%s: mount option <%s> is unknown: %s", r.spec, k, errnoText[syscall.EINVAL])
		}
	}
	// Pseudo file systems name themselves in the mount table whatever
	// special was given (jail(8) passes ".").
	dev := r.spec
	if r.vfstype != "nullfs" {
		dev = r.vfstype
	}
	rec := mountRec{Device: dev, Point: mp, FSType: r.vfstype, ReadOnly: po.ro, Flags: po.flags, FSOpts: po.fs}
	local := e.SB.Path(mp)
	switch r.vfstype {
	case "nullfs":
		src, err := realpath(e.SB, absHost(e, r.spec))
		if err != nil {
			fmt.Fprintf(e.Stderr, "mount_nullfs: %s: %s\n", src, strerror(err))
			return 64
		}
		sfi, err := os.Stat(e.SB.Path(src))
		if err != nil {
			fmt.Fprintf(e.Stderr, "mount_nullfs: %s: %s\n", src, strerror(err))
			return 64
		}
		if sfi.IsDir() != mfi.IsDir() {
			bad := mp
			if !sfi.IsDir() {
				bad = src
			}
			fmt.Fprintf(e.Stderr, "mount_nullfs: %s: %s\n", bad, errnoText[syscall.ENOTDIR])
			return 64
		}
		rec.Device = src
		if err := bindMount(e.SB.Path(src), local, po.ro, po.flags); err != nil {
			return fail("%s: %s", src, strerror(err))
		}
	case "tmpfs":
		data, err := tmpfsData(po.fs)
		if err != nil {
			return e.Errorf("%s: %s", r.spec, err)
		}
		if err := fsMount("tmpfs", "tmpfs", local, po.ro, po.flags, data); err != nil {
			return e.Errorf("%s: %s", r.spec, strerror(err))
		}
	case "procfs":
		if err := fsMount("proc", "proc", local, po.ro, po.flags, ""); err != nil {
			return e.Errorf("%s: %s", r.spec, strerror(err))
		}
	case "fdescfs":
		if err := fdescMount(local, po.ro, po.flags); err != nil {
			return e.Errorf("%s: %s", r.spec, strerror(err))
		}
	case "devfs":
		for _, o := range po.fs {
			if v, ok := strings.CutPrefix(o, "ruleset="); ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					return e.Errorf("%s: %s", r.spec, errnoText[syscall.EINVAL])
				}
				if n < 0 || n > 65535 {
					return e.Errorf("%s: rulesetnum %d out of range: %s", r.spec, n, errnoText[syscall.EINVAL])
				}
				rec.Ruleset = n
			}
		}
		if err := devfsMount(local, po.ro, po.flags); err != nil {
			return e.Errorf("%s: %s", r.spec, strerror(err))
		}
		if err := devfsMountApply(e, tx, &rec); err != nil {
			_ = unmountRec(e.SB, rec, true)
			return e.Errorf("%s: %s", r.spec, strerror(err))
		}
	}
	*recs = append(*recs, rec)
	if r.verbose {
		t := tabEntry{Device: rec.Device, Point: rec.Point, FSType: rec.FSType, RO: rec.ReadOnly, Flags: rec.Flags}
		fmt.Fprintln(e.Stdout, t.describe())
	}
	return 0
}

// tmpfsData turns FreeBSD tmpfs options into Linux's.
func tmpfsData(opts []string) (string, error) {
	var data []string
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "size", "maxfilesize":
			n, err := expandNumber(v)
			if err != nil {
				return "", fmt.Errorf("%s", errnoText[syscall.EINVAL])
			}
			if k == "size" && n > 0 {
				data = append(data, fmt.Sprintf("size=%d", n))
			}
		case "mode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				return "", fmt.Errorf("%s", errnoText[syscall.EINVAL])
			}
			data = append(data, fmt.Sprintf("mode=%o", m&0o7777))
		case "uid", "gid":
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return "", fmt.Errorf("%s", errnoText[syscall.EINVAL])
			}
			data = append(data, k+"="+v)
		case "inodes":
			n, err := expandNumber(v)
			if err != nil {
				return "", fmt.Errorf("%s", errnoText[syscall.EINVAL])
			}
			data = append(data, fmt.Sprintf("nr_inodes=%d", n))
		}
	}
	return strings.Join(data, ","), nil
}

// expandNumber is expand_number(3): digits with an optional k/m/g/t/p/e
// suffix (powers of 1024).
func expandNumber(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	shift := 0
	switch s[len(s)-1] {
	case 'k', 'K':
		shift = 10
	case 'm', 'M':
		shift = 20
	case 'g', 'G':
		shift = 30
	case 't', 'T':
		shift = 40
	case 'p', 'P':
		shift = 50
	case 'e', 'E':
		shift = 60
	}
	digits := s
	if shift > 0 {
		digits = s[:len(s)-1]
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || digits == "" || digits[0] == '+' {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	if shift > 0 && n > (^uint64(0))>>shift {
		return 0, fmt.Errorf("number %q out of range", s)
	}
	return n << shift, nil
}

// unmountRec undoes a recorded mount on Linux, helper mounts first.
func unmountRec(sb *model.Sandbox, r mountRec, force bool) error {
	for i := len(r.Sub) - 1; i >= 0; i-- {
		if p := sb.Path(r.Sub[i]); isMountpoint(p) {
			if err := unmount(p, force); err != nil {
				return err
			}
		}
	}
	return unmount(sb.Path(r.Point), force)
}

// Teardown undoes every mount the models recorded, deepest first, and
// forgets them. The lead wires it to sandbox.OnTeardown so a reset
// sandbox holds no mount of a previous test.
func Teardown(sb *model.Sandbox) error {
	var errs []string
	err := sb.Store.Update(func(tx *model.Tx) error {
		recs, err := loadMounts(tx)
		if err != nil {
			return err
		}
		for _, i := range depthOrder(recs) {
			if err := unmountRec(sb, recs[i], true); err != nil && !isGone(err) {
				errs = append(errs, fmt.Sprintf("%s: %v", recs[i].Point, err))
			}
		}
		// Forget them even when one would not go: a later reset retries
		// the Linux side through the sandbox's own sweep.
		return tx.Put(secMounts, []mountRec{})
	})
	if err != nil {
		return fmt.Errorf("sysmodel teardown: %w", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("sysmodel teardown: unmount %s", strings.Join(errs, "; "))
	}
	return nil
}

// isGone reports an unmount of something no longer mounted.
func isGone(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, fs.ErrNotExist)
}
