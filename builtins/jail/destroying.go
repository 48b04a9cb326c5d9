package jail

// A destroy is never taken back either: a destroy that dies half-way is
// finished by the step jail.destroying journals before its first change.

import (
	"context"
	"errors"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("destroying", "jail.destroying(j, snapshots=[], data=\"\")\n\n"+
		"Journals, before a destroy changes anything, the step that finishes the\n"+
		"destroy of the stopped jail j if the run dies or fails before commit():\n"+
		"its datasets (`zfs destroy -r -f`), what jail.forget removes, the\n"+
		"snapshots named (its origin and base snapshots) and the delegated\n"+
		"dataset data when it lies outside the jail, each only when still there.\n"+
		"No host change.", stDestroying)
	thread.RegisterUndo("jail.finish_destroy", finishDestroy)
}

func stDestroying(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var snaps *starlark.List
	var data string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "snapshots?", &snaps, "data?", &data); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	ss, err := stStrings(snaps)
	if err != nil {
		return fail(b, err)
	}
	s := thread.Step{Kind: "jail.finish_destroy", Args: append([]string{v.j.Dataset, v.j.UUID, v.j.Mountpoint, data}, ss...)}
	if err := thread.UndoOf(t).Record("finish destroying "+v.j.Dataset, s); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// finishDestroy removes what is left of a destroyed jail.
func finishDestroy(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.finish_destroy", args, 4, -1); err != nil {
		return err
	}
	gone := func(err error) error {
		if errors.Is(err, runtime.ErrNotExist) {
			return nil
		}
		return err
	}
	ds, uuid, mp, data := args[0], args[1], args[2], args[3]
	errs := []error{gone(zfs.Destroy(ctx, h, ds, zfs.DestroyOptions{Recursive: true, Force: true}))}
	_, err := Forget(h, &Jail{UUID: uuid, Mountpoint: mp})
	errs = append(errs, err)
	for _, s := range args[4:] {
		errs = append(errs, DropSnapshots(ctx, h, s))
	}
	if data != "" {
		errs = append(errs, gone(zfs.Destroy(ctx, h, data, zfs.DestroyOptions{Recursive: true})))
	}
	return errors.Join(errs...)
}
