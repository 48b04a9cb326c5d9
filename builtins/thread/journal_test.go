package thread

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
)

// testLog records the test steps replayed; "fail:X" fails once.
var (
	testMu     sync.Mutex
	testLog    []string
	failOnce   = map[string]bool{}
	registered sync.Once
)

func testHost(t *testing.T) *runtime.Host {
	t.Helper()
	registered.Do(func() {
		RegisterUndo("test.undo", func(_ context.Context, _ *runtime.Host, args []string) error {
			testMu.Lock()
			defer testMu.Unlock()
			if failOnce[args[0]] {
				delete(failOnce, args[0])
				return errors.New("refused once")
			}
			testLog = append(testLog, args[0])
			return nil
		})
	})
	testMu.Lock()
	testLog = nil
	testMu.Unlock()
	return runtime.New(&runtime.Scripted{Root: t.TempDir()}, runtime.Options{})
}

func replayed() []string {
	testMu.Lock()
	defer testMu.Unlock()
	return append([]string(nil), testLog...)
}

func step(name string) Step { return Step{Kind: "test.undo", Args: []string{name}} }

func journals(t *testing.T, h *runtime.Host) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(h.LocalPath(JournalDir), "*.journal"))
	return m
}

func TestJournalTakesBackADeadRunNewestFirst(t *testing.T) {
	h := testHost(t)
	j := NewJournal(h, []string{"iocage", "create", "tag=x"})
	u := NewUndo(h, j)
	for _, n := range []string{"a", "b", "c"} {
		if err := u.Do("undo "+n, step(n), func() error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// A change that fails is not taken back; one committed stays.
	_ = u.Do("undo failed", step("failed"), func() error { return errors.New("no") })
	c := u.Child()
	_ = c.Do("undo d", step("d"), func() error { return nil })
	c.Commit()
	_ = u.Do("undo e", step("e"), func() error { return nil })
	if got := journals(t, h); len(got) != 1 {
		t.Fatalf("journals while the run is alive: %v", got)
	}
	// Alive (its flock held): never touched.
	runs, err := InterruptedRuns(h)
	if err != nil || len(runs) != 0 {
		t.Fatalf("InterruptedRuns of a live run = %v, %v", runs, err)
	}
	// The process dies: its descriptor (and flock) go, the file stays.
	j.f.Close()
	runs, err = InterruptedRuns(h)
	if err != nil || len(runs) != 1 {
		t.Fatalf("InterruptedRuns = %v, %v", runs, err)
	}
	in := runs[0]
	if in.Command() != "iocage create tag=x" || in.PID != os.Getpid() {
		t.Errorf("run = %q pid %d", in.Command(), in.PID)
	}
	// A second recoverer finds it locked.
	if again, _ := InterruptedRuns(h); len(again) != 0 {
		t.Errorf("a journal being recovered was listed again")
	}
	undone, left := in.Recover(context.Background())
	in.Close()
	if d := cmp.Diff([]string{"undo e", "undo c", "undo b", "undo a"}, undone); d != "" || len(left) != 0 {
		t.Errorf("undone (-want +got):\n%s\nleft %v", d, left)
	}
	if d := cmp.Diff([]string{"e", "c", "b", "a"}, replayed()); d != "" {
		t.Errorf("replayed (-want +got):\n%s", d)
	}
	if got := journals(t, h); len(got) != 0 {
		t.Errorf("journal left after recovery: %v", got)
	}
}

func TestJournalKeepsWhatCouldNotBeUndone(t *testing.T) {
	h := testHost(t)
	j := NewJournal(h, []string{"iocage", "start", "x"})
	u := NewUndo(h, j)
	_ = u.Do("undo a", step("a"), func() error { return nil })
	_ = u.Do("undo b", step("b"), func() error { return nil })
	j.f.Close()
	testMu.Lock()
	failOnce["b"] = true
	testMu.Unlock()
	runs, _ := InterruptedRuns(h)
	undone, left := runs[0].Recover(context.Background())
	runs[0].Close()
	if len(undone) != 1 || len(left) != 1 || left[0].Desc != "undo b" || !strings.Contains(left[0].Error, "refused once") {
		t.Fatalf("first recovery: undone %v, left %+v", undone, left)
	}
	runs, _ = InterruptedRuns(h)
	if len(runs) != 1 || len(runs[0].Steps) != 1 || runs[0].Steps[0].Error == "" {
		t.Fatalf("the failed step is not kept with its error: %+v", runs)
	}
	undone, left = runs[0].Recover(context.Background())
	runs[0].Close()
	if d := cmp.Diff([]string{"undo b"}, undone); d != "" || len(left) != 0 {
		t.Errorf("second recovery (-want +got):\n%s\nleft %v", d, left)
	}
	if got := journals(t, h); len(got) != 0 {
		t.Errorf("journal left: %v", got)
	}
}

func TestJournalOfASuccessfulOrRolledBackRunIsRemoved(t *testing.T) {
	h := testHost(t)
	j := NewJournal(h, nil)
	u := NewUndo(h, j)
	_ = u.Do("undo a", step("a"), func() error { return nil })
	j.Close()
	if got := journals(t, h); len(got) != 0 {
		t.Errorf("journal of a finished run: %v", got)
	}
	j = NewJournal(h, nil)
	u = NewUndo(h, j)
	_ = u.Do("undo a", step("a"), func() error { return nil })
	if err := u.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := journals(t, h); len(got) != 0 {
		t.Errorf("journal of a rolled back run: %v", got)
	}
	j.Close()
	// A run that changes nothing writes nothing.
	NewJournal(h, nil).Close()
	if _, err := os.Stat(h.LocalPath(JournalDir)); err == nil {
		if got := journals(t, h); len(got) != 0 {
			t.Errorf("journal of a run without changes: %v", got)
		}
	}
}

func TestJournalWritesBeforeTheChange(t *testing.T) {
	h := testHost(t)
	j := NewJournal(h, nil)
	u := NewUndo(h, j)
	var seen string
	_ = u.Do("undo a", step("a"), func() error {
		b, _ := os.ReadFile(j.f.Name())
		seen = string(b)
		return nil
	})
	if !strings.Contains(seen, `"kind":"test.undo"`) {
		t.Errorf("the journal before the change holds:\n%s", seen)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Dir(j.f.Name()), &st); err != nil || st.Mode&0o077 != 0 {
		t.Errorf("journal directory mode %o, %v", st.Mode&0o777, err)
	}
	j.Close()
}

func TestJournalReplaysTheAmendedStep(t *testing.T) {
	h := testHost(t)
	j := NewJournal(h, nil)
	u := NewUndo(h, j)
	_ = u.Do("undo by description", step("by-description"), func() error { return nil })
	if err := u.Amend("undo by name", step("by-name")); err != nil {
		t.Fatal(err)
	}
	j.f.Close()
	runs, _ := InterruptedRuns(h)
	undone, left := runs[0].Recover(context.Background())
	runs[0].Close()
	if d := cmp.Diff([]string{"undo by name"}, undone); d != "" || len(left) != 0 {
		t.Errorf("undone (-want +got):\n%s\nleft %v", d, left)
	}
	if d := cmp.Diff([]string{"by-name"}, replayed()); d != "" {
		t.Errorf("replayed (-want +got):\n%s", d)
	}
}
