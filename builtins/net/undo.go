package net

// How the net module's changes are taken back, as journaled steps
// (thread.Step) that another iocage can replay after this one died. Each
// replayer first does what the living run did; when that fails it reads
// the host, and succeeds when what it was to undo is gone already (the
// interface, the member, the address, the route, or the whole jail they
// lived in), so a step replayed twice, or for a change never made,
// succeeds. Steps run inside a jail carry its name and FIB as their
// first two arguments.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("net.ifconfig_destroy", undoDestroy)
	thread.RegisterUndo("net.epair_destroy_described", undoEpairsDescribed)
	thread.RegisterUndo("net.bridge_deletem", undoDeletem)
	thread.RegisterUndo("net.vnet_reclaim", undoVnet)
	thread.RegisterUndo("net.rename", undoRename)
	thread.RegisterUndo("net.alias_remove", undoAlias)
	thread.RegisterUndo("net.route_delete", undoRoute)
	thread.RegisterUndo("net.resolv_restore", undoResolv)
}

// change runs prog args at w, a change whose inverse s is journaled
// first; desc is the inverse command, for messages.
func (m *module) change(t *starlark.Thread, b *starlark.Builtin, w where, s thread.Step, desc *runtime.Cmd, prog string, args ...string) (string, error) {
	var out string
	err := thread.UndoOf(t).Do(desc.String(), s, func() error {
		var err error
		out, err = m.run(t, b, w, prog, args...)
		return err
	})
	return out, err
}

// atArgs are w's journaled form.
func atArgs(w where, rest ...string) []string {
	return append([]string{w.jail, strconv.Itoa(w.fib)}, rest...)
}

func whereOf(kind string, args []string) (where, []string, error) {
	if len(args) < 2 {
		return where{}, nil, fmt.Errorf("%s: %d arguments, want a jail and a fib first", kind, len(args))
	}
	fib, err := strconv.Atoi(args[1])
	if err != nil {
		return where{}, nil, fmt.Errorf("%s: fib %q: %w", kind, args[1], err)
	}
	w := where{jail: args[0], fib: fib}
	if err := w.check(); err != nil {
		return where{}, nil, fmt.Errorf("%s: %w", kind, err)
	}
	return w, args[2:], nil
}

// read runs a command at w that changes nothing.
func (w where) read(ctx context.Context, h *runtime.Host, prog string, args ...string) (string, error) {
	c := w.cmd(prog, args...)
	c.Change = false
	res, err := h.Run(ctx, c)
	if err != nil {
		return "", err
	}
	return string(res.Stdout), nil
}

// gone reports whether w is in a jail that no longer runs: what was
// changed inside it went with it.
func (w where) gone(ctx context.Context, h *runtime.Host) bool {
	if w.jail == "" {
		return false
	}
	running, err := jailRunning(ctx, h, w.jail)
	return err == nil && !running
}

// jailRunning looks name up in `jls --libxo json name` (a jls -j of a
// missing jail is an error whose text would have to be recognised).
func jailRunning(ctx context.Context, h *runtime.Host, name string) (bool, error) {
	out, err := h.Output(ctx, runtime.Jls, "--libxo", "json", "name")
	if err != nil {
		return false, err
	}
	var doc struct {
		Info *struct {
			Jails []struct {
				Name string `json:"name"`
			} `json:"jail"`
		} `json:"jail-information"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Info == nil {
		return false, fmt.Errorf("jls: output is not libxo json")
	}
	for _, j := range doc.Info.Jails {
		if j.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// ifaceAt reads one interface at w; a missing one wraps
// runtime.ErrNotExist.
func ifaceAt(ctx context.Context, h *runtime.Host, w where, name string) (*Interface, error) {
	if w.jail == "" {
		return GetInterface(ctx, h, name)
	}
	out, err := w.read(ctx, h, runtime.Ifconfig, name)
	return oneInterface(name, out, err)
}

func missing(err error) bool { return errors.Is(err, runtime.ErrNotExist) }

// undoDestroy destroys an interface iocage created; one that is gone is
// fine.
// undoEpairsDescribed destroys the epairs whose host end has the
// description args[0] (none left is success).
func undoEpairsDescribed(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("net.epair_destroy_described", args, 1, 2); err != nil {
		return err
	}
	if len(args) == 2 {
		// The name it was created under; renamed, it is found below.
		if err := h.Change(ctx, runtime.Ifconfig, args[1], "destroy"); err == nil {
			return nil
		}
	}
	ifs, err := AllInterfaces(ctx, h)
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if i.Description != args[0] || !(strings.HasPrefix(i.Name, "epair") || slices.Contains(i.Groups, "epair")) {
			continue // renamed (NIC.JID), an epair is still in group epair
		}
		if err := undoDestroy(ctx, h, []string{i.Name}); err != nil {
			return err
		}
	}
	return nil
}

func undoDestroy(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("net.ifconfig_destroy", args, 1, 1); err != nil {
		return err
	}
	if err := ValidInterfaceName(args[0]); err != nil {
		return err
	}
	err := h.Change(ctx, runtime.Ifconfig, args[0], "destroy")
	if err != nil {
		if _, gerr := GetInterface(ctx, h, args[0]); missing(gerr) {
			return nil
		}
	}
	return err
}

// undoDeletem takes member args[1] out of bridge args[0] unless it is out.
func undoDeletem(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("net.bridge_deletem", args, 2, 2); err != nil {
		return err
	}
	if err := checkIfaces(args...); err != nil {
		return err
	}
	err := h.Change(ctx, runtime.Ifconfig, args[0], "deletem", args[1])
	if err != nil {
		ifc, gerr := GetInterface(ctx, h, args[0])
		if missing(gerr) || (gerr == nil && !slices.Contains(ifc.Members, args[1])) {
			return nil
		}
	}
	return err
}

// undoVnet brings interface args[0] back from jail args[1]; it is back
// when it is on the host, or when the jail is gone (its interfaces went
// home with it).
func undoVnet(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("net.vnet_reclaim", args, 2, 2); err != nil {
		return err
	}
	if err := checkIfaces(args[0]); err != nil {
		return err
	}
	w := where{jail: args[1]}
	if err := w.check(); err != nil || w.jail == "" {
		return fmt.Errorf("net.vnet_reclaim: jail name %q is not accepted", args[1])
	}
	err := h.Change(ctx, runtime.Ifconfig, args[0], "-vnet", args[1])
	if err != nil {
		if _, gerr := GetInterface(ctx, h, args[0]); gerr == nil || w.gone(ctx, h) {
			return nil
		}
	}
	return err
}

// undoRename renames interface args[0] back to args[1] at w unless no
// interface args[0] is left there.
func undoRename(ctx context.Context, h *runtime.Host, args []string) error {
	w, rest, err := whereOf("net.rename", args)
	if err != nil {
		return err
	}
	if err := thread.CheckArgs("net.rename", rest, 2, 2); err != nil {
		return err
	}
	if err := checkIfaces(rest...); err != nil {
		return err
	}
	_, err = h.Run(ctx, w.cmd(runtime.Ifconfig, rest[0], "name", rest[1]))
	if err != nil {
		if w.gone(ctx, h) {
			return nil
		}
		if _, gerr := ifaceAt(ctx, h, w, rest[0]); missing(gerr) {
			return nil
		}
	}
	return err
}

// undoAlias removes address args[2] (family args[1]) from interface
// args[0] at w unless it is not there.
func undoAlias(ctx context.Context, h *runtime.Host, args []string) error {
	w, rest, err := whereOf("net.alias_remove", args)
	if err != nil {
		return err
	}
	if err := thread.CheckArgs("net.alias_remove", rest, 3, 3); err != nil {
		return err
	}
	iface, family, text := rest[0], rest[1], rest[2]
	if err := checkIfaces(iface); err != nil {
		return err
	}
	a, err := netip.ParseAddr(text)
	if err != nil || (family != "inet" && family != "inet6") {
		return fmt.Errorf("net.alias_remove: %s address %q is not accepted", family, text)
	}
	_, err = h.Run(ctx, w.cmd(runtime.Ifconfig, iface, family, a.String(), "-alias"))
	if err != nil {
		if w.gone(ctx, h) {
			return nil
		}
		ifc, gerr := ifaceAt(ctx, h, w, iface)
		if missing(gerr) || (gerr == nil && !hasAddr(ifc, a)) {
			return nil
		}
	}
	return err
}

func hasAddr(ifc *Interface, a netip.Addr) bool {
	for _, p := range append(append([]netip.Prefix(nil), ifc.Inet...), ifc.Inet6...) {
		if p.Addr().WithZone("") == a.WithZone("") {
			return true
		}
	}
	return false
}

// undoRoute deletes the default route at w (args: "-6" for IPv6) unless
// there is none.
func undoRoute(ctx context.Context, h *runtime.Host, args []string) error {
	w, rest, err := whereOf("net.route_delete", args)
	if err != nil {
		return err
	}
	if err := thread.CheckArgs("net.route_delete", rest, 0, 1); err != nil {
		return err
	}
	inet6 := len(rest) == 1 && rest[0] == "-6"
	if len(rest) == 1 && !inet6 {
		return fmt.Errorf("net.route_delete: %q is not -6", rest[0])
	}
	argv := []string{"delete", "default"}
	get := []string{"-n", "get", "default"}
	if inet6 {
		argv = []string{"delete", "-6", "default"}
		get = append([]string{"-6"}, get...)
	}
	_, err = h.Run(ctx, w.cmd(runtime.Route, argv...))
	if err != nil {
		if w.gone(ctx, h) {
			return nil
		}
		_, gerr := w.read(ctx, h, runtime.Route, get...)
		var ee *runtime.ExitError
		if errors.As(gerr, &ee) && strings.Contains(ee.Stderr, "not been found") {
			return nil
		}
	}
	return err
}

// resolvStep puts back ROOT/etc/resolv.conf as it was: removed when it
// did not exist, else written with its old content.
func resolvStep(root string, old []byte, existed bool) thread.Step {
	if !existed {
		return thread.Step{Kind: "net.resolv_restore", Args: []string{root}}
	}
	return thread.Step{Kind: "net.resolv_restore", Args: []string{root, base64.StdEncoding.EncodeToString(old)}}
}

func undoResolv(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("net.resolv_restore", args, 1, 2); err != nil {
		return err
	}
	root := args[0]
	if !strings.HasPrefix(root, "/") || root == "/" || slices.Contains(strings.Split(root, "/"), "..") {
		return fmt.Errorf("net.resolv_restore: root %q is not an absolute jail root path", root)
	}
	// Inside the root, as when it was written: the jail may have made
	// etc a symlink to the host since.
	if _, err := h.Lstat(root); missing(err) {
		return nil // the jail is gone, and its resolv.conf with it
	}
	r := h.InRoot(root)
	const rel = "etc/resolv.conf"
	if len(args) == 1 {
		if err := r.Remove(rel); err != nil && !missing(err) {
			return err
		}
		return nil
	}
	old, err := base64.StdEncoding.DecodeString(args[1])
	if err != nil {
		return fmt.Errorf("net.resolv_restore %s: %w", r.Path(rel), err)
	}
	return r.WriteFile(rel, old, 0o644)
}
