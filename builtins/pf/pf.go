// Package pf is the Starlark module `pf`: network address translation and
// port redirects of jails with FreeBSD's packet filter, pf(4). Each jail's
// rules live in an anchor of iocage's own, "iocage/ioc-UUID", loaded with
// `pfctl -a ANCHOR -f -` and flushed with `pfctl -a ANCHOR -F all`; the
// rest of the host's ruleset is never touched. pf.conf only needs the
// anchor points AnchorPoints lists, which `iocage pf-setup` adds.
//
// Starlark signatures:
//
//	pf.anchor(name) -> str
//	pf.parse_rdr(value) -> [struct]
//	pf.rules(interface, addresses, nat=False, rdr="") -> [str]
//	pf.load_rules(anchor, rules)
//	pf.flush(anchor)
//	pf.show(anchor, what="nat") -> [str]
//	pf.anchor_points() -> [str]
//	pf.install_anchor_points(path="/etc/pf.conf") -> [str]
package pf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime"
)

// Root is the anchor under which every jail's anchor lives.
const Root = "iocage"

// PfConf is the ruleset rc.d/pf loads at boot.
const PfConf = "/etc/pf.conf"

// AnchorPoints are the lines pf.conf needs so that the rules iocage loads
// into iocage/* are evaluated: translation (nat, rdr) and filter rules are
// separate rulesets in FreeBSD's pf, each with its own anchor point.
var AnchorPoints = []string{`nat-anchor "iocage/*"`, `rdr-anchor "iocage/*"`, `anchor "iocage/*"`}

// Redirect is one entry of the rdr property: connections to the host's
// port HostPort (protocol Proto) go to the jail's port JailPort.
type Redirect struct {
	Proto    string // "tcp" or "udp"
	HostPort int
	JailPort int
}

func (r Redirect) String() string { return fmt.Sprintf("%s %d:%d", r.Proto, r.HostPort, r.JailPort) }

// RdrValues says what the rdr property accepts.
const RdrValues = `none, or a comma list of PROTO HOSTPORT:JAILPORT with PROTO tcp or udp and ports 1-65535, each PROTO HOSTPORT once (e.g. "tcp 8080:80, udp 5353:53")`

// ParseRedirects reads the rdr property: "none" (or empty) is no redirect.
// Port ranges are refused: pf maps them only in ways that are easy to get
// wrong, and a list of single ports says the same plainly.
func ParseRedirects(v string) ([]Redirect, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "none" || v == "-" {
		return nil, nil
	}
	var out []Redirect
	seen := map[string]string{}
	for _, entry := range strings.Split(v, ",") {
		f := strings.Fields(entry)
		if len(f) != 2 {
			return nil, fmt.Errorf("redirect %q: want PROTO HOSTPORT:JAILPORT, e.g. tcp 8080:80", strings.TrimSpace(entry))
		}
		r := Redirect{Proto: f[0]}
		if r.Proto != "tcp" && r.Proto != "udp" {
			return nil, fmt.Errorf("redirect %q: protocol %q is not tcp or udp", strings.Join(f, " "), f[0])
		}
		hp, jp, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("redirect %q: want HOSTPORT:JAILPORT after the protocol", strings.Join(f, " "))
		}
		var err error
		if r.HostPort, err = port(hp); err != nil {
			return nil, fmt.Errorf("redirect %q: host %w", strings.Join(f, " "), err)
		}
		if r.JailPort, err = port(jp); err != nil {
			return nil, fmt.Errorf("redirect %q: jail %w", strings.Join(f, " "), err)
		}
		key := fmt.Sprintf("%s %d", r.Proto, r.HostPort)
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("redirects %q and %q both take %s port %d of the host", prev, r.String(), r.Proto, r.HostPort)
		}
		seen[key] = r.String()
		out = append(out, r)
	}
	return out, nil
}

func port(s string) (int, error) {
	if strings.Contains(s, "-") {
		return 0, fmt.Errorf("port %q: port ranges are not supported; list the ports one by one", s)
	}
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" || s[0] == '0' {
		return 0, fmt.Errorf("port %q is not a number 1-65535", s)
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number 1-65535", s)
	}
	return n, nil
}

// CheckInterface refuses what cannot be an interface name in a pf rule:
// up to 15 letters, digits, '.', '_' and '-' after a letter.
func CheckInterface(s string) error {
	if s == "" || len(s) > 15 {
		return fmt.Errorf("interface %q: want 1 to 15 characters", s)
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return fmt.Errorf("interface %q does not start with a letter", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("interface %q: %q is not a letter, digit, '.', '_' or '-'", s, r)
		}
	}
	return nil
}

// Anchor is the anchor holding the rules of the jail called name
// ("ioc-UUID").
func Anchor(name string) (string, error) {
	if err := checkAnchorPart(name); err != nil {
		return "", err
	}
	return Root + "/" + name, nil
}

func checkAnchorPart(s string) error {
	if s == "" || s[0] == '-' || s == "." || s == ".." || s == "_" {
		return fmt.Errorf("jail name %q cannot name an anchor", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("jail name %q cannot name an anchor: %q is not a letter, digit, '.', '_' or '-'", s, r)
		}
	}
	return nil
}

// checkOwnAnchor refuses an anchor that is not one of iocage's jails'.
func checkOwnAnchor(a string) error {
	rest, ok := strings.CutPrefix(a, Root+"/")
	if !ok || strings.Contains(rest, "/") {
		return fmt.Errorf("anchor %q is not iocage's (%s/NAME)", a, Root)
	}
	return checkAnchorPart(rest)
}

// Rules are the pf.conf(5) rules of a jail with the IPv4 addresses addrs
// whose traffic leaves by iface: with nat, one nat rule per address that
// rewrites the source to iface's address (followed as it changes: the
// interface in parentheses); one rdr pass rule per redirect, to the first
// address. No host access.
func Rules(iface string, addrs []netip.Addr, nat bool, rdrs []Redirect) ([]string, error) {
	if !nat && len(rdrs) == 0 {
		return nil, nil
	}
	if err := CheckInterface(iface); err != nil {
		return nil, err
	}
	var v4 []netip.Addr
	for _, a := range addrs {
		if !a.Is4() {
			return nil, fmt.Errorf("address %s is not IPv4: pf rules are made for ip4_addr only", a)
		}
		v4 = append(v4, a)
	}
	if len(v4) == 0 {
		return nil, errors.New("the jail has no IPv4 address (ip4_addr) to translate")
	}
	var out []string
	if nat {
		for _, a := range v4 {
			out = append(out, fmt.Sprintf("nat on %s inet from %s to any -> (%s)", iface, a, iface))
		}
	}
	for _, r := range rdrs {
		out = append(out, fmt.Sprintf("rdr pass on %s inet proto %s from any to (%s) port %d -> %s port %d",
			iface, r.Proto, iface, r.HostPort, v4[0], r.JailPort))
	}
	return out, nil
}

// Load replaces the rules of anchor with rules (`pfctl -a ANCHOR -f -`,
// the rules on standard input).
func Load(ctx context.Context, h *runtime.Host, anchor string, rules []string) error {
	if err := checkOwnAnchor(anchor); err != nil {
		return err
	}
	for _, r := range rules {
		if strings.ContainsAny(r, "\n\r\\") {
			return fmt.Errorf("rule %q spans lines", r)
		}
	}
	text := strings.Join(rules, "\n") + "\n"
	_, err := h.Run(ctx, &runtime.Cmd{Path: runtime.Pfctl, Args: []string{"-a", anchor, "-f", "-"},
		Stdin: strings.NewReader(text), Change: true})
	return err
}

// Flush removes every rule and table of anchor (`pfctl -a ANCHOR -F all`).
func Flush(ctx context.Context, h *runtime.Host, anchor string) error {
	if err := checkOwnAnchor(anchor); err != nil {
		return err
	}
	return h.Change(ctx, runtime.Pfctl, "-a", anchor, "-F", "all")
}

// Show lists the rules of anchor as pfctl prints them: what is "nat" (the
// translation rules, nat and rdr) or "rules" (the filter rules).
func Show(ctx context.Context, h *runtime.Host, anchor, what string) ([]string, error) {
	if err := checkOwnAnchor(anchor); err != nil {
		return nil, err
	}
	if what != "nat" && what != "rules" {
		return nil, fmt.Errorf("what %q is not nat or rules", what)
	}
	out, err := h.Output(ctx, runtime.Pfctl, "-a", anchor, "-s", what)
	if err != nil {
		return nil, err
	}
	var rs []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			rs = append(rs, l)
		}
	}
	return rs, nil
}

// MissingAnchorPoints returns the lines of AnchorPoints that conf lacks
// (comparing lines without surrounding blanks; a commented line does not
// count).
func MissingAnchorPoints(conf string) []string {
	have := map[string]bool{}
	for _, l := range strings.Split(conf, "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	var out []string
	for _, l := range AnchorPoints {
		if !have[l] {
			out = append(out, l)
		}
	}
	return out
}

// InstallAnchorPoints appends to the pf.conf at path the anchor points it
// lacks, creating the file when there is none, and returns the lines
// added. The file is replaced whole (atomically); undo, when not nil, is
// given the previous content and whether there was a file, before the
// write.
func InstallAnchorPoints(h *runtime.Host, path string, undo func(old []byte, existed bool) error) ([]string, error) {
	old, err := h.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return nil, err
	}
	missing := MissingAnchorPoints(string(old))
	if len(missing) == 0 {
		return nil, nil
	}
	text := string(old)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += "# Added by iocage pf-setup: the rules of jails with nat or rdr.\n" + strings.Join(missing, "\n") + "\n"
	if undo != nil {
		if err := undo(old, existed); err != nil {
			return nil, err
		}
	}
	perm := os.FileMode(0o644)
	if fi, err := h.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := h.WriteFile(path, []byte(text), perm); err != nil {
		return nil, err
	}
	return missing, nil
}
