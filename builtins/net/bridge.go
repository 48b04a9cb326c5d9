package net

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// BridgeMark is the description iocage gives a bridge it creates. It is
// how a later run tells such a bridge from one the administrator made:
// iocage destroys only bridges carrying it, and only when empty.
const BridgeMark = "created by iocage"

func (m *module) bridgeCreate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := checkBridgeName(name); err != nil {
		return nil, fail(b, err)
	}
	if _, err := m.run(t, b, where{}, runtime.Ifconfig, name, "create", "description", BridgeMark, "up"); err != nil {
		return nil, err
	}
	// Recorded after it is made: journaled before, a kill would have
	// the next iocage destroy a bridge of that name that was there. One a
	// kill leaves carries BridgeMark, by which stop removes it when empty.
	undo := where{}.cmd(runtime.Ifconfig, name, "destroy")
	if err := thread.UndoOf(t).Record(undo.String(), thread.Step{Kind: "net.ifconfig_destroy", Args: []string{name}}); err != nil {
		return nil, fail(b, err)
	}
	return starlark.None, nil
}

// checkBridgeName admits bridgeN only: a name that asks ifconfig for the
// next free unit ("bridge") would create a bridge under a name the caller
// does not know.
func checkBridgeName(name string) error {
	if err := ValidInterfaceName(name); err != nil {
		return err
	}
	unit, ok := strings.CutPrefix(name, "bridge")
	if !ok || unit == "" || strings.Trim(unit, "0123456789") != "" || (len(unit) > 1 && unit[0] == '0') {
		return fmt.Errorf("bridge name %q is not bridgeN (N a unit number, e.g. bridge1)", name)
	}
	return nil
}

func (m *module) bridgeDestroy(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := checkBridgeName(name); err != nil {
		return nil, fail(b, err)
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	// Checked here, not left to the recipe: destroying a bridge someone
	// else made cuts the host off its network.
	ifc, err := GetInterface(thread.Context(t), h, name)
	if err != nil {
		return nil, fail(b, err)
	}
	if ifc.Description != BridgeMark {
		return nil, fmt.Errorf("%s: %s was not created by iocage (its description is not %q); iocage leaves it alone", b.Name(), name, BridgeMark)
	}
	if len(ifc.Members) > 0 {
		return nil, fmt.Errorf("%s: %s still has members %s", b.Name(), name, strings.Join(ifc.Members, ", "))
	}
	_, err = m.run(t, b, where{}, runtime.Ifconfig, name, "destroy")
	return starlark.None, err
}

// HostResolvConf is the host's resolver configuration, copied into a jail
// by resolver=copy.
const HostResolvConf = "/etc/resolv.conf"

// ResolvConf is what the resolver property asks to be in a jail's
// /etc/resolv.conf: ok false for "none" (or unset: leave the file alone),
// the host's file for "copy", else the value with each ";" a line break.
func ResolvConf(h *runtime.Host, value string) (content []byte, ok bool, err error) {
	switch v := strings.TrimSpace(value); v {
	case "none", "-":
		return nil, false, nil
	case "":
		return nil, false, fmt.Errorf(`resolver: empty value; accepted: "none", "copy", or resolv.conf lines separated by ";"`)
	case "copy":
		b, err := h.ReadFile(HostResolvConf)
		if err != nil {
			return nil, false, fmt.Errorf("resolver=copy: %w", err)
		}
		return b, true, nil
	}
	var lines []string
	for _, l := range strings.Split(value, ";") {
		l = strings.TrimSpace(l)
		for _, r := range l {
			if r < ' ' && r != '\t' || r == 0x7f {
				return nil, false, fmt.Errorf("resolver: line %q has a control character; accepted: resolv.conf lines separated by \";\"", l)
			}
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	return []byte(strings.Join(lines, "\n") + "\n"), true, nil
}

func (m *module) resolvConf(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var root, value string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "root", &root, "value", &value); err != nil {
		return nil, err
	}
	h, err := m.host(b)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(root, "/") || root == "/" || slices.Contains(strings.Split(root, "/"), "..") {
		return nil, fmt.Errorf("%s: root %q is not an absolute jail root path", b.Name(), root)
	}
	content, ok, err := ResolvConf(h, value)
	if err != nil {
		return nil, fail(b, err)
	}
	if !ok {
		return starlark.False, nil
	}
	// The jail's root user owns everything under root: etc or the file
	// may be a symlink to a host path. Resolved inside the root, a link
	// leading out of it is an error and one at the file is replaced.
	r := h.InRoot(root)
	fi, err := r.Lstat("etc")
	if err != nil {
		return nil, fail(b, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %s is not a directory (a symlink is refused: it could lead out of the jail)", b.Name(), r.Path("etc"))
	}
	const rel = "etc/resolv.conf"
	path := r.Path(rel)
	if fi, err := r.Lstat(rel); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s is not a regular file (a symlink is refused: it could lead out of the jail); remove it or set resolver=none", b.Name(), path)
	}
	old, err := r.ReadFile(rel)
	existed := err == nil
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return nil, fail(b, err)
	}
	err = thread.UndoOf(t).Do("restore "+path, resolvStep(root, old, existed), func() error {
		return r.WriteFile(rel, content, 0o644)
	})
	if err != nil {
		return nil, fail(b, err)
	}
	return starlark.True, nil
}
