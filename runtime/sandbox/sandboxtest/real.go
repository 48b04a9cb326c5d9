package sandboxtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime"
)

// getReal is the machine itself, on FreeBSD, with the scratch pool the
// environment names.
func getReal(t testing.TB) *Sandbox {
	t.Helper()
	pool := os.Getenv(EnvPool)
	if pool == "" || os.Getuid() != 0 {
		t.Skip("tests that drive a host run on FreeBSD as root with a scratch pool in $" + EnvPool)
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := shared[""]; ok {
		return s
	}
	s := &Sandbox{Native: &runtime.FreeBSD{}, Pool: pool}
	shared[""] = s
	return s
}

// resetReal returns the machine to the state a test expects: no iocage
// jail running, nothing mounted below the pool's jails but ZFS, the pool
// empty and not active, and no rctl rules of iocage's jails.
func resetReal(s *Sandbox) error {
	ctx := context.Background()
	h := runtime.New(s.Native, runtime.Options{})
	var errs []error
	names, err := h.Output(ctx, runtime.Jls, "-q", "name")
	if err != nil {
		return err
	}
	for _, n := range strings.Fields(names) {
		if strings.HasPrefix(n, "ioc-") {
			if err := h.Change(ctx, runtime.Jail, "-r", n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// rctl(8) prints a rule a line, subject:name:resource:action; one -r
	// of jail:NAME removes all of that jail's.
	if rules, err := h.Output(ctx, runtime.Rctl); err == nil {
		done := map[string]bool{}
		for _, r := range strings.Fields(rules) {
			f := strings.SplitN(r, ":", 3)
			if len(f) == 3 && f[0] == "jail" && strings.HasPrefix(f[1], "ioc-") && !done[f[1]] {
				done[f[1]] = true
				errs = append(errs, h.Change(ctx, runtime.Rctl, "-r", "jail:"+f[1]))
			}
		}
	}
	// The jails' mounts are below POOL/iocage's mountpoint (/iocage once
	// activated), whatever the pool's own is; a pool never activated has
	// none.
	if mnt, err := h.Output(ctx, runtime.ZFS, "get", "-H", "-o", "value", "mountpoint", s.Pool+"/iocage"); err == nil {
		errs = append(errs, unmountBelow(ctx, h, strings.TrimSpace(mnt)))
	}
	children, err := h.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-d", "1", s.Pool)
	if err != nil {
		return err
	}
	for _, ds := range strings.Fields(children) {
		if ds != s.Pool {
			if err := h.Change(ctx, runtime.ZFS, "destroy", "-rRf", ds); err != nil {
				errs = append(errs, err)
			}
		}
	}
	_ = h.Change(ctx, runtime.ZFS, "inherit", "org.freebsd.iocage:active", s.Pool)
	return errors.Join(errs...)
}

// unmountBelow unmounts what is not ZFS at or below dir (jails' devfs,
// fdescfs and nullfs mounts), deepest first, as mount -p lists them.
func unmountBelow(ctx context.Context, h *runtime.Host, dir string) error {
	if dir == "" || dir == "none" || dir == "-" {
		return nil
	}
	out, err := h.Output(ctx, runtime.Mount, "-p")
	if err != nil {
		return err
	}
	var points []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[2] != "zfs" && (f[1] == dir || strings.HasPrefix(f[1], dir+"/")) {
			points = append(points, f[1])
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := h.Change(ctx, runtime.Umount, "-f", p); err != nil {
			errs = append(errs, fmt.Errorf("umount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
