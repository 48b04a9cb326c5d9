package thread

// The undo log on disk. A run that changes the host writes, before each
// change, the step that takes it back to a journal of its own (one file,
// fsynced, in a root-only directory), so that when the process dies —
// kill -9, an OOM kill, a power cut — the next iocage finds the journal
// and takes the changes back. A journaled step is data (Step: a kind and
// its arguments), replayed by the function registered for its kind, the
// same function the living run uses for its own rollback.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime"
)

// JournalDir holds the journals of runs, one file each.
const JournalDir = "/var/run/iocage/journal"

// Step is an undo step as data: the kind names the function that replays
// it (RegisterUndo), args are its arguments.
type Step struct {
	Kind string   `json:"kind"`
	Args []string `json:"args,omitempty"`
}

// UndoFunc takes a change back. It must be idempotent: undoing what is
// already gone succeeds, because a journal may be replayed after a
// process died between writing the step and making the change, or half
// way through an earlier replay.
type UndoFunc func(ctx context.Context, h *runtime.Host, args []string) error

var (
	kindsMu sync.RWMutex
	kinds   = map[string]UndoFunc{}
)

// RegisterUndo registers the replayer of a step kind ("zfs.destroy");
// packages call it from init. A kind registered twice is a programming
// error.
func RegisterUndo(kind string, fn UndoFunc) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[kind]; dup {
		panic("thread: undo kind " + kind + " registered twice")
	}
	kinds[kind] = fn
}

// CheckArgs refuses a step of kind with fewer than min or (max >= 0)
// more than max arguments: a journal is a file, and a replayer must not
// index past what it holds.
func CheckArgs(kind string, args []string, min, max int) error {
	if len(args) < min || (max >= 0 && len(args) > max) {
		return fmt.Errorf("%s: %d arguments, want %d to %d", kind, len(args), min, max)
	}
	return nil
}

// Run replays s on h.
func (s Step) Run(ctx context.Context, h *runtime.Host) error {
	kindsMu.RLock()
	fn := kinds[s.Kind]
	kindsMu.RUnlock()
	if fn == nil {
		return fmt.Errorf("no undo step of kind %q is known to this iocage", s.Kind)
	}
	return fn(ctx, h, s.Args)
}

// record is one line of a journal.
type record struct {
	// The first line: who wrote the journal.
	PID     int       `json:"pid,omitempty"`
	Started time.Time `json:"started,omitzero"`
	Argv    []string  `json:"argv,omitempty"`

	Op    string `json:"op,omitempty"` // push, cancel, commit, undone, failed
	ID    int    `json:"id,omitempty"`
	IDs   []int  `json:"ids,omitempty"` // commit
	Desc  string `json:"desc,omitempty"`
	Step  *Step  `json:"step,omitempty"` // push; nil: a step only the living run could take back
	Error string `json:"error,omitempty"`
}

// Journal is the on-disk undo log of one process. It is made at the first
// change (a run that changes nothing leaves no file), holds an flock on
// its file for the life of the process — so another iocage knows it is
// alive — and is removed when nothing in it is left to undo.
type Journal struct {
	h    *runtime.Host
	argv []string

	mu      sync.Mutex
	f       *os.File
	path    string
	next    int
	pending map[int]bool // pushed and neither cancelled, committed nor undone
	failed  bool
	err     error // the first write error: changes stop when the journal cannot be written
	syncs   int   // fsyncs made, for the benchmark
}

// NewJournal returns the journal of this process's run of argv on h.
func NewJournal(h *runtime.Host, argv []string) *Journal {
	return &Journal{h: h, argv: argv, pending: map[int]bool{}}
}

// push journals a step before its change; it returns the step's id.
func (j *Journal) push(desc string, s *Step) (int, error) {
	if j == nil {
		return 0, nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	id := j.next
	if err := j.write(record{Op: "push", ID: id, Desc: desc, Step: s}); err != nil {
		return 0, err
	}
	j.pending[id] = true
	return id, nil
}

// amend writes step id again with s; the newest push of an id counts.
func (j *Journal) amend(id int, desc string, s *Step) error {
	if j == nil || id == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.write(record{Op: "push", ID: id, Desc: desc, Step: s})
}

func (j *Journal) mark(op string, all []int, errText string) {
	var ids []int
	for _, id := range all {
		if id != 0 {
			ids = append(ids, id)
		}
	}
	if j == nil || len(ids) == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	r := record{Op: op, Error: errText}
	if len(ids) == 1 && op != "commit" {
		r.ID = ids[0]
	} else {
		r.IDs = ids
	}
	// A mark that cannot be written leaves the step pending: replaying an
	// idempotent step once more is harmless.
	if j.write(r) != nil {
		return
	}
	for _, id := range ids {
		if op == "failed" {
			j.failed = true
			continue
		}
		delete(j.pending, id)
	}
	j.tidy()
}

// tidy removes the file once nothing is pending and nothing failed.
func (j *Journal) tidy() {
	if j.f == nil || len(j.pending) > 0 || j.failed {
		return
	}
	// Housekeeping, not a change of the host: not traced or counted.
	_ = os.Remove(j.h.LocalPath(j.path))
	_ = j.f.Close()
	j.f = nil
}

// write appends r and syncs; the first write opens the file. Called with
// j.mu held.
func (j *Journal) write(r record) error {
	if j.err != nil {
		return j.err
	}
	if j.h.DryRun() {
		return nil
	}
	if j.f == nil {
		if err := j.open(); err != nil {
			j.err = fmt.Errorf("journal: %w", err)
			return j.err
		}
	}
	b, _ := json.Marshal(r)
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		j.err = fmt.Errorf("journal %s: %w", j.path, err)
		return j.err
	}
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("journal %s: %w", j.path, err)
		return j.err
	}
	j.syncs++
	return nil
}

func (j *Journal) open() error {
	if err := j.h.PrivateDir(path.Dir(JournalDir)); err != nil {
		return err
	}
	if err := j.h.PrivateDir(JournalDir); err != nil {
		return err
	}
	now := time.Now()
	j.path = fmt.Sprintf("%s/%d-%d.journal", JournalDir, now.UnixNano(), os.Getpid())
	f, err := os.OpenFile(j.h.LocalPath(j.path), os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return err
	}
	j.f = f
	b, _ := json.Marshal(record{PID: os.Getpid(), Started: now, Argv: j.argv})
	if _, err := f.Write(append(b, '\n')); err != nil {
		return err
	}
	return f.Sync()
}

// Close ends the journal of a run that is done: what is still pending
// stays (a successful run's uncommitted steps are its result), so the
// file goes unless a step failed to be undone.
func (j *Journal) Close() {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	if j.failed {
		_ = j.f.Close()
		j.f = nil
		return
	}
	j.pending = map[int]bool{}
	j.tidy()
}

// Interrupted is the journal of a run that died: what it had not
// committed, newest first.
type Interrupted struct {
	Path    string
	PID     int
	Started time.Time
	Argv    []string
	Steps   []PendingStep
	f       *os.File // locked: this process recovers it
	h       *runtime.Host
}

// PendingStep is a change of a dead run still to be taken back.
type PendingStep struct {
	ID    int
	Desc  string
	Step  *Step
	Error string // why an earlier attempt to undo it failed
}

// Interrupted lists the journals of runs that are no longer alive, each
// locked for this process (release them with Close). A journal whose
// owner holds its lock is alive and left alone; two iocage processes
// never lock the same journal.
func InterruptedRuns(h *runtime.Host) ([]*Interrupted, error) {
	ents, err := h.ReadDir(JournalDir)
	if errors.Is(err, runtime.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := h.PrivateDir(JournalDir); err != nil {
		return nil, err
	}
	var out []*Interrupted
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".journal") {
			continue
		}
		p := JournalDir + "/" + e.Name()
		f, err := os.OpenFile(h.LocalPath(p), os.O_RDWR|syscall.O_NOFOLLOW, 0)
		if err != nil {
			continue
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // alive, or being recovered by another iocage
			continue
		}
		in, err := parseJournal(f)
		if err != nil {
			f.Close()
			return out, fmt.Errorf("journal %s: %w", p, err)
		}
		in.Path, in.f, in.h = p, f, h
		out = append(out, in)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Path > out[b].Path })
	return out, nil
}

// parseJournal reads a journal. A last line cut off by the crash is
// ignored: its step was written before its change, so the change was not
// made.
func parseJournal(r io.Reader) (*Interrupted, error) {
	in := &Interrupted{}
	steps := map[int]*PendingStep{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	first := true
	for sc.Scan() {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			continue
		}
		if first {
			first = false
			in.PID, in.Started, in.Argv = rec.PID, rec.Started, rec.Argv
			continue
		}
		ids := rec.IDs
		if rec.ID != 0 {
			ids = append(ids, rec.ID)
		}
		switch rec.Op {
		case "push":
			if rec.ID > 0 {
				steps[rec.ID] = &PendingStep{ID: rec.ID, Desc: rec.Desc, Step: rec.Step}
			}
		case "cancel", "commit", "undone":
			for _, id := range ids {
				delete(steps, id)
			}
		case "failed":
			for _, id := range ids {
				if s := steps[id]; s != nil {
					s.Error = rec.Error
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, s := range steps {
		in.Steps = append(in.Steps, *s)
	}
	sort.Slice(in.Steps, func(a, b int) bool { return in.Steps[a].ID > in.Steps[b].ID })
	return in, nil
}

// Command is the command line of the run, for messages.
func (in *Interrupted) Command() string { return strings.Join(in.Argv, " ") }

// String names the run for messages.
func (in *Interrupted) String() string {
	return fmt.Sprintf("`%s` (pid %s, started %s)", in.Command(), strconv.Itoa(in.PID), in.Started.Format(time.RFC3339))
}

// Recover takes back the pending steps newest first, recording each
// outcome in the journal; the journal goes when all are undone. It
// returns the descriptions of the steps undone and the steps that remain
// (with why).
func (in *Interrupted) Recover(ctx context.Context) (undone []string, left []PendingStep) {
	ctx = context.WithoutCancel(ctx)
	for _, s := range in.Steps {
		var err error
		if s.Step == nil {
			err = fmt.Errorf("only the run that made this change could take it back")
		} else {
			err = s.Step.Run(ctx, in.h)
		}
		if err != nil {
			s.Error = err.Error()
			in.append(record{Op: "failed", ID: s.ID, Error: s.Error})
			left = append(left, s)
			continue
		}
		in.append(record{Op: "undone", ID: s.ID})
		undone = append(undone, s.Desc)
	}
	in.Steps = left
	if len(left) == 0 {
		_ = os.Remove(in.h.LocalPath(in.Path))
	}
	return undone, left
}

func (in *Interrupted) append(r record) {
	b, _ := json.Marshal(r)
	if _, err := in.f.Seek(0, io.SeekEnd); err == nil {
		_, _ = in.f.Write(append(b, '\n'))
		_ = in.f.Sync()
	}
}

// Close lets go of the journal.
func (in *Interrupted) Close() {
	if in.f != nil {
		in.f.Close()
		in.f = nil
	}
}
