package starlib

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime"
)

// TestOptions configure RunTests.
type TestOptions struct {
	// Options are the interpreter options of every test; Host is replaced
	// by Fresh's host.
	Options
	// Fresh returns a host in a fresh state (for the sandbox: reset) before
	// each test function; nil runs every test on Options.Host.
	Fresh func() (*runtime.Host, error)
	// Out receives the report.
	Out io.Writer
}

// TestSummary counts the test functions run.
type TestSummary struct {
	Passed, Failed int
}

// SummaryLine is the report's last line, which CI reads.
func (s TestSummary) SummaryLine() string {
	return fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed)
}

// FindTests expands test arguments into test files: a directory stands for
// its *_test.star files, "@iocage" for the shipped recipes' tests, and any
// other argument is a test file (a path or @iocage//NAME_test.star).
func FindTests(args []string, shipped fs.FS) ([]string, error) {
	if shipped == nil {
		shipped = defaultRecipes()
	}
	var out []string
	for _, a := range args {
		if a == "@iocage" || a == "@iocage//" {
			names, err := fs.Glob(shipped, "*_test.star")
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				out = append(out, ShippedPrefix+n)
			}
			continue
		}
		if strings.HasPrefix(a, "@") {
			out = append(out, a)
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("test %s: %w", a, err)
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		names, err := filepath.Glob(filepath.Join(a, "*_test.star"))
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("test %s: no *_test.star files in the directory", a)
		}
		out = append(out, names...)
	}
	return out, nil
}

// RunTests runs every top-level test_* function of each file, in the order
// they are defined, each in an interpreter of its own on a fresh host with
// the assert module. It reports one line per test, the failures with their
// positions, and a closing "N passed, N failed" line. An error means the
// run itself could not go on (a host that could not be reset).
func RunTests(ctx context.Context, files []string, opts TestOptions) (TestSummary, error) {
	var sum TestSummary
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	for _, file := range files {
		names, err := testNames(ctx, file, opts.Options)
		if err != nil {
			sum.Failed++
			fmt.Fprintf(out, "FAIL %s (load)\n%s\n", file, indent(PositionText(err)))
			continue
		}
		if len(names) == 0 {
			fmt.Fprintf(out, "?    %s: no test_* functions\n", file)
			continue
		}
		for _, name := range names {
			o := opts.Options
			if opts.Fresh != nil {
				h, err := opts.Fresh()
				if err != nil {
					fmt.Fprintln(out, sum.SummaryLine())
					return sum, fmt.Errorf("fresh host for %s %s: %w", file, name, err)
				}
				o.Host = h
			}
			start := time.Now()
			err := runTest(ctx, file, name, o)
			took := time.Since(start).Round(time.Millisecond)
			if err != nil {
				sum.Failed++
				fmt.Fprintf(out, "FAIL %s %s (%s)\n%s\n", file, name, took, indent(PositionText(err)))
				continue
			}
			sum.Passed++
			fmt.Fprintf(out, "ok   %s %s (%s)\n", file, name, took)
		}
	}
	fmt.Fprintln(out, sum.SummaryLine())
	return sum, nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func newTestInterp(opts Options) *Interp {
	in := New(opts)
	in.predeclare(starlark.StringDict{"assert": assertModule})
	return in
}

// testNames lists the test_* functions of file in definition order.
func testNames(ctx context.Context, file string, opts Options) ([]string, error) {
	in := newTestInterp(opts)
	globals, err := in.Exec(ctx, file)
	if err != nil {
		return nil, err
	}
	type fn struct {
		name string
		line int32
	}
	var fns []fn
	for name, v := range globals {
		f, ok := v.(*starlark.Function)
		if ok && strings.HasPrefix(name, "test_") {
			fns = append(fns, fn{name, f.Position().Line})
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].line < fns[j].line })
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.name
	}
	return names, nil
}

func runTest(ctx context.Context, file, name string, opts Options) error {
	in := newTestInterp(opts)
	k, err := in.resolveMain(file)
	if err != nil {
		return err
	}
	t, _, stop := in.newThread(ctx, file+" "+name)
	defer stop()
	globals, err := in.exec(t, k)
	if err != nil {
		return err
	}
	fn, ok := globals[name].(*starlark.Function)
	if !ok {
		return fmt.Errorf("%s: %s is not a function", file, name)
	}
	_, err = in.call(t, fn, nil)
	return err
}
