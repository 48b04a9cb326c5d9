package jails

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// kind is the type of a jail parameter, as libjail learns it from the
// kernel's security.jail.param sysctls.
type kind int

const (
	kString kind = iota
	kInt
	kBool
	kJailsys // "disable", "new" or "inherit"
	kIP4     // list of IPv4 addresses
	kIP6     // list of IPv6 addresses
)

// kparam describes a kernel jail parameter of FreeBSD 14.3 (those jls -n
// lists).
type kparam struct {
	kind       kind
	def        string // value of a new jail that does not set it
	readOnly   bool   // set by the kernel (jls -s skips it)
	createOnly bool   // jail -m cannot change it
}

var kernelParams = map[string]kparam{
	"children.cur":    {kind: kInt, def: "0", readOnly: true},
	"children.max":    {kind: kInt, def: "0"},
	"cpuset.id":       {kind: kInt, readOnly: true},
	"devfs_ruleset":   {kind: kInt, def: "0"},
	"dying":           {kind: kBool, def: "false", readOnly: true},
	"enforce_statfs":  {kind: kInt, def: "2"},
	"host":            {kind: kJailsys, def: "new"},
	"host.domainname": {kind: kString, def: ""},
	"host.hostid":     {kind: kInt, def: "0"},
	"host.hostname":   {kind: kString},
	"host.hostuuid":   {kind: kString, def: "00000000-0000-0000-0000-000000000000"},
	"ip4":             {kind: kJailsys, def: "disable"},
	"ip4.addr":        {kind: kIP4, def: ""},
	"ip4.saddrsel":    {kind: kBool, def: "true"},
	"ip6":             {kind: kJailsys, def: "disable"},
	"ip6.addr":        {kind: kIP6, def: ""},
	"ip6.saddrsel":    {kind: kBool, def: "true"},
	"jid":             {kind: kInt, createOnly: true},
	"name":            {kind: kString},
	"osreldate":       {kind: kInt, def: "1403000", createOnly: true},
	"osrelease":       {kind: kString, def: "14.3-RELEASE", createOnly: true},
	"parent":          {kind: kInt, def: "0", readOnly: true},
	"path":            {kind: kString, def: "/", createOnly: true},
	"persist":         {kind: kBool, def: "false"},
	"securelevel":     {kind: kInt, def: "-1"},
	"sysvmsg":         {kind: kJailsys, def: "disable"},
	"sysvsem":         {kind: kJailsys, def: "disable"},
	"sysvshm":         {kind: kJailsys, def: "disable"},
	"vnet":            {kind: kJailsys, def: "inherit", createOnly: true},

	"allow.adjtime":                       {kind: kBool, def: "false"},
	"allow.chflags":                       {kind: kBool, def: "false"},
	"allow.extattr":                       {kind: kBool, def: "false"},
	"allow.mlock":                         {kind: kBool, def: "false"},
	"allow.mount":                         {kind: kBool, def: "false"},
	"allow.mount.devfs":                   {kind: kBool, def: "false"},
	"allow.mount.fdescfs":                 {kind: kBool, def: "false"},
	"allow.mount.fusefs":                  {kind: kBool, def: "false"},
	"allow.mount.linprocfs":               {kind: kBool, def: "false"},
	"allow.mount.linsysfs":                {kind: kBool, def: "false"},
	"allow.mount.nullfs":                  {kind: kBool, def: "false"},
	"allow.mount.procfs":                  {kind: kBool, def: "false"},
	"allow.mount.tmpfs":                   {kind: kBool, def: "false"},
	"allow.mount.zfs":                     {kind: kBool, def: "false"},
	"allow.nfsd":                          {kind: kBool, def: "false"},
	"allow.quotas":                        {kind: kBool, def: "false"},
	"allow.raw_sockets":                   {kind: kBool, def: "false"},
	"allow.read_msgbuf":                   {kind: kBool, def: "false"},
	"allow.reserved_ports":                {kind: kBool, def: "true"},
	"allow.routing":                       {kind: kBool, def: "false"},
	"allow.set_hostname":                  {kind: kBool, def: "true"},
	"allow.settime":                       {kind: kBool, def: "false"},
	"allow.socket_af":                     {kind: kBool, def: "false"},
	"allow.suser":                         {kind: kBool, def: "true"},
	"allow.sysvipc":                       {kind: kBool, def: "false"},
	"allow.unprivileged_parent_tampering": {kind: kBool, def: "false"},
	"allow.unprivileged_proc_debug":       {kind: kBool, def: "true"},
	"allow.vmm":                           {kind: kBool, def: "false"},
}

// internalParams are jail(8)'s pseudo-parameters: used by jail(8) itself,
// never passed to the kernel, so jls never shows them.
var internalParams = map[string]kind{
	"allow.dying":           kBool,
	"command":               kString,
	"depend":                kString,
	"exec.clean":            kBool,
	"exec.consolelog":       kString,
	"exec.created":          kString,
	"exec.fib":              kInt,
	"exec.jail_user":        kString,
	"exec.poststart":        kString,
	"exec.poststop":         kString,
	"exec.prepare":          kString,
	"exec.prestart":         kString,
	"exec.prestop":          kString,
	"exec.release":          kString,
	"exec.start":            kString,
	"exec.stop":             kString,
	"exec.system_jail_user": kBool,
	"exec.system_user":      kString,
	"exec.timeout":          kInt,
	"interface":             kString,
	"ip_hostname":           kBool,
	"mount":                 kString,
	"mount.devfs":           kBool,
	"mount.fdescfs":         kBool,
	"mount.fstab":           kString,
	"mount.procfs":          kBool,
	"stop.timeout":          kInt,
	"vnet.interface":        kString,
}

// kernelParamNames lists the kernel parameters in the order jls prints
// "all" of them: top-level names first, then dotted ones, each sorted.
func kernelParamNames() []string {
	var names []string
	for n := range kernelParams {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := strings.Contains(names[i], "."), strings.Contains(names[j], ".")
		if a != b {
			return b
		}
		return names[i] < names[j]
	})
	return names
}

// isBool reports whether name is a boolean parameter of either class.
func isBool(name string) bool {
	if k, ok := kernelParams[name]; ok {
		return k.kind == kBool
	}
	return internalParams[name] == kBool
}

func known(name string) bool {
	_, k := kernelParams[name]
	_, i := internalParams[name]
	return k || i
}

// unNo turns "allow.nomount" into "allow.mount" when the latter is a known
// boolean: libjail's "no" counterparts.
func unNo(name string) (string, bool) {
	i := strings.LastIndexByte(name, '.')
	head, last := name[:i+1], name[i+1:]
	if !strings.HasPrefix(last, "no") {
		return "", false
	}
	n := head + last[2:]
	return n, isBool(n)
}

// noName is the "no" form of a boolean name ("allow.mount" →
// "allow.nomount").
func noName(name string) string {
	i := strings.LastIndexByte(name, '.')
	return name[:i+1] + "no" + name[i+1:]
}

// param is one parameter as given on the command line. Giving it again
// appends values, as jail(8) does: scalars then take the last value, exec.*
// commands run in turn, address lists grow.
type param struct {
	name string   // canonical name (without a "no" prefix)
	vals []string // values in the order given
	neg  bool     // last given as noNAME
}

// params is the parameter list of one jail -c/-m command line.
type params struct {
	list []*param
	idx  map[string]*param
}

func newParams() *params { return &params{idx: map[string]*param{}} }

// add records "name=value" or a bare "name".
func (ps *params) add(arg string) {
	name, value, hasValue := strings.Cut(arg, "=")
	ps.addValue(name, value, hasValue)
}

func (ps *params) addValue(name, value string, hasValue bool) {
	neg := false
	if !known(name) {
		if n, ok := unNo(name); ok {
			name, neg = n, true
		}
	}
	p := ps.idx[name]
	if p == nil {
		p = &param{name: name}
		ps.idx[name] = p
		ps.list = append(ps.list, p)
	}
	p.neg = neg
	if !hasValue {
		p.vals = nil
		return
	}
	if name == "ip4.addr" || name == "ip6.addr" {
		p.vals = append(p.vals, strings.Split(value, ",")...)
		return
	}
	p.vals = append(p.vals, value)
}

func (ps *params) get(name string) *param { return ps.idx[name] }

// str is the last value of a scalar parameter.
func (ps *params) str(name string) (string, bool) {
	p := ps.idx[name]
	if p == nil {
		return "", false
	}
	if len(p.vals) == 0 {
		return "", true
	}
	return p.vals[len(p.vals)-1], true
}

// boolean is jail(8)'s bool_param: set without a value, "true" or a
// non-zero number, inverted by the "no" form.
func (ps *params) boolean(name string) bool {
	p := ps.idx[name]
	if p == nil {
		return false
	}
	v := len(p.vals) == 0
	if !v {
		last := p.vals[len(p.vals)-1]
		n, _ := strconv.Atoi(last)
		v = strings.EqualFold(last, "true") || n != 0
	}
	return v != p.neg
}

// integer is the last value of an int parameter, and whether it was set.
func (ps *params) integer(name string) (int, bool) {
	s, ok := ps.str(name)
	if !ok {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// commands lists the values of a command parameter, skipping empty ones.
func (ps *params) commands(name string) []string {
	p := ps.idx[name]
	if p == nil {
		return nil
	}
	var out []string
	for _, v := range p.vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func boolValue(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return false, false
	}
	return n != 0, true
}

func jailsysValue(s string) (string, bool) {
	for i, v := range []string{"disable", "new", "inherit"} {
		if strings.EqualFold(s, v) || s == strconv.Itoa(i) {
			return v, true
		}
	}
	if s == "" {
		return "new", true
	}
	return "", false
}

// ifAddr is an address with the interface (and netmask and ifconfig
// parameters) to add it to as an alias: "em0|192.0.2.5/24".
type ifAddr struct {
	iface string
	addr  string // with its /mask or /prefix, if given
	extra []string
}

// splitAddr separates "iface|addr/mask param ..." into the kernel's address
// and, when an interface applies, the alias to add.
func splitAddr(v, defIface string) (kernel string, alias *ifAddr) {
	iface := defIface
	if i := strings.IndexByte(v, '|'); i >= 0 {
		iface, v = v[:i], v[i+1:]
	}
	fields := strings.Fields(v)
	addr := ""
	if len(fields) > 0 {
		addr = fields[0]
	}
	kernel = addr
	if i := strings.IndexByte(kernel, '/'); i >= 0 {
		kernel = kernel[:i]
	}
	if iface != "" {
		alias = &ifAddr{iface: iface, addr: addr, extra: fields[min(1, len(fields)):]}
	}
	return kernel, alias
}

// checkKernel validates the value of kernel parameter p as libjail's
// jailparam_import does and returns its exported text form.
func checkKernel(p *param) (string, error) {
	k, ok := kernelParams[p.name]
	if !ok {
		return "", fmt.Errorf("unknown parameter: %s", p.name)
	}
	last := ""
	if len(p.vals) > 0 {
		last = p.vals[len(p.vals)-1]
	}
	switch k.kind {
	case kBool:
		v := true
		if len(p.vals) > 0 {
			b, ok := boolValue(last)
			if !ok {
				return "", fmt.Errorf("%s: unknown boolean value \"%s\"", p.name, last)
			}
			v = b
		}
		return strconv.FormatBool(v != p.neg), nil
	case kInt:
		if last == "" {
			return "0", nil
		}
		n, err := strconv.Atoi(last)
		if err != nil {
			return "", fmt.Errorf("%s: non-integer value \"%s\"", p.name, last)
		}
		return strconv.Itoa(n), nil
	case kJailsys:
		v, ok := jailsysValue(last)
		if !ok {
			return "", fmt.Errorf("%s: unknown jailsys value \"%s\"", p.name, last)
		}
		return v, nil
	case kIP4, kIP6:
		var out []string
		for _, a := range p.vals {
			if a == "" || a == "-" {
				continue
			}
			ip := net.ParseIP(a)
			if k.kind == kIP4 && (ip == nil || ip.To4() == nil || strings.Contains(a, ":")) {
				return "", fmt.Errorf("%s: not an IPv4 address: %s", p.name, a)
			}
			if k.kind == kIP6 && (ip == nil || !strings.Contains(a, ":")) {
				return "", fmt.Errorf("%s: not an IPv6 address: %s", p.name, a)
			}
			out = append(out, ip.String())
		}
		return strings.Join(out, ","), nil
	}
	return last, nil
}

// checkInternal validates the boolean and integer pseudo-parameters as
// jail(8)'s check_intparams does.
func checkInternal(p *param) error {
	if len(p.vals) == 0 {
		return nil
	}
	last := p.vals[len(p.vals)-1]
	switch internalParams[p.name] {
	case kBool:
		if _, ok := boolValue(last); !ok {
			return fmt.Errorf("%s: unknown boolean value \"%s\"", p.name, last)
		}
	case kInt:
		if _, err := strconv.Atoi(last); err != nil {
			return fmt.Errorf("%s: non-integer value \"%s\"", p.name, last)
		}
	}
	return nil
}
