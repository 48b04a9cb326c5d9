package netmodel

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const ifconfigUsage = `ifconfig [-j jail] [-f type:format] [-L] [-C] [-g groupname] interface address_family
       [address [dest_address]] [parameters]
       ifconfig [-j jail] interface create
       ifconfig [-j jail] -a [-L] [-C] [-g groupname] [-d] [-m] [-u] [-v] [address_family]
       ifconfig [-j jail] -l [-d] [-u] [address_family]
       ifconfig [-j jail] [-L] [-C] [-g groupname] [-d] [-m] [-u] [-v]`

// Errors of the kernel, worded as FreeBSD's strerror(3) words them.
const (
	errExist    = "File exists"
	errInval    = "Invalid argument"
	errNoEnt    = "No such file or directory"
	errBusy     = "Device busy"
	errNotConf  = "Device not configured"
	errAddrNA   = "Can't assign requested address"
	errPerm     = "Operation not permitted"
	errNameLong = "File name too long"
)

// fail is an ifconfig error message, printed after "ifconfig: ".
type fail string

func (f fail) Error() string { return string(f) }

func failf(format string, a ...any) error { return fail(fmt.Sprintf(format, a...)) }

// scope is the network stack a run acts on.
type scope struct {
	name     string // vnet name, "" for the host
	v        *vnet
	readOnly bool // a jail without vnet sees the host's stack but may not change it
	created  bool // the jail's stack was made by this run and must be saved
}

// where resolves the stack of a run inside jail ("" for the host).
func where(tx *model.Tx, st *state, jail string) scope {
	if jail == "" {
		return scope{name: hostVnet, v: st.vnetOf(hostVnet)}
	}
	if j, ok := LookupJail(tx, jail); ok && !j.VNet {
		return scope{name: hostVnet, v: st.vnetOf(hostVnet), readOnly: true}
	}
	_, existed := st.Vnets[jail]
	return scope{name: jail, v: st.vnetOf(jail), created: !existed}
}

// ifconfig is the model of ifconfig(8).
func ifconfig(e *model.Env) int {
	args := e.Args
	var (
		all, list, onlyUp, onlyDown, cloners bool
		group                                string
		jail                                 = e.Jail
	)
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		a := args[0]
		args = args[1:]
		switch a {
		case "-g", "-G":
			if len(args) == 0 {
				return e.Usage(1, ifconfigUsage)
			}
			group, args = args[0], args[1:]
			continue
		case "-j":
			if len(args) == 0 {
				return e.Usage(1, ifconfigUsage)
			}
			jail, args = args[0], args[1:]
			continue
		}
		for _, c := range a[1:] {
			switch c {
			case 'a':
				all = true
			case 'l':
				list = true
			case 'u':
				onlyUp = true
			case 'd':
				onlyDown = true
			case 'C':
				cloners = true
			case 'm', 'v', 'L', 'k', 'n', 'W':
				// more detail than the model keeps; the listing is the same
			default:
				return e.Usage(1, ifconfigUsage)
			}
		}
	}
	var out bytes.Buffer
	code := update(e, func(tx *model.Tx, st *state) (int, bool) {
		sc := where(tx, st, jail)
		if jail != "" && jail != e.Jail && e.Jail == "" {
			if _, ok := LookupJail(tx, jail); !ok {
				return e.Errorf("jail \"%s\" not found", jail), false
			}
		}
		keep := func(ifc *iface) bool {
			return (!onlyUp || ifc.Up) && (!onlyDown || !ifc.Up)
		}
		switch {
		case cloners:
			fmt.Fprintln(&out, "bridge epair lo")
			return 0, sc.created
		case group != "":
			for _, ifc := range sc.v.Ifaces {
				if (group == "all" || slices.Contains(ifc.Groups, group)) && keep(ifc) {
					fmt.Fprintln(&out, ifc.Name)
				}
			}
			return 0, sc.created
		case list:
			if len(args) > 1 {
				return e.Usage(1, ifconfigUsage), false
			}
			var names []string
			for _, ifc := range sc.v.Ifaces {
				if keep(ifc) && (len(args) == 0 || hasFamily(ifc, args[0])) {
					names = append(names, ifc.Name)
				}
			}
			fmt.Fprintln(&out, strings.Join(names, " "))
			return 0, sc.created
		case all || len(args) == 0:
			af := ""
			if len(args) > 0 {
				if !isFamily(args[0]) || len(args) > 1 {
					return e.Usage(1, ifconfigUsage), false
				}
				af = args[0]
			}
			for _, ifc := range sc.v.Ifaces {
				if keep(ifc) {
					show(&out, sc.v, ifc, af)
				}
			}
			return 0, sc.created
		}
		name, params := args[0], args[1:]
		if len(params) == 0 || (len(params) == 1 && isFamily(params[0])) {
			ifc := sc.v.find(name)
			if ifc == nil {
				return e.Errorf("interface %s does not exist", name), false
			}
			af := ""
			if len(params) == 1 {
				af = params[0]
			}
			show(&out, sc.v, ifc, af)
			return 0, sc.created
		}
		c, err := parseParams(name, params)
		if err == nil {
			err = c.apply(tx, st, sc, &out)
			if c.warn != "" {
				e.Errorf("%s", c.warn)
			}
		}
		if err != nil {
			var f fail
			if errors.As(err, &f) {
				return e.Errorf("%s", f), false
			}
			return e.Errorf("%v", err), false
		}
		return 0, true
	})
	if code == 0 {
		e.Stdout.Write(out.Bytes())
	}
	return code
}

// isFamily reports whether s names an address family ifconfig knows.
func isFamily(s string) bool {
	switch s {
	case "inet", "inet6", "link", "ether", "lladdr":
		return true
	}
	return false
}

func hasFamily(ifc *iface, af string) bool {
	switch af {
	case "inet":
		return len(ifc.Inet) > 0
	case "inet6":
		return len(ifc.Inet6) > 0
	case "link", "ether", "lladdr":
		return ifc.MAC != ""
	}
	return false
}

// op is one parameter of a command line that acts on its own.
type op struct {
	word string // the keyword as given
	arg  string
}

// cmdline is a parsed `ifconfig IFACE params...`.
type cmdline struct {
	name    string
	create  bool
	ops     []op
	af      string // address family of the address, "inet" when implied
	addr    string
	mask    string // from netmask
	bcast   string
	plen    string // from prefixlen
	doalias int    // 1 alias, -1 -alias/delete, 0 replace the first address
	warn    string // printed on standard error whatever the outcome
}

// Keywords taking one argument.
var withArg = map[string]bool{
	"name": true, "mtu": true, "ether": true, "lladdr": true, "link": true, "description": true,
	"descr": true, "addm": true, "deletem": true, "vnet": true, "-vnet": true, "group": true,
	"-group": true, "netmask": true, "broadcast": true, "prefixlen": true, "metric": true,
}

// Keywords standing alone.
var alone = map[string]bool{
	"create": true, "plumb": true, "destroy": true, "unplumb": true, "up": true, "down": true,
	"alias": true, "-alias": true, "delete": true, "-description": true, "-descr": true,
}

// parseParams reads the parameters as ifconfig(8) does: an address family
// may follow the interface name; any word that is not a keyword is the
// address.
func parseParams(name string, params []string) (*cmdline, error) {
	c := &cmdline{name: name, af: "inet"}
	if len(params) > 0 && isFamily(params[0]) && len(params) > 1 {
		switch params[0] {
		case "inet", "inet6":
			c.af = params[0]
		default:
			c.af = "link"
		}
		params = params[1:]
		if c.af == "link" && len(params) > 0 && !withArg[params[0]] && !alone[params[0]] {
			c.ops = append(c.ops, op{word: "link", arg: params[0]})
			params = params[1:]
		}
	}
	for i := 0; i < len(params); i++ {
		w := params[i]
		switch {
		case withArg[w]:
			if i+1 >= len(params) {
				return nil, failf("'%s' requires argument", w)
			}
			i++
			switch w {
			case "netmask":
				c.mask = params[i]
			case "broadcast":
				c.bcast = params[i]
			case "prefixlen":
				c.plen = params[i]
			default:
				c.ops = append(c.ops, op{word: w, arg: params[i]})
			}
		case alone[w]:
			switch w {
			case "create", "plumb":
				c.create = true
			case "alias":
				c.doalias = 1
			case "-alias", "delete":
				c.doalias = -1
			default:
				c.ops = append(c.ops, op{word: w})
			}
		default:
			if c.addr != "" {
				// a second address is a point-to-point destination, which
				// none of the modelled interfaces have
				return nil, failf("%s: bad value", w)
			}
			c.addr = w
		}
	}
	if c.af == "link" && (c.mask != "" || c.plen != "" || c.bcast != "") {
		return nil, failf("%s: bad value", firstNonEmpty(c.mask, c.plen, c.bcast))
	}
	return c, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// apply runs the command line on the state; out gets what ifconfig prints.
func (c *cmdline) apply(tx *model.Tx, st *state, sc scope, out *bytes.Buffer) error {
	v := sc.v
	printName := false
	var ifc *iface
	if c.create {
		if sc.readOnly {
			return failf("SIOCIFCREATE2 (%s): %s", c.name, errPerm)
		}
		var err error
		ifc, err = st.create(sc, c.name)
		if err != nil {
			return err
		}
		printName = ifc.Name != c.name
	} else {
		ifc = v.find(c.name)
		if ifc == nil && !(len(c.ops) > 0 && c.ops[0].word == "-vnet") {
			return failf("interface %s does not exist", c.name)
		}
	}
	if sc.readOnly && (len(c.ops) > 0 || c.addr != "") {
		return failf("ioctl (SIOCSIFFLAGS): %s", errPerm)
	}
	for _, o := range c.ops {
		if ifc == nil && o.word != "-vnet" {
			return failf("ioctl (SIOCGIFFLAGS): %s", errNotConf)
		}
		switch o.word {
		case "destroy", "unplumb":
			if ifc.Kind == kindEther || (ifc.Kind == kindLoop && ifc.Name == ifc.Driver && ifc.Unit == 0) {
				return failf("SIOCIFDESTROY: %s", errInval)
			}
			st.destroy(v, ifc)
			v.pruneRoutes()
			return nil // the interface is gone; FreeBSD stops here too
		case "name":
			if err := rename(v, ifc, o.arg); err != nil {
				return err
			}
			printName = true
		case "mtu":
			if err := setMTU(v, ifc, o.arg); err != nil {
				return err
			}
		case "ether", "lladdr", "link":
			mac, err := ParseMAC(o.arg)
			if err != nil {
				return fail("malformed link-level address")
			}
			if ifc.MAC == "" {
				return failf("ioctl (set lladdr): %s", errInval)
			}
			if b, _ := strconv.ParseUint(mac[:2], 16, 8); b&1 == 1 {
				return failf("ioctl (set lladdr): %s", errInval) // multicast
			}
			ifc.MAC = mac
		case "description", "descr":
			ifc.Description = o.arg
		case "-description", "-descr":
			ifc.Description = ""
		case "up":
			ifc.Up = true
		case "down":
			ifc.Up = false
		case "metric":
			if _, err := strconv.Atoi(o.arg); err != nil {
				return failf("%s: bad value", o.arg)
			}
		case "addm":
			if err := addMember(v, ifc, o.arg); err != nil {
				return err
			}
		case "deletem":
			if err := deleteMember(v, ifc, o.arg); err != nil {
				return err
			}
		case "group":
			if err := addGroup(ifc, o.arg); err != nil {
				return err
			}
		case "-group":
			i := slices.Index(ifc.Groups, o.arg)
			if i < 0 || o.arg == kindGroup(ifc) {
				return failf("SIOCDIFGROUP: %s", errNoEnt)
			}
			ifc.Groups = slices.Delete(ifc.Groups, i, i+1)
		case "vnet":
			if err := st.toJail(tx, sc, ifc, o.arg); err != nil {
				return err
			}
			ifc = nil
		case "-vnet":
			if err := st.fromJail(tx, sc, c.name, o.arg); err != nil {
				return err
			}
			ifc = v.find(c.name)
		}
	}
	if c.addr != "" || c.doalias != 0 {
		if ifc == nil {
			return failf("ioctl (SIOCGIFFLAGS): %s", errNotConf)
		}
		if c.addr == "" {
			return failf("ioctl (SIOCDIFADDR): %s", errAddrNA)
		}
		var err error
		switch c.af {
		case "inet":
			err = c.setInet(v, ifc)
		case "inet6":
			err = c.setInet6(v, ifc)
		}
		if err != nil {
			return err
		}
		v.pruneRoutes()
	}
	if printName && ifc != nil {
		fmt.Fprintln(out, ifc.Name)
	}
	return nil
}

var (
	epairName  = regexp.MustCompile(`^epair([0-9]+)?$`)
	bridgeName = regexp.MustCompile(`^bridge([0-9]+)?$`)
	loName     = regexp.MustCompile(`^lo([0-9]+)?$`)
)

// create clones an interface as `ifconfig NAME create` does: a bare driver
// name takes the lowest free unit; an epair makes both ends and answers
// with the "a" end.
func (st *state) create(sc scope, name string) (*iface, error) {
	v := sc.v
	var kind string
	var m []string
	for k, re := range map[string]*regexp.Regexp{kindEpair: epairName, kindBridge: bridgeName, kindLoop: loName} {
		if m = re.FindStringSubmatch(name); m != nil {
			kind = k
			break
		}
	}
	if kind == "" {
		return nil, failf("SIOCIFCREATE2 (%s): %s", name, errInval)
	}
	prefix := map[string]string{kindEpair: "epair", kindBridge: "bridge", kindLoop: "lo"}[kind]
	taken := func(unit int) bool {
		for _, ov := range st.Vnets {
			for _, x := range ov.Ifaces {
				if x.Kind == kind && x.Unit == unit && x.Home == sc.name {
					return true
				}
			}
		}
		n := prefix + strconv.Itoa(unit)
		if kind == kindEpair {
			return v.find(n+"a") != nil || v.find(n+"b") != nil
		}
		return v.find(n) != nil
	}
	unit := -1
	if m[1] != "" {
		u, err := strconv.Atoi(m[1])
		if err != nil || u > 32767 {
			return nil, failf("SIOCIFCREATE2 (%s): %s", name, errInval)
		}
		if taken(u) {
			return nil, failf("SIOCIFCREATE2 (%s): %s", name, errExist)
		}
		unit = u
	} else {
		for u := 0; ; u++ {
			if !taken(u) {
				unit = u
				break
			}
		}
	}
	base := prefix + strconv.Itoa(unit)
	switch kind {
	case kindEpair:
		a := &iface{Name: base + "a", Driver: base + "a", Index: st.freeIndex(), Kind: kindEpair, Unit: unit,
			Home: sc.name, MTU: 1500, MAC: st.epairMAC(unit, 'a'), Groups: []string{"epair"}}
		a.HWAddr = a.MAC
		v.Ifaces = append(v.Ifaces, a)
		b := &iface{Name: base + "b", Driver: base + "b", Index: st.freeIndex(), Kind: kindEpair, Unit: unit,
			Home: sc.name, MTU: 1500, MAC: st.epairMAC(unit, 'b'), Groups: []string{"epair"}}
		b.HWAddr = b.MAC
		v.Ifaces = append(v.Ifaces, b)
		return a, nil
	case kindBridge:
		mac := st.mac("58:9c:fc", fmt.Sprintf("%s/%s", sc.name, base))
		b := &iface{Name: base, Driver: base, Index: st.freeIndex(), Kind: kindBridge, Unit: unit,
			Home: sc.name, MTU: 1500, MAC: mac, HWAddr: mac, Groups: []string{"bridge"}}
		v.Ifaces = append(v.Ifaces, b)
		return b, nil
	default:
		l := &iface{Name: base, Driver: base, Index: st.freeIndex(), Kind: kindLoop, Unit: unit,
			Home: sc.name, MTU: 16384, Groups: []string{"lo"}}
		v.Ifaces = append(v.Ifaces, l)
		return l, nil
	}
}

// rename is SIOCSIFNAME: the new name must be free in this stack and fit
// IFNAMSIZ.
func rename(v *vnet, ifc *iface, name string) error {
	switch {
	case name == "":
		return failf("ioctl SIOCSIFNAME (set name): %s", errInval)
	case len(name) >= 16:
		return failf("ioctl SIOCSIFNAME (set name): %s", errNameLong)
	case v.find(name) != nil:
		return failf("ioctl SIOCSIFNAME (set name): %s", errExist)
	}
	for _, r := range name {
		if r <= ' ' || r > '~' {
			return failf("ioctl SIOCSIFNAME (set name): %s", errInval)
		}
	}
	ifc.Name = name
	return nil
}

// MTU limits: the kernel's IF_MINMTU/IF_MAXMTU, narrowed by each driver.
func mtuRange(kind string) (lo, hi int) {
	switch kind {
	case kindEther:
		return 72, 9216 // em(4) with jumbo frames
	case kindEpair:
		return 72, 16384
	default:
		return 72, 65535
	}
}

func setMTU(v *vnet, ifc *iface, arg string) error {
	n, err := strconv.Atoi(arg)
	if err != nil {
		return failf("%s: bad value", arg)
	}
	lo, hi := mtuRange(ifc.Kind)
	if n < lo || n > hi {
		return failf("ioctl (set mtu): %s", errInval)
	}
	if ifc.Kind == kindBridge {
		// if_bridge sets the MTU of every member, or of none
		for _, i := range ifc.Members {
			if m := v.byIndex(i); m != nil {
				if lo, hi := mtuRange(m.Kind); n < lo || n > hi {
					return failf("ioctl (set mtu): %s", errInval)
				}
			}
		}
		for _, i := range ifc.Members {
			if m := v.byIndex(i); m != nil {
				m.MTU = n
			}
		}
	} else if b := v.bridgeOf(ifc); b != nil && b.MTU != n {
		// a member must keep its bridge's MTU
		return failf("ioctl (set mtu): %s", errInval)
	}
	ifc.MTU = n
	return nil
}

// addMember is BRDGADD: the member must exist here, be ethernet-like and
// belong to no bridge; it takes the bridge's MTU (or gives it, when first).
func addMember(v *vnet, br *iface, name string) error {
	if br.Kind != kindBridge {
		return failf("BRDGADD %s: %s", name, errInval)
	}
	m := v.find(name)
	if m == nil {
		return failf("BRDGADD %s: %s", name, errNoEnt)
	}
	if m == br || m.Kind == kindLoop || m.Kind == kindBridge {
		return failf("BRDGADD %s: %s", name, errInval)
	}
	if b := v.bridgeOf(m); b != nil {
		if b == br {
			return failf("BRDGADD %s: %s", name, errExist)
		}
		return failf("BRDGADD %s: %s", name, errBusy)
	}
	if len(br.Members) == 0 {
		br.MTU = m.MTU
	} else if m.MTU != br.MTU {
		if lo, hi := mtuRange(m.Kind); br.MTU < lo || br.MTU > hi {
			return failf("BRDGADD %s: %s", name, errInval)
		}
		m.MTU = br.MTU
	}
	br.Members = append([]int{m.Index}, br.Members...)
	return nil
}

func deleteMember(v *vnet, br *iface, name string) error {
	if br.Kind != kindBridge {
		return failf("BRDGDEL %s: %s", name, errInval)
	}
	m := v.find(name)
	if m == nil || !slices.Contains(br.Members, m.Index) {
		return failf("BRDGDEL %s: %s", name, errNoEnt)
	}
	br.Members = slices.DeleteFunc(br.Members, func(i int) bool { return i == m.Index })
	return nil
}

// kindGroup is the group an interface's driver puts it in.
func kindGroup(ifc *iface) string {
	switch ifc.Kind {
	case kindEpair, kindBridge:
		return ifc.Kind
	case kindLoop:
		return "lo"
	}
	return ""
}

func addGroup(ifc *iface, g string) error {
	if g == "" || len(g) >= 16 || g[len(g)-1] >= '0' && g[len(g)-1] <= '9' {
		return failf("SIOCAIFGROUP: %s", errInval)
	}
	if slices.Contains(ifc.Groups, g) {
		return failf("SIOCAIFGROUP: %s", errExist)
	}
	ifc.Groups = append(ifc.Groups, g)
	return nil
}

// toJail is SIOCSIFVNET: move ifc into a running jail's own stack.
func (st *state) toJail(tx *model.Tx, sc scope, ifc *iface, jail string) error {
	if sc.name != hostVnet || sc.readOnly {
		return failf("SIOCSIFVNET: %s", errPerm)
	}
	j, ok := LookupJail(tx, jail)
	if !ok {
		return failf("jail \"%s\" not found", jail)
	}
	if !j.VNet {
		return failf("SIOCSIFVNET: %s", errExist) // the jail shares this stack
	}
	to := st.vnetOf(j.Name)
	if to.find(ifc.Name) != nil {
		return failf("SIOCSIFVNET: %s", errExist)
	}
	st.move(sc.v, to, ifc)
	sc.v.pruneRoutes()
	return nil
}

// fromJail is SIOCSIFRVNET: take name back from a jail's stack.
func (st *state) fromJail(tx *model.Tx, sc scope, name, jail string) error {
	if sc.name != hostVnet || sc.readOnly {
		return failf("SIOCSIFRVNET: %s", errPerm)
	}
	j, ok := LookupJail(tx, jail)
	if !ok {
		return failf("jail \"%s\" not found", jail)
	}
	from, ok := st.Vnets[j.Name]
	if !j.VNet || !ok {
		return failf("SIOCSIFRVNET: %s", errNotConf)
	}
	ifc := from.find(name)
	if ifc == nil || ifc.Home == j.Name {
		return failf("SIOCSIFRVNET: %s", errNotConf)
	}
	if sc.v.find(name) != nil {
		return failf("SIOCSIFRVNET: %s", errExist)
	}
	st.move(from, sc.v, ifc)
	from.pruneRoutes()
	return nil
}

// ParseMAC reads a link-level address as ifconfig's `link`/`ether` accept
// it: six colon-separated hex bytes, or the 12 hex digits iocage stores.
// It returns the colon form, lower case.
func ParseMAC(s string) (string, error) {
	var b []byte
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) != 6 {
			return "", fmt.Errorf("%q is not a MAC address", s)
		}
		for _, p := range parts {
			if len(p) < 1 || len(p) > 2 {
				return "", fmt.Errorf("%q is not a MAC address", s)
			}
			n, err := strconv.ParseUint(p, 16, 8)
			if err != nil {
				return "", fmt.Errorf("%q is not a MAC address", s)
			}
			b = append(b, byte(n))
		}
	} else {
		if len(s) != 12 {
			return "", fmt.Errorf("%q is not a MAC address", s)
		}
		for i := 0; i < 12; i += 2 {
			n, err := strconv.ParseUint(s[i:i+2], 16, 8)
			if err != nil {
				return "", fmt.Errorf("%q is not a MAC address", s)
			}
			b = append(b, byte(n))
		}
	}
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]), nil
}

// parseInet reads ADDR[/LEN] for inet; bits is -1 without a length.
func parseInet(s string) (netip.Addr, int, error) {
	addr, width, hasWidth := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return netip.Addr{}, 0, failf("%s: bad value", addr)
	}
	if !hasWidth {
		return a, -1, nil
	}
	if width == "" || width[0] < '0' || width[0] > '9' {
		return netip.Addr{}, 0, failf("%s: bad value (width invalid)", s)
	}
	n, err := strconv.Atoi(width)
	if err != nil || n > 32 {
		return netip.Addr{}, 0, failf("%s: bad value (width too large)", s)
	}
	return a, n, nil
}

// maskBits reads a netmask, dotted or 0x hex, which must be contiguous.
func maskBits(s string) (int, error) {
	var m uint32
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		n, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return 0, failf("%s: bad value", s)
		}
		m = uint32(n)
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return 0, failf("%s: bad value", s)
		}
		b := a.As4()
		m = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	bits := 0
	for bits < 32 && m&(1<<(31-bits)) != 0 {
		bits++
	}
	if bits < 32 && m<<bits != 0 {
		return 0, failf("%s: bad value", s)
	}
	return bits, nil
}

// classful is the mask an address gets when none is given.
func classful(a netip.Addr) int {
	switch b := a.As4()[0]; {
	case b < 128:
		return 8
	case b < 192:
		return 16
	default:
		return 24
	}
}

func broadcastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	bits := p.Bits()
	for i := bits; i < 32; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(b)
}

// setInet adds, replaces or deletes an IPv4 address. Without `alias` the
// interface's first address is replaced, as SIOCDIFADDR with no address
// takes the first one.
func (c *cmdline) setInet(v *vnet, ifc *iface) error {
	a, bits, err := parseInet(c.addr)
	if err != nil {
		return err
	}
	if c.doalias < 0 {
		i := slices.IndexFunc(ifc.Inet, func(x inet4) bool { return x.Prefix.Addr() == a })
		if i < 0 {
			return failf("ioctl (SIOCDIFADDR): %s", errAddrNA)
		}
		ifc.Inet = slices.Delete(ifc.Inet, i, i+1)
		return nil
	}
	if c.mask != "" {
		if bits, err = maskBits(c.mask); err != nil {
			return err
		}
	}
	if bits < 0 {
		c.warn = "WARNING: setting interface address without mask is deprecated,\ndefault mask may not be correct."
		bits = classful(a)
	}
	p := netip.PrefixFrom(a, bits)
	var bc netip.Addr
	if ifc.Kind != kindLoop {
		bc = broadcastOf(p)
		if c.bcast != "" {
			if bc, err = netip.ParseAddr(c.bcast); err != nil || !bc.Is4() {
				return failf("%s: bad value", c.bcast)
			}
		}
	}
	for _, o := range v.Ifaces {
		if o != ifc && slices.ContainsFunc(o.Inet, func(x inet4) bool { return x.Prefix.Addr() == a }) {
			return failf("ioctl (SIOCAIFADDR): %s", errExist)
		}
	}
	if c.doalias == 0 && len(ifc.Inet) > 0 {
		ifc.Inet = ifc.Inet[1:]
	}
	entry := inet4{Prefix: p, Broadcast: bc}
	if i := slices.IndexFunc(ifc.Inet, func(x inet4) bool { return x.Prefix.Addr() == a }); i >= 0 {
		ifc.Inet[i] = entry
	} else if c.doalias == 0 {
		ifc.Inet = append([]inet4{entry}, ifc.Inet...)
	} else {
		ifc.Inet = append(ifc.Inet, entry)
	}
	ifc.Up = true
	return nil
}

// setInet6 adds or deletes an IPv6 address; inet6 never replaces one.
func (c *cmdline) setInet6(v *vnet, ifc *iface) error {
	if c.bcast != "" || c.mask != "" {
		return failf("%s: bad value", firstNonEmpty(c.bcast, c.mask))
	}
	s, width, hasWidth := strings.Cut(c.addr, "/")
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Is4In6() {
		return failf("%s: bad value", s)
	}
	if z := a.Zone(); z != "" && z != ifc.Name {
		return failf("%s: bad value", s)
	}
	a = a.WithZone("")
	bits := 64
	if a.IsLoopback() {
		bits = 128
	}
	if hasWidth {
		if bits, err = strconv.Atoi(width); err != nil || bits < 0 || bits > 128 {
			return failf("%s: bad value", width)
		}
	}
	if c.plen != "" {
		if bits, err = strconv.Atoi(c.plen); err != nil || bits < 0 || bits > 128 {
			return failf("%s: bad value", c.plen)
		}
	}
	if c.doalias < 0 {
		i := slices.IndexFunc(ifc.Inet6, func(x inet6) bool { return x.Prefix.Addr() == a })
		if i < 0 {
			return failf("ioctl (SIOCDIFADDR_IN6): %s", errAddrNA)
		}
		ifc.Inet6 = slices.Delete(ifc.Inet6, i, i+1)
		return nil
	}
	if !a.IsLinkLocalUnicast() {
		for _, o := range v.Ifaces {
			if o != ifc && slices.ContainsFunc(o.Inet6, func(x inet6) bool { return x.Prefix.Addr() == a }) {
				return failf("ioctl (SIOCAIFADDR_IN6): %s", errExist)
			}
		}
	}
	entry := inet6{Prefix: netip.PrefixFrom(a, bits)}
	if i := slices.IndexFunc(ifc.Inet6, func(x inet6) bool { return x.Prefix.Addr() == a }); i >= 0 {
		ifc.Inet6[i] = entry
	} else {
		ifc.Inet6 = append(ifc.Inet6, entry)
	}
	ifc.Up = true
	return nil
}
