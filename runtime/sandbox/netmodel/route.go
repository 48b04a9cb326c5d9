package netmodel

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const routeUsage = "route [-j jail] [-46dnqtv] command [[modifiers] args]"

// routeCmd is a parsed `route add|delete|change|get ...`.
type routeCmd struct {
	verb    string
	inet6   bool
	famSet  bool
	host    bool
	net     bool
	dest    string // as given, for the messages
	prefix  netip.Prefix
	gwText  string
	gateway netip.Addr
	iface   bool // -interface: the gateway names an interface
}

// route is the model of route(8).
func route(e *model.Env) int {
	args := e.Args
	var quiet, inet6, famSet bool
	jail := e.Jail
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		a := args[0]
		args = args[1:]
		if a == "-j" {
			if len(args) == 0 {
				return e.Usage(64, routeUsage)
			}
			jail, args = args[0], args[1:]
			continue
		}
		for _, c := range a[1:] {
			switch c {
			case 'n', 'v', 'd', 't':
			case 'q':
				quiet = true
			case '4':
				inet6, famSet = false, true
			case '6':
				inet6, famSet = true, true
			default:
				return e.Usage(64, routeUsage)
			}
		}
	}
	if len(args) == 0 {
		return e.Usage(64, routeUsage)
	}
	verb := args[0]
	switch verb {
	case "get", "show", "add", "delete", "change":
	case "flush":
		return routeFlush(e, jail, args[1:], inet6, quiet)
	default:
		fmt.Fprintf(e.Stderr, "route: botched keyword: %s\n", verb)
		return e.Usage(64, routeUsage)
	}
	rc, err := parseRoute(verb, args[1:], inet6, famSet)
	if err != nil {
		return e.Errorf("%v", err)
	}
	var out bytes.Buffer
	code := update(e, func(tx *model.Tx, st *state) (int, bool) {
		sc := where(tx, st, jail)
		if rc.verb == "get" || rc.verb == "show" {
			if !printRoute(&out, sc.v, rc) {
				return e.Errorf("route has not been found"), false
			}
			return 0, sc.created
		}
		if sc.readOnly {
			return e.Errorf("writing to routing socket: %s", errPerm), false
		}
		if errno := rc.apply(sc.v); errno != "" {
			fmt.Fprintf(e.Stderr, "route: writing to routing socket: %s\n", errno)
			if !quiet {
				rc.report(&out, routeReason(errno))
			}
			return 1, false
		}
		if !quiet {
			rc.report(&out, "")
		}
		return 0, true
	})
	e.Stdout.Write(out.Bytes())
	return code
}

// routeReason is the wording route(8) gives an errno after its message.
func routeReason(errno string) string {
	switch errno {
	case "No such process":
		return "not in table"
	case errExist:
		return "route already in table"
	}
	return errno
}

// report prints route(8)'s line about an add, change or delete.
func (rc *routeCmd) report(w io.Writer, reason string) {
	kind := "net"
	if rc.host {
		kind = "host"
	}
	fmt.Fprintf(w, "%s %s %s", rc.verb, kind, rc.dest)
	if rc.gwText != "" {
		fmt.Fprintf(w, ": gateway %s", rc.gwText)
	}
	if reason != "" {
		fmt.Fprintf(w, ": %s", reason)
	}
	fmt.Fprintln(w)
}

// parseRoute reads the modifiers and the destination, gateway and netmask
// words of route(8).
func parseRoute(verb string, args []string, inet6, famSet bool) (*routeCmd, error) {
	rc := &routeCmd{verb: verb, inet6: inet6, famSet: famSet}
	var words []string
	mask := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			words = append(words, a)
			continue
		}
		switch a[1:] {
		case "net":
			rc.net = true
		case "host":
			rc.host = true
		case "inet", "4":
			rc.inet6, rc.famSet = false, true
		case "inet6", "6":
			rc.inet6, rc.famSet = true, true
		case "interface", "iface":
			rc.iface = true
		case "static", "nostatic", "proto1", "proto2", "proto3":
		case "netmask", "prefixlen", "fib", "ifp", "ifa", "mtu", "weight", "expire":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s: missing argument", a)
			}
			i++
			switch a[1:] {
			case "netmask":
				mask = args[i]
			case "prefixlen":
				mask = "/" + args[i]
			case "fib":
				if args[i] != "0" {
					return nil, fmt.Errorf("fib number %s is out of range", args[i])
				}
			}
		default:
			return nil, fmt.Errorf("bad keyword: %s", a[1:])
		}
	}
	need := 2
	if verb == "get" || verb == "show" || verb == "delete" {
		need = 1
	}
	if len(words) < need || len(words) > 3 {
		return nil, fmt.Errorf("missing %s", map[bool]string{true: "destination", false: "argument"}[len(words) == 0])
	}
	rc.dest = words[0]
	if len(words) > 1 {
		rc.gwText = words[1]
	}
	if len(words) > 2 {
		mask = words[2]
	}
	if err := rc.resolve(mask); err != nil {
		return nil, err
	}
	return rc, nil
}

// resolve turns the destination, gateway and mask words into addresses.
func (rc *routeCmd) resolve(mask string) error {
	d := rc.dest
	if !rc.famSet && d != "default" && strings.Contains(d, ":") {
		rc.inet6 = true
	}
	switch {
	case d == "default":
		if rc.inet6 {
			rc.prefix = netip.MustParsePrefix("::/0")
		} else {
			rc.prefix = netip.MustParsePrefix("0.0.0.0/0")
		}
	default:
		addr, width, hasWidth := strings.Cut(d, "/")
		a, err := netip.ParseAddr(addr)
		if err != nil || a.Is6() != rc.inet6 {
			return fmt.Errorf("%s: bad address", d)
		}
		bits := a.BitLen()
		if rc.net && !rc.inet6 && !hasWidth && mask == "" {
			bits = classful(a)
		}
		if hasWidth {
			if bits, err = strconv.Atoi(width); err != nil || bits < 0 || bits > a.BitLen() {
				return fmt.Errorf("%s: bad address", d)
			}
			rc.dest = addr
		}
		if mask != "" {
			if m, ok := strings.CutPrefix(mask, "/"); ok {
				if bits, err = strconv.Atoi(m); err != nil || bits < 0 || bits > a.BitLen() {
					return fmt.Errorf("%s: bad value", m)
				}
			} else if !rc.inet6 {
				if bits, err = maskBits(mask); err != nil {
					return fmt.Errorf("%s: bad address", mask)
				}
			}
		}
		rc.prefix = netip.PrefixFrom(a.WithZone(""), bits).Masked()
		if bits == a.BitLen() && !rc.net {
			rc.host = true
		}
	}
	if rc.gwText != "" && !rc.iface {
		g, err := netip.ParseAddr(rc.gwText)
		if err != nil || g.Is6() != rc.inet6 {
			return fmt.Errorf("%s: bad address", rc.gwText)
		}
		rc.gateway = g
	}
	return nil
}

// apply changes v's table; it returns the errno text on failure.
func (rc *routeCmd) apply(v *vnet) string {
	i := slices.IndexFunc(v.Routes, func(r *sroute) bool { return r.Dest == rc.prefix })
	switch rc.verb {
	case "delete":
		if i < 0 || (rc.gateway.IsValid() && v.Routes[i].Gateway != rc.gateway) {
			return "No such process"
		}
		v.Routes = slices.Delete(v.Routes, i, i+1)
		return ""
	case "change":
		if i < 0 {
			return "No such process"
		}
	case "add":
		if i >= 0 {
			return errExist
		}
	}
	var out *iface
	if rc.iface {
		out = v.find(rc.gwText)
	} else {
		out = v.connected(rc.gateway)
	}
	if out == nil {
		return "Network is unreachable"
	}
	r := &sroute{Dest: rc.prefix, Gateway: rc.gateway, Iface: out.Index, Host: rc.host}
	if i >= 0 {
		v.Routes[i] = r
	} else {
		v.Routes = append(v.Routes, r)
	}
	return ""
}

// printRoute answers `route get`: the static route for the destination,
// else the longest matching one, else the connected subnet.
func printRoute(w io.Writer, v *vnet, rc *routeCmd) bool {
	var best *sroute
	for _, r := range v.Routes {
		if r.Dest.Addr().Is6() != rc.inet6 || !r.Dest.Contains(rc.prefix.Addr()) || r.Dest.Bits() > rc.prefix.Bits() {
			continue
		}
		if best == nil || r.Dest.Bits() > best.Dest.Bits() {
			best = r
		}
	}
	var conn *iface
	var connPrefix netip.Prefix
	if rc.prefix.Bits() > 0 {
		for _, ifc := range v.Ifaces {
			var ps []netip.Prefix
			for _, a := range ifc.Inet {
				ps = append(ps, a.Prefix.Masked())
			}
			for _, a := range ifc.Inet6 {
				ps = append(ps, a.Prefix.Masked())
			}
			for _, p := range ps {
				if p.Addr().Is6() == rc.inet6 && p.Contains(rc.prefix.Addr()) && p.Bits() > connPrefix.Bits() {
					conn, connPrefix = ifc, p
				}
			}
		}
	}
	if conn != nil && (best == nil || connPrefix.Bits() >= best.Dest.Bits()) {
		fmt.Fprintf(w, "   route to: %s\n", rc.prefix.Addr())
		fmt.Fprintf(w, "destination: %s\n", connPrefix.Addr())
		fmt.Fprintf(w, "       mask: %s\n", maskText(connPrefix))
		fmt.Fprintf(w, "        fib: 0\n  interface: %s\n      flags: <UP,DONE,PINNED>\n", conn.Name)
		routeStats(w, conn.MTU)
		return true
	}
	if best == nil {
		return false
	}
	out := v.byIndex(best.Iface)
	if out == nil {
		return false
	}
	to, dest := rc.prefix.Addr().String(), best.Dest.Addr().String()
	if best.Dest.Bits() == 0 && !rc.inet6 {
		dest = "default"
	}
	if rc.dest == "default" && !rc.inet6 {
		to = "default"
	}
	fmt.Fprintf(w, "   route to: %s\n", to)
	fmt.Fprintf(w, "destination: %s\n", dest)
	if !best.Host {
		fmt.Fprintf(w, "       mask: %s\n", maskText(best.Dest))
	}
	gw := best.Gateway.String()
	if best.Gateway.Is6() && best.Gateway.IsLinkLocalUnicast() && best.Gateway.Zone() == "" {
		gw += "%" + out.Name
	}
	fmt.Fprintf(w, "    gateway: %s\n", gw)
	fmt.Fprintf(w, "        fib: 0\n  interface: %s\n", out.Name)
	if best.Host {
		fmt.Fprintf(w, "      flags: <UP,GATEWAY,HOST,DONE,STATIC>\n")
	} else {
		fmt.Fprintf(w, "      flags: <UP,GATEWAY,DONE,STATIC>\n")
	}
	routeStats(w, out.MTU)
	return true
}

func maskText(p netip.Prefix) string {
	if p.Bits() == 0 {
		return "default"
	}
	if p.Addr().Is6() {
		b := [16]byte{}
		for i := 0; i < p.Bits(); i++ {
			b[i/8] |= 1 << (7 - i%8)
		}
		return netip.AddrFrom16(b).String()
	}
	m := maskOf(p.Bits())
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

// routeStats is the metrics table route(8) ends `get` with.
func routeStats(w io.Writer, mtu int) {
	fmt.Fprintln(w, " recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire")
	for _, n := range []int{0, 0, 0, 0, mtu, 1} {
		fmt.Fprintf(w, "%8d  ", n)
	}
	fmt.Fprintf(w, "%8d \n", 0)
}

// routeFlush removes every static route of one family.
func routeFlush(e *model.Env, jail string, args []string, inet6, quiet bool) int {
	for _, a := range args {
		switch a {
		case "-inet", "-4":
			inet6 = false
		case "-inet6", "-6":
			inet6 = true
		default:
			return e.Usage(64, routeUsage)
		}
	}
	var out bytes.Buffer
	code := update(e, func(tx *model.Tx, st *state) (int, bool) {
		sc := where(tx, st, jail)
		if sc.readOnly {
			return e.Errorf("writing to routing socket: %s", errPerm), false
		}
		var keep []*sroute
		for _, r := range sc.v.Routes {
			if r.Dest.Addr().Is6() != inet6 {
				keep = append(keep, r)
				continue
			}
			dest := r.Dest.Addr().String()
			if r.Dest.Bits() == 0 {
				dest = "default"
			}
			if !quiet {
				fmt.Fprintf(&out, "%-20.20s %-20.20s done\n", dest, r.Gateway)
			}
		}
		sc.v.Routes = keep
		return 0, true
	})
	e.Stdout.Write(out.Bytes())
	return code
}
