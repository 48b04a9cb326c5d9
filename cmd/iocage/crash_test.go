package main

// Crash safety: iocage killed with SIGKILL right after its k-th host
// change, for each k, and then any iocage command (here `list`) takes
// back what the dead run left from its journal: the host equals its state
// before the verb, or the verb's complete result, never something between.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/release/releasetest"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// iocageProc runs one iocage process (this test binary as the program)
// with extra environment; killed tells whether SIGKILL ended it.
func iocageProc(t *testing.T, env []string, args ...string) (r result, killed bool) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(append(os.Environ(), envTestMain+"=1"), env...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err = cmd.Run()
	r = result{so.String(), se.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed = true
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return r, killed
}

// crashState is what a verb changes on the sandbox host: datasets and
// snapshots, running jails, mounts, interfaces and aliases, rctl rules,
// tag links and generated files.
func crashState(t *testing.T, s *sandboxtest.Sandbox) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, c := range [][]string{
		{runtime.ZFS, "list", "-H", "-o", "name,origin,mountpoint", "-t", "all", "-r", s.Pool},
		{runtime.Jls, "-n", "name", "path"},
		{runtime.Mount, "-p"},
		{runtime.Ifconfig, "-l"},
		{runtime.Ifconfig, "em0"},
		{runtime.Rctl},
	} {
		out, err := s.Host.Output(ctx, c[0], c[1:]...)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		// A complete create has a UUID of its own each time: names are
		// masked before sorting, or the order would depend on the UUID.
		lines := strings.Split(uuidRE.ReplaceAllString(out, "UUID"), "\n")
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s:\n%s\n", strings.Join(c, " "), strings.Join(lines, "\n"))
	}
	for _, dir := range []string{"/iocage/tags", jail.FstabDir} {
		ents, _ := s.Host.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lock") || e.Name() == "journal" {
				continue
			}
			l, _ := s.Host.Readlink(dir + "/" + e.Name())
			fmt.Fprintf(&b, "%s/%s -> %s\n", dir, e.Name(), l)
		}
	}
	return uuidRE.ReplaceAllString(b.String(), "UUID")
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// killEveryChange runs verb killed after its k-th change for k = 1, 2 ...
// (every third k unless -faults-all) until it completes; after each kill
// `iocage list` must take the dead run back to before, or find the
// verb's complete result (then reset brings the host back to before).
func killEveryChange(t *testing.T, s *sandboxtest.Sandbox, verb []string, reset func()) {
	killEveryChangeUndoFailing(t, s, verb, reset, false)
}

// killEveryChangeUndoFailing is killEveryChange; with failUndo the first
// undo step of the recovery fails: the journal keeps it, later commands
// only report it, and `clean --interrupted` takes it back.
func killEveryChangeUndoFailing(t *testing.T, s *sandboxtest.Sandbox, verb []string, reset func(), failUndo bool) {
	t.Helper()
	killEveryChangeState(t, s, verb, reset, failUndo, crashState)
}

// killEveryChangeState is killEveryChangeUndoFailing comparing the host
// by state (crashState and what the verb changes besides).
func killEveryChangeState(t *testing.T, s *sandboxtest.Sandbox, verb []string, reset func(), failUndo bool, crashState func(*testing.T, *sandboxtest.Sandbox) string) {
	t.Helper()
	before := crashState(t, s)
	r, killed := iocageProc(t, nil, verb...)
	if r.Code != 0 || killed {
		t.Fatalf("%s: %+v", strings.Join(verb, " "), r)
	}
	after := crashState(t, s)
	reset()
	if d := cmp.Diff(before, crashState(t, s)); d != "" {
		t.Fatalf("reset after %s does not give the state before (-before +after):\n%s", strings.Join(verb, " "), d)
	}
	step := sandboxtest.FaultStep(3)
	kills := 0
	for k := 1; ; k += step {
		if k > 200 {
			t.Fatalf("%s still killed after 200 changes", strings.Join(verb, " "))
		}
		r, killed := iocageProc(t, []string{envKillAfterChange + "=" + strconv.Itoa(k)}, verb...)
		if !killed {
			if r.Code != 0 {
				t.Fatalf("%s with k=%d: %+v", strings.Join(verb, " "), k, r)
			}
			if d := cmp.Diff(after, crashState(t, s)); d != "" {
				t.Fatalf("%s completed (k=%d) but its result differs (-want +got):\n%s", strings.Join(verb, " "), k, d)
			}
			reset()
			break
		}
		kills++
		if failUndo {
			l, _ := iocageProc(t, []string{envFailChange + "=1"}, "list", "-H")
			if l.Code != 0 || !strings.Contains(l.Stderr, "NOT undone") {
				t.Fatalf("list with a failing undo after killing %s at change %d: %+v", strings.Join(verb, " "), k, l)
			}
			l, _ = iocageProc(t, nil, "list", "-H")
			if l.Code != 0 || !strings.Contains(l.Stderr, "not taken back; see `iocage clean --interrupted -n`") {
				t.Fatalf("list after a failed undo: %+v", l)
			}
			c, _ := iocageProc(t, nil, "clean", "--interrupted", "-n", "-H")
			if c.Code != 0 || !strings.Contains(c.Stdout, "pending (an undo failed") {
				t.Fatalf("clean --interrupted -n: %+v", c)
			}
			c, _ = iocageProc(t, nil, "clean", "--interrupted", "-H")
			if c.Code != 0 || strings.Contains(c.Stdout, "NOT undone") || !strings.Contains(c.Stdout, "\tundone") {
				t.Fatalf("clean --interrupted: %+v", c)
			}
		}
		l, _ := iocageProc(t, nil, "list", "-H")
		if l.Code != 0 {
			t.Fatalf("list after killing %s at change %d: %+v", strings.Join(verb, " "), k, l)
		}
		if strings.Contains(l.Stderr, "NOT undone") || strings.Contains(l.Stderr, "not taken back") {
			t.Fatalf("list after killing %s at change %d:\n%s", strings.Join(verb, " "), k, l.Stderr)
		}
		got := crashState(t, s)
		switch got {
		case before:
		case after:
			reset()
		default:
			t.Fatalf("killed %s after change %d; then list:\n%s\nthe host is neither as before nor as after (-before +got):\n%s",
				strings.Join(verb, " "), k, l.Stderr, cmp.Diff(before, got))
		}
	}
	if kills == 0 {
		t.Fatalf("%s was never killed", strings.Join(verb, " "))
	}
}

func crashSandbox(t *testing.T, fetch bool) *sandboxtest.Sandbox {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv("IOCAGE_SANDBOX", s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	if fetch {
		releasetest.Fetch(t, s, s.Pool, "14.3-RELEASE", releasetest.Options{})
	}
	return s
}

func TestKillCreateAtEveryChange(t *testing.T) {
	s := crashSandbox(t, true)
	destroy := func() {
		if r, _ := iocageProc(t, nil, "destroy", "-f", "crash"); r.Code != 0 {
			t.Fatalf("destroy: %+v", r)
		}
	}
	for _, kind := range [][]string{{"-e"}, {"-c"}, {}, {"-b"}} {
		t.Run("create"+strings.Join(kind, ""), func(t *testing.T) {
			killEveryChange(t, s, append(append([]string{"create"}, kind...), "tag=crash", "ip4_addr=em0|192.168.1.90/24"), destroy)
		})
	}
}

func TestKillStartAtEveryChange(t *testing.T) {
	s := crashSandbox(t, true)
	for _, c := range []struct{ name, tag, ip string }{
		{"shared-ip", "crash", "ip4_addr=em0|192.168.1.91/24"},
		{"vnet", "vcrash", "ip4_addr=vnet0|10.9.0.5/24"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"create", "-c", "tag=" + c.tag, c.ip}
			if c.name == "vnet" {
				args = append(args, "vnet=on", "interfaces=vnet0:bridge0", "defaultrouter=10.9.0.1")
			}
			if r, _ := iocageProc(t, nil, args...); r.Code != 0 {
				t.Fatalf("create: %+v", r)
			}
			stop := func() {
				if r, _ := iocageProc(t, nil, "stop", c.tag); r.Code != 0 {
					t.Fatalf("stop: %+v", r)
				}
			}
			killEveryChange(t, s, []string{"start", c.tag}, stop)
		})
	}
}

// A hang-up (an ssh session that drops) and a panic in a builtin end the
// run as a failure does: its changes are taken back by the run itself,
// and no journal is left for the next iocage.
func TestHangupAndPanicRollBack(t *testing.T) {
	s := crashSandbox(t, false)
	before := crashState(t, s)
	for _, with := range []string{"hup", "panic"} {
		r, killed := iocageProc(t, []string{envKillAfterChange + "=2:" + with}, "create", "-e", "tag=crash")
		if killed || r.Code == 0 || !strings.Contains(r.Stderr, "undoing") {
			t.Errorf("create with a %s after its second change: killed %v, %+v", with, killed, r)
		}
		if with == "panic" && !strings.Contains(r.Stderr, "internal error") {
			t.Errorf("the panic is not reported:\n%s", r.Stderr)
		}
		if with == "hup" && !strings.Contains(r.Stderr, "interrupted") && !strings.Contains(r.Stderr, "context canceled") {
			t.Errorf("the hang-up is not reported:\n%s", r.Stderr)
		}
		if d := cmp.Diff(before, crashState(t, s)); d != "" {
			t.Errorf("after a %s (-before +after):\n%s", with, d)
		}
		ents, _ := s.Host.ReadDir("/var/run/iocage/journal")
		if len(ents) != 0 {
			t.Errorf("journal left after a %s: %v", with, ents)
		}
	}
}

func TestKillCreateWithAFailingUndo(t *testing.T) {
	s := crashSandbox(t, true)
	killEveryChangeUndoFailing(t, s, []string{"create", "-c", "tag=crash"}, func() {
		if r, _ := iocageProc(t, nil, "destroy", "-f", "crash"); r.Code != 0 {
			t.Fatalf("destroy: %+v", r)
		}
	}, true)
}

func TestKillImportAtEveryChange(t *testing.T) {
	s := crashSandbox(t, true)
	for _, args := range [][]string{
		{"create", "tag=exp", "ip4_addr=em0|192.168.1.92/24"},
		{"export", "exp", "/var/tmp/exp.zfs"},
		{"destroy", "-f", "exp"},
	} {
		if r, _ := iocageProc(t, nil, args...); r.Code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	killEveryChange(t, s, []string{"import", "/var/tmp/exp.zfs"}, func() {
		if r, _ := iocageProc(t, nil, "destroy", "-f", "exp"); r.Code != 0 {
			t.Fatalf("destroy: %+v", r)
		}
	})
}

func TestKillFetchAtEveryChange(t *testing.T) {
	// With 14.3 fetched, the tree (base, download ...) is there already:
	// what fetch changes is 14.2's.
	s := crashSandbox(t, true)
	cfg := *s.Model(t).Config()
	cfg.Mirror = releasetest.Mirror(t)
	if err := sandbox.WriteConfig(s.Dir, &cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cfg.Mirror = ""
		_ = sandbox.WriteConfig(s.Dir, &cfg)
	})
	ctx := context.Background()
	killEveryChange(t, s, []string{"fetch", "release=14.2-RELEASE", "ftpfiles=base.txz"}, func() {
		for _, ds := range []string{"releases", "base", "download"} {
			name := s.Pool + "/iocage/" + ds + "/14.2-RELEASE"
			if _, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", name); err != nil {
				continue
			}
			if err := s.Host.Change(ctx, runtime.ZFS, "destroy", "-rR", name); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestKillStopAtEveryChange(t *testing.T) {
	s := crashSandbox(t, true)
	if r, _ := iocageProc(t, nil, "create", "-c", "tag=crash", "ip4_addr=em0|192.168.1.93/24"); r.Code != 0 {
		t.Fatalf("create: %+v", r)
	}
	start := func() {
		if r, _ := iocageProc(t, nil, "start", "crash"); r.Code != 0 {
			t.Fatalf("start: %+v", r)
		}
	}
	start()
	killEveryChange(t, s, []string{"stop", "crash"}, start)
}

func TestKillDestroyAtEveryChange(t *testing.T) {
	s := crashSandbox(t, true)
	create := func() {
		if r, _ := iocageProc(t, nil, "create", "-c", "tag=crash", "ip4_addr=em0|192.168.1.94/24"); r.Code != 0 {
			t.Fatalf("create: %+v", r)
		}
	}
	create()
	killEveryChange(t, s, []string{"destroy", "-f", "crash"}, create)
}
