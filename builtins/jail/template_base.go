package jail

// Basejails on a template's base (create -b base=TEMPLATE). A template is
// one dataset, but a basejail clones one dataset per base filesystem, so a
// template's basejails share a base tree made from it, laid out as a
// release's: POOL/iocage/base/UUID/root with a dataset per BaseFilesystems
// entry, filled with a copy of the template's root. Everything else about
// such a basejail is a release basejail's: read-only clones of
// BASE/root/FS@JAILUUID made again at each start, so that a refreshed base
// (`iocage update TEMPLATE`) reaches every basejail at its next start.
// The copy costs the template's size once per refresh, not per jail; the
// alternative, nullfs mounts of a snapshot's .zfs directories, would save
// it but depend on snapshot automounts under the jails, which a destroy
// of the snapshot or an unmount of the .zfs directory pulls away.

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/release"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("make_base", "jail.make_base(template) -> list of str\n\n"+
		"Makes or refreshes the base tree a template's basejails share,\n"+
		"POOL/iocage/base/UUID/root: one lz4 dataset per base filesystem (bin\n"+
		"boot lib libexec rescue sbin usr/bin usr/include usr/lib usr/libexec\n"+
		"usr/sbin usr/share usr/src usr/libdata usr/lib32), filled with a copy of\n"+
		"the template's root (tar pipe). A tree that exists is refreshed behind\n"+
		"the recursive back-out snapshot BASE/root@ioc-base_DATE: its base\n"+
		"filesystems are emptied and filled again, then the snapshot is\n"+
		"destroyed. Basejails see the refresh at their next start. Fails for a\n"+
		"jail that is not a template, or whose root has a symbolic link where a\n"+
		"base filesystem or usr is. Returns the base datasets. Undone: datasets\n"+
		"made are destroyed, a refreshed tree is rolled back.", stMakeBase)
	register("base_of", "jail.base_of(j) -> str\n\n"+
		"The dataset whose base filesystems the basejail j clones:\n"+
		"POOL/iocage/base/UUID/root for a basejail of a template (its\n"+
		"basejail_source), POOL/iocage/base/REL/root for one of a release. No\n"+
		"host access.", stBaseOf)
}

// BaseName names the base tree a basejail's base filesystems are cloned
// from (POOL/iocage/base/NAME/root): its template's UUID (basejail_source)
// or its release.
func BaseName(props map[string]string) string {
	if src := props["basejail_source"]; jailprops.IsUUID(src) {
		return src
	}
	return props["release"]
}

func stBaseOf(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	return starlark.String(BaseDS(poolOfJail(v.j), BaseName(v.j.Props))), nil
}

func stMakeBase(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "template", &v); err != nil {
		return nil, err
	}
	j := v.j
	if j.Default {
		return fail(b, fmt.Errorf("the defaults are not a template"))
	}
	if j.Props["template"] != "yes" {
		return fail(b, fmt.Errorf("%s (%s) is not a template", j.UUID, j.Tag))
	}
	snap := "ioc-base_" + now().Format("2006-01-02_15:04:05")
	made, err := release.MakeTemplateBase(ctxOf(t), h, poolOfJail(j), j.UUID, j.Mountpoint+"/root", snap, thread.UndoOf(t))
	if err != nil {
		return fail(b, fmt.Errorf("base of template %s (%s): %w", j.UUID, j.Tag, err))
	}
	return strings2list(made), nil
}

// baseDependents are the clones of the snapshots of the base tree made
// from the template j (the base filesystems of its basejails); none when
// it has no tree.
func baseDependents(h *runtime.Host, t *starlark.Thread, j *Jail) ([]string, error) {
	deps, err := zfs.Dependents(ctxOf(t), h, BaseDS(poolOfJail(j), j.UUID))
	if errors.Is(err, runtime.ErrNotExist) {
		return nil, nil
	}
	return deps, err
}
