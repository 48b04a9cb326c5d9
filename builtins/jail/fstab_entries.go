package jail

// The units of host work of the fstab verb: a jail's MP/fstab read as
// entries, one line added or removed, one entry mounted or unmounted on a
// running jail, and the file edited in an editor with the result checked
// before it replaces the file. Every mount point is resolved inside the
// jail's root: the jail's root user owns every directory and symlink
// there, and mount(8) and mkdir run as root on the host.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// JailRootToken stands for the jail's root directory in MP/fstab; start
// replaces it (ExpandFstab), so a line survives a mountpoint change.
const JailRootToken = "%jailroot%"

// DefaultEditor is the editor of `fstab edit` when $EDITOR is unset, as
// for vipw(8).
const DefaultEditor = "/usr/bin/vi"

func init() {
	thread.RegisterUndo("jail.fstab_rmdir", undoFstabRmdir)
	register("fstab", "jail.fstab(j) -> list of struct(index, source, destination, type, options, dump, pass, line)\n\n"+
		"The entries of the jail's fstab (MP/fstab; none when it is missing, a\n"+
		"symlink refused), numbered from 1 in file order; line is the line of the\n"+
		"file. destination is the path inside the jail (%jailroot% and the root's\n"+
		"host path taken off), or the text as written when it lies outside the\n"+
		"root; dump and pass are None when the line omits them. No change.", stFstab)
	register("fstab_add", "jail.fstab_add(j, source, destination, type=\"nullfs\", options=\"ro\") -> struct\n\n"+
		"Appends `SOURCE %jailroot%/DESTINATION TYPE OPTIONS 0 0` to the jail's\n"+
		"fstab (fstab(5) escaping: \\040 for a space) and makes the mount point\n"+
		"inside the jail's root. destination is an absolute path inside the\n"+
		"jail with no \"..\"; it may pass through the jail's symlinks only where\n"+
		"they stay inside the root as the host sees them (relative links such\n"+
		"as /home -> usr/home); an absolute link, or one that climbs out, is\n"+
		"refused. The source must exist on the host (a directory for nullfs)\n"+
		"when it is a path. A destination already in the fstab, or the same\n"+
		"directory as one, is refused. Returns the entry as jail.fstab lists it.\n"+
		"Undone (the old file back, the directories made removed) when the run\n"+
		"fails.", stFstabAdd)
	register("fstab_remove", "jail.fstab_remove(j, entry) -> struct\n\n"+
		"Removes one line of the jail's fstab: entry is its number as jail.fstab\n"+
		"lists it, or its destination (the path inside the jail). Comments and\n"+
		"the other lines stay as they are. Returns the entry removed. Undone\n"+
		"(the old file back) when the run fails.", stFstabRemove)
	register("fstab_mount", "jail.fstab_mount(j, entry)\n\n"+
		"Mounts an entry of jail.fstab or jail.fstab_add on the running jail:\n"+
		"`mount -t TYPE -o OPTIONS SOURCE POINT`, POINT the destination resolved\n"+
		"inside the jail's root (symlinks followed as the jail sees them, one\n"+
		"that leads out refused). Unmounted when the run fails.", stFstabMount)
	register("fstab_unmount", "jail.fstab_unmount(j, entry) -> bool\n\n"+
		"Unmounts the entry's destination, resolved as jail.fstab_mount does,\n"+
		"with `umount POINT` when `mount -p` lists it; False when nothing is\n"+
		"mounted there. Not undone.", stFstabUnmount)
	register("fstab_edit", "jail.fstab_edit(j, editor=\"\") -> list of struct\n\n"+
		"Opens a copy of the jail's fstab (the template when it has none) in\n"+
		"editor on the host, with the terminal: a command split at blanks, no\n"+
		"shell, its program an absolute path or found in $PATH; \"\" means\n"+
		"$EDITOR, else /usr/bin/vi. The copy lives in /var/run/iocage (root's\n"+
		"alone). The edited text replaces MP/fstab only when start would accept\n"+
		"it: every line has 4 to 6 fields and every mount point lies inside the\n"+
		"jail's root, symlinks followed. Otherwise the fstab stays as it was, the\n"+
		"error says why and where the rejected copy is kept. Returns the\n"+
		"entries as jail.fstab lists them. Undone (the old file back) when the\n"+
		"run fails.", stFstabEdit)
}

// FstabFile is the jail's own fstab, MP/fstab.
func FstabFile(j *Jail) string { return j.Mountpoint + "/fstab" }

// ReadJailFstab reads MP/fstab without following a symlink: its text, its
// permissions and whether it exists (a missing one reads as empty).
func ReadJailFstab(h *runtime.Host, j *Jail) (text []byte, perm fs.FileMode, existed bool, err error) {
	p := FstabFile(j)
	fi, err := h.LstatRegular(p)
	if errors.Is(err, runtime.ErrNotExist) {
		return nil, 0o644, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	b, err := h.ReadRegular(p)
	if err != nil {
		return nil, 0, false, err
	}
	return b, fi.Mode().Perm(), true, nil
}

// readFstabEntries is ReadJailFstab with the text parsed: the entries,
// the text they came from, its permissions and whether it existed.
func readFstabEntries(h *runtime.Host, j *Jail) (es []FstabEntry, text []byte, perm fs.FileMode, existed bool, err error) {
	if text, perm, existed, err = ReadJailFstab(h, j); err != nil {
		return nil, nil, 0, false, err
	}
	if es, err = ParseFstab(string(text)); err != nil {
		return nil, nil, 0, false, fmt.Errorf("%s: %w", FstabFile(j), err)
	}
	return es, text, perm, existed, nil
}

// InJail is where e mounts as a path inside the jail whose root is root
// ("/usr/ports"), %jailroot% or the root's host path taken off; false and
// the text as written when it lies outside the root.
func (e FstabEntry) InJail(root string) (string, bool) {
	rel, ok := under(root, strings.ReplaceAll(e.Point, JailRootToken, root))
	if !ok {
		return e.Point, false
	}
	if rel == "." {
		return "/", true
	}
	return "/" + rel, true
}

// DestinationRel checks a destination given as a path inside the jail
// ("/usr/ports", or "%jailroot%/usr/ports") and returns it relative to the
// root ("usr/ports"). A relative path, a ".." component and the root
// itself are refused: a line must say plainly where it mounts.
func DestinationRel(dst string) (string, error) {
	p := strings.TrimPrefix(dst, JailRootToken)
	if strings.Contains(p, JailRootToken) {
		return "", fmt.Errorf("destination %q: %s stands for the jail's root and may only start it", dst, JailRootToken)
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("destination %q: want an absolute path inside the jail, such as /mnt/data", dst)
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return "", fmt.Errorf("destination %q: \"..\" is refused; give the path inside the jail without it", dst)
		}
	}
	rel := strings.TrimPrefix(path.Clean(p), "/")
	if rel == "" {
		return "", fmt.Errorf("destination %q: the jail's root itself cannot be a mount point", dst)
	}
	return rel, nil
}

// fstabTypeRE is a file system type as mount(8)'s -t takes it.
var fstabTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// FstabAddition is one line for jail.fstab_add.
type FstabAddition struct {
	Source, Destination, Type, Options string
}

// checkSource refuses a source mount(8) would take for an option, and one
// that names a missing host path.
func checkSource(h *runtime.Host, a FstabAddition) error {
	switch {
	case a.Source == "":
		return fmt.Errorf("source: empty")
	case strings.Contains(a.Source, JailRootToken):
		// Start would mount a path of the jail, which its root user
		// could make a symlink to any directory of the host.
		return fmt.Errorf("source %q: a path inside the jail (%s) is refused: want a host path", a.Source, JailRootToken)
	case strings.HasPrefix(a.Source, "-"):
		return fmt.Errorf("source %q: starts with '-', which mount(8) would read as an option", a.Source)
	case a.Type == "nullfs" && !path.IsAbs(a.Source):
		return fmt.Errorf("source %q: nullfs mounts a host directory: want an absolute path", a.Source)
	case !path.IsAbs(a.Source):
		return nil // tmpfs, procfs, ...: the source is a name
	}
	fi, err := h.Stat(a.Source)
	if errors.Is(err, runtime.ErrNotExist) {
		return fmt.Errorf("source %s does not exist on the host", a.Source)
	}
	if err != nil {
		return fmt.Errorf("source %s: %w", a.Source, err)
	}
	if a.Type == "nullfs" && !fi.IsDir() {
		return fmt.Errorf("source %s is not a directory (nullfs mounts a directory)", a.Source)
	}
	return nil
}

// mountPointRel checks the destination rel inside r as the host's mkdir
// and mount(8) would walk it, so that no symlink of the jail turns it
// elsewhere: each existing component is followed only inside the root
// (os.Root: an absolute link, or one that climbs out, is refused) and
// must be a directory. It returns how many leading components exist.
func mountPointRel(r *runtime.RootDir, dst, rel string) (int, error) {
	cs := strings.Split(rel, "/")
	for i := range cs {
		p := strings.Join(cs[:i+1], "/")
		fi, err := r.Stat(p)
		switch {
		case errors.Is(err, runtime.ErrNotExist):
			return i, nil
		case errors.Is(err, runtime.ErrUnsafe):
			return 0, fmt.Errorf("destination %s: /%s is a symbolic link that leads out of the jail's root as the host sees it (absolute, or climbing above the root); give the directory it stands for: %w", dst, p, err)
		case err != nil:
			return 0, fmt.Errorf("destination %s: %w", dst, err)
		case !fi.IsDir():
			return 0, fmt.Errorf("destination %s: /%s is %s, not a directory", dst, p, fileKindOf(fi.Mode()))
		}
	}
	return len(cs), nil
}

func fileKindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a directory (" + m.Type().String() + ")"
}

// AddFstabEntry appends a line for a to the jail's fstab after checking
// it, and makes its mount point; each change goes on u. It returns the
// entry as written.
func AddFstabEntry(h *runtime.Host, u *thread.Undo, j *Jail, a FstabAddition) (FstabEntry, int, error) {
	if !fstabTypeRE.MatchString(a.Type) {
		return FstabEntry{}, 0, fmt.Errorf("type %q: want a file system type such as nullfs or tmpfs", a.Type)
	}
	if a.Options == "" || strings.HasPrefix(a.Options, "-") {
		return FstabEntry{}, 0, fmt.Errorf("options %q: want mount options such as ro or rw,noatime", a.Options)
	}
	rel, err := DestinationRel(a.Destination)
	if err != nil {
		return FstabEntry{}, 0, err
	}
	dst := "/" + rel
	if err := checkSource(h, a); err != nil {
		return FstabEntry{}, 0, err
	}
	es, old, perm, existed, err := readFstabEntries(h, j)
	if err != nil {
		return FstabEntry{}, 0, err
	}
	root := stRoot(j)
	r := h.InRoot(root)
	have, err := mountPointRel(r, dst, rel)
	if err != nil {
		return FstabEntry{}, 0, err
	}
	point, err := r.Resolve(rel)
	if err != nil {
		return FstabEntry{}, 0, fmt.Errorf("destination %s: %w", dst, err)
	}
	for _, e := range es {
		d, ok := e.InJail(root)
		if !ok {
			continue
		}
		if d == dst {
			return FstabEntry{}, 0, fmt.Errorf("destination %s is already in the fstab (line %d)", dst, e.Line)
		}
		if d != "/" {
			if p, err := r.Resolve(d[1:]); err == nil && p == point {
				return FstabEntry{}, 0, fmt.Errorf("destination %s is the directory of %s, already in the fstab (line %d)", dst, d, e.Line)
			}
		}
	}
	cs := strings.Split(rel, "/")
	for i := have; i < len(cs); i++ {
		p := strings.Join(cs[:i+1], "/")
		step := thread.Step{Kind: "jail.fstab_rmdir", Args: []string{root, p}}
		if err := u.Do("rmdir "+r.Path(p), step, func() error { return r.MkdirAll(p, 0o755) }); err != nil {
			return FstabEntry{}, 0, err
		}
	}
	e := FstabEntry{Device: a.Source, Point: JailRootToken + dst, Type: a.Type, Options: a.Options, Freq: "0", Pass: "0"}
	text := string(old)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	e.Line = strings.Count(text, "\n") + 1
	text += e.String() + "\n"
	if err := writeJailFstab(h, u, j, old, existed, perm, []byte(text)); err != nil {
		return FstabEntry{}, 0, err
	}
	return e, len(es) + 1, nil
}

// writeJailFstab replaces MP/fstab (atomically: a symlink put there is
// replaced, not written through); undone with the old contents.
func writeJailFstab(h *runtime.Host, u *thread.Undo, j *Jail, old []byte, existed bool, perm fs.FileMode, text []byte) error {
	p := FstabFile(j)
	return u.Do("restore "+p, fileRestoreStep(p, old, existed, perm), func() error { return h.WriteFile(p, text, perm) })
}

// FindFstabEntry finds the entry which names: its number (1-based, in
// file order) or its destination inside the jail. It returns the entry
// and its number.
func FindFstabEntry(es []FstabEntry, root, which string) (FstabEntry, int, error) {
	if n, err := strconv.Atoi(which); err == nil {
		switch {
		case len(es) == 0:
			return FstabEntry{}, 0, fmt.Errorf("no entry %d: the fstab has no entries", n)
		case n < 1 || n > len(es):
			return FstabEntry{}, 0, fmt.Errorf("no entry %d: the fstab has entries 1 to %d", n, len(es))
		}
		return es[n-1], n, nil
	}
	want := which
	if rel, err := DestinationRel(which); err == nil {
		want = "/" + rel
	}
	var found []int
	for i, e := range es {
		if d, _ := e.InJail(root); d == want || e.Point == which {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 0:
		return FstabEntry{}, 0, fmt.Errorf("no entry mounts on %s: want an entry's number or its destination inside the jail", which)
	case 1:
		return es[found[0]], found[0] + 1, nil
	}
	lines := make([]string, len(found))
	for i, k := range found {
		lines[i] = strconv.Itoa(k + 1)
	}
	return FstabEntry{}, 0, fmt.Errorf("entries %s all mount on %s: name one by its number", strings.Join(lines, ", "), which)
}

// RemoveFstabEntry removes the line of the entry which names (see
// FindFstabEntry) from the jail's fstab; the change goes on u.
func RemoveFstabEntry(h *runtime.Host, u *thread.Undo, j *Jail, which string) (FstabEntry, int, error) {
	es, old, perm, existed, err := readFstabEntries(h, j)
	if err != nil {
		return FstabEntry{}, 0, err
	}
	e, n, err := FindFstabEntry(es, stRoot(j), which)
	if err != nil {
		return FstabEntry{}, 0, err
	}
	lines := strings.SplitAfter(string(old), "\n")
	text := strings.Join(append(lines[:e.Line-1:e.Line-1], lines[e.Line:]...), "")
	if err := writeJailFstab(h, u, j, old, existed, perm, []byte(text)); err != nil {
		return FstabEntry{}, 0, err
	}
	return e, n, nil
}

// entryPoint is the host path an entry mounts on: its destination
// resolved inside the jail's root as the jail sees it.
func entryPoint(h *runtime.Host, j *Jail, dst string) (string, error) {
	rel, err := DestinationRel(dst)
	if err != nil {
		return "", err
	}
	p, err := h.InRoot(stRoot(j)).Resolve(rel)
	if err != nil {
		return "", fmt.Errorf("destination %s: %w", dst, err)
	}
	return p, nil
}

// MountFstabEntry mounts e on the running jail, as start's mount(8) does
// with the generated fstab; undone with umount.
func MountFstabEntry(ctx context.Context, h *runtime.Host, u *thread.Undo, j *Jail, e FstabAddition) error {
	point, err := entryPoint(h, j, e.Destination)
	if err != nil {
		return err
	}
	src := strings.ReplaceAll(e.Source, JailRootToken, stRoot(j))
	if src == "" || strings.HasPrefix(src, "-") || !fstabTypeRE.MatchString(e.Type) {
		return fmt.Errorf("entry %s %s %s: not a source and type mount(8) takes", e.Source, e.Destination, e.Type)
	}
	argv := []string{"-t", e.Type}
	if e.Options != "" {
		argv = append(argv, "-o", e.Options)
	}
	argv = append(argv, src, point)
	return u.Do("umount "+point, thread.Step{Kind: "jail.umount", Args: []string{point}}, func() error {
		return h.Change(ctx, runtime.Mount, argv...)
	})
}

// UnmountFstabEntry unmounts the destination dst of the jail when `mount
// -p` lists it there; false when nothing is mounted there.
func UnmountFstabEntry(ctx context.Context, h *runtime.Host, j *Jail, dst string) (bool, error) {
	point, err := entryPoint(h, j, dst)
	if err != nil {
		return false, err
	}
	ms, err := Mounts(ctx, h)
	if err != nil || !stMounted(ms, point) {
		return false, err
	}
	return true, h.Change(ctx, runtime.Umount, point)
}

// EditorArgv is the command line of editor (a command split at blanks;
// "" for $EDITOR, else vi) with file last. Its program is an absolute
// path, or the first executable file of that name in path's directories
// on the host.
func EditorArgv(h *runtime.Host, editor, envEditor, envPath, file string) ([]string, error) {
	if strings.TrimSpace(editor) == "" {
		editor = envEditor
	}
	w := strings.Fields(editor)
	if len(w) == 0 {
		w = []string{DefaultEditor}
	}
	prog := w[0]
	if !strings.Contains(prog, "/") {
		for _, d := range strings.Split(envPath, ":") {
			if !path.IsAbs(d) {
				continue
			}
			if fi, err := h.Stat(d + "/" + prog); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
				prog = d + "/" + prog
				break
			}
		}
	}
	if !path.IsAbs(prog) {
		return nil, fmt.Errorf("editor %q: not an absolute path, and not found in $PATH", w[0])
	}
	return append(append([]string{prog}, w[1:]...), file), nil
}

// EditPath is where `fstab edit` keeps the copy being edited: root's own
// directory, so no other user can change it between the editor and the
// check.
func EditPath(uuid string) string { return FstabDir + "/edit-fstab." + uuid }

// EditFstab runs the editor on a copy of the jail's fstab and installs the
// result when start would accept it (ExpandFstab). changed is false when
// the text came back as it was.
func EditFstab(ctx context.Context, h *runtime.Host, u *thread.Undo, r *thread.Run, j *Jail, editor string) (changed bool, err error) {
	old, perm, existed, err := ReadJailFstab(h, j)
	if err != nil {
		return false, err
	}
	start := old
	if !existed {
		start = []byte(FstabTemplate)
	}
	mkdir := func() error { return h.PrivateDir(FstabDir) }
	if _, err = h.Lstat(FstabDir); errors.Is(err, runtime.ErrNotExist) {
		err = u.Do("rmdir "+FstabDir, thread.Step{Kind: "jail.rmdir_if_empty", Args: []string{FstabDir}}, mkdir)
	} else {
		err = mkdir()
	}
	if err != nil {
		return false, err
	}
	tmp := EditPath(j.UUID)
	// WriteFile replaces whatever is there, a symlink included.
	if err := h.WriteFile(tmp, start, 0o600); err != nil {
		return false, err
	}
	argv, err := EditorArgv(h, editor, os.Getenv("EDITOR"), os.Getenv("PATH"), tmp)
	if err != nil {
		return false, err
	}
	// The editor draws on the terminal: standard error when standard
	// output is a pipe (`iocage fstab web edit --json | ...`).
	out := r.Stdout
	if !r.Interactive && r.StderrTerminal {
		out = r.Stderr
	}
	cmd := &runtime.Cmd{Path: argv[0], Args: argv[1:], Stdin: r.Stdin, Stdout: out, Stderr: r.Stderr, Change: true}
	if cmd.Stdin == nil {
		cmd.Stdin = strings.NewReader("")
	}
	if _, err := h.Run(ctx, cmd); err != nil {
		h.Remove(tmp)
		return false, fmt.Errorf("editor: %w; %s is unchanged", err, FstabFile(j))
	}
	if h.DryRun() {
		return false, nil
	}
	text, err := h.ReadRegular(tmp)
	if err != nil {
		return false, fmt.Errorf("the edited copy: %w; %s is unchanged", err, FstabFile(j))
	}
	if string(text) == string(start) {
		return false, h.Remove(tmp)
	}
	root := stRoot(j)
	if _, err := ExpandFstab(string(text), root, h.InRoot(root).Resolve); err != nil {
		return false, fmt.Errorf("the edited fstab is refused, %s is unchanged (the edit is kept in %s): %w", FstabFile(j), tmp, err)
	}
	if err := writeJailFstab(h, u, j, old, existed, perm, text); err != nil {
		return false, err
	}
	return true, h.Remove(tmp)
}

// undoFstabRmdir removes a mount point jail.fstab_add made (args: the
// jail's root, the directory relative to it), resolved inside the root;
// one that is gone is fine, one that is not a directory is left.
func undoFstabRmdir(ctx context.Context, h *runtime.Host, args []string) error {
	if err := thread.CheckArgs("jail.fstab_rmdir", args, 2, 2); err != nil {
		return err
	}
	r := h.InRoot(args[0])
	fi, err := r.Lstat(args[1])
	if errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	if err != nil || !fi.IsDir() {
		return err
	}
	if err := r.Remove(args[1]); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

// fstabStruct is an entry as the builtins return it.
func fstabStruct(e FstabEntry, n int, root string) *starlarkstruct.Struct {
	dst, _ := e.InJail(root)
	opt := func(s string) starlark.Value {
		if s == "" {
			return starlark.None
		}
		return starlark.String(s)
	}
	return starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
		"index": starlark.MakeInt(n), "line": starlark.MakeInt(e.Line),
		"source": starlark.String(e.Device), "destination": starlark.String(dst),
		"type": starlark.String(e.Type), "options": starlark.String(e.Options),
		"dump": opt(e.Freq), "pass": opt(e.Pass),
	})
}

func fstabList(h *runtime.Host, j *Jail) (*starlark.List, error) {
	es, _, _, _, err := readFstabEntries(h, j)
	if err != nil {
		return nil, err
	}
	out := make([]starlark.Value, len(es))
	for i, e := range es {
		out[i] = fstabStruct(e, i+1, stRoot(j))
	}
	return starlark.NewList(out), nil
}

// fstabJail unpacks j and refuses the defaults.
func fstabJail(b *starlark.Builtin, v *Value) (*Jail, error) {
	if v == nil {
		return nil, fmt.Errorf("%s: missing the jail", b.Name())
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	return v.j, nil
}

// additionOf reads the fields a mount needs from an entry struct.
func additionOf(v starlark.Value) (FstabAddition, error) {
	var a FstabAddition
	hv, ok := v.(starlark.HasAttrs)
	if !ok {
		return a, fmt.Errorf("entry: got %s, want an entry of jail.fstab", v.Type())
	}
	for _, f := range []struct {
		name string
		to   *string
	}{{"source", &a.Source}, {"destination", &a.Destination}, {"type", &a.Type}, {"options", &a.Options}} {
		x, err := hv.Attr(f.name)
		s, isStr := starlark.AsString(x)
		if err != nil || x == nil || !isStr {
			return a, fmt.Errorf("entry: no string field %s (want an entry of jail.fstab)", f.name)
		}
		*f.to = s
	}
	return a, nil
}

func stFstab(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	j, err := fstabJail(b, v)
	if err != nil {
		return nil, err
	}
	l, err := fstabList(h, j)
	if err != nil {
		return fail(b, err)
	}
	return l, nil
}

func stFstabAdd(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	a := FstabAddition{Type: "nullfs", Options: "ro"}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "source", &a.Source, "destination", &a.Destination, "type?", &a.Type, "options?", &a.Options); err != nil {
		return nil, err
	}
	j, err := fstabJail(b, v)
	if err != nil {
		return nil, err
	}
	e, n, err := AddFstabEntry(h, thread.UndoOf(t), j, a)
	if err != nil {
		return fail(b, err)
	}
	return fstabStruct(e, n, stRoot(j)), nil
}

func stFstabRemove(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var which starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "entry", &which); err != nil {
		return nil, err
	}
	j, err := fstabJail(b, v)
	if err != nil {
		return nil, err
	}
	var w string
	switch x := which.(type) {
	case starlark.Int:
		w = x.String()
	case starlark.String:
		w = x.GoString()
	default:
		return nil, fmt.Errorf("%s: entry: got %s, want a number or a destination", b.Name(), which.Type())
	}
	e, n, err := RemoveFstabEntry(h, thread.UndoOf(t), j, w)
	if err != nil {
		return fail(b, err)
	}
	return fstabStruct(e, n, stRoot(j)), nil
}

// fstabEntryArgs unpacks (j, entry) of the builtins that act on one
// entry of a jail's fstab.
func fstabEntryArgs(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (*Jail, FstabAddition, error) {
	var v *Value
	var ev starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "entry", &ev); err != nil {
		return nil, FstabAddition{}, err
	}
	j, err := fstabJail(b, v)
	if err != nil {
		return nil, FstabAddition{}, err
	}
	a, err := additionOf(ev)
	if err != nil {
		return nil, FstabAddition{}, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return j, a, nil
}

func stFstabMount(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	j, a, err := fstabEntryArgs(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	if err := MountFstabEntry(thread.Context(t), h, thread.UndoOf(t), j, a); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func stFstabUnmount(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	j, a, err := fstabEntryArgs(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	done, err := UnmountFstabEntry(thread.Context(t), h, j, a.Destination)
	if err != nil {
		return fail(b, err)
	}
	return starlark.Bool(done), nil
}

func stFstabEdit(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var editor string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "editor?", &editor); err != nil {
		return nil, err
	}
	j, err := fstabJail(b, v)
	if err != nil {
		return nil, err
	}
	r := thread.Get(t)
	if _, err := EditFstab(r.Ctx, h, r.Undo, r, j, editor); err != nil {
		return fail(b, err)
	}
	l, err := fstabList(h, j)
	if err != nil {
		return fail(b, err)
	}
	return l, nil
}
