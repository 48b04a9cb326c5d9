package zfs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

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

// The undo steps of this package, as journal data (thread.Step) that
// another iocage can replay after this one died. Every replayer treats
// what is already undone, or was never done, as success.
func init() {
	thread.RegisterUndo("zfs.destroy", replayDestroy)
	thread.RegisterUndo("zfs.rename", replayRename)
	thread.RegisterUndo("zfs.restore", replayRestore)
	thread.RegisterUndo("zfs.promote", replayPromote)
	thread.RegisterUndo("zfs.snapshot", replaySnapshot)
	thread.RegisterUndo("zfs.clone", replayClone)
	thread.RegisterUndo("zfs.receive", replayReceive)
}

// DestroyStep is the undo step of making name: `zfs destroy [-r] [-f]
// NAME`. A dataset already gone is fine: a recipe may have destroyed a
// temporary snapshot itself, or the run died before making it.
func DestroyStep(name string, recursive, force bool) thread.Step {
	var args []string
	if recursive {
		args = append(args, "-r")
	}
	if force {
		args = append(args, "-f")
	}
	return thread.Step{Kind: "zfs.destroy", Args: append(args, name)}
}

// DestroyDesc names DestroyStep(name, recursive, _) for messages.
func DestroyDesc(name string, recursive bool) string {
	if recursive {
		return "zfs destroy -r " + name
	}
	return "zfs destroy " + name
}

// stepFlags splits args into the flags before the last n operands,
// refusing any flag not in allowed.
func stepFlags(kind string, args []string, n int, allowed ...string) (map[string]bool, []string, error) {
	if len(args) < n {
		return nil, nil, fmt.Errorf("%s: want %d operands, got %q", kind, n, args)
	}
	flags := map[string]bool{}
	for _, f := range args[:len(args)-n] {
		if !slices.Contains(allowed, f) {
			return nil, nil, fmt.Errorf("%s: unknown flag %q", kind, f)
		}
		flags[f] = true
	}
	return flags, args[len(args)-n:], nil
}

func replayDestroy(ctx context.Context, h *runtime.Host, args []string) error {
	f, ops, err := stepFlags("zfs.destroy", args, 1, "-r", "-f")
	if err != nil {
		return err
	}
	err = Destroy(ctx, h, ops[0], DestroyOptions{Recursive: f["-r"], Force: f["-f"]})
	if errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	return err
}

// RenameStep is the undo step of renaming to to from: `zfs rename [-r]
// TO FROM`. When to does not exist there is nothing to rename back.
func RenameStep(from, to string, recursive bool) thread.Step {
	args := []string{to, from}
	if recursive {
		args = append([]string{"-r"}, args...)
	}
	return thread.Step{Kind: "zfs.rename", Args: args}
}

func replayRename(ctx context.Context, h *runtime.Host, args []string) error {
	f, ops, err := stepFlags("zfs.rename", args, 2, "-r")
	if err != nil {
		return err
	}
	err = Rename(ctx, h, ops[0], ops[1], false, f["-r"])
	if err == nil || !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	// Read only on failure, so that a rollback sends what it always did.
	if ok, xerr := Exists(ctx, h, ops[0]); xerr == nil && !ok {
		return nil
	}
	return err
}

// RestoreStep is the undo step of changing properties of name whose
// values and sources were prev (Sources): Restore. A dataset that is gone
// has nothing left to restore.
func RestoreStep(name string, prev map[string]PropSource) thread.Step {
	b, _ := json.Marshal(prev)
	return thread.Step{Kind: "zfs.restore", Args: []string{name, string(b)}}
}

func replayRestore(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("zfs.restore: want a dataset and its properties, got %q", args)
	}
	var prev map[string]PropSource
	if err := json.Unmarshal([]byte(args[1]), &prev); err != nil {
		return fmt.Errorf("zfs.restore %s: properties: %w", args[0], err)
	}
	err := Restore(ctx, h, args[0], prev)
	if errors.Is(err, runtime.ErrNotExist) {
		if ok, xerr := Exists(ctx, h, args[0]); xerr == nil && !ok {
			return nil
		}
	}
	return err
}

// PromoteStep is the undo step of promoting a clone of origin: `zfs
// promote ORIGIN`. When origin is no clone (any more), it is done.
func PromoteStep(origin string) thread.Step {
	return thread.Step{Kind: "zfs.promote", Args: []string{origin}}
}

func replayPromote(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("zfs.promote: want a filesystem, got %q", args)
	}
	err := Promote(ctx, h, args[0])
	if err == nil {
		return nil
	}
	if errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	if o, xerr := promoteOrigin(ctx, h, args[0]); xerr == nil && o == "" {
		return nil
	}
	return err
}

// SnapshotStep is the undo step of destroying the snapshot name: `zfs
// snapshot [-r] NAME`. A snapshot that exists is done.
func SnapshotStep(name string, recursive bool) thread.Step {
	args := []string{name}
	if recursive {
		args = append([]string{"-r"}, args...)
	}
	return thread.Step{Kind: "zfs.snapshot", Args: args}
}

func replaySnapshot(ctx context.Context, h *runtime.Host, args []string) error {
	f, ops, err := stepFlags("zfs.snapshot", args, 1, "-r")
	if err != nil {
		return err
	}
	err = Snapshot(ctx, h, ops[0], f["-r"])
	if err == nil {
		return nil
	}
	if ok, xerr := Exists(ctx, h, ops[0]); xerr == nil && ok {
		return nil
	}
	return err
}

// CloneStep is the undo step of destroying name, a clone of snapshot with
// props: `zfs clone -o k=v... SNAPSHOT NAME`. A clone of snapshot named
// name that exists is done.
func CloneStep(snapshot, name string, props map[string]string) thread.Step {
	b, _ := json.Marshal(props)
	return thread.Step{Kind: "zfs.clone", Args: []string{snapshot, name, string(b)}}
}

func replayClone(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("zfs.clone: want a snapshot, a name and properties, got %q", args)
	}
	var props map[string]string
	if err := json.Unmarshal([]byte(args[2]), &props); err != nil {
		return fmt.Errorf("zfs.clone %s: properties: %w", args[1], err)
	}
	err := Clone(ctx, h, args[0], args[1], false, props)
	if err == nil {
		return nil
	}
	if p, xerr := Sources(ctx, h, args[1], "origin"); xerr == nil && p["origin"].Value == args[0] {
		return nil
	}
	return err
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

// receivedBefore is what a target held before a receive into it.
type receivedBefore struct {
	Filesystems []string          `json:"filesystems"`
	Newest      map[string]string `json:"newest,omitempty"` // filesystem -> its newest snapshot
}

// receiveUndo reads what target holds before a receive and returns how to
// take the receive back: a new target is destroyed; an existing one has
// each of its filesystems rolled back to its newest snapshot from before
// (zfs rollback -r, which destroys the received ones), and filesystems the
// stream added are destroyed.
//
// A resumable receive (ReceiveOptions.Resumable) is different: when it is
// cut short, what arrived is partial state kept on purpose so that a later
// run resumes it (Send with ResumeToken). A caller that wants to keep it
// must not journal this step for the receive, whose destroy would throw
// the partial file system away; it journals nothing for the cut receive
// and, if the verb gives up instead, drops the state with AbortReceive.
// A receive that completes is journaled as any other. Existing callers
// receive without -s and keep this undo.
func receiveUndo(ctx context.Context, h *runtime.Host, target string) (thread.Step, error) {
	out, err := h.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "all", "-r", target)
	if err = mapErr(err); errors.Is(err, runtime.ErrNotExist) {
		return DestroyStep(target, true, true), nil
	}
	if err != nil {
		return thread.Step{}, err
	}
	before := receivedBefore{Newest: map[string]string{}}
	for _, n := range strings.Fields(out) {
		// zfs lists snapshots oldest first.
		if fs, _, ok := strings.Cut(n, "@"); ok {
			before.Newest[fs] = n
		} else {
			before.Filesystems = append(before.Filesystems, n)
		}
	}
	b, _ := json.Marshal(before)
	return thread.Step{Kind: "zfs.receive", Args: []string{target, string(b)}}, nil
}

func replayReceive(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("zfs.receive: want a target and what it held, got %q", args)
	}
	target := args[0]
	var before receivedBefore
	if err := json.Unmarshal([]byte(args[1]), &before); err != nil {
		return fmt.Errorf("zfs.receive %s: %w", target, err)
	}
	out, err := h.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "filesystem,volume", "-r", target)
	if err = mapErr(err); errors.Is(err, runtime.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	had := map[string]bool{}
	for _, fs := range before.Filesystems {
		had[fs] = true
	}
	var errs []error
	for _, fs := range strings.Fields(out) {
		switch {
		case !had[fs]:
			err := Destroy(ctx, h, fs, DestroyOptions{Recursive: true, Force: true})
			if err != nil && !errors.Is(err, runtime.ErrNotExist) {
				errs = append(errs, err)
			}
		case before.Newest[fs] != "":
			if err := Rollback(ctx, h, before.Newest[fs], true); err != nil && !errors.Is(err, runtime.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
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
