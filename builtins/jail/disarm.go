package jail

// An imported jail's directory (MP, outside its root) came from another
// host, and some of its files act on this one: the executable hook files
// (MP/prestart ...), which jail.params prefers to the exec_* properties
// and which run as root on the host, and MP/fstab, whose entries mount
// host paths into the jail. Import moves them aside unless told to keep
// them, so that an administrator reads them before they take effect.

import (
	"bytes"
	"errors"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime"
)

// DisarmedSuffix is appended to the files an import moves aside.
const DisarmedSuffix = ".imported"

func init() {
	register("disarm_files", "jail.disarm_files(spec) -> list of str\n\n"+
		"Moves aside the files of the imported jail's directory (spec.mountpoint)\n"+
		"that act on this host: each hook file MP/prestart, MP/poststart,\n"+
		"MP/prestop, MP/poststop, and MP/fstab when it has an entry (it is then\n"+
		"replaced by the comment-only template). Each goes to NAME.imported,\n"+
		"moved as it is (a symlink is moved, never followed). Returns the paths\n"+
		"moved. Not undone by itself: destroying the jail's datasets removes them.", stDisarmFiles)
}

// DisarmFiles moves the host-acting files of the jail directory mp aside
// (see jail.disarm_files) and returns the paths it moved.
func DisarmFiles(h *runtime.Host, mp string) ([]string, error) {
	var moved []string
	for _, name := range Hooks {
		p := mp + "/" + name
		if _, err := h.Lstat(p); errors.Is(err, runtime.ErrNotExist) {
			continue
		} else if err != nil {
			return moved, err
		}
		if err := h.Rename(p, p+DisarmedSuffix); err != nil {
			return moved, err
		}
		moved = append(moved, p)
	}
	p := mp + "/fstab"
	fi, err := h.Lstat(p)
	if errors.Is(err, runtime.ErrNotExist) {
		return moved, nil
	} else if err != nil {
		return moved, err
	}
	if fi.Mode().IsRegular() {
		b, err := h.ReadFile(p)
		if err != nil {
			return moved, err
		}
		if !fstabHasEntries(b) {
			return moved, nil
		}
	}
	if err := h.Rename(p, p+DisarmedSuffix); err != nil {
		return moved, err
	}
	moved = append(moved, p)
	return moved, h.WriteFile(p, []byte(FstabTemplate), 0o644)
}

// fstabHasEntries reports whether an fstab holds anything but blank lines
// and comments.
func fstabHasEntries(b []byte) bool {
	for _, l := range bytes.Split(b, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			return true
		}
	}
	return false
}

func stDisarmFiles(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	moved, err := DisarmFiles(h, s.Mountpoint)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(moved), nil
}
