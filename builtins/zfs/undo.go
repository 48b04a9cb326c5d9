package zfs

import (
	"context"
	"errors"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// How the changing builtins of the zfs module are taken back when a run
// fails (thread.Undo): create, snapshot, clone and receive are undone by
// destroying what they made, rename by renaming back, set and inherit by
// restoring the values read just before, promote by promoting the former
// origin. rollback and destroy cannot be undone: what they discard is
// gone, which their docs say.

// PropSource is one property of a dataset as `zfs get -p` reports it.
type PropSource struct {
	Value  string // parsable value; "-" for an unset user property
	Source string // "local", "default", "inherited from X", "received", "-", ...
}

// Local reports whether the value was set on the dataset itself, so that
// restoring it means setting it rather than inheriting.
func (p PropSource) Local() bool { return p.Source == "local" || p.Source == "received" }

// Sources reads props of name with their sources in one `zfs get`.
func Sources(ctx context.Context, h *runtime.Host, name string, props ...string) (map[string]PropSource, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if len(props) == 0 {
		return map[string]PropSource{}, nil
	}
	for _, p := range props {
		if err := checkPropName(p); err != nil {
			return nil, err
		}
	}
	sorted := append([]string(nil), props...)
	sort.Strings(sorted)
	out, err := h.Output(ctx, runtime.ZFS, "get", "-H", "-p", "-o", "property,value,source", strings.Join(sorted, ","), name)
	if err != nil {
		return nil, mapErr(err)
	}
	got := map[string]PropSource{}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		got[f[0]] = PropSource{Value: f[1], Source: f[2]}
	}
	for _, p := range props {
		if _, ok := got[p]; !ok {
			// zfs prints nothing for a user property it has never seen
			// on some versions: it is unset.
			got[p] = PropSource{Value: "-", Source: "-"}
		}
	}
	return got, nil
}

// noneWhenZero are the properties whose parsable 0 means "none", which is
// how `zfs set` takes it back.
var noneWhenZero = map[string]bool{"quota": true, "refquota": true, "reservation": true, "refreservation": true}

// notInheritable are native properties zfs refuses to inherit ("use 'zfs
// set quota=none' to clear"): their default comes back with zfs set.
var notInheritable = map[string]bool{"quota": true, "refquota": true, "reservation": true, "refreservation": true,
	"canmount": true, "volsize": true, "volblocksize": true}

// Restore puts back properties read with Sources: the local values (and
// the defaults of properties that cannot be inherited) in one `zfs set`,
// and one `zfs inherit` for each of the others (inherited, default or
// unset before).
func Restore(ctx context.Context, h *runtime.Host, name string, prev map[string]PropSource) error {
	set := map[string]string{}
	var inherit []string
	for k, p := range prev {
		if !p.Local() && !notInheritable[k] {
			inherit = append(inherit, k)
			continue
		}
		v := p.Value
		if v == "0" && noneWhenZero[k] {
			v = "none"
		}
		set[k] = v
	}
	var errs []error
	if len(set) > 0 {
		if err := Set(ctx, h, name, set); err != nil {
			errs = append(errs, err)
		}
	}
	sort.Strings(inherit)
	for _, k := range inherit {
		if err := Inherit(ctx, h, name, k, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pushUndo records fn on t's undo log (nothing happens when the run keeps
// none).
func pushUndo(t *starlark.Thread, desc string, fn func(ctx context.Context) error) {
	thread.UndoOf(t).Push(desc, fn)
}

// missingAncestors lists the ancestors of name that do not exist, nearest
// last: what `zfs create -p` or `zfs clone -p` will make besides name.
func missingAncestors(ctx context.Context, h *runtime.Host, name string) ([]string, error) {
	var out []string
	for p := name; strings.Contains(p, "/"); {
		p = p[:strings.LastIndex(p, "/")]
		ok, err := Exists(ctx, h, p)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		out = append([]string{p}, out...)
	}
	return out, nil
}

// undoDestroy is the inverse of making name: destroying it with what is
// below it. What is gone already is fine: a recipe may have destroyed a
// temporary snapshot itself.
func undoDestroy(t *starlark.Thread, h *runtime.Host, name string, recursive bool) {
	desc := "zfs destroy " + name
	if recursive {
		desc = "zfs destroy -r " + name
	}
	pushUndo(t, desc, func(ctx context.Context) error {
		err := Destroy(ctx, h, name, DestroyOptions{Recursive: recursive, Force: true})
		if errors.Is(err, runtime.ErrNotExist) {
			return nil
		}
		return err
	})
}

// receiveUndo reads what target holds before a receive and returns how to
// take the receive back: a new target is destroyed; an existing one has
// each of its filesystems rolled back to its newest snapshot from before
// (zfs rollback -r, which destroys the received ones), and filesystems the
// stream added are destroyed.
func receiveUndo(ctx context.Context, h *runtime.Host, target string) (func(ctx context.Context) error, error) {
	out, err := h.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "all", "-r", target)
	if err = mapErr(err); errors.Is(err, runtime.ErrNotExist) {
		return func(ctx context.Context) error {
			err := Destroy(ctx, h, target, DestroyOptions{Recursive: true, Force: true})
			if errors.Is(err, runtime.ErrNotExist) {
				return nil
			}
			return err
		}, nil
	}
	if err != nil {
		return nil, err
	}
	had := map[string]bool{}
	newest := map[string]string{} // filesystem -> its newest snapshot (zfs lists them oldest first)
	for _, n := range strings.Fields(out) {
		had[n] = true
		if fs, _, ok := strings.Cut(n, "@"); ok {
			newest[fs] = n
		}
	}
	return func(ctx context.Context) error {
		out, err := h.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "filesystem,volume", "-r", target)
		if err != nil {
			return mapErr(err)
		}
		var errs []error
		for _, fs := range strings.Fields(out) {
			switch {
			case !had[fs]:
				err := Destroy(ctx, h, fs, DestroyOptions{Recursive: true, Force: true})
				if err != nil && !errors.Is(err, runtime.ErrNotExist) {
					errs = append(errs, err)
				}
			case newest[fs] != "":
				if err := Rollback(ctx, h, newest[fs], true); err != nil && !errors.Is(err, runtime.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
		return errors.Join(errs...)
	}, nil
}

// promoteOrigin reads the filesystem name is a clone of ("" when it is
// none: zfs promote then fails with its own message). Promoting that
// filesystem back takes the promotion back.
func promoteOrigin(ctx context.Context, h *runtime.Host, name string) (string, error) {
	p, err := Sources(ctx, h, name, "origin")
	if err != nil {
		return "", err
	}
	fs, _, ok := strings.Cut(p["origin"].Value, "@")
	if !ok {
		return "", nil
	}
	return fs, nil
}
