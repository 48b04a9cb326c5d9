package runtime

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	gozfs "github.com/mistifyio/go-zfs/v3"
)

// go-zfs runs `zfs` itself and offers only a process-wide logger, so its calls
// are serialised and attributed to the Host that made them while they run.
var (
	gozfsMu     sync.Mutex
	gozfsActive *zfsRecorder
)

func init() { gozfs.SetLogger(zfsLogger{}) }

type zfsLogger struct{}

// Log receives go-zfs's "ID:x START cmdline" and "ID:x FINISH" lines.
func (zfsLogger) Log(parts []string) {
	r := gozfsActive
	if r == nil || len(parts) < 2 {
		return
	}
	id := parts[0]
	switch parts[1] {
	case "START":
		if len(parts) > 2 {
			r.start(id, normaliseZFSLine(parts[2]))
		}
	case "FINISH":
		r.finish(id, 0)
	}
}

type zfsRecorder struct {
	h       *Host
	pending map[string]pendingCmd
	order   []string
}

type pendingCmd struct {
	line  string
	start time.Time
}

func (r *zfsRecorder) start(id, line string) {
	r.pending[id] = pendingCmd{line: line, start: time.Now()}
	r.order = append(r.order, id)
}

func (r *zfsRecorder) finish(id string, code int) {
	p, ok := r.pending[id]
	if !ok {
		return
	}
	delete(r.pending, id)
	r.h.note(Event{Cmd: p.line, Duration: time.Since(p.start), ExitCode: code})
}

// normaliseZFSLine shows the program by its FreeBSD path whatever PATH
// resolved it to, so sandbox traces read like FreeBSD ones.
func normaliseZFSLine(line string) string {
	prog, rest, _ := strings.Cut(line, " ")
	switch path.Base(prog) {
	case "zfs":
		prog = ZFS
	case "zpool":
		prog = Zpool
	}
	if rest == "" {
		return prog
	}
	return prog + " " + rest
}

// GoZFS runs fn, a call into go-zfs, as traced host work. argv is the command
// line fn is expected to run (program first); in dry-run mode a change is
// printed from it and fn is not called.
func (h *Host) GoZFS(ctx context.Context, change bool, argv []string, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if change && h.opts.DryRun {
		c := &Cmd{Path: argv[0], Args: argv[1:]}
		fmt.Fprintf(h.opts.Out, "would run: %s\n", c.String())
		h.note(Event{Cmd: c.String(), DryRun: true})
		return nil
	}
	if change && h.injected() {
		line := (&Cmd{Path: argv[0], Args: argv[1:]}).String()
		h.note(Event{Cmd: line, ExitCode: -1})
		return fmt.Errorf("%s: %w", line, ErrInjected)
	}
	gozfsMu.Lock()
	defer gozfsMu.Unlock()
	r := &zfsRecorder{h: h, pending: map[string]pendingCmd{}}
	gozfsActive = r
	err := fn()
	gozfsActive = nil
	for _, id := range r.order {
		r.finish(id, 1) // go-zfs logs no FINISH for a failed command
	}
	if err != nil {
		return zfsError(err)
	}
	if change {
		h.madeChange()
	}
	return nil
}

// zfsError turns go-zfs's error into ours: zfs's own message, and
// ErrNotExist when zfs said the dataset does not exist.
func zfsError(err error) error {
	ge, ok := err.(*gozfs.Error)
	if !ok {
		return err
	}
	msg := strings.TrimSpace(ge.Stderr)
	line := normaliseZFSLine(ge.Debug)
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
