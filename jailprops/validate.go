package jailprops

import (
	"errors"
	"fmt"
	"math"
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

// sizeRE is what zfs(8) takes as a size (nicestrtonum): decimals and a
// trailing B are fine there, unlike in an rctl amount.
var sizeRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[KMGTPEkmgtpe]?[Bb]?$`)

// checkSize accepts a zfs size: a number with an optional K/M/G/T/P/E
// suffix.
func checkSize(p *Property, v string) error {
	if !sizeRE.MatchString(v) {
		return bad(p, v, "not a size")
	}
	return nil
}

// Rctl resources counted in millions by the kernel (seconds, percent): an
// amount must stay below 2^63 / 10^6 once expanded (kern_rctl.c).
var rctlInMillions = map[string]bool{"cputime": true, "wallclock": true, "pcpu": true}

// Rctl resources that cannot be denied: the kernel refuses deny for
// resources that are neither deniable nor enforced otherwise (kern_rctl.c
// rctl_rule_add; memoryuse and pcpu are the exceptions that can be).
var rctlNoDeny = map[string]bool{"cputime": true, "wallclock": true}

// Rctl resources that can be throttled: only the decaying I/O ones.
var rctlThrottle = map[string]bool{"readbps": true, "writebps": true, "readiops": true, "writeiops": true}

// signals are the sigNAME actions the kernel's rctl knows (kern_rctl.c
// actionnames): not every signal(3) name, no sigcont.
var signals = map[string]bool{
	"hup": true, "int": true, "quit": true, "ill": true, "trap": true, "abrt": true, "emt": true,
	"fpe": true, "kill": true, "bus": true, "segv": true, "sys": true, "pipe": true, "alrm": true,
	"term": true, "urg": true, "stop": true, "tstp": true, "chld": true, "ttin": true,
	"ttou": true, "io": true, "xcpu": true, "xfsz": true, "vtalrm": true, "prof": true, "winch": true,
	"info": true, "usr1": true, "usr2": true, "thr": true,
}

// rctlValues is the accepted form of an rctl property, with the unit of
// its resource.
func rctlValues(resource string) string {
	unit := "a size or count"
	switch resource {
	case "cputime", "wallclock":
		unit = "seconds"
	case "pcpu":
		unit = "percent of one CPU"
	}
	actions := "deny, log, devctl or sigNAME"
	if rctlNoDeny[resource] {
		actions = "log, devctl or sigNAME"
	}
	if rctlThrottle[resource] {
		actions = "deny, log, devctl, throttle or sigNAME"
	}
	return fmt.Sprintf("off or AMOUNT:ACTION, AMOUNT an integer (%s) with an optional k, m, g, t, p or e suffix such as 8g, 512m or 100, ACTION %s such as sigterm", unit, actions)
}

// rctlAmount checks an rctl(8) amount as expand_number(3) and the kernel
// take it: decimal digits and at most one power-of-two suffix, within
// 64 bits. "1.5G" and "8GB" are what rctl refuses at start.
func rctlAmount(resource, s string) error {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num, suffix := s[:i], strings.ToLower(s[i:])
	shift := 0
	switch {
	case num == "":
		return fmt.Errorf("%q is not an amount: it does not start with a digit", s)
	case suffix == "":
	case len(suffix) == 1 && strings.Contains("kmgtpe", suffix):
		shift = 10 * (1 + strings.Index("kmgtpe", suffix))
	default:
		return fmt.Errorf("%q is not an amount: it ends in %q, not in one of k, m, g, t, p, e", s, s[i:])
	}
	limit := uint64(math.MaxInt64)
	if rctlInMillions[resource] {
		limit /= 1000000
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > limit>>shift {
		return fmt.Errorf("%q is too large an amount: at most %d once expanded", s, limit)
	}
	return nil
}

// checkRctl accepts "off" or AMOUNT:ACTION with an rctl amount and an
// action the kernel takes for this resource.
func checkRctl(p *Property, v string) error {
	if v == "off" {
		return nil
	}
	limit, action, ok := strings.Cut(v, ":")
	if !ok {
		return bad(p, v, "missing :ACTION")
	}
	if err := rctlAmount(p.Rctl, limit); err != nil {
		return bad(p, v, err.Error())
	}
	switch {
	case action == "log" || action == "devctl":
	case action == "deny":
		if rctlNoDeny[p.Rctl] {
			return bad(p, v, "rctl cannot deny "+p.Rctl)
		}
	case action == "throttle":
		if !rctlThrottle[p.Rctl] {
			return bad(p, v, "rctl throttles only readbps, writebps, readiops and writeiops")
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

// maxCPU is the highest CPU number cpuset(1) takes (CPU_MAXSIZE 1024).
const maxCPU = 1023

// checkCpuset accepts "off", "all" or a cpuset(1) -l list of CPU numbers
// and ascending ranges, plain decimal digits only: strconv would take
// "+1", which cpuset refuses.
func checkCpuset(p *Property, v string) error {
	if v == "off" || v == "all" {
		return nil
	}
	cpu := func(s string) (int, error) {
		if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 4 {
			return 0, fmt.Errorf("%q is not a CPU number", s)
		}
		n, _ := strconv.Atoi(s)
		if n > maxCPU {
			return 0, fmt.Errorf("CPU %d is above %d", n, maxCPU)
		}
		return n, nil
	}
	for _, part := range strings.Split(v, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := cpu(lo)
		if err != nil {
			return bad(p, v, err.Error())
		}
		if isRange {
			b, err := cpu(hi)
			if err != nil {
				return bad(p, v, err.Error())
			}
			if b < a {
				return bad(p, v, fmt.Sprintf("range %s is descending", part))
			}
		}
	}
	return nil
}

// netCheck adapts a parser of the network builtins, the one start uses,
// so that a value set is one that starts. The error names the property,
// the part at fault and the parser's account of what is accepted.
func netCheck(parse func(string) error) func(*Property, string) error {
	return func(p *Property, v string) error {
		err := parse(v)
		var ve *net.ValueError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ve):
			return fmt.Errorf("property %s: invalid value %q: %s (accepted: %s)", p.Name, v, ve.Reason, ve.Accepted)
		default:
			return bad(p, v, err.Error())
		}
	}
}

var (
	checkIP4List = netCheck(func(v string) error { _, err := net.ParseIP4Addr(v); return err })
	checkIP6List = netCheck(func(v string) error { _, err := net.ParseIP6Addr(v); return err })
	// checkInterfaces: up to four distinct vnetN:BRIDGE entries, BRIDGE an
	// interface name of at most 15 characters (IFNAMSIZ less the NUL).
	checkInterfaces = netCheck(func(v string) error { _, err := net.ParseInterfaces(v); return err })
	checkRouter4    = netCheck(func(v string) error { _, err := net.ParseDefaultRouter(v, false); return err })
	checkRouter6    = netCheck(func(v string) error { _, err := net.ParseDefaultRouter(v, true); return err })
	// checkMACPair: two unicast MACs that differ.
	checkMACPair = netCheck(func(v string) error { _, _, err := net.ParseVnetMAC(v); return err })
)

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

// checkDataset accepts a ZFS dataset name below a pool, its components
// as zfs(8) names them (letters, digits, "_", "-", ".", ":"; not "." or
// ".."), without the space ZFS would allow: the value becomes an argument
// of zfs and of jail(8)'s exec lines.
func checkDataset(p *Property, v string) error {
	if len(v) > 255 {
		return bad(p, v, fmt.Sprintf("%d characters, more than the 255 of a ZFS name", len(v)))
	}
	parts := strings.Split(v, "/")
	if len(parts) < 2 {
		return bad(p, v, "a pool, not a dataset in one")
	}
	for i, c := range parts {
		switch {
		case c == "":
			return bad(p, v, fmt.Sprintf("component %d is empty (a leading, trailing or doubled /)", i+1))
		case c == "." || c == "..":
			return bad(p, v, fmt.Sprintf("component %q is not a name", c))
		}
		for _, r := range c {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.:", r)) {
				return bad(p, v, fmt.Sprintf("%q is not allowed in a dataset name", r))
			}
		}
	}
	if c := parts[0][0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return bad(p, v, "the pool name does not start with a letter")
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
