package jail

// A stop is never taken back: what it removed stays removed. A stop that
// dies half-way is finished instead, by the step jail.stopping journals
// before the first change: replayed, it removes whatever of the jail is
// left (the jail, its mounts, aliases, epairs, rctl rules and generated
// fstab), so the host ends as a complete stop leaves it.

import (
	"context"
	"errors"
	"os"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("stopping", "jail.stopping(j, ip=[])\n\n"+
		"Journals, before a stop changes anything, the step that finishes the\n"+
		"stop of j if the run dies or fails before commit(): `jail -r`, every\n"+
		"mount under its root, the aliases of the shared-IP parameters ip (from\n"+
		"net.star's jail_ip_params), its epairs (by description), its rctl rules\n"+
		"and its generated fstab, each only when still there. No host change.", stStopping)
	thread.RegisterUndo("jail.finish_stop", finishStop)
}

func stStopping(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var ip *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "ip?", &ip); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	params, err := stStrings(ip)
	if err != nil {
		return fail(b, err)
	}
	s := launchStep(v.j, params)
	s.Kind = "jail.finish_stop"
	if err := thread.UndoOf(t).Record("finish stopping "+v.j.Name(), s); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// finishStop takes away what is left of a jail (args as jail.remove's).
func finishStop(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.finish_stop", args, 3, -1); err != nil {
		return err
	}
	name, uuid := args[0], args[2]
	errs := []error{undoLaunch(ctx, h, args)}
	errs = append(errs,
		thread.Step{Kind: "net.epair_destroy_described", Args: []string{"associated with jail: " + uuid}}.Run(ctx, h))
	if err := h.Change(ctx, runtime.Rctl, "-r", "jail:"+name); err != nil {
		if out, lerr := h.Output(ctx, runtime.Rctl, "jail:"+name); lerr != nil || strings.TrimSpace(out) != "" {
			errs = append(errs, err)
		}
	}
	if _, err := h.Lstat(FstabPath(uuid)); err == nil {
		if err := h.Remove(FstabPath(uuid)); err != nil && !errors.Is(err, runtime.ErrNotExist) && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
