package jail

// The undo steps of create, clone, import, export, upgrade and set as
// journal data (thread.Step), so that another iocage takes them back after
// this one died. Datasets are undone with the zfs package's steps
// (zfs.destroy, zfs.clone, zfs.snapshot, zfs.restore); the host files and
// tag links these builtins write, and the properties jail.set changes,
// with the steps below. Every replayer treats what is already undone, or
// was never done, as success.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("file.restore", replayFileRestore)
	thread.RegisterUndo("file.restore_in_root", replayRootFileRestore)
	thread.RegisterUndo("file.remove", replayFileRemove)
	thread.RegisterUndo("file.rename", replayFileRename)
	thread.RegisterUndo("file.rmdir", replayFileRmdir)
	thread.RegisterUndo("jail.taglink", replayTagLink)
	thread.RegisterUndo("jail.set_restore", replaySetRestore)
}

// makeDataset runs change, which makes the dataset or snapshot name;
// undone with `zfs destroy -r -f NAME`.
func makeDataset(u *thread.Undo, name string, change func() error) error {
	return u.Do("zfs destroy -r "+name, zfs.DestroyStep(name, true, true), change)
}

// makeDatasetKeep is makeDataset for a change that can fail half-made
// (a receive that breaks off): the destroy stays on the log when it fails.
func makeDatasetKeep(u *thread.Undo, name string, change func() error) error {
	return u.DoKeep("zfs destroy -r "+name, zfs.DestroyStep(name, true, true), change)
}

// absent stands for a file that did not exist in the previous contents
// of a file.restore step; contents are "base64:..." otherwise.
const absent = "absent"

func encodeContents(old []byte, existed bool) string {
	if !existed {
		return absent
	}
	return "base64:" + base64.StdEncoding.EncodeToString(old)
}

func decodeContents(kind, s string) ([]byte, bool, error) {
	if s == absent {
		return nil, false, nil
	}
	b64, ok := strings.CutPrefix(s, "base64:")
	if !ok {
		return nil, false, fmt.Errorf("%s: previous contents %.20q: want %q or base64:...", kind, s, absent)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, false, fmt.Errorf("%s: previous contents: %w", kind, err)
	}
	return b, true, nil
}

func parsePerm(kind, s string) (fs.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("%s: mode %q: want octal permissions", kind, s)
	}
	return fs.FileMode(n), nil
}

func wantArgs(kind string, args []string, n int) error {
	if len(args) != n {
		return fmt.Errorf("%s: want %d arguments, got %d", kind, n, len(args))
	}
	return nil
}

// fileRestoreStep puts the host file p back as it was: old (with perm) or
// absent.
func fileRestoreStep(p string, old []byte, existed bool, perm fs.FileMode) thread.Step {
	return thread.Step{Kind: "file.restore", Args: []string{p, encodeContents(old, existed), fmt.Sprintf("%#o", perm)}}
}

func replayFileRestore(_ context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("file.restore", args, 3); err != nil {
		return err
	}
	p := args[0]
	old, existed, err := decodeContents("file.restore", args[1])
	if err != nil {
		return err
	}
	perm, err := parsePerm("file.restore", args[2])
	if err != nil {
		return err
	}
	if !existed {
		return createRemoveIfExists(h, p)
	}
	err = h.WriteFile(p, old, perm)
	if errors.Is(err, runtime.ErrNotExist) {
		// Its directory is gone (the dataset holding it was destroyed):
		// there is nowhere to put it back.
		if _, serr := h.Lstat(path.Dir(p)); errors.Is(serr, runtime.ErrNotExist) {
			return nil
		}
	}
	return err
}

// rootFileRestoreStep is fileRestoreStep for rel inside the jail root
// root, which the replay resolves without leaving the root.
func rootFileRestoreStep(root, rel string, old []byte, existed bool, perm fs.FileMode) thread.Step {
	return thread.Step{Kind: "file.restore_in_root", Args: []string{root, rel, encodeContents(old, existed), fmt.Sprintf("%#o", perm)}}
}

func replayRootFileRestore(_ context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("file.restore_in_root", args, 4); err != nil {
		return err
	}
	r, rel := h.InRoot(args[0]), args[1]
	old, existed, err := decodeContents("file.restore_in_root", args[2])
	if err != nil {
		return err
	}
	perm, err := parsePerm("file.restore_in_root", args[3])
	if err != nil {
		return err
	}
	if !existed {
		if err := r.Remove(rel); err != nil && !errors.Is(err, runtime.ErrNotExist) {
			return err
		}
		return nil
	}
	err = r.WriteFile(rel, old, perm)
	if errors.Is(err, runtime.ErrNotExist) {
		if _, serr := h.Lstat(args[0]); errors.Is(serr, runtime.ErrNotExist) {
			return nil // the jail's root is gone with its dataset
		}
	}
	return err
}

// fileRemoveStep removes the host file p, which the change makes.
func fileRemoveStep(p string) thread.Step { return thread.Step{Kind: "file.remove", Args: []string{p}} }

func replayFileRemove(_ context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("file.remove", args, 1); err != nil {
		return err
	}
	return createRemoveIfExists(h, args[0])
}

// fileRenameStep renames from back to to; nothing to do when from is
// gone (renamed back already, or never made).
func fileRenameStep(from, to string) thread.Step {
	return thread.Step{Kind: "file.rename", Args: []string{from, to}}
}

func replayFileRename(_ context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("file.rename", args, 2); err != nil {
		return err
	}
	if _, err := h.Lstat(args[0]); errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	return h.Rename(args[0], args[1])
}

// fileRmdirStep removes the directory dir, which the change makes; one
// that is not empty stays, with an error.
func fileRmdirStep(dir string) thread.Step {
	return thread.Step{Kind: "file.rmdir", Args: []string{dir}}
}

func replayFileRmdir(_ context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("file.rmdir", args, 1); err != nil {
		return err
	}
	if err := h.Remove(args[0]); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

// tagLinkStep takes back jail.link_tag: the link made to mountpoint is
// removed (only when it still points there), then the link it replaced
// (old, "" for none) is made again unless something is there.
func tagLinkStep(link, mountpoint, old string) thread.Step {
	return thread.Step{Kind: "jail.taglink", Args: []string{link, mountpoint, old}}
}

func replayTagLink(_ context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("jail.taglink", args, 3); err != nil {
		return err
	}
	link, mp, old := args[0], args[1], args[2]
	if cur, err := h.Readlink(link); err == nil && cur == mp && cur != old {
		if err := h.Remove(link); err != nil {
			return err
		}
	}
	if old == "" {
		return nil
	}
	if _, err := h.Lstat(link); err == nil {
		return nil // the old link, still or again there
	}
	return h.Symlink(old, link)
}

// setRestoreStep takes back jail.set and jail.reset on dataset: the
// previous values (zfs.Restore), then, when the tag was changed, the
// link of tag moved back to mountpoint (relinkBack). tag is "" when it
// was not changed.
func setRestoreStep(dataset string, prev map[string]zfs.PropSource, tag, mountpoint string) thread.Step {
	b, _ := json.Marshal(prev)
	return thread.Step{Kind: "jail.set_restore", Args: []string{dataset, string(b), tag, mountpoint}}
}

func replaySetRestore(ctx context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("jail.set_restore", args, 4); err != nil {
		return err
	}
	var prev map[string]zfs.PropSource
	if err := json.Unmarshal([]byte(args[1]), &prev); err != nil {
		return fmt.Errorf("jail.set_restore %s: properties: %w", args[0], err)
	}
	if err := zfs.Restore(ctx, h, args[0], prev); err != nil {
		if errors.Is(err, runtime.ErrNotExist) {
			if ok, xerr := zfs.Exists(ctx, h, args[0]); xerr == nil && !ok {
				return nil // the jail is gone: nothing to restore
			}
		}
		return err
	}
	if args[2] == "" {
		return nil
	}
	return relinkBack(h, &Jail{Tag: args[2], Mountpoint: args[3]})
}
