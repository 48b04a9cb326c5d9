package net

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Addr is one entry of a jail's ip4_addr or ip6_addr property:
// `[IFACE|]ADDR[/MASK] [ifconfig params]`.
type Addr struct {
	// Interface is the text before "|": an interface name, "DEFAULT" (the
	// default route's interface, substituted at start), or "" when the
	// entry names none.
	Interface string
	// Address is the address; invalid when Auto.
	Address netip.Addr
	// Prefix is the mask length, -1 when the entry gives none. A dotted
	// IPv4 netmask is turned into its length.
	Prefix int
	// Auto marks the AUTOIP4 placeholder, resolved by AllocateAutoIP4.
	Auto bool
	// Params are further ifconfig parameters, passed on word by word.
	Params []string
}

// String renders the entry the way the property stores it (masks as
// lengths).
func (a Addr) String() string {
	var b strings.Builder
	if a.Interface != "" {
		b.WriteString(a.Interface + "|")
	}
	b.WriteString(a.AddrText())
	for _, p := range a.Params {
		b.WriteString(" " + p)
	}
	return b.String()
}

// AddrText is ADDR[/LEN] alone, as ifconfig and jail(8) take it.
func (a Addr) AddrText() string {
	if a.Auto {
		return "AUTOIP4"
	}
	s := a.Address.String()
	if a.Prefix >= 0 {
		s += "/" + strconv.Itoa(a.Prefix)
	}
	return s
}

const (
	ip4Accepted = `"none", or comma-separated entries [IFACE|]ADDR[/MASK] [ifconfig params], ` +
		`with IFACE an interface name or DEFAULT, ADDR an IPv4 address or AUTOIP4, ` +
		`MASK a length 0-32 or a dotted netmask`
	ip6Accepted = `"none", or comma-separated entries [IFACE|]ADDR[/LEN] [ifconfig params], ` +
		`with IFACE an interface name or DEFAULT, ADDR an IPv6 address, LEN 0-128`
)

// ValueError is a property value a parser here refuses. Its text names the
// property, the part of the value at fault and what is accepted, so that
// set and start refuse a value with the same words.
type ValueError struct {
	Property string // "ip4_addr"
	Reason   string // what is wrong, naming the entry at fault
	Accepted string // the accepted form
	Err      error  // the cause, if any
}

func (e *ValueError) Error() string {
	return e.Property + ": " + e.Reason + "; accepted: " + e.Accepted
}

func (e *ValueError) Unwrap() error { return e.Err }

func valueError(prop, accepted string, err error, format string, args ...any) *ValueError {
	return &ValueError{Property: prop, Reason: fmt.Sprintf(format, args...), Accepted: accepted, Err: err}
}

// ParseIP4Addr parses an ip4_addr value. "none" (and "-", an unset
// property) give no entries. Errors name the property, the entry at fault
// and what is accepted.
func ParseIP4Addr(value string) ([]Addr, error) { return parseAddrs("ip4_addr", value, false) }

// ParseIP6Addr parses an ip6_addr value like ParseIP4Addr; AUTOIP4 and
// dotted masks are IPv4 only.
func ParseIP6Addr(value string) ([]Addr, error) { return parseAddrs("ip6_addr", value, true) }

func parseAddrs(prop, value string, inet6 bool) ([]Addr, error) {
	accepted := ip4Accepted
	if inet6 {
		accepted = ip6Accepted
	}
	v := strings.TrimSpace(value)
	if v == "none" || v == "-" {
		return nil, nil
	}
	if v == "" {
		return nil, valueError(prop, accepted, nil, "empty value")
	}
	var out []Addr
	autos := 0
	for i, raw := range strings.Split(v, ",") {
		entry := strings.TrimSpace(raw)
		a, err := parseEntry(entry, inet6)
		if err != nil {
			return nil, valueError(prop, accepted, err, "entry %d %q: %v", i+1, entry, err)
		}
		if a.Auto {
			autos++
			if autos > 1 {
				return nil, valueError(prop, accepted, nil, "entry %d %q: AUTOIP4 may appear once", i+1, entry)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func parseEntry(entry string, inet6 bool) (Addr, error) {
	a := Addr{Prefix: -1}
	if entry == "" {
		return a, fmt.Errorf("empty entry")
	}
	fields := strings.Fields(entry)
	head := fields[0]
	if len(fields) > 1 {
		a.Params = fields[1:]
	}
	if iface, rest, ok := strings.Cut(head, "|"); ok {
		if iface != "DEFAULT" {
			if err := ValidInterfaceName(iface); err != nil {
				return a, err
			}
		}
		a.Interface, head = iface, rest
	}
	if head == "" {
		return a, fmt.Errorf("no address")
	}
	for _, p := range a.Params {
		if err := validParam(p); err != nil {
			return a, err
		}
	}
	addr, mask, hasMask := strings.Cut(head, "/")
	if addr == "AUTOIP4" {
		if inet6 {
			return a, fmt.Errorf("AUTOIP4 is for ip4_addr only")
		}
		if hasMask {
			return a, fmt.Errorf("AUTOIP4 takes no mask (ip4_autosubnet gives it)")
		}
		a.Auto = true
		return a, nil
	}
	ip, err := netip.ParseAddr(addr)
	switch {
	case err != nil && inet6:
		return a, fmt.Errorf("%q is not an IPv6 address", addr)
	case err != nil:
		return a, fmt.Errorf("%q is not an IPv4 address", addr)
	case inet6 && (!ip.Is6() || ip.Is4In6()):
		return a, fmt.Errorf("%q is not an IPv6 address", addr)
	case !inet6 && !ip.Is4():
		return a, fmt.Errorf("%q is not an IPv4 address", addr)
	case ip.Zone() != "":
		return a, fmt.Errorf("%q: a scoped address is not accepted here", addr)
	}
	// Loopback stays allowed: jails are commonly given 127.0.1.x on a
	// cloned lo1.
	if why := notUnicast(ip); why != "" {
		return a, fmt.Errorf("%q is %s, not a unicast address", addr, why)
	}
	a.Address = ip
	if !hasMask {
		return a, nil
	}
	if n, err := strconv.Atoi(mask); err == nil && mask[0] != '+' && mask[0] != '-' {
		if n < 0 || n > ip.BitLen() {
			return a, fmt.Errorf("mask length %d is out of range 0-%d", n, ip.BitLen())
		}
		a.Prefix = n
		return a, nil
	}
	if inet6 {
		return a, fmt.Errorf("prefix length %q is not a number 0-128", mask)
	}
	n, err := dottedMask(mask)
	if err != nil {
		return a, err
	}
	a.Prefix = n
	return a, nil
}

// dottedMask turns 255.255.255.0 into 24; holes in the mask are refused.
func dottedMask(s string) (int, error) {
	m, err := netip.ParseAddr(s)
	if err != nil || !m.Is4() {
		return 0, fmt.Errorf("mask %q is neither a length nor a dotted netmask", s)
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for n < 32 && v&(1<<(31-n)) != 0 {
		n++
	}
	if n < 32 && v<<n != 0 {
		return 0, fmt.Errorf("netmask %q is not contiguous", s)
	}
	return n, nil
}

// validParam admits one extra ifconfig word: it becomes an argv element,
// never shell text, but control characters and empty words are refused so
// that a typo cannot turn into a surprising command.
func validParam(p string) error {
	for _, r := range p {
		if r < 0x21 || r > 0x7e || r == '|' || r == ',' {
			return fmt.Errorf("ifconfig parameter %q has a character that is not accepted", p)
		}
	}
	return nil
}

// ValidInterfaceName checks a FreeBSD interface name: 1-15 printable
// characters (IFNAMSIZ less the NUL) starting with a letter; ':' and '.'
// are allowed as in "vnet0:12" and "em0.100".
func ValidInterfaceName(name string) error {
	if name == "" {
		return fmt.Errorf("empty interface name")
	}
	if len(name) > 15 {
		return fmt.Errorf("interface name %q is longer than 15 characters", name)
	}
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return fmt.Errorf("interface name %q does not start with a letter", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-", r)) {
			return fmt.Errorf("interface name %q has %q; accepted: letters, digits and _ . : -", name, r)
		}
	}
	return nil
}

// NIC is one entry of the interfaces property: the jail-side interface and
// the host bridge its epair joins.
type NIC struct {
	Name   string // vnet0 .. vnet3
	Bridge string
	Index  int // position in the property, which sets the MAC offset
}

// MaxNICs is how many entries interfaces may have: vnet0_mac .. vnet3_mac
// are the only MAC properties.
const MaxNICs = 4

const nicAccepted = `comma-separated NIC:BRIDGE entries (at most 4), NIC one of vnet0 vnet1 vnet2 vnet3 (each once), BRIDGE an interface name`

// ParseInterfaces parses the interfaces property (`vnet0:bridge0,...`).
// Unlike the original, an entry without ":" is refused, and NIC names are
// limited to the ones that have a vnetN_mac property.
func ParseInterfaces(value string) ([]NIC, error) {
	v := strings.TrimSpace(value)
	if v == "" || v == "-" {
		return nil, valueError("interfaces", nicAccepted, nil, "empty value")
	}
	var out []NIC
	seen := map[string]bool{}
	entries := strings.Split(v, ",")
	if len(entries) > MaxNICs {
		return nil, valueError("interfaces", nicAccepted, nil, "%d entries, more than %d", len(entries), MaxNICs)
	}
	for i, raw := range entries {
		e := strings.TrimSpace(raw)
		nic, bridge, ok := strings.Cut(e, ":")
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("no \":\" between NIC and BRIDGE")
		case len(nic) != 5 || !strings.HasPrefix(nic, "vnet") || nic[4] < '0' || nic[4] > '3':
			err = fmt.Errorf("NIC %q is not one of vnet0 vnet1 vnet2 vnet3", nic)
		case seen[nic]:
			err = fmt.Errorf("NIC %s appears twice", nic)
		default:
			err = ValidInterfaceName(bridge)
		}
		if err != nil {
			return nil, valueError("interfaces", nicAccepted, err, "entry %d %q: %v", i+1, e, err)
		}
		seen[nic] = true
		out = append(out, NIC{Name: nic, Bridge: bridge, Index: i})
	}
	return out, nil
}

// MACPrefix starts every generated vnet MAC (locally administered).
const MACPrefix = "02ff60"

// VnetMAC generates the MAC pair of the index-th interface of a jail
// (properties.md §6): the first six hex digits of the UUID plus 2·index
// (host side) and plus one more (jail side), kept to six digits and
// zero-padded — the original dropped leading zeros and made bad MACs.
// The suffix is upper case, as the original's bc printed it.
func VnetMAC(uuid string, index int) (host, jail string, err error) {
	if index < 0 || index >= MaxNICs {
		return "", "", fmt.Errorf("vnet MAC: interface index %d is out of range 0-%d", index, MaxNICs-1)
	}
	if len(uuid) < 6 {
		return "", "", fmt.Errorf("vnet MAC: jail UUID %q is shorter than 6 characters", uuid)
	}
	base, err := strconv.ParseUint(uuid[:6], 16, 32)
	if err != nil {
		return "", "", fmt.Errorf("vnet MAC: jail UUID %q does not start with 6 hex digits", uuid)
	}
	a := (base + 2*uint64(index)) & 0xffffff
	b := (base + 2*uint64(index) + 1) & 0xffffff
	return fmt.Sprintf("%s%06X", MACPrefix, a), fmt.Sprintf("%s%06X", MACPrefix, b), nil
}

// ParseVnetMAC checks a vnetN_mac value: "none" (generate at start) or
// "HOSTMAC,JAILMAC", each 12 hex digits without separators, unicast and
// different from each other. It returns the two MACs ("" for none).
func ParseVnetMAC(value string) (host, jail string, err error) {
	const accepted = `"none", or HOSTMAC,JAILMAC with each MAC 12 hex digits without separators (e.g. 02ff60a1b2c4,02ff60a1b2c5)`
	v := strings.TrimSpace(value)
	if v == "none" || v == "-" {
		return "", "", nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return "", "", valueError("vnet MAC", accepted, nil, "%q: not two MACs", value)
	}
	for _, m := range parts {
		if err := checkMAC12(m); err != nil {
			return "", "", valueError("vnet MAC", accepted, err, "%q: %v", value, err)
		}
	}
	if strings.EqualFold(parts[0], parts[1]) {
		return "", "", valueError("vnet MAC", accepted, nil, "%q: both sides have the same MAC", value)
	}
	return parts[0], parts[1], nil
}

func checkMAC12(m string) error {
	if len(m) != 12 {
		return fmt.Errorf("%q is not 12 hex digits", m)
	}
	b, err := strconv.ParseUint(m, 16, 64)
	if err != nil {
		return fmt.Errorf("%q is not 12 hex digits", m)
	}
	if b>>40&1 == 1 {
		return fmt.Errorf("%q is a multicast address", m)
	}
	return nil
}

// ValidMAC checks a MAC as ifconfig's `link` takes it: 12 hex digits, or
// six colon-separated hex bytes; unicast.
func ValidMAC(m string) error {
	if !strings.Contains(m, ":") {
		return checkMAC12(m)
	}
	parts := strings.Split(m, ":")
	if len(parts) != 6 {
		return fmt.Errorf("MAC %q does not have 6 bytes", m)
	}
	var flat strings.Builder
	for _, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return fmt.Errorf("MAC %q has a byte of %d digits", m, len(p))
		}
		if len(p) == 1 {
			flat.WriteByte('0')
		}
		flat.WriteString(p)
	}
	if err := checkMAC12(flat.String()); err != nil {
		return fmt.Errorf("MAC %q: %w", m, err)
	}
	return nil
}

// notUnicast says why ip cannot be an interface's own address or a
// gateway ("the unspecified address", ...), or is "" when it can.
func notUnicast(ip netip.Addr) string {
	switch {
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsMulticast():
		return "a multicast address"
	case ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	return ""
}

// ParseDefaultRouter checks defaultrouter (IPv4) or defaultrouter6
// (IPv6; a link-local gateway may carry its %interface). "none" gives an
// invalid Addr and no error.
func ParseDefaultRouter(value string, inet6 bool) (netip.Addr, error) {
	prop, fam := "defaultrouter", "IPv4"
	if inet6 {
		prop, fam = "defaultrouter6", "IPv6"
	}
	accepted := fmt.Sprintf(`"none" or one unicast %s address without mask, not loopback`, fam)
	if inet6 {
		accepted += ` (a link-local address may carry its %interface, e.g. fe80::1%vnet0)`
	}
	v := strings.TrimSpace(value)
	if v == "none" || v == "-" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !(inet6 && a.Is6() && !a.Is4In6() || !inet6 && a.Is4()) {
		return netip.Addr{}, valueError(prop, accepted, err, "%q is not a unicast %s address", value, fam)
	}
	if a.Zone() != "" {
		if !a.IsLinkLocalUnicast() {
			return netip.Addr{}, valueError(prop, accepted, nil, "%q: only a link-local gateway takes a %%interface", value)
		}
		if err := ValidInterfaceName(a.Zone()); err != nil {
			return netip.Addr{}, valueError(prop, accepted, err, "%q: %v", value, err)
		}
	}
	why := notUnicast(a)
	if why == "" && a.IsLoopback() {
		// A route to the loopback interface sends nothing anywhere.
		why = "a loopback address"
	}
	if why != "" {
		return netip.Addr{}, valueError(prop, accepted, nil, "%q is %s, not a gateway", value, why)
	}
	return a, nil
}
