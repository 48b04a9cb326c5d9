package zfscompat

import (
	"fmt"
	"io"
	"strings"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

func init() {
	model.Register(runtime.ZFS, zfsMain)
	model.Register(runtime.Zpool, zpoolMain)
	model.OnJailRemoved(releaseJail)
}

// Version is what `zfs version` prints: the OpenZFS of FreeBSD 14.3.
const Version = "zfs-2.2.7-FreeBSD_ge269af1b3\nzfs-kmod-2.2.7-FreeBSD_ge269af1b3\n"

const zfsUsage = `usage: zfs command args ...
where 'command' is one of the following:

	version
	create [-Pnpuv] [-o property=value] ... <filesystem>
	destroy [-fnpRrv] <filesystem|volume>
	destroy [-dnpRrv] <filesystem|volume>@<snap>[%<snap>][,...]
	snapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...
	rollback [-rRf] <snapshot>
	clone [-p] [-o property=value] ... <snapshot> <filesystem|volume>
	promote <clone-filesystem>
	rename [-f] <filesystem|volume|snapshot> <filesystem|volume|snapshot>
	rename -p [-f] <filesystem|volume> <filesystem|volume>
	rename -r <snapshot> <snapshot>
	list [-Hp] [-r|-d max] [-o property[,...]] [-s property]...
	    [-S property]... [-t type[,...]] [filesystem|volume|snapshot] ...
	set <property=value> ... <filesystem|volume|snapshot> ...
	get [-rHp] [-d max] [-o "all" | field[,...]]
	    [-t type[,...]] [-s source[,...]]
	    <"all" | property[,...]> [filesystem|volume|snapshot|bookmark] ...
	inherit [-rS] <property> <filesystem|volume|snapshot> ...
	upgrade [-v]
	upgrade [-r] [-V version] <-a | filesystem ...>
	mount
	mount [-flvO] [-o opts] <-a|filesystem>
	unmount [-fu] <-a | filesystem|mountpoint>
	send [-DLPbcehnpsVvw] [-i|-I snapshot] [-R [-X dataset[,dataset]...]] <snapshot>
	send [-PnVv] -t <receive_resume_token>
	receive [-vMnsuF] [-o <property>=<value>] ... [-x <property>] ...
	    <filesystem|volume|snapshot>
	receive [-vMnsuF] [-o <property>=<value>] ... [-x <property>] ...
	    [-d | -e] <filesystem>
	receive -A <filesystem|volume>
	jail <jailid|jailname> <filesystem>
	unjail <jailid|jailname> <filesystem>
`

// zfsMain is /sbin/zfs.
func zfsMain(e *model.Env) int {
	if len(e.Args) == 0 {
		fmt.Fprintln(e.Stderr, "missing command")
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	}
	cmd, args := e.Args[0], e.Args[1:]
	switch cmd {
	case "list":
		return zfsList(e, args)
	case "get":
		return zfsGet(e, args)
	case "set":
		return zfsSet(e, args)
	case "inherit":
		return zfsInherit(e, args)
	case "create":
		return zfsCreate(e, args)
	case "clone":
		return zfsClone(e, args)
	case "snapshot", "snap":
		return zfsSnapshot(e, args)
	case "destroy":
		return zfsDestroy(e, args)
	case "rollback":
		return zfsFlagsThrough(e, "rollback", args, "rRf", "rRf", 1)
	case "promote":
		return zfsFlagsThrough(e, "promote", args, "", "", 1)
	case "rename":
		return zfsRename(e, args)
	case "send":
		return zfsSend(e, args)
	case "receive", "recv":
		return zfsReceive(e, args)
	case "mount":
		return zfsMount(e, args)
	case "unmount", "umount":
		return zfsUnmount(e, args)
	case "jail":
		return zfsJail(e, args, true)
	case "unjail":
		return zfsJail(e, args, false)
	case "upgrade":
		return zfsUpgrade(e, args)
	case "version":
		fmt.Fprint(e.Stdout, Version)
		return 0
	case "-?", "help":
		fmt.Fprint(e.Stdout, zfsUsage)
		return 0
	}
	return passThrough(e, fuseZFS, e.Args)
}

// passThrough runs a command zfs-fuse understands as OpenZFS does, refusing
// datasets of pools that are not this sandbox's.
func passThrough(e *model.Env, prog string, args []string) int {
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") || strings.Contains(a, "=") || !strings.ContainsAny(a, "/@") {
			continue
		}
		if !ours(e.SB, a) {
			return noDataset(e, a)
		}
	}
	return fuse(e, args...)
}

// fuse runs zfs-fuse's zfs with the model's stdio, translating local paths
// in what it prints.
func fuse(e *model.Env, args ...string) int {
	r := run(e.Ctx, fuseZFS, args...)
	io.WriteString(e.Stdout, unroot(e.SB, r.stdout))
	io.WriteString(e.Stderr, unroot(e.SB, r.stderr))
	return r.code
}

func noDataset(e *model.Env, name string) int {
	fmt.Fprintf(e.Stderr, "cannot open '%s': dataset does not exist\n", name)
	return 1
}

// checkOurs reports the first name outside the sandbox's pools.
func checkOurs(e *model.Env, names ...string) int {
	for _, n := range names {
		if !ours(e.SB, n) {
			return noDataset(e, n)
		}
	}
	return 0
}

// flagArgs turns parsed options back into zfs-fuse arguments, keeping the
// flags in keep and dropping the others (OpenZFS flags with no zfs-fuse
// counterpart whose effect the sandbox does not need).
func flagArgs(opts []model.Option, keep string) []string {
	var out []string
	for _, o := range opts {
		if !strings.ContainsRune(keep, rune(o.Flag)) {
			continue
		}
		out = append(out, "-"+string(o.Flag))
		if o.Arg != "" {
			out = append(out, o.Arg)
		}
	}
	return out
}

func has(opts []model.Option, flag byte) bool {
	for _, o := range opts {
		if o.Flag == flag {
			return true
		}
	}
	return false
}

// zfsFlagsThrough handles commands whose OpenZFS and zfs-fuse forms agree
// but for flags: spec are the OpenZFS flags, keep those zfs-fuse has.
func zfsFlagsThrough(e *model.Env, cmd string, args []string, spec, keep string, operands int) int {
	opts, rest, rc := command(e, args, spec, operands)
	if rc != 0 {
		return rc
	}
	return fuse(e, append(append([]string{cmd}, flagArgs(opts, keep)...), rest...)...)
}

// command parses a zfs subcommand that takes exactly n datasets, all in
// this sandbox's pools: options as options does, then zfs's "missing
// argument(s)" or "too many arguments" with the usage (rc 2), then
// "dataset does not exist" for a name in another pool (rc 1).
func command(e *model.Env, args []string, spec string, n int) (opts []model.Option, rest []string, rc int) {
	opts, rest, rc = options(e, args, spec, zfsUsage)
	if rc != 0 {
		return nil, nil, rc
	}
	if len(rest) != n {
		return nil, nil, argCount(e, len(rest) < n)
	}
	if rc := checkOurs(e, rest...); rc != 0 {
		return nil, nil, rc
	}
	return opts, rest, 0
}

func argCount(e *model.Env, missing bool) int {
	if missing {
		fmt.Fprintln(e.Stderr, "missing argument(s)")
	} else {
		fmt.Fprintln(e.Stderr, "too many arguments")
	}
	fmt.Fprint(e.Stderr, zfsUsage)
	return 2
}

func zfsRename(e *model.Env, args []string) int {
	opts, rest, rc := command(e, args, "fpruo:", 2)
	if rc != 0 {
		return rc
	}
	// OpenZFS's zfs_do_rename refuses these pairs after counting the
	// operands, with its usage (exit 2).
	for _, pair := range [][2]byte{{'u', 'p'}, {'p', 'r'}} {
		if has(opts, pair[0]) && has(opts, pair[1]) {
			fmt.Fprintf(e.Stderr, "-%c and -%c options are mutually exclusive\n", pair[0], pair[1])
			fmt.Fprint(e.Stderr, zfsUsage)
			return 2
		}
	}
	argv := append(append([]string{"rename"}, flagArgs(opts, "pr")...), rest...)
	if strings.Contains(rest[0], "@") {
		return fuse(e, argv...) // a snapshot: nothing is mounted
	}
	// zfs-fuse refuses to rename a mounted file system ("dataset is busy");
	// OpenZFS unmounts it and its descendants, renames, and mounts again
	// what was mounted (-f and -u have no zfs-fuse form: both behave as
	// without them).
	mounted, err := mountedTree(e, rest[0])
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	if rc := unmountTree(e, rest[0], false); rc != 0 {
		return rc
	}
	rc = fuse(e, argv...)
	top := rest[0]
	if rc == 0 {
		top = rest[1]
	}
	for _, n := range mounted {
		if r := fuse(e, "mount", top+strings.TrimPrefix(n, rest[0])); r != 0 && rc == 0 {
			rc = r
		}
	}
	return rc
}

func zfsUpgrade(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "arvV:", zfsUsage)
	if rc != 0 {
		return rc
	}
	if has(opts, 'a') {
		// Only this sandbox's pools: -a would reach every pool of the
		// shared zfs-fuse daemon.
		rest = append(rest, e.SB.Pools...)
		opts = append(opts, model.Option{Flag: 'r'})
	}
	if rc := checkOurs(e, rest...); rc != 0 {
		return rc
	}
	return fuse(e, append(append([]string{"upgrade"}, flagArgs(opts, "rvV")...), rest...)...)
}
