package net

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime"
)

// ErrNoRoute is returned (wrapped) when there is no default route; it
// wraps runtime.ErrNotExist.
var ErrNoRoute = fmt.Errorf("no default route: %w", runtime.ErrNotExist)

// Route is where a default route leads.
type Route struct {
	Interface string
	Gateway   string
}

// DefaultRoute reads the default route with `route -n get default`
// (`route -6 -n get default` for IPv6): FreeBSD 11 and later moved the
// netstat column the original read, route(8) has kept its labels.
func DefaultRoute(ctx context.Context, h *runtime.Host, inet6 bool) (Route, error) {
	args := []string{"-n", "get", "default"}
	if inet6 {
		args = append([]string{"-6"}, args...)
	}
	out, err := h.Output(ctx, runtime.Route, args...)
	if err != nil {
		var ee *runtime.ExitError
		if errors.As(err, &ee) && strings.Contains(ee.Stderr, "not been found") {
			return Route{}, ErrNoRoute
		}
		return Route{}, err
	}
	r := ParseRouteGet(out)
	if r.Interface == "" {
		return Route{}, fmt.Errorf("route %s: no interface in its answer %q", strings.Join(args, " "), out)
	}
	return r, nil
}

// ParseRouteGet reads the "gateway:" and "interface:" lines of
// `route -n get` output; lines it does not know are skipped. A field
// missing from the answer is left empty.
func ParseRouteGet(out string) Route {
	var r Route
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "gateway":
			r.Gateway = strings.TrimSpace(v)
		case "interface":
			r.Interface = strings.TrimSpace(v)
		}
	}
	return r
}

// Interface is what ifconfig tells of one interface.
type Interface struct {
	Name        string
	MTU         int
	Up          bool
	MAC         string // "" when the interface has none (lo0)
	Description string
	Members     []string // a bridge's members, in ifconfig's order
	Groups      []string
	Inet        []netip.Prefix
	Inet6       []netip.Prefix // without zone: a link-local one's zone is this interface
}

// Interfaces lists the interface names (`ifconfig -l`).
func Interfaces(ctx context.Context, h *runtime.Host) ([]string, error) {
	out, err := h.Output(ctx, runtime.Ifconfig, "-l")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// AllInterfaces reads every interface with its details in one
// `ifconfig -a`, in the order ifconfig lists them.
func AllInterfaces(ctx context.Context, h *runtime.Host) ([]*Interface, error) {
	out, err := h.Output(ctx, runtime.Ifconfig, "-a")
	if err != nil {
		return nil, err
	}
	return ParseIfconfig(out)
}

// GetInterface reads one interface (`ifconfig NAME`). A missing interface
// wraps runtime.ErrNotExist.
func GetInterface(ctx context.Context, h *runtime.Host, name string) (*Interface, error) {
	if err := ValidInterfaceName(name); err != nil {
		return nil, err
	}
	out, err := h.Output(ctx, runtime.Ifconfig, name)
	return oneInterface(name, out, err)
}

// oneInterface is the answer of `ifconfig NAME` (out, err), on the host or
// in a jail: a missing interface wraps runtime.ErrNotExist.
func oneInterface(name, out string, err error) (*Interface, error) {
	if err != nil {
		var ee *runtime.ExitError
		if errors.As(err, &ee) && strings.Contains(ee.Stderr, "does not exist") {
			return nil, fmt.Errorf("interface %s: %w", name, runtime.ErrNotExist)
		}
		return nil, err
	}
	ifs, err := ParseIfconfig(out)
	if err != nil {
		return nil, err
	}
	if len(ifs) != 1 || ifs[0].Name != name {
		return nil, fmt.Errorf("ifconfig %s: answer is not about %s: %q", name, name, out)
	}
	return ifs[0], nil
}

// ParseIfconfig reads ifconfig's listing of one or more interfaces.
// Continuation lines it does not know, and blank ones, are skipped; a
// line that is neither a header nor indented, or an indented one before
// any header, is an error.
func ParseIfconfig(out string) ([]*Interface, error) {
	var ifs []*Interface
	var cur *Interface
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		if line[0] != '\t' && line[0] != ' ' {
			name, rest, ok := strings.Cut(line, ": ")
			if !ok || name == "" || strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
				return nil, fmt.Errorf("ifconfig: unexpected line %q", line)
			}
			cur = &Interface{Name: name}
			ifs = append(ifs, cur)
			f := strings.Fields(rest)
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "flags="):
					_, names, _ := strings.Cut(f[i], "<")
					for _, fl := range strings.Split(strings.TrimSuffix(names, ">"), ",") {
						if fl == "UP" {
							cur.Up = true
						}
					}
				case f[i] == "mtu" && i+1 < len(f):
					n, err := strconv.Atoi(f[i+1])
					if err != nil {
						return nil, fmt.Errorf("ifconfig: bad mtu in %q", line)
					}
					cur.MTU = n
				}
			}
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("ifconfig: unexpected line %q", line)
		}
		t := strings.TrimSpace(line)
		f := strings.Fields(t)
		if len(f) == 0 {
			continue // a blank continuation line says nothing
		}
		switch {
		case strings.HasPrefix(t, "description: "):
			cur.Description = strings.TrimPrefix(t, "description: ")
		case f[0] == "ether" && len(f) > 1:
			cur.MAC = f[1]
		case f[0] == "member:" && len(f) > 1:
			cur.Members = append(cur.Members, f[1])
		case f[0] == "groups:":
			cur.Groups = append(cur.Groups, f[1:]...)
		case f[0] == "inet" && len(f) >= 4 && f[2] == "netmask":
			p, err := inetPrefix(f[1], f[3])
			if err != nil {
				return nil, fmt.Errorf("ifconfig: %q: %w", t, err)
			}
			cur.Inet = append(cur.Inet, p)
		case f[0] == "inet6" && len(f) >= 4 && f[2] == "prefixlen":
			a, err := netip.ParseAddr(f[1])
			n, err2 := strconv.Atoi(f[3])
			p := netip.PrefixFrom(a.WithZone(""), n)
			if err != nil || err2 != nil || !a.Is6() || !p.IsValid() {
				return nil, fmt.Errorf("ifconfig: bad inet6 line %q", t)
			}
			cur.Inet6 = append(cur.Inet6, p)
		}
	}
	return ifs, nil
}

func inetPrefix(addr, hexmask string) (netip.Prefix, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, err
	}
	m, err := strconv.ParseUint(strings.TrimPrefix(hexmask, "0x"), 16, 32)
	if err != nil {
		return netip.Prefix{}, err
	}
	n := 0
	for n < 32 && m&(1<<(31-n)) != 0 {
		n++
	}
	return netip.PrefixFrom(a, n), nil
}

// VIMAGE reports whether the kernel has VIMAGE (`sysctl -n
// kern.features.vimage` prints 1). A kernel without the feature has no
// such sysctl, which sysctl reports as a failure: that is a "no".
func VIMAGE(ctx context.Context, h *runtime.Host) (bool, error) {
	out, err := h.Output(ctx, runtime.Sysctl, "-n", "kern.features.vimage")
	if err != nil {
		var ee *runtime.ExitError
		if errors.As(err, &ee) {
			return false, nil
		}
		return false, err
	}
	return strings.TrimSpace(out) == "1", nil
}
