package rctl

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func run(t *testing.T, replies map[string]runtime.Reply, undo *thread.Undo, src string) (*runtime.Scripted, *runtime.Host, starlark.StringDict, error) {
	t.Helper()
	s := &runtime.Scripted{Replies: replies, Root: t.TempDir()}
	h := runtime.New(s, runtime.Options{})
	th := &starlark.Thread{Name: t.Name()}
	if undo != nil {
		undo.Host = h // its steps are replayed on h
	}
	thread.Set(th, &thread.Run{Ctx: context.Background(), Host: h, Undo: undo})
	g, err := starlark.ExecFile(th, "test.star", src, starlark.StringDict{"rctl": NewModule(h)})
	return s, h, g, err
}

func TestRulesFromProperties(t *testing.T) {
	got, err := Rules("ioc-x", map[string]string{"memoryuse": "8G:log", "maxproc": "100:deny", "pcpu": "off",
		"cputime": "-", "openfiles": "1024:sigterm", "tag": "web"})
	if err != nil {
		t.Fatal(err)
	}
	// In the property table's order, limit and action swapped as rctl wants.
	want := []string{"jail:ioc-x:memoryuse:log=8G", "jail:ioc-x:maxproc:deny=100", "jail:ioc-x:openfiles:sigterm=1024"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, tc := range []struct{ prop, value, msg string }{
		{"memoryuse", "8G", "missing :ACTION"},
		{"cputime", "10:deny", "cannot deny"},
		{"maxproc", "lots:deny", "not an amount"},
		{"maxproc", "10:explode", `action "explode"`},
		{"maxproc", "10:sigfoo", "unknown signal"},
	} {
		_, err := Rules("ioc-x", map[string]string{tc.prop: tc.value})
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s=%s: error %v, want one saying %q", tc.prop, tc.value, err, tc.msg)
		}
	}
	if _, err := Rules("-x", nil); err == nil {
		t.Errorf("a jail name starting with - was accepted")
	}
}

func TestAddRemoveCpusetArgvAndUndo(t *testing.T) {
	undo := &thread.Undo{}
	s, h, g, err := run(t, map[string]runtime.Reply{
		"/usr/bin/rctl jail:ioc-x":    {Stdout: "jail:ioc-x:maxproc:deny=100\njail:ioc-x:memoryuse:log=8589934592\n"},
		"/bin/cpuset -g -j 7":         {Stdout: "jail 7 mask: 0, 1\n"},
		"/usr/bin/rctl -u jail:ioc-x": {Stdout: "cputime=3\nmaxproc=2\n"},
	}, undo, `
rctl.add("jail:ioc-x:maxproc:deny=100")
removed = rctl.remove("jail:ioc-x")
rctl.cpuset(7, "1")
use = rctl.usage("jail:ioc-x")
cpus = rctl.cpus(7)
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/usr/bin/rctl -a jail:ioc-x:maxproc:deny=100",
		"/usr/bin/rctl jail:ioc-x",
		"/usr/bin/rctl -r jail:ioc-x",
		"/bin/cpuset -g -j 7",
		"/bin/cpuset -l 1 -j 7",
		"/usr/bin/rctl -u jail:ioc-x",
		"/bin/cpuset -g -j 7",
	}
	if d := cmp.Diff(want, s.Calls()); d != "" {
		t.Errorf("argv (-want +got):\n%s", d)
	}
	if got := g["removed"].String(); got != `["jail:ioc-x:maxproc:deny=100", "jail:ioc-x:memoryuse:log=8589934592"]` {
		t.Errorf("removed = %s", got)
	}
	if got := g["use"].String(); got != `{"cputime": 3, "maxproc": 2}` {
		t.Errorf("usage = %s", got)
	}
	if got := g["cpus"].String(); got != `"0,1"` {
		t.Errorf("cpus = %s", got)
	}
	n := len(s.Calls())
	if err := undo.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantUndo := []string{
		"/bin/cpuset -l 0,1 -j 7",
		"/usr/bin/rctl -a jail:ioc-x:maxproc:deny=100 jail:ioc-x:memoryuse:log=8589934592",
		"/usr/bin/rctl -r jail:ioc-x:maxproc:deny=100",
	}
	if d := cmp.Diff(wantUndo, s.Calls()[n:]); d != "" {
		t.Errorf("undo (-want +got):\n%s", d)
	}
	_ = h
}

func TestRemoveOfNothingRunsNoRemoval(t *testing.T) {
	s, _, g, err := run(t, nil, &thread.Undo{}, `r = rctl.remove("jail:ioc-y")`)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"/usr/bin/rctl jail:ioc-y"}, s.Calls()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if g["r"].String() != "[]" {
		t.Errorf("removed = %s", g["r"])
	}
}

func TestBadArgumentsAreRefusedBeforeRunning(t *testing.T) {
	for src, msg := range map[string]string{
		`rctl.add("jail:ioc-x:maxproc")`:    "want SUBJECT:ID:RESOURCE:ACTION=AMOUNT",
		`rctl.add("-a")`:                    "starts with '-'",
		`rctl.add("host:x:maxproc:deny=1")`: "subject \"host\"",
		`rctl.cpuset(0, "1")`:               "want a running jail's id",
		`rctl.cpuset(3, "3-1")`:             "descending",
		`rctl.cpuset(3, "a")`:               "not a CPU number",
		`rctl.remove("jail:a b")`:           "space",
	} {
		s, _, _, err := run(t, nil, nil, src)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", src, err, msg)
		}
		if len(s.Calls()) != 0 {
			t.Errorf("%s ran %v", src, s.Calls())
		}
	}
}

func TestListOnAKernelWithoutRctlIsEmpty(t *testing.T) {
	_, _, g, err := run(t, map[string]runtime.Reply{"/usr/bin/rctl jail:ioc-y": {ExitCode: 1,
		Stderr: "rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n"}}, nil, `r = rctl.remove("jail:ioc-y")`)
	if err != nil || g["r"].String() != "[]" {
		t.Errorf("remove on a disabled RCTL: %v, %v", g["r"], err)
	}
	_, _, _, err = run(t, map[string]runtime.Reply{"/usr/bin/rctl": {ExitCode: 1, Stderr: "rctl: something else\n"}}, nil, `rctl.list()`)
	if err == nil || !strings.Contains(err.Error(), "something else") {
		t.Errorf("other rctl errors must surface: %v", err)
	}
}

func TestHumanListAndUsageKeepRctlsOrder(t *testing.T) {
	s, _, g, err := run(t, map[string]runtime.Reply{
		"/usr/bin/rctl -h jail:":           {Stdout: "jail:ioc-x:memoryuse:log=8G\n"},
		"/usr/bin/rctl -hu jail:ioc-x":     {Stdout: "wallclock=279\nmemoryuse=4040K\nreadbps=0\n"},
		"/usr/bin/rctl -u jail:ioc-x":      {Stdout: "wallclock=279\nmemoryuse=4136960\n"},
		"/usr/bin/rctl -u jail:ioc-broken": {Stdout: "wallclock=279\nnonsense\n"},
	}, nil, `
rules = rctl.list("jail:", human = True)
use = rctl.usage("jail:ioc-x", human = True)
raw = rctl.usage("jail:ioc-x")
`)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"rules": `["jail:ioc-x:memoryuse:log=8G"]`,
		// The kernel's order, not sorted: inuse derives its columns from it.
		"use": `{"wallclock": "279", "memoryuse": "4040K", "readbps": "0"}`,
		"raw": `{"wallclock": 279, "memoryuse": 4136960}`,
	} {
		if got := g[name].String(); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if d := cmp.Diff([]string{"/usr/bin/rctl -h jail:", "/usr/bin/rctl -hu jail:ioc-x", "/usr/bin/rctl -u jail:ioc-x"}, s.Calls()); d != "" {
		t.Errorf("argv (-want +got):\n%s", d)
	}
	_, _, _, err = run(t, map[string]runtime.Reply{"/usr/bin/rctl -u jail:ioc-broken": {Stdout: "wallclock=279\nnonsense\n"}}, nil,
		`rctl.usage("jail:ioc-broken")`)
	if err == nil || !strings.Contains(err.Error(), `line "nonsense" is not RESOURCE=AMOUNT`) {
		t.Errorf("a malformed usage line: %v", err)
	}
}
