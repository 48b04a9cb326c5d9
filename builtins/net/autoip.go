package net

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime"
)

// AllocateAutoIP4 resolves AUTOIP4 (properties.md §6): the first address
// BASE.k with k from start to end that no jail uses, where BASE is the
// first three octets of the default gateway, returned with the subnet
// length. used holds the ip4_addr values of every jail; unlike the
// original, every entry of every value counts, whatever its form.
func AllocateAutoIP4(gateway netip.Addr, start, end, subnet int, used []string) (netip.Prefix, error) {
	switch {
	case start < 1 || start > 255:
		return netip.Prefix{}, fmt.Errorf("ip4_autostart %d is out of range 1-255 (set it on the defaults)", start)
	case end < 1 || end > 255:
		return netip.Prefix{}, fmt.Errorf("ip4_autoend %d is out of range 1-255 (set it on the defaults)", end)
	case subnet < 1 || subnet > 32:
		return netip.Prefix{}, fmt.Errorf("ip4_autosubnet %d is out of range 1-32 (set it on the defaults)", subnet)
	case start > end:
		return netip.Prefix{}, fmt.Errorf("ip4_autostart %d is above ip4_autoend %d", start, end)
	case !gateway.Is4():
		return netip.Prefix{}, fmt.Errorf("AUTOIP4 needs an IPv4 default gateway, not %q", gateway)
	}
	taken := map[netip.Addr]bool{}
	for _, v := range used {
		for _, a := range usedAddrs(v) {
			taken[a] = true
		}
	}
	g := gateway.As4()
	for k := start; k <= end; k++ {
		if k >= 254 {
			return netip.Prefix{}, fmt.Errorf("AUTOIP4: next free address %d.%d.%d.%d is outside of bounds (254 and 255 are never used)", g[0], g[1], g[2], k)
		}
		a := netip.AddrFrom4([4]byte{g[0], g[1], g[2], byte(k)})
		if !taken[a] && a != gateway {
			return netip.PrefixFrom(a, subnet), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("AUTOIP4: address exhaustion: every address from .%d to .%d of %d.%d.%d.0 is in use", start, end, g[0], g[1], g[2])
}

// usedAddrs finds the IPv4 addresses of an ip4_addr value; a value that
// does not parse still yields whatever addresses it contains, so that a
// broken jail never has its address handed out twice.
func usedAddrs(v string) []netip.Addr {
	if entries, err := ParseIP4Addr(v); err == nil {
		var out []netip.Addr
		for _, e := range entries {
			if !e.Auto {
				out = append(out, e.Address)
			}
		}
		return out
	}
	var out []netip.Addr
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",| /\t", r) }) {
		if a, err := netip.ParseAddr(w); err == nil && a.Is4() {
			out = append(out, a)
		}
	}
	return out
}

// AutoIP4LockPath is the host file whose flock serialises AUTOIP4
// allocation between iocage processes, so two parallel creates never pick
// the same address.
const AutoIP4LockPath = "/var/run/iocage/autoip4.lock"

// LockAutoIP4 takes the AUTOIP4 lock, waiting for another iocage process
// to let go until ctx ends. The lock is an flock, so a process that dies
// holding it releases it.
func LockAutoIP4(ctx context.Context, h *runtime.Host) (unlock func(), err error) {
	return lockFile(ctx, h, AutoIP4LockPath)
}

// lockFile takes an flock on p, a file in a directory only root may
// change (runtime.Host.OpenLock checks it and opens p without following
// a symlink), so another user can neither hold the lock nor redirect it.
func lockFile(ctx context.Context, h *runtime.Host, p string) (func(), error) {
	f, err := h.OpenLock(p)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", p, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
