package jail

// The journals of iocage runs that died half-way (builtins/thread), for
// `iocage clean --interrupted`: listed, or taken back.

import (
	"context"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("interrupted", "jail.interrupted(undo=False) -> list of dict\n\n"+
		"The changes that iocage runs which died half-way (kill -9, a crash, a\n"+
		"power cut) left behind, from their journals in /var/run/iocage/journal:\n"+
		"one row per change, newest first, with run (its command line), pid,\n"+
		"started, change (what undoing it does) and state: \"pending\", or with\n"+
		"undo, \"undone\" or \"NOT undone: WHY\". Runs still alive are never\n"+
		"touched. With undo the changes are taken back (each step is idempotent)\n"+
		"and a journal is removed once nothing of it is left.", stInterrupted)
}

// InterruptedRow is one change of a dead run.
type InterruptedRow struct {
	Run, Change, State string
	PID                int
	Started            time.Time
}

// Interrupted lists (or, with undo, takes back) the changes of dead runs.
func Interrupted(ctx context.Context, h *runtime.Host, undo bool) ([]InterruptedRow, error) {
	runs, err := thread.InterruptedRuns(h)
	if err != nil {
		return nil, err
	}
	var rows []InterruptedRow
	for _, in := range runs {
		row := func(desc, state string) {
			rows = append(rows, InterruptedRow{Run: in.Command(), PID: in.PID, Started: in.Started, Change: desc, State: state})
		}
		if !undo {
			for _, s := range in.Steps {
				state := "pending"
				if s.Error != "" {
					state = "pending (an undo failed: " + s.Error + ")"
				}
				row(s.Desc, state)
			}
			in.Close()
			continue
		}
		undone, left := in.Recover(ctx)
		for _, d := range undone {
			row(d, "undone")
		}
		for _, s := range left {
			row(s.Desc, "NOT undone: "+s.Error)
		}
		in.Close()
	}
	return rows, nil
}

func stInterrupted(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var undo bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "undo?", &undo); err != nil {
		return nil, err
	}
	rows, err := Interrupted(thread.Context(t), h, undo && !h.DryRun())
	if err != nil {
		return fail(b, err)
	}
	out := make([]starlark.Value, len(rows))
	for i, r := range rows {
		d := starlark.NewDict(5)
		_ = d.SetKey(starlark.String("run"), starlark.String(r.Run))
		_ = d.SetKey(starlark.String("pid"), starlark.MakeInt(r.PID))
		_ = d.SetKey(starlark.String("started"), starlark.String(r.Started.Format(time.RFC3339)))
		_ = d.SetKey(starlark.String("change"), starlark.String(r.Change))
		_ = d.SetKey(starlark.String("state"), starlark.String(r.State))
		out[i] = d
	}
	return starlark.NewList(out), nil
}
