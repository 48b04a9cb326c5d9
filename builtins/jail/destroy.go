package jail

// The builtins of destroy (lifecycle.md §7 with its gaps filled): which
// clones depend on a jail, asking the user, and removing the host files
// a jail leaves outside its datasets.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("dependents", "jail.dependents(j) -> list of struct(dataset, uuid)\n\n"+
		"The clones, outside j's datasets, of any snapshot of j (one `zfs list` of\n"+
		"every origin in the pool), and of a template's base tree (its basejails'\n"+
		"base filesystems, one more `zfs list`). uuid names the jail a clone belongs to, \"\"\n"+
		"for a dataset that is no jail's. Destroying j needs them gone first.", destroyDependents)
	register("forget", "jail.forget(j) -> list of str\n\n"+
		"Removes what j leaves on the host outside its datasets: its links in\n"+
		"/iocage/tags, its console log /iocage/log/UUID-console.log and the\n"+
		"generated /var/run/iocage/fstab.UUID (a symlink is removed, not its\n"+
		"target). Returns the paths removed. Part of destroy; not undone.", destroyForget)
	register("confirm", "jail.confirm(question) -> bool\n\n"+
		"Asks question on standard error and reads one line: True for y or yes.\n"+
		"Fails when there is no terminal to ask (scripts pass -f instead).", destroyConfirm)
}

func destroyDependents(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	if v.j.Default {
		return fail(b, fmt.Errorf("the defaults have no clones"))
	}
	deps, err := zfs.Dependents(ctxOf(t), h, v.j.Dataset)
	if err != nil {
		return fail(b, err)
	}
	based, err := baseDependents(h, t, v.j)
	if err != nil {
		return fail(b, err)
	}
	deps = append(deps, based...)
	jails := JailsDS(strings.TrimSuffix(v.j.Dataset, "/iocage/jails/"+v.j.UUID)) + "/"
	var out []starlark.Value
	for _, d := range deps {
		uuid := ""
		if rest, ok := strings.CutPrefix(d, jails); ok {
			uuid, _, _ = strings.Cut(rest, "/")
		}
		out = append(out, starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"dataset": starlark.String(d), "uuid": starlark.String(uuid)}))
	}
	return starlark.NewList(out), nil
}

func destroyForget(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	if v.j.Default {
		return fail(b, fmt.Errorf("the defaults leave no files"))
	}
	removed, err := Forget(h, v.j)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(removed), nil
}

// Forget removes j's tag links (every link in /iocage/tags that points at
// its mountpoint, whatever its name), console log and generated fstab.
func Forget(h *runtime.Host, j *Jail) ([]string, error) {
	var paths []string
	tags := Root + "/tags"
	ents, err := h.ReadDir(tags)
	if err != nil && !destroyNotExist(err) {
		return nil, err
	}
	for _, e := range ents {
		if e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		p := path.Join(tags, e.Name())
		target, err := h.Readlink(p)
		if err != nil {
			continue
		}
		if j.Mountpoint != "" && (target == j.Mountpoint || target == Root+"/jails/"+j.UUID || target == Root+"/jails/"+j.UUID[:8]) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range []string{Root + "/log/" + j.UUID + "-console.log", FstabPath(j.UUID)} {
		if _, err := h.Lstat(p); err == nil {
			paths = append(paths, p)
		}
	}
	for _, p := range paths {
		if err := h.Remove(p); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

func destroyNotExist(err error) bool { return errors.Is(err, runtime.ErrNotExist) }

func destroyConfirm(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var question string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "question", &question); err != nil {
		return nil, err
	}
	r := thread.Get(t)
	if !r.Interactive || r.Stdin == nil {
		return fail(b, fmt.Errorf("cannot ask %q: not on a terminal (confirm with -f)", question))
	}
	fmt.Fprintf(r.Stderr, "%s [y/N]: ", question)
	line, err := bufio.NewReader(r.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return starlark.False, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return starlark.True, nil
	}
	return starlark.False, nil
}
