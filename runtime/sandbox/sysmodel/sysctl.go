package sysmodel

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"os"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// secSysctl is the store section holding values written with sysctl(8).
const secSysctl = "sysctl"

// The modelled kernel.
const (
	osRelease  = "14.3-RELEASE"
	osRelDate  = 1403000
	kernIdent  = "GENERIC"
	kernBuild  = "releng/14.3-n271432-8c9ce319fef7"
	kernVer    = "FreeBSD " + osRelease + " " + kernBuild + " " + kernIdent + "\n"
	machine    = "amd64"
	buildID    = "1d1e7b7c8f61ad8a20c7d8b1d0a7e90ac4e29b6f"
	cpuSetSize = 1024 // CPU_SETSIZE on FreeBSD 14 amd64
)

type ctlType int

const (
	ctlString ctlType = iota
	ctlInt
	ctlUint
	ctlLong
	ctlULong
	ctlU64
	ctlOpaque // printed, never set
)

var ctlTypeName = map[ctlType]string{ctlInt: "integer", ctlUint: "unsigned integer", ctlLong: "long integer",
	ctlULong: "unsigned long", ctlU64: "uint64_t"}

// oid is one leaf of the modelled MIB.
type oid struct {
	name    string
	typ     ctlType
	rw      bool // writable on the host
	tunable bool // read-only, set in /boot/loader.conf
	value   func(c *ctlCtx) string
}

// ctlCtx is what values are computed from.
type ctlCtx struct {
	sb     *model.Sandbox
	jailed bool
	set    map[string]string // values written with sysctl name=value
}

func fixed(v string) func(*ctlCtx) string { return func(*ctlCtx) string { return v } }

func num(n int64) func(*ctlCtx) string { return fixed(strconv.FormatInt(n, 10)) }

// jailParams are the jail(8) parameters FreeBSD 14 describes under
// security.jail.param; jail(8) and iocage read their types from there.
// A trailing dot names a parameter that is also a node (allow.mount.).
var jailParams = map[string]ctlType{
	"jid": ctlInt, "name": ctlString, "path": ctlString, "parent": ctlInt, "dying": ctlInt, "persist": ctlInt,
	"securelevel": ctlInt, "enforce_statfs": ctlInt, "devfs_ruleset": ctlInt, "children.max": ctlInt,
	"children.cur": ctlInt, "cpuset.id": ctlInt, "osrelease": ctlString, "osreldate": ctlInt,
	"host.": ctlInt, "host.hostname": ctlString, "host.domainname": ctlString, "host.hostuuid": ctlString,
	"host.hostid": ctlULong, "ip4.": ctlInt, "ip4.saddrsel": ctlInt, "ip6.": ctlInt, "ip6.saddrsel": ctlInt,
	"vnet": ctlInt, "sysvmsg": ctlInt, "sysvsem": ctlInt, "sysvshm": ctlInt, "linux": ctlInt,
	"linux.osname": ctlString, "linux.osrelease": ctlString, "linux.oss_version": ctlInt,
	"allow.set_hostname": ctlInt, "allow.sysvipc": ctlInt, "allow.raw_sockets": ctlInt, "allow.chflags": ctlInt,
	"allow.mount.": ctlInt, "allow.mount.devfs": ctlInt, "allow.mount.fdescfs": ctlInt, "allow.mount.nullfs": ctlInt,
	"allow.mount.procfs": ctlInt, "allow.mount.linprocfs": ctlInt, "allow.mount.linsysfs": ctlInt,
	"allow.mount.tmpfs": ctlInt, "allow.mount.zfs": ctlInt, "allow.quotas": ctlInt, "allow.socket_af": ctlInt,
	"allow.mlock": ctlInt, "allow.reserved_ports": ctlInt, "allow.read_msgbuf": ctlInt,
	"allow.unprivileged_proc_debug": ctlInt, "allow.suser": ctlInt, "allow.nfsd": ctlInt, "allow.extattr": ctlInt,
	"allow.adjtime": ctlInt, "allow.settime": ctlInt, "allow.routing": ctlInt, "allow.setaudit": ctlInt,
	"meta": ctlString, "env": ctlString, "zfs.mount_snapshot": ctlInt,
}

// profile returns the modelled MIB, sorted by name.
func profile() []oid {
	mib := []oid{
		{name: "kern.ostype", value: fixed("FreeBSD")},
		{name: "kern.osrelease", value: fixed(osRelease)},
		{name: "kern.osrevision", typ: ctlInt, value: num(199506)},
		{name: "kern.version", value: fixed(kernVer)},
		{name: "kern.osreldate", typ: ctlInt, value: num(osRelDate)},
		{name: "kern.ident", value: fixed(kernIdent)},
		{name: "kern.build_id", value: fixed(buildID)},
		{name: "kern.hostname", rw: true, value: func(c *ctlCtx) string { return rcConfHostname(c.sb) }},
		{name: "kern.domainname", rw: true, value: fixed("")},
		{name: "kern.hostuuid", rw: true, value: func(c *ctlCtx) string { return hostUUID(c.sb) }},
		{name: "kern.hostid", typ: ctlULong, rw: true, value: func(c *ctlCtx) string {
			return strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(hostUUID(c.sb)))), 10)
		}},
		{name: "kern.securelevel", typ: ctlInt, rw: true, value: num(-1)},
		{name: "kern.maxproc", typ: ctlInt, tunable: true, value: num(16384)},
		{name: "kern.maxfiles", typ: ctlInt, rw: true, value: num(262144)},
		{name: "kern.maxfilesperproc", typ: ctlInt, rw: true, value: num(235917)},
		{name: "kern.hz", typ: ctlInt, tunable: true, value: num(1000)},
		{name: "kern.corefile", rw: true, value: fixed("%N.core")},
		{name: "kern.boottime", typ: ctlOpaque, value: func(*ctlCtx) string { return bootTime() }},
		{name: "kern.features.vimage", typ: ctlInt, value: num(1)},
		{name: "kern.features.racct", typ: ctlInt, value: num(1)},
		{name: "kern.features.rctl", typ: ctlInt, value: num(1)},
		{name: "kern.features.inet", typ: ctlInt, value: num(1)},
		{name: "kern.features.inet6", typ: ctlInt, value: num(1)},
		{name: "kern.features.zfs", typ: ctlInt, value: num(1)},
		{name: "kern.racct.enable", typ: ctlInt, tunable: true, value: func(c *ctlCtx) string { return loaderConf(c.sb, "kern.racct.enable", "1") }},
		{name: "kern.racct.pcpu_threshold", typ: ctlUint, rw: true, value: num(1)},
		{name: "hw.machine", value: fixed(machine)},
		{name: "hw.machine_arch", value: fixed(machine)},
		{name: "hw.model", value: func(*ctlCtx) string { return cpuModel() }},
		{name: "hw.ncpu", typ: ctlInt, value: func(*ctlCtx) string { return strconv.Itoa(goruntime.NumCPU()) }},
		{name: "hw.pagesize", typ: ctlInt, value: num(4096)},
		{name: "hw.physmem", typ: ctlULong, value: func(*ctlCtx) string { return meminfo("MemTotal") }},
		{name: "hw.realmem", typ: ctlULong, value: func(*ctlCtx) string { return meminfo("MemTotal") }},
		{name: "hw.usermem", typ: ctlULong, value: func(*ctlCtx) string { return meminfo("MemAvailable") }},
		{name: "security.jail.jailed", typ: ctlInt, value: func(c *ctlCtx) string { return boolNum(c.jailed) }},
		{name: "security.jail.vnet", typ: ctlInt, value: num(0)},
		{name: "security.jail.enforce_statfs", typ: ctlInt, rw: true, value: num(2)},
		{name: "security.jail.allow_raw_sockets", typ: ctlInt, rw: true, value: num(0)},
		{name: "security.jail.set_hostname_allowed", typ: ctlInt, rw: true, value: num(1)},
		{name: "security.jail.socket_unixiproute_only", typ: ctlInt, rw: true, value: num(1)},
		{name: "security.jail.sysvipc_allowed", typ: ctlInt, rw: true, value: num(0)},
		{name: "security.jail.chflags_allowed", typ: ctlInt, rw: true, value: num(0)},
		{name: "security.jail.mount_allowed", typ: ctlInt, rw: true, value: num(0)},
		{name: "security.jail.jail_max_af_ips", typ: ctlUint, rw: true, value: num(255)},
		{name: "security.jail.children.max", typ: ctlInt, value: num(999999)},
		{name: "security.jail.children.cur", typ: ctlInt, value: num(0)},
		{name: "security.jail.devfs_ruleset", typ: ctlInt, value: num(0)},
		{name: "security.jail.mount_zfs_allowed", typ: ctlInt, value: num(0)},
		{name: "security.jail.mount_nullfs_allowed", typ: ctlInt, value: num(0)},
		{name: "security.jail.mount_devfs_allowed", typ: ctlInt, value: num(0)},
		{name: "security.jail.mount_tmpfs_allowed", typ: ctlInt, value: num(0)},
		{name: "security.jail.mount_procfs_allowed", typ: ctlInt, value: num(0)},
		{name: "security.jail.mount_fdescfs_allowed", typ: ctlInt, value: num(0)},
		{name: "security.bsd.unprivileged_read_msgbuf", typ: ctlInt, rw: true, value: num(1)},
		{name: "security.bsd.see_other_uids", typ: ctlInt, rw: true, value: num(1)},
		{name: "net.fibs", typ: ctlInt, tunable: true, value: func(c *ctlCtx) string { return loaderConf(c.sb, "net.fibs", "1") }},
		{name: "net.add_addr_allfibs", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.inet.ip.forwarding", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.inet6.ip6.forwarding", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.link.bridge.pfil_onlyip", typ: ctlInt, rw: true, value: num(1)},
		{name: "net.link.bridge.pfil_bridge", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.link.bridge.pfil_member", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.link.bridge.pfil_local_phys", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.link.bridge.ipfw", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.link.bridge.log_stp", typ: ctlInt, rw: true, value: num(0)},
		{name: "net.link.epair.netisr_maxqlen", typ: ctlInt, rw: true, value: num(2100)},
		{name: "vfs.zfs.arc.max", typ: ctlU64, rw: true, value: num(0)},
		{name: "vfs.zfs.arc_max", typ: ctlU64, rw: true, value: num(0)},
		{name: "vfs.zfs.version.spa", typ: ctlU64, value: num(5000)},
		{name: "vfs.zfs.version.zpl", typ: ctlU64, value: num(5)},
		{name: "vfs.zfs.version.ioctl", typ: ctlU64, value: num(15)},
		{name: "vfs.zfs.version.acl", typ: ctlU64, value: num(1)},
	}
	for p, t := range jailParams {
		v := "0"
		if t == ctlString {
			v = ""
		}
		mib = append(mib, oid{name: "security.jail.param." + p, typ: t, value: fixed(v)})
	}
	sort.Slice(mib, func(i, j int) bool { return mib[i].name < mib[j].name })
	return mib
}

func boolNum(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// rcConfHostname is the hostname rc.conf gives the modelled host.
func rcConfHostname(sb *model.Sandbox) string {
	return rcVar(sb.Path("/etc/rc.conf"), "hostname")
}

func rcVar(file, name string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	val := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != name {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, "#"); i >= 0 && !strings.HasPrefix(v, `"`) {
			v = strings.TrimSpace(v[:i])
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
			if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
				v = v[1 : end+1]
			}
		}
		val = v
	}
	return val
}

// loaderConf reads a tunable from the sandbox's /boot/loader.conf, which is
// where FreeBSD sets read-only tunables such as kern.racct.enable.
func loaderConf(sb *model.Sandbox, name, def string) string {
	if v := rcVar(sb.Path("/boot/loader.conf"), name); v != "" {
		return v
	}
	return def
}

func hostUUID(sb *model.Sandbox) string {
	b, err := os.ReadFile(sb.Path("/etc/hostid"))
	if err != nil {
		return "00000000-0000-0000-0000-000000000000"
	}
	return strings.TrimSpace(string(b))
}

func meminfo(key string) string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "0"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			break
		}
		n, err := strconv.ParseUint(fs[0], 10, 64)
		if err != nil {
			break
		}
		return strconv.FormatUint(n*1024, 10)
	}
	return "0"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "Virtual CPU"
}

// bootTime renders kern.boottime as sysctl(8) prints the struct timeval.
func bootTime() string {
	sec := time.Now().Unix()
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "btime "); ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					sec = n
				}
			}
		}
	}
	return fmt.Sprintf("{ sec = %d, usec = 0 } %s", sec, time.Unix(sec, 0).UTC().Format("Mon Jan _2 15:04:05 2006"))
}

// sysctlValue reads one oid for other models (setfib, rctl, cpuset).
func sysctlValue(tx *model.Tx, sb *model.Sandbox, name string) string {
	c := &ctlCtx{sb: sb, set: map[string]string{}}
	_ = tx.Get(secSysctl, &c.set)
	for _, o := range profile() {
		if o.name == name {
			return c.get(o)
		}
	}
	return ""
}

func (c *ctlCtx) get(o oid) string {
	if v, ok := c.set[o.name]; ok {
		return v
	}
	return o.value(c)
}

const sysctlUsage = `usage: sysctl [-bdehiNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...
       sysctl [-bdehNnoqTtWx] [ -B <bufsize> ] -a
`

type sysctlFlags struct {
	all, equals, ignore, namesOnly, valueOnly, quiet, bflag bool
}

func runSysctl(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "AaB:bdeFf:hiJjNnoqTtWwXx")
	if !ok {
		fmt.Fprint(e.Stderr, sysctlUsage)
		return 1
	}
	var f sysctlFlags
	for _, o := range opts {
		switch o.Flag {
		case 'A', 'a', 'X':
			f.all = true
		case 'b':
			f.bflag = true
		case 'e':
			f.equals = true
		case 'i':
			f.ignore = true
		case 'N':
			f.namesOnly = true
		case 'n':
			f.valueOnly = true
		case 'q':
			f.quiet = true
		}
	}
	if f.namesOnly && f.valueOnly {
		fmt.Fprint(e.Stderr, sysctlUsage)
		return 1
	}
	if !f.all && len(args) == 0 {
		fmt.Fprint(e.Stderr, sysctlUsage)
		return 1
	}
	code := 0
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		c := &ctlCtx{sb: e.SB, jailed: e.Jail != "", set: map[string]string{}}
		if err := tx.Get(secSysctl, &c.set); err != nil {
			return err
		}
		mib := profile()
		if f.all {
			for _, o := range mib {
				c.show(e, f, o)
			}
			return nil
		}
		for _, a := range args {
			if c.parse(e, f, mib, a) != 0 {
				code = 1
			}
		}
		return tx.Put(secSysctl, c.set)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return code
}

func (c *ctlCtx) show(e *model.Env, f sysctlFlags, o oid) {
	v := c.get(o)
	switch {
	case f.namesOnly:
		fmt.Fprintln(e.Stdout, o.name)
	case f.valueOnly:
		fmt.Fprintln(e.Stdout, v)
	case f.equals:
		fmt.Fprintf(e.Stdout, "%s=%s\n", o.name, v)
	default:
		fmt.Fprintf(e.Stdout, "%s: %s\n", o.name, v)
	}
}

// parse handles one "name" or "name=value" argument as sysctl(8) does.
func (c *ctlCtx) parse(e *model.Env, f sysctlFlags, mib []oid, arg string) int {
	name, newval, setting := strings.Cut(arg, "=")
	name = strings.TrimSpace(name)
	var leaf *oid
	var subtree []oid
	for i := range mib {
		switch {
		case mib[i].name == name:
			leaf = &mib[i]
		case strings.HasPrefix(mib[i].name, name+"."):
			subtree = append(subtree, mib[i])
		}
	}
	if leaf == nil && len(subtree) == 0 {
		if f.ignore {
			return 0
		}
		if !f.quiet {
			e.Errorf("unknown oid '%s'", name)
		}
		return 1
	}
	if !setting {
		if leaf != nil {
			c.show(e, f, *leaf)
			return 0
		}
		for _, o := range subtree {
			c.show(e, f, o)
		}
		return 0
	}
	if leaf == nil {
		return e.Errorf("oid '%s' isn't a leaf node", name)
	}
	if !leaf.rw {
		if leaf.tunable {
			e.Errorf("oid '%s' is a read only tunable", name)
			return e.Errorf("Tunable values are set in /boot/loader.conf")
		}
		return e.Errorf("oid '%s' is read only", name)
	}
	if leaf.typ != ctlString {
		if newval == "" {
			return e.Errorf("empty numeric value")
		}
		norm, ok := parseNumeric(leaf.typ, newval)
		if !ok {
			return e.Errorf("invalid %s '%s'", ctlTypeName[leaf.typ], newval)
		}
		newval = norm
	}
	if c.jailed {
		// A jail sees the host's MIB but may not change it.
		return e.Errorf("%s: Operation not permitted", arg)
	}
	old := c.get(*leaf)
	c.set[leaf.name] = newval
	if !f.valueOnly {
		fmt.Fprintf(e.Stdout, "%s: ", leaf.name)
	}
	fmt.Fprintf(e.Stdout, "%s -> %s\n", old, newval)
	return 0
}

// parseNumeric is strtol(3) with base 0, range checked for the type.
func parseNumeric(t ctlType, s string) (string, bool) {
	bits := 64
	if t == ctlInt || t == ctlUint {
		bits = 32
	}
	switch t {
	case ctlInt, ctlLong:
		n, err := strconv.ParseInt(s, 0, bits)
		return strconv.FormatInt(n, 10), err == nil
	default:
		n, err := strconv.ParseUint(s, 0, bits)
		return strconv.FormatUint(n, 10), err == nil
	}
}
