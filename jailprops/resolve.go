package jailprops

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Generated are the values a built-in default depends on: the new jail's
// UUID and tag, and facts of the host.
type Generated struct {
	UUID    string
	Tag     string
	HostID  string // contents of /etc/hostid, trimmed
	VNET    bool   // vnet on by default (the shell iocage did so on VIMAGE kernels; iocage does not)
	Release string // release new jails get by default
}

// Builtins returns the built-in default of every settable property (and of
// the bookkeeping ones), with placeholders expanded from g. Native
// read-only properties have no default and are left out.
func Builtins(g Generated) map[string]string {
	vnet := "off"
	if g.VNET {
		vnet = "on"
	}
	r := strings.NewReplacer(PhUUID, g.UUID, PhTag, g.Tag, PhHostID, g.HostID, PhVNET, vnet,
		PhRelease, g.Release, PhVersion, Version, PhFormat, strconv.Itoa(FormatVersion))
	out := map[string]string{}
	for _, p := range table {
		if p.Native && p.ReadOnly {
			continue
		}
		out[p.Name] = r.Replace(p.Default)
	}
	return out
}

func set(m map[string]string, k string) (string, bool) {
	v, ok := m[k]
	if !ok || v == "" || v == "-" {
		return "", false
	}
	return v, true
}

// Resolve applies the one precedence rule to every property that has a
// default: the command line (cli), then the defaults dataset (defaults;
// unset values are absent or "-"), then the built-in default. Per-jail
// properties never come from the defaults dataset, and the bookkeeping
// ones (format and version stamps) are always the built-in. The result
// holds exactly the keys of builtins.
func Resolve(cli, defaults, builtins map[string]string) map[string]string {
	out := map[string]string{}
	for name, b := range builtins {
		p := byName[name]
		if name == "format_version" || name == "iocage_version" {
			out[name] = b
			continue
		}
		if v, ok := set(cli, name); ok {
			out[name] = v
			continue
		}
		if v, ok := set(defaults, name); ok && p != nil && !p.PerJail {
			out[name] = v
			continue
		}
		out[name] = b
	}
	return out
}

// CheckOverrides validates command-line assignments before anything is
// resolved or written: every name must be known and writable, every value
// valid. The error names every bad assignment, sorted.
func CheckOverrides(cli map[string]string) error {
	var errs []string
	for name, v := range cli {
		if _, err := CheckSet(name, v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return fmt.Errorf("%s", strings.Join(errs, "; "))
}

// ResetValues computes what `reset` writes on a jail: the kept properties
// from the jail itself (current), its UUID as host_hostuuid and
// host_hostname, and everything else from the defaults dataset or the
// built-in defaults. This fixes the shell iocage, which gave the jail a new
// UUID and ignored the defaults' ip4_addr.
func ResetValues(uuid string, current, defaults map[string]string, g Generated) map[string]string {
	g.UUID = uuid
	keep := map[string]string{"host_hostuuid": uuid, "host_hostname": uuid}
	for _, p := range table {
		if p.Kept && p.Name != "host_hostuuid" {
			if v, ok := set(current, p.Name); ok {
				keep[p.Name] = v
			}
		}
	}
	for _, n := range []string{"vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac", "resolver", "ip4_autostart", "ip4_autoend"} {
		// Kept by the shell iocage too; MACs stay so the jail's network
		// identity survives.
		if v, ok := set(current, n); ok {
			keep[n] = v
		}
	}
	return Resolve(keep, defaults, Builtins(g))
}
