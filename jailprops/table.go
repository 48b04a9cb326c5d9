package jailprops

// The table follows properties.md §2-§3, with the spec's defects fixed:
// identity and bookkeeping properties are read-only, reset keeps the UUID
// and the template flag, and the default tag has no "@".

// Placeholders in Property.Default expanded by Builtins.
const (
	PhUUID    = "<uuid>"
	PhTag     = "<tag>"
	PhHostID  = "<hostid>"
	PhVNET    = "<vnet>"
	PhRelease = "<release>"
	PhVersion = "<version>"
	PhFormat  = "<format>"
)

func b01(name, def, param, doc string) *Property {
	return &Property{Name: name, Type: "0/1", Default: def, Values: "0 or 1", JailParam: param, Doc: doc, check: checkEnum("0", "1")}
}

func rctl(name, def, doc string) *Property {
	return &Property{Name: name, Type: "rctl", Default: def, Values: rctlValues(name), Rctl: name, Doc: doc, check: checkRctl}
}

func str(name, def, values, param, doc string) *Property {
	return &Property{Name: name, Type: "string", Default: def, Values: values, JailParam: param, Doc: doc}
}

func count(name, def, param, doc string) *Property {
	return &Property{Name: name, Type: "integer", Default: def, Values: "an integer >= 0", JailParam: param, Doc: doc, check: checkRange(0, 1<<31-1)}
}

func init() {
	add(GroupNet,
		&Property{Name: "interfaces", Type: "list", Default: "vnet0:bridge0,vnet1:bridge1", Values: "comma list of up to 4 vnetN:BRIDGE, each vnetN once, BRIDGE an interface name of at most 15 letters, digits, _ . : -", Doc: "VNET interfaces: one epair per entry, jail side NIC, host side added to BRIDGE", check: checkInterfaces},
		&Property{Name: "vnet", Type: "on/off", Default: PhVNET, Values: "on or off", JailParam: "vnet", Doc: "VNET (own network stack) instead of shared IP addresses", check: checkEnum("on", "off")},
		&Property{Name: "host_hostname", Type: "hostname", Default: PhUUID, Values: "a host name", JailParam: "host.hostname", Doc: "the jail's host name", check: checkHostname},
		&Property{Name: "ip4_addr", Type: "ip list", Default: "none", Values: "none or comma list of [IFACE|]ADDR[/MASK]", JailParam: "ip4.addr", Doc: "IPv4 addresses", check: checkIP4List},
		&Property{Name: "ip4_autostart", Type: "integer", Default: "none", Values: "none or 1-255", Doc: "first host number AUTOIP4 tries (read from the defaults only)", check: checkNoneOr(checkRange(1, 255))},
		&Property{Name: "ip4_autoend", Type: "integer", Default: "none", Values: "none or 1-255", Doc: "last host number AUTOIP4 tries (read from the defaults only)", check: checkNoneOr(checkRange(1, 255))},
		&Property{Name: "ip4_autosubnet", Type: "integer", Default: "24", Values: "1-32", Doc: "prefix length of AUTOIP4 addresses (read from the defaults only)", check: checkRange(1, 32)},
		b01("ip4_saddrsel", "1", "ip4.saddrsel", "source address selection (shared IP)"),
		&Property{Name: "ip4", Type: "enum", Default: "new", Values: "new, disable or inherit", JailParam: "ip4", Doc: "IPv4 visibility (shared IP)", check: checkEnum("new", "disable", "inherit")},
		&Property{Name: "ip6_addr", Type: "ip list", Default: "none", Values: "none or comma list of [IFACE|]ADDR[/PREFIX]", JailParam: "ip6.addr", Doc: "IPv6 addresses", check: checkIP6List},
		b01("ip6_saddrsel", "1", "ip6.saddrsel", "source address selection (shared IP)"),
		&Property{Name: "ip6", Type: "enum", Default: "new", Values: "new, disable or inherit", JailParam: "ip6", Doc: "IPv6 visibility (shared IP)", check: checkEnum("new", "disable", "inherit")},
		&Property{Name: "defaultrouter", Type: "ipv4", Default: "none", Values: "none or a unicast IPv4 address, not loopback", Doc: "VNET default route", check: checkRouter4},
		&Property{Name: "defaultrouter6", Type: "ipv6", Default: "none", Values: "none or a unicast IPv6 address, not loopback (link-local with %interface, e.g. fe80::1%vnet0)", Doc: "VNET IPv6 default route", check: checkRouter6},
		&Property{Name: "resolver", Type: "string", Default: "none", Values: "none, copy, or resolv.conf lines separated by ;", Doc: "what to write to the jail's /etc/resolv.conf"},
		&Property{Name: "nat", Type: "on/off", Default: "off", Values: "on or off", Doc: "translate the jail's IPv4 addresses to nat_interface's with pf (anchor iocage/ioc-UUID; see iocage pf-setup)", check: checkEnum("on", "off")},
		&Property{Name: "nat_interface", Type: "interface", Default: "auto", Values: "auto (the default route's interface, found at start) or an interface name of at most 15 letters, digits, _ . - starting with a letter", Doc: "the host's interface for nat and rdr", check: checkNatInterface},
		&Property{Name: "rdr", Type: "redirects", Default: "none", Values: rdrValues, Doc: "host ports redirected to the jail's first IPv4 address with pf", check: checkRdr},
		&Property{Name: "exec_fib", Type: "integer", Default: "0", Values: "a FIB number 0-65535", JailParam: "exec.fib", Doc: "routing table of the jail's processes", check: checkRange(0, 65535)},
		&Property{Name: "vnet0_mac", Type: "macs", Default: "none", Values: "none or HOSTMAC,JAILMAC (12 hex digits each)", Doc: "MACs of vnet0's epair", check: checkMACPair},
		&Property{Name: "vnet1_mac", Type: "macs", Default: "none", Values: "none or HOSTMAC,JAILMAC (12 hex digits each)", Doc: "MACs of vnet1's epair", check: checkMACPair},
		&Property{Name: "vnet2_mac", Type: "macs", Default: "none", Values: "none or HOSTMAC,JAILMAC (12 hex digits each)", Doc: "MACs of vnet2's epair", check: checkMACPair},
		&Property{Name: "vnet3_mac", Type: "macs", Default: "none", Values: "none or HOSTMAC,JAILMAC (12 hex digits each)", Doc: "MACs of vnet3's epair", check: checkMACPair},
	)
	add(GroupJail,
		&Property{Name: "devfs_ruleset", Type: "integer", Default: "4", Values: "a devfs ruleset number 0-65535", JailParam: "devfs_ruleset", Doc: "devfs ruleset of the jail's /dev", check: checkRange(0, 65535)},
		b01("mount_devfs", "1", "mount.devfs", "mount devfs on the jail's /dev"),
		str("exec_start", "/bin/sh /etc/rc", "a command", "", "run in the jail after creation (jexec, no shell)"),
		str("exec_stop", "/bin/sh /etc/rc.shutdown", "a command", "exec.stop", "run in the jail before removal"),
		str("exec_prestart", "/usr/bin/true", "a command", "exec.prestart", "run on the host before creation"),
		str("exec_prestop", "/usr/bin/true", "a command", "exec.prestop", "run on the host before stopping"),
		str("exec_poststop", "/usr/bin/true", "a command", "", "run on the host after removal"),
		str("exec_poststart", "/usr/bin/true", "a command", "exec.poststart", "run on the host after creation"),
		b01("exec_clean", "1", "exec.clean", "run commands in a clean environment"),
		count("exec_timeout", "60", "exec.timeout", "seconds an exec.* command may run"),
		count("stop_timeout", "30", "stop.timeout", "seconds to wait for processes to exit at stop"),
		str("exec_jail_user", "root", "a user name", "", "stored only"),
		&Property{Name: "exec_system_jail_user", Type: "0/1", Default: "0", Values: "0 or 1", Doc: "stored only", check: checkEnum("0", "1")},
		str("exec_system_user", "root", "a user name", "", "stored only"),
		b01("mount_fdescfs", "1", "mount.fdescfs", "mount fdescfs on the jail's /dev/fd"),
		&Property{Name: "mount_procfs", Type: "0/1", Default: "0", Values: "0 or 1", Doc: "mount procfs on the jail's /proc before start", check: checkEnum("0", "1")},
		&Property{Name: "enforce_statfs", Type: "integer", Default: "2", Values: "0, 1 or 2", JailParam: "enforce_statfs", Doc: "which mount points the jail sees", check: checkRange(0, 2)},
		&Property{Name: "children_max", Type: "integer", Default: "0", Values: "0-999998 (below the host's limit of 999999)", JailParam: "children.max", Doc: "number of child jails allowed", check: checkRange(0, 999998)},
		str("login_flags", "-f root", "arguments to login(1)", "", "arguments of login for `console`"),
		&Property{Name: "securelevel", Type: "integer", Default: "2", Values: "-1 to 3", JailParam: "securelevel", Doc: "the jail's kern.securelevel", check: checkRange(-1, 3)},
		b01("allow_set_hostname", "0", "allow.set_hostname", "the jail may change its host name"),
		b01("allow_sysvipc", "0", "allow.sysvipc", "System V IPC"),
		b01("allow_raw_sockets", "0", "allow.raw_sockets", "raw sockets (ping)"),
		b01("allow_chflags", "0", "allow.chflags", "change system file flags"),
		b01("allow_mount", "0", "allow.mount", "mount file systems"),
		b01("allow_mount_devfs", "0", "allow.mount.devfs", "mount devfs"),
		b01("allow_mount_nullfs", "0", "allow.mount.nullfs", "mount nullfs"),
		b01("allow_mount_procfs", "0", "allow.mount.procfs", "mount procfs"),
		b01("allow_mount_tmpfs", "0", "allow.mount.tmpfs", "mount tmpfs"),
		b01("allow_mount_zfs", "0", "allow.mount.zfs", "mount ZFS datasets"),
		b01("allow_quotas", "0", "allow.quotas", "manipulate quotas"),
		b01("allow_socket_af", "0", "allow.socket_af", "sockets of any address family"),
		&Property{Name: "host_hostuuid", Type: "uuid", Default: PhUUID, Values: "the jail's UUID", JailParam: "host.hostuuid", ReadOnly: true, Kept: true, Doc: "identity of the jail: equals the dataset name", check: checkUUID},
	)
	add(GroupRctl,
		rctl("memoryuse", "8G:log", "resident memory"),
		rctl("memorylocked", "off", "locked memory"),
		rctl("vmemoryuse", "off", "address space"),
		rctl("maxproc", "off", "number of processes"),
		rctl("cputime", "off", "CPU seconds"),
		rctl("pcpu", "off", "percent of one CPU"),
		rctl("datasize", "off", "data size"),
		rctl("stacksize", "off", "stack size"),
		rctl("coredumpsize", "off", "core dump size"),
		rctl("openfiles", "off", "open files"),
		rctl("pseudoterminals", "off", "pseudo-terminals"),
		rctl("swapuse", "off", "swap reserved"),
		rctl("nthr", "off", "threads"),
		rctl("msgqqueued", "off", "queued SysV messages"),
		rctl("msgqsize", "off", "SysV message queue size"),
		rctl("nmsgq", "off", "SysV message queues"),
		rctl("nsemop", "off", "SysV semaphore operations per call"),
		rctl("nshm", "off", "SysV shared memory segments"),
		rctl("shmsize", "off", "SysV shared memory size"),
		rctl("wallclock", "off", "wall clock seconds"),
	)
	add(GroupCustom,
		&Property{Name: "tag", Type: "tag", Default: PhTag, Values: "letters, digits, '-', '_', '.', at most 64, not ALL or default", Kept: true, Doc: "the jail's unique name", check: checkTagProp},
		&Property{Name: "template", Type: "yes/no", Default: "no", Values: "yes or no", Kept: true, Doc: "a template: never started, listed with list -t", check: checkEnum("yes", "no")},
		&Property{Name: "rlimits", Type: "on/off", Default: "off", Values: "on or off", Doc: "apply the rctl limits", check: checkEnum("on", "off")},
		&Property{Name: "boot", Type: "on/off", Default: "off", Values: "on or off", Doc: "start at host boot", check: checkEnum("on", "off")},
		str("notes", "none", "free text", "", "notes"),
		str("owner", "root", "free text", "", "owner (informational)"),
		&Property{Name: "priority", Type: "integer", Default: "99", Values: "0-999", Doc: "boot order (ascending) and shutdown order (descending)", check: checkRange(0, 999)},
		&Property{Name: "last_started", Type: "time", Default: "none", Values: "set by start", ReadOnly: true, Kept: true, Doc: "when the jail was last started"},
		&Property{Name: "type", Type: "enum", Default: "jail", Values: "jail or basejail", ReadOnly: true, Kept: true, Doc: "how the jail's root is made (set at creation)", check: checkEnum("jail", "basejail")},
		&Property{Name: "basejail_source", Type: "uuid", Default: "none", Values: "none (the release's base) or a template's UUID (set by create -b base=TEMPLATE)", ReadOnly: true, Kept: true, Doc: "a basejail's base: its release's (none) or the template's whose base tree POOL/iocage/base/UUID it shares", check: checkNoneOr(checkUUID)},
		str("hostid", PhHostID, "a host id", "", "host id the jail belongs to"),
		&Property{Name: "cpuset", Type: "cpu list", Default: "off", Values: "off, all, or a cpuset -l list of CPU numbers 0-1023 and ranges such as 1 or 0-3 or 1,3", Doc: "CPUs the jail may use", check: checkCpuset},
		&Property{Name: "jail_zfs", Type: "on/off", Default: "off", Values: "on or off", Doc: "delegate jail_zfs_dataset to the jail", check: checkEnum("on", "off")},
		&Property{Name: "jail_zfs_dataset", Type: "dataset", Default: "DEFAULT/iocage/jails/" + PhUUID + "/data", Values: "a ZFS dataset POOL/NAME[/NAME...] with components of letters, digits, _ - . : (not . or ..); DEFAULT/ stands for the active pool", Kept: true, Doc: "dataset delegated with jail_zfs", check: checkDataset},
		&Property{Name: "release", Type: "release", Default: PhRelease, Values: "a release such as 14.3-RELEASE", Kept: true, Doc: "release the jail was built from", check: checkRelease},
		&Property{Name: "hack88", Type: "0/1", Default: "0", Values: "0 or 1", Kept: true, Doc: "short mountpoint /iocage/jails/<UUID8>", check: checkEnum("0", "1")},
		&Property{Name: "iocage_version", Type: "string", Default: PhVersion, Values: "set by iocage", ReadOnly: true, Doc: "version stamp for the shell iocage"},
		&Property{Name: "format_version", Type: "integer", Default: PhFormat, Values: "set by iocage", ReadOnly: true, Doc: "format of the jail's properties; migrations raise it", check: checkRange(0, 1<<31-1)},
	)
	add(GroupZFS,
		&Property{Name: "compression", Native: true, Type: "zfs", Default: "lz4", Values: "on, off, lz4, zle, lzjb, gzip, gzip-N, zstd, zstd-N", Doc: "compression of the jail's datasets", check: checkCompression},
		&Property{Name: "origin", Native: true, Type: "zfs", Default: "-", ReadOnly: true, Values: "read-only", Doc: "snapshot the jail was cloned from"},
		&Property{Name: "quota", Native: true, Type: "size", Default: "none", Values: "none or a size such as 10G", Doc: "space limit", check: checkNoneOr(checkSize)},
		&Property{Name: "mountpoint", Native: true, Type: "zfs", Default: "-", ReadOnly: true, Values: "read-only", Doc: "where the jail's dataset is mounted"},
		&Property{Name: "compressratio", Native: true, Type: "zfs", Default: "-", ReadOnly: true, Values: "read-only", Doc: "compression ratio achieved"},
		&Property{Name: "available", Native: true, Type: "zfs", Default: "-", ReadOnly: true, Values: "read-only", Doc: "space available"},
		&Property{Name: "used", Native: true, Type: "zfs", Default: "-", ReadOnly: true, Values: "read-only", Doc: "space used"},
		&Property{Name: "dedup", Native: true, Type: "zfs", Default: "off", Values: "on, off, verify, sha256, sha256,verify, sha512, skein, edonr, blake3", Doc: "deduplication", check: checkDedup},
		&Property{Name: "reservation", Native: true, Type: "size", Default: "none", Values: "none or a size such as 10G", Doc: "space guaranteed", check: checkNoneOr(checkSize)},
		&Property{Name: "copies", Native: true, Type: "zfs", Default: "1", Values: "1, 2 or 3", Doc: "copies of each block", check: checkEnum("1", "2", "3")},
	)
	add(GroupSync,
		str("sync_state", "none", "none, complete:SNAP or partial:SNAP (written by iocage send)", "", "the last iocage send: the snapshot the copy holds in full, or the one an interrupted send left to resume"),
		str("sync_target", "none", "none or [USER@]HOST (written by iocage send)", "", "where iocage send last sent the jail"),
		str("sync_tgt_zpool", "none", "none or a pool name (written by iocage send)", "", "the receiving host's pool of the last iocage send"),
	)
	add(GroupFTP,
		&Property{Name: "ftpproto", Type: "enum", Default: "http", Values: "http, https, ftp or file", Doc: "protocol of release downloads", check: checkEnum("http", "https", "ftp", "file")},
		str("ftphost", "ftp.freebsd.org", "a host name", "", "host of release downloads"),
		str("ftpdir", "/pub/FreeBSD/releases/amd64/"+PhRelease, "a path", "", "directory of release downloads"),
		str("ftpfiles", "base.txz doc.txz lib32.txz src.txz", "space separated file names", "", "distribution files to download"),
	)
	for _, n := range []string{"host_hostname", "host_hostuuid", "tag", "jail_zfs_dataset",
		"vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac", "last_started", "basejail_source", "iocage_version", "format_version"} {
		byName[n].PerJail = true
	}
}
