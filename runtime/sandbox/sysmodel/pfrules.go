package sysmodel

// The part of pf.conf(5) the pfctl model reads: nat, rdr, and minimal pass
// and block rules, without macros, lists or tables. A rule is parsed into
// the canonical form pfctl -s prints it in, so what a test reads back is
// what a FreeBSD host shows.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// pfRule is one parsed rule: its ruleset (nat, rdr or filter) and the line
// pfctl -s prints for it.
type pfRule struct {
	Kind string `json:"kind"` // "nat", "rdr" or "filter"
	Text string `json:"text"`
}

// pfParser walks the words of one rule.
type pfParser struct {
	w []string
	i int
}

func (p *pfParser) peek() string {
	if p.i < len(p.w) {
		return p.w[p.i]
	}
	return ""
}

func (p *pfParser) next() string {
	s := p.peek()
	if p.i < len(p.w) {
		p.i++
	}
	return s
}

func (p *pfParser) accept(s string) bool {
	if p.peek() == s {
		p.i++
		return true
	}
	return false
}

var errPfSyntax = fmt.Errorf("syntax error")

// pfWords splits a rule into the words pf's lexer sees for the subset
// modelled: parentheses and "->" stand alone.
func pfWords(line string) []string {
	line = strings.ReplaceAll(line, "->", " -> ")
	line = strings.ReplaceAll(line, "(", " ( ")
	line = strings.ReplaceAll(line, ")", " ) ")
	line = strings.ReplaceAll(line, "=", " = ")
	return strings.Fields(line)
}

func validIfname(s string) bool {
	if s == "" || len(s) > 15 {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// host reads "any", "(IF)", ADDR or ADDR/MASK of family af ("" for
// either); it returns the printed form.
func (p *pfParser) host(af string) (string, error) {
	w := p.next()
	switch {
	case w == "any":
		return "any", nil
	case w == "(":
		ifn := p.next()
		if !validIfname(ifn) || !p.accept(")") {
			return "", errPfSyntax
		}
		return "(" + ifn + ")", nil
	}
	if pfx, err := netip.ParsePrefix(w); err == nil {
		if !famOK(pfx.Addr(), af) || pfx.Addr().Zone() != "" {
			return "", errPfSyntax
		}
		if pfx.Bits() == pfx.Addr().BitLen() {
			return pfx.Addr().String(), nil
		}
		return pfx.Masked().String(), nil
	}
	a, err := netip.ParseAddr(w)
	if err != nil || a.Zone() != "" || !famOK(a, af) {
		return "", errPfSyntax
	}
	return a.String(), nil
}

func famOK(a netip.Addr, af string) bool {
	switch af {
	case "inet":
		return a.Is4()
	case "inet6":
		return a.Is6() && !a.Is4In6()
	}
	return !a.Is4In6()
}

// port reads "port N" or "port = N" (N 1-65535); "" when there is no port.
// pfctl prints a single port as "port = N".
func (p *pfParser) port() (string, bool, error) {
	if !p.accept("port") {
		return "", false, nil
	}
	p.accept("=")
	n, err := strconv.Atoi(p.next())
	if err != nil || n < 0 || n > 65535 {
		return "", false, errPfSyntax
	}
	return strconv.Itoa(n), true, nil
}

// parsePfRule parses one rule (no comment, not blank).
func parsePfRule(line string) (pfRule, error) {
	p := &pfParser{w: pfWords(line)}
	switch p.peek() {
	case "nat", "rdr":
		return p.translation()
	case "pass", "block":
		return p.filter()
	}
	return pfRule{}, errPfSyntax
}

// familyProto reads [inet|inet6] [proto tcp|udp], writing what it read to b.
func (p *pfParser) familyProto(b *strings.Builder) (af, proto string, err error) {
	if p.peek() == "inet" || p.peek() == "inet6" {
		af = p.next()
		b.WriteString(" " + af)
	}
	if p.accept("proto") {
		proto = p.next()
		if proto != "tcp" && proto != "udp" {
			return "", "", errPfSyntax
		}
		b.WriteString(" proto " + proto)
	}
	return af, proto, nil
}

// endpoint reads HOST [port N] (a port needs a proto) and returns the host
// and the text pfctl prints for both ("10.0.0.1 port = 80").
// pfEnds are the two sides of "from HOST [port N] to HOST [port N]".
type pfEnds struct {
	src, srcText, dst, dstText string
	srcPort, dstPort           bool
}

// fromTo reads what follows "from": HOST [port N] to HOST [port N].
func (p *pfParser) fromTo(af, proto string) (pfEnds, error) {
	var e pfEnds
	var err error
	if e.src, e.srcText, e.srcPort, err = p.endpoint(af, proto); err != nil {
		return e, err
	}
	if !p.accept("to") {
		return e, errPfSyntax
	}
	e.dst, e.dstText, e.dstPort, err = p.endpoint(af, proto)
	return e, err
}

func (p *pfParser) endpoint(af, proto string) (host, text string, hasPort bool, err error) {
	host, err = p.host(af)
	if err != nil {
		return "", "", false, err
	}
	port, hasPort, err := p.port()
	if err != nil || hasPort && proto == "" {
		return "", "", false, errPfSyntax
	}
	text = host
	if hasPort {
		text += " port = " + port
	}
	return host, text, hasPort, nil
}

// translation: (nat|rdr) [pass] on IF [inet|inet6] [proto tcp|udp]
// from HOST [port N] to HOST [port N] -> HOST [port N].
func (p *pfParser) translation() (pfRule, error) {
	kind := p.next()
	var b strings.Builder
	b.WriteString(kind)
	if p.accept("pass") {
		b.WriteString(" pass")
	}
	if !p.accept("on") {
		return pfRule{}, errPfSyntax
	}
	ifn := p.next()
	if !validIfname(ifn) {
		return pfRule{}, errPfSyntax
	}
	b.WriteString(" on " + ifn)
	af, proto, err := p.familyProto(&b)
	if err != nil {
		return pfRule{}, err
	}
	if !p.accept("from") {
		return pfRule{}, errPfSyntax
	}
	e, err := p.fromTo(af, proto)
	if err != nil {
		return pfRule{}, err
	}
	b.WriteString(" from " + e.srcText + " to " + e.dstText)
	if !p.accept("->") {
		return pfRule{}, errPfSyntax
	}
	target, err := p.host(af)
	if err != nil || target == "any" {
		return pfRule{}, errPfSyntax
	}
	b.WriteString(" -> " + target)
	tp, hasTP, err := p.port()
	if err != nil || hasTP && (proto == "" || kind == "nat") {
		return pfRule{}, errPfSyntax
	}
	if hasTP {
		b.WriteString(" port " + tp)
	}
	if p.accept("round-robin") && !strings.HasPrefix(target, "(") {
		return pfRule{}, errPfSyntax
	}
	if strings.HasPrefix(target, "(") {
		// An address taken from an interface is a pool pf walks.
		b.WriteString(" round-robin")
	}
	if p.i != len(p.w) {
		return pfRule{}, errPfSyntax
	}
	return pfRule{Kind: kind, Text: b.String()}, nil
}

// filter: (pass|block) [in|out] [quick] [on IF] [inet|inet6]
// [proto tcp|udp] (all | from HOST [port N] to HOST [port N]).
func (p *pfParser) filter() (pfRule, error) {
	action := p.next()
	var b strings.Builder
	b.WriteString(action)
	if p.peek() == "in" || p.peek() == "out" {
		b.WriteString(" " + p.next())
	}
	if p.accept("quick") {
		b.WriteString(" quick")
	}
	if p.accept("on") {
		ifn := p.next()
		if !validIfname(ifn) {
			return pfRule{}, errPfSyntax
		}
		b.WriteString(" on " + ifn)
	}
	af, proto, err := p.familyProto(&b)
	if err != nil {
		return pfRule{}, err
	}
	if p.accept("all") {
		b.WriteString(" all")
	} else if p.accept("from") {
		e, err := p.fromTo(af, proto)
		if err != nil {
			return pfRule{}, err
		}
		if e.src == "any" && e.dst == "any" && !e.srcPort && !e.dstPort {
			b.WriteString(" all")
		} else {
			b.WriteString(" from " + e.srcText + " to " + e.dstText)
		}
	} else {
		b.WriteString(" all")
	}
	if action == "pass" {
		// What pfctl prints after a pass rule, the defaults spelt out.
		if p.accept("flags") && (p.next() != "S/SA" || proto == "udp") {
			return pfRule{}, errPfSyntax
		}
		if p.accept("keep") && !p.accept("state") {
			return pfRule{}, errPfSyntax
		}
	}
	if p.i != len(p.w) {
		return pfRule{}, errPfSyntax
	}
	if action == "pass" {
		// pf keeps state by default, and checks TCP SYNs to make it.
		if proto == "" || proto == "tcp" {
			b.WriteString(" flags S/SA")
		}
		b.WriteString(" keep state")
	}
	return pfRule{Kind: "filter", Text: b.String()}, nil
}

// parsePfConf parses a rule file; on a bad line it returns its 1-based
// number.
func parsePfConf(text string) ([]pfRule, int, error) {
	var out []pfRule
	for i, line := range strings.Split(text, "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		r, err := parsePfRule(line)
		if err != nil {
			return nil, i + 1, err
		}
		out = append(out, r)
	}
	return out, 0, nil
}
