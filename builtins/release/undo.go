package release

// How fetch, update and upgrade are taken back, as journaled steps
// (thread.Step) that another iocage can replay after this one died. Each
// succeeds when what it undoes is gone already, so a step replayed twice,
// or for a change never made, succeeds.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("release.remove_file", undoDownload)
	thread.RegisterUndo("release.destroy", undoCreate)
	thread.RegisterUndo("release.unmark_fetched", undoMarkFetched)
	thread.RegisterUndo("release.backout", undoBackout)
}

func gone(err error) error {
	if errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	return err
}

// undoDownload removes a downloaded file.
func undoDownload(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("release.remove_file: %d arguments, want a path", len(args))
	}
	return gone(h.Remove(args[0]))
}

// undoCreate destroys the topmost dataset a fetch made, with all below.
func undoCreate(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("release.destroy: %d arguments, want a dataset", len(args))
	}
	return gone(zfs.Destroy(ctx, h, args[0], zfs.DestroyOptions{Recursive: true, Force: true}))
}

// undoMarkFetched clears FetchedProp of a release dataset.
func undoMarkFetched(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("release.unmark_fetched: %d arguments, want a dataset", len(args))
	}
	return gone(zfs.Inherit(ctx, h, args[0], FetchedProp, false))
}

// undoBackout rolls every filesystem that has the snapshot args[0] (taken
// recursively when args[1] is "-r") back to it, then destroys it.
func undoBackout(ctx context.Context, h *runtime.Host, args []string) error {
	if len(args) < 1 || len(args) > 2 || (len(args) == 2 && args[1] != "-r") {
		return fmt.Errorf("release.backout: arguments %q, want a snapshot and -r or nothing", args)
	}
	snap, recursive := args[0], len(args) == 2
	ds, name, ok := strings.Cut(snap, "@")
	if !ok || name == "" {
		return fmt.Errorf("release.backout: %q is not a snapshot", snap)
	}
	snaps, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{ds}, Recursive: true, Types: []string{"snapshot"}})
	if err != nil {
		return gone(err)
	}
	var errs []error
	for _, s := range snaps {
		if strings.HasSuffix(s.Name, "@"+name) {
			errs = append(errs, zfs.Rollback(ctx, h, s.Name, false))
		}
	}
	errs = append(errs, gone(zfs.Destroy(ctx, h, snap, zfs.DestroyOptions{Recursive: recursive})))
	return errors.Join(errs...)
}
