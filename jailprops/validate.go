package jailprops

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/iocage/iocage/builtins/net"
)

func bad(p *Property, v, why string) error {
	if why != "" {
		return fmt.Errorf("property %s: invalid value %q: %s (accepted: %s)", p.Name, v, why, p.Values)
	}
	return fmt.Errorf("property %s: invalid value %q (accepted: %s)", p.Name, v, p.Values)
}

func checkEnum(vals ...string) func(*Property, string) error {
	return func(p *Property, v string) error {
		for _, ok := range vals {
			if v == ok {
				return nil
			}
		}
		return bad(p, v, "")
	}
}

func checkRange(lo, hi int64) func(*Property, string) error {
	return func(p *Property, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad(p, v, "not an integer")
		}
		if n < lo || n > hi {
			return bad(p, v, fmt.Sprintf("out of range %d-%d", lo, hi))
		}
		return nil
	}
}

func checkNoneOr(f func(*Property, string) error) func(*Property, string) error {
	return func(p *Property, v string) error {
		if v == "none" {
			return nil
		}
		return f(p, v)
	}
}

var sizeRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[KMGTPEkmgtpe]?[Bb]?$`)

// checkSize accepts what zfs and rctl take as an amount: a number with an
// optional K/M/G/T/P/E suffix.
func checkSize(p *Property, v string) error {
	if !sizeRE.MatchString(v) {
		return bad(p, v, "not a size")
	}
	return nil
}

// Rctl resources whose amount is a time or a percentage rather than a size
// or a count; deny makes no sense for them (rctl(8)).
var rctlNoDeny = map[string]bool{"cputime": true, "wallclock": true}

var signals = map[string]bool{
	"hup": true, "int": true, "quit": true, "ill": true, "trap": true, "abrt": true, "emt": true,
	"fpe": true, "kill": true, "bus": true, "segv": true, "sys": true, "pipe": true, "alrm": true,
	"term": true, "urg": true, "stop": true, "tstp": true, "cont": true, "chld": true, "ttin": true,
	"ttou": true, "io": true, "xcpu": true, "xfsz": true, "vtalrm": true, "prof": true, "winch": true,
	"info": true, "usr1": true, "usr2": true, "thr": true, "librt": true,
}

// checkRctl accepts "off" or LIMIT:ACTION with the limit an rctl amount
// and the action one rctl(8) knows for this resource.
func checkRctl(p *Property, v string) error {
	if v == "off" {
		return nil
	}
	limit, action, ok := strings.Cut(v, ":")
	if !ok {
		return bad(p, v, "missing :ACTION")
	}
	if !sizeRE.MatchString(limit) {
		return bad(p, v, fmt.Sprintf("limit %q is not an amount", limit))
	}
	switch {
	case action == "log" || action == "devctl":
	case action == "deny":
		if rctlNoDeny[p.Name] {
			return bad(p, v, "rctl cannot deny "+p.Name)
		}
	case strings.HasPrefix(action, "sig"):
		if !signals[strings.TrimPrefix(action, "sig")] {
			return bad(p, v, fmt.Sprintf("unknown signal action %q", action))
		}
	default:
		return bad(p, v, fmt.Sprintf("action %q is not deny, log, devctl or sigNAME", action))
	}
	return nil
}

// checkCpuset accepts "off" or a cpuset(1) -l list of CPU numbers and
// ascending ranges.
func checkCpuset(p *Property, v string) error {
	if v == "off" || v == "all" {
		return nil
	}
	for _, part := range strings.Split(v, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > 1023 {
			return bad(p, v, fmt.Sprintf("%q is not a CPU number", lo))
		}
		if isRange {
			b, err := strconv.Atoi(hi)
			if err != nil || b < 0 || b > 1023 {
				return bad(p, v, fmt.Sprintf("%q is not a CPU number", hi))
			}
			if b < a {
				return bad(p, v, fmt.Sprintf("range %s is descending", part))
			}
		}
	}
	return nil
}

// checkIP4List and checkIP6List parse ip4_addr/ip6_addr values with the
// network builtins' parsers, the ones start uses, so that a value set is
// one that starts. Their errors name the property, the entry at fault and
// what is accepted.
func checkIP4List(_ *Property, v string) error {
	_, err := net.ParseIP4Addr(v)
	return err
}

func checkIP6List(_ *Property, v string) error {
	_, err := net.ParseIP6Addr(v)
	return err
}

func checkIP(family int) func(*Property, string) error {
	return func(p *Property, v string) error {
		a, err := netip.ParseAddr(v)
		if err != nil || (family == 4 && !a.Is4()) || (family == 6 && !a.Is6()) {
			return bad(p, v, fmt.Sprintf("not an IPv%d address", family))
		}
		return nil
	}
}

var (
	vnetNICRE = regexp.MustCompile(`^vnet[0-3]$`)
	bridgeRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,14}[0-9]$`)
)

// checkInterfaces accepts up to four distinct vnetN:BRIDGE entries; only
// vnet0-vnet3 have MAC properties.
func checkInterfaces(p *Property, v string) error {
	parts := strings.Split(v, ",")
	if len(parts) > 4 {
		return bad(p, v, "more than 4 interfaces")
	}
	seen := map[string]bool{}
	for _, part := range parts {
		nic, bridge, ok := strings.Cut(part, ":")
		if !ok || !vnetNICRE.MatchString(nic) || !bridgeRE.MatchString(bridge) {
			return bad(p, v, fmt.Sprintf("%q is not vnetN:BRIDGE", part))
		}
		if seen[nic] {
			return bad(p, v, nic+" appears twice")
		}
		seen[nic] = true
	}
	return nil
}

var macRE = regexp.MustCompile(`^[0-9a-fA-F]{12}$`)

func checkMACPair(p *Property, v string) error {
	if v == "none" {
		return nil
	}
	a, b, ok := strings.Cut(v, ",")
	if !ok || !macRE.MatchString(a) || !macRE.MatchString(b) {
		return bad(p, v, "")
	}
	return nil
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

func checkHostname(p *Property, v string) error {
	if len(v) > 255 || !hostnameRE.MatchString(v) {
		return bad(p, v, "")
	}
	return nil
}

func checkUUID(p *Property, v string) error {
	if !IsUUID(v) {
		return bad(p, v, "not a UUID")
	}
	return nil
}

func checkTagProp(p *Property, v string) error {
	if err := CheckTag(v); err != nil {
		return fmt.Errorf("property %s: %w", p.Name, err)
	}
	return nil
}

var datasetRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*(/[A-Za-z0-9_.:-]+)*$`)

func checkDataset(p *Property, v string) error {
	if !datasetRE.MatchString(v) || strings.Contains(v, "@") {
		return bad(p, v, "not a dataset name")
	}
	return nil
}

var releaseRE = regexp.MustCompile(`^[0-9]+\.[0-9]+-(RELEASE|STABLE|CURRENT|BETA[0-9]*|RC[0-9]*|ALPHA[0-9]*)(-p[0-9]+)?$`)

func checkRelease(p *Property, v string) error {
	if !releaseRE.MatchString(v) {
		return bad(p, v, "")
	}
	return nil
}

var compressionRE = regexp.MustCompile(`^(on|off|lz4|zle|lzjb|gzip(-[1-9])?|zstd(-([1-9]|1[0-9]))?|zstd-fast(-[0-9]+)?)$`)

func checkCompression(p *Property, v string) error {
	if !compressionRE.MatchString(v) {
		return bad(p, v, "")
	}
	return nil
}

func checkDedup(p *Property, v string) error {
	base, verify, _ := strings.Cut(v, ",")
	if verify != "" && verify != "verify" {
		return bad(p, v, "")
	}
	switch base {
	case "on", "off", "verify", "sha256", "sha512", "skein", "edonr", "blake3":
		return nil
	}
	return bad(p, v, "")
}
