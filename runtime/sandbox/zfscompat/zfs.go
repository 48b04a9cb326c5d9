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
	receive [-vMnsuF] [-o <property>=<value>] ... [-x <property>] ...
	    <filesystem|volume|snapshot>
	receive [-vMnsuF] [-o <property>=<value>] ... [-x <property>] ...
	    [-d | -e] <filesystem>
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
func flagArgs(opts []opt, keep string) []string {
	var out []string
	for _, o := range opts {
		if !strings.ContainsRune(keep, rune(o.flag)) {
			continue
		}
		out = append(out, "-"+string(o.flag))
		if o.arg != "" {
			out = append(out, o.arg)
		}
	}
	return out
}

func has(opts []opt, flag byte) bool {
	for _, o := range opts {
		if o.flag == flag {
			return true
		}
	}
	return false
}

// zfsFlagsThrough handles commands whose OpenZFS and zfs-fuse forms agree
// but for flags: spec are the OpenZFS flags, keep those zfs-fuse has.
func zfsFlagsThrough(e *model.Env, cmd string, args []string, spec, keep string, operands int) int {
	opts, rest, bad, unknown := getopt(args, spec)
	if bad != 0 {
		return usageError(e, zfsUsage, bad, unknown)
	}
	if len(rest) != operands {
		return argCount(e, len(rest) < operands)
	}
	if rc := checkOurs(e, rest...); rc != 0 {
		return rc
	}
	return fuse(e, append(append([]string{cmd}, flagArgs(opts, keep)...), rest...)...)
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
	opts, rest, bad, unknown := getopt(args, "fpruo:")
	if bad != 0 {
		return usageError(e, zfsUsage, bad, unknown)
	}
	if len(rest) != 2 {
		return argCount(e, len(rest) < 2)
	}
	if rc := checkOurs(e, rest...); rc != 0 {
		return rc
	}
	// -f (force unmount) and -u (keep mounted) have no zfs-fuse form; a
	// rename there remounts as OpenZFS does without -u.
	return fuse(e, append(append([]string{"rename"}, flagArgs(opts, "pr")...), rest...)...)
}

func zfsUpgrade(e *model.Env, args []string) int {
	opts, rest, bad, unknown := getopt(args, "arvV:")
	if bad != 0 {
		return usageError(e, zfsUsage, bad, unknown)
	}
	if has(opts, 'a') {
		// Only this sandbox's pools: -a would reach every pool of the
		// shared zfs-fuse daemon.
		rest = append(rest, e.SB.Pools...)
		opts = append(opts, opt{'r', ""})
	}
	if rc := checkOurs(e, rest...); rc != 0 {
		return rc
	}
	return fuse(e, append(append([]string{"upgrade"}, flagArgs(opts, "rvV")...), rest...)...)
}
