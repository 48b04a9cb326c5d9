package jail

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/iocage/iocage/builtins/thread"
)

// parallelWorld runs src's main() with jail.parallel and three test
// builtins: change(name) records "do NAME" and pushes "undo NAME" on the
// undo log; meet(n, ms=2000) returns once n callers are inside it at the
// same time and fails after ms milliseconds otherwise; boom() fails.
type parallelWorld struct {
	maxSteps uint64 // the main thread's step limit; 0: none
	mu       sync.Mutex
	log      []string
	waiting  int
	arrived  chan struct{}
	stdout   bytes.Buffer
	undo     thread.Undo
}

func (w *parallelWorld) record(s string) {
	w.mu.Lock()
	w.log = append(w.log, s)
	w.mu.Unlock()
}

func (w *parallelWorld) run(t *testing.T, ctx context.Context, src string) (starlark.Value, error) {
	t.Helper()
	change := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var name string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
			return nil, err
		}
		w.record("do " + name)
		thread.UndoOf(t).Push(name, func(context.Context) error { w.record("undo " + name); return nil })
		return starlark.None, nil
	}
	meet := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		n, ms := 0, 2000
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "n", &n, "ms?", &ms); err != nil {
			return nil, err
		}
		w.mu.Lock()
		if w.arrived == nil {
			w.arrived = make(chan struct{})
		}
		w.waiting++
		ch := w.arrived
		if w.waiting == n {
			close(ch)
		}
		w.mu.Unlock()
		select {
		case <-ch:
			return starlark.None, nil
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return nil, fmt.Errorf("meet: alone after %dms", ms)
		case <-thread.Context(t).Done():
			return nil, thread.Context(t).Err()
		}
	}
	boom := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return nil, fmt.Errorf("boom")
	}
	mod := NewModule(nil)
	pre := starlark.StringDict{
		"jail":   mod,
		"change": starlark.NewBuiltin("change", change),
		"meet":   starlark.NewBuiltin("meet", meet),
		"boom":   starlark.NewBuiltin("boom", boom),
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
	}
	th := &starlark.Thread{Name: "main", Print: func(_ *starlark.Thread, msg string) { fmt.Fprintln(&w.stdout, msg) }}
	if w.maxSteps > 0 {
		th.SetMaxExecutionSteps(w.maxSteps)
		th.OnMaxSteps = func(th *starlark.Thread) { th.Cancel("step limit reached") }
	}
	thread.Set(th, &thread.Run{Ctx: ctx, Stdout: &w.stdout, Stderr: &w.stdout, Undo: &w.undo})
	g, err := starlark.ExecFileOptions(&syntax.FileOptions{}, th, "t.star", src, pre)
	if err != nil {
		t.Fatal(err)
	}
	return starlark.Call(th, g["main"], nil, nil)
}

func okErrs(t *testing.T, v starlark.Value) []string {
	t.Helper()
	var out []string
	l := v.(*starlark.List)
	for i := 0; i < l.Len(); i++ {
		r := l.Index(i).(*starlarkstruct.Struct)
		ok, _ := r.Attr("ok")
		val, _ := r.Attr("value")
		msg, _ := r.Attr("error")
		out = append(out, fmt.Sprintf("%v %v %s", ok, val, msg.(starlark.String).GoString()))
	}
	return out
}

func TestParallelRunsCallsTogetherAndKeepsOrder(t *testing.T) {
	w := &parallelWorld{}
	v, err := w.run(t, context.Background(), `
def one(x):
    change(x["name"])
    meet(3)
    print("line of " + x["name"])
    if x["name"] == "b":
        boom()
    return x["name"].upper()

def main():
    return jail.parallel(one, [{"name": "a"}, {"name": "b"}, {"name": "c"}])
`)
	if err != nil {
		t.Fatal(err)
	}
	// All three were inside meet(3) at once, or it would have failed;
	// b's failure is its own, and only its change was undone.
	want := []string{`True "A" `, "False None boom", `True "C" `}
	if d := cmp.Diff(want, okErrs(t, v)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	w.mu.Lock()
	got := append([]string(nil), w.log...)
	w.mu.Unlock()
	sort.Strings(got)
	if d := cmp.Diff([]string{"do a", "do b", "do c", "undo b"}, got); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	lines := strings.Split(strings.TrimSpace(w.stdout.String()), "\n")
	sort.Strings(lines)
	if d := cmp.Diff([]string{"line of a", "line of b", "line of c"}, lines); d != "" {
		t.Errorf("printed lines (-want +got):\n%s", d)
	}
	// The successful calls' changes joined the caller's log.
	w.log = nil
	if err := w.undo.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"undo c", "undo a"}, w.log); d != "" {
		t.Errorf("caller's rollback (-want +got):\n%s", d)
	}
}

func TestParallelLimitRunsCallsOneAtATime(t *testing.T) {
	w := &parallelWorld{}
	v, err := w.run(t, context.Background(), `
def one(x):
    meet(2, ms = 300)

def main():
    return jail.parallel(one, ["a", "b"], limit = 1)
`)
	if err != nil {
		t.Fatal(err)
	}
	// One at a time, the first waits alone and fails; the second then
	// finds the count reached.
	want := []string{"False None meet: alone after 300ms", "True None "}
	if d := cmp.Diff(want, okErrs(t, v)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
}

func TestParallelInterruptFailsTheCallerWithEveryChangeToUndo(t *testing.T) {
	w := &parallelWorld{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := w.run(t, ctx, `
def one(x):
    change(x)
    meet(3)

def main():
    return jail.parallel(one, ["a", "b"])
`)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v, want the interruption", err)
	}
	w.log = nil
	if err := w.undo.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"undo b", "undo a"}, w.log); d != "" {
		t.Errorf("caller's rollback (-want +got):\n%s", d)
	}
}

func TestParallelRefusals(t *testing.T) {
	for _, tc := range []struct{ src, msg string }{
		{`def main():
    return jail.parallel(print, [1], limit = -1)`, "limit -1: want 0 (no limit)"},
		{`def main():
    return jail.parallel(1, [1])`, "want callable"},
	} {
		w := &parallelWorld{}
		_, err := w.run(t, context.Background(), tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %q", tc.src, err, tc.msg)
		}
	}
}

func TestParallelStepsCountAgainstTheRunsLimit(t *testing.T) {
	w := &parallelWorld{maxSteps: 5000}
	_, err := w.run(t, context.Background(), `
def spin(n):
    for i in range(n):
        pass

def main():
    jail.parallel(spin, [2000, 2000])
    spin(10)
`)
	if err == nil || !strings.Contains(err.Error(), "step limit reached") {
		t.Errorf("err = %v, want the step limit: the calls spent more than 5000 steps", err)
	}
}
