package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gozfs "github.com/mistifyio/go-zfs/v3"
)

// GoZFS runs fn, a call into go-zfs that runs the one command argv
// (program first), as traced host work. go-zfs finds `zfs` on PATH, which
// is /sbin on FreeBSD and the sandbox root's /sbin on Linux. In dry-run
// mode a change is printed from argv and fn is not called.
func (h *Host) GoZFS(ctx context.Context, change bool, argv []string, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line := (&Cmd{Path: argv[0], Args: argv[1:]}).String()
	if change && h.opts.DryRun {
		fmt.Fprintf(h.opts.Out, "would run: %s\n", line)
		h.note(Event{Cmd: line, DryRun: true})
		return nil
	}
	if change && h.injected() {
		h.note(Event{Cmd: line, ExitCode: -1})
		return fmt.Errorf("%s: %w", line, ErrInjected)
	}
	start := time.Now()
	err := zfsError(line, fn())
	code := 0
	if err != nil {
		code = 1
		var x *ExitError
		if errors.As(err, &x) {
			code = x.ExitCode
		}
	}
	h.note(Event{Cmd: line, Duration: time.Since(start), ExitCode: code})
	if err != nil {
		return err
	}
	if change {
		h.madeChange()
	}
	return nil
}

// zfsError turns go-zfs's error into ours: zfs's own message under the
// command line iocage meant, and ErrNotExist when zfs said the dataset does
// not exist.
func zfsError(line string, err error) error {
	ge, ok := err.(*gozfs.Error)
	if !ok {
		return err
	}
	msg := strings.TrimSpace(ge.Stderr)
	code := -1
	if ee, ok := ge.Err.(interface{ ExitCode() int }); ok {
		code = ee.ExitCode()
	}
	e := &ExitError{Cmd: line, Stderr: msg, ExitCode: code}
	if strings.Contains(msg, "does not exist") {
		return fmt.Errorf("%w: %w", e, ErrNotExist)
	}
	return e
}
