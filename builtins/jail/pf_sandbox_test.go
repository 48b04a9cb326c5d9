package jail_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/iocage/iocage/builtins/thread/threadtest"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// pfShow is what the modelled pfctl says of the jail's anchor, errors
// included.
func pfShow(s *sandboxtest.Sandbox, what string) string {
	res, err := s.Host.Run(context.Background(), &runtime.Cmd{Path: runtime.Pfctl, Args: []string{"-a", "iocage/ioc-" + stUUID, "-s", what}})
	out := ""
	if res != nil {
		out = string(res.Stdout) + string(res.Stderr)
	}
	if err != nil {
		out += fmt.Sprintf("[%v]\n", strings.ReplaceAll(err.Error(), stUUID, "UUID"))
	}
	return strings.ReplaceAll(out, stUUID, "UUID")
}

// pfLines keeps the commands of a transcript that pf's step sends or
// needs (the default route of nat_interface=auto).
func pfLines(golden string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(golden, "\n") {
		if strings.HasPrefix(l, runtime.Pfctl+" ") || strings.HasPrefix(l, runtime.Route+" -n get default") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestPfStartStopGolden starts and stops a NATed jail with redirects: the
// pf commands sent, and the anchor's rules after each.
func TestPfStartStopGolden(t *testing.T) {
	s := stSetup(t)
	stJail(t, s, stUUID, "natweb", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.83/24",
		"nat": "on", "rdr": "tcp 8080:80, udp 5353:53"})
	s.Host.Record()
	if _, out, err := stRun(t, s, "start", names("natweb")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	got := pfLines(stGolden(s, s.Host.Events())) + "# pfctl -a iocage/ioc-UUID -s nat\n" + pfShow(s, "nat")
	stCompareGolden(t, "pf-start", got)
	s.Host.Record()
	if _, out, err := stRun(t, s, "stop", names("natweb")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	got = pfLines(stGolden(s, s.Host.Events())) + "# pfctl -a iocage/ioc-UUID -s nat\n" + pfShow(s, "nat")
	stCompareGolden(t, "pf-stop", got)
}

// TestPfFailedStartLeavesNoRules: a start that fails after loading the
// rules (exec_start cannot run) flushes them; so does stop of a jail that
// is down.
func TestPfFailedStartLeavesNoRules(t *testing.T) {
	s := stSetup(t)
	stJail(t, s, stUUID, "natfail", map[string]string{"vnet": "off", "ip4_addr": "em0|192.168.1.84/24",
		"nat_interface": "em0", "rdr": "tcp 2222:22", "exec_start": "/nonexistent/rc"})
	s.Host.Record()
	if _, out, err := stRun(t, s, "start", names("natfail")); err == nil {
		t.Fatalf("start succeeded:\n%s", out)
	}
	loaded := false
	for _, e := range s.Host.Events() {
		if strings.HasPrefix(e.Cmd, runtime.Pfctl+" -a iocage/ioc-"+stUUID+" -f -") && e.ExitCode == 0 {
			loaded = true
		}
	}
	if !loaded {
		t.Fatal("the start failed before loading the rules: the test tests nothing")
	}
	if got, want := pfShow(s, "nat"), "pfctl: DIOCGETRULES: Invalid argument\n"; !strings.HasPrefix(got, want) {
		t.Errorf("after the failed start, pfctl -s nat = %q, want %q", got, want)
	}

	// Rules left by a start that died (no undo): stop of the jail that is
	// down removes them.
	res, err := s.Host.Run(context.Background(), &runtime.Cmd{Path: runtime.Pfctl, Args: []string{"-a", "iocage/ioc-" + stUUID, "-f", "-"},
		Stdin: strings.NewReader("rdr pass on em0 inet proto tcp from any to (em0) port 2222 -> 192.168.1.84 port 22\n")})
	if err != nil {
		t.Fatalf("%v %s", err, res.Stderr)
	}
	if _, out, err := stRun(t, s, "stop", names("natfail")); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if got, want := pfShow(s, "nat"), "pfctl: DIOCGETRULES: Invalid argument\n"; !strings.HasPrefix(got, want) {
		t.Errorf("after stop, pfctl -s nat = %q, want %q", got, want)
	}
}

// TestPfUndoStepsReplayTwice replays the pf module's undo steps twice on
// the state their change left.
func TestPfUndoStepsReplayTwice(t *testing.T) {
	s := stSetup(t)
	h := s.Host
	anchor := "iocage/ioc-" + stUUID
	_, err := h.Run(context.Background(), &runtime.Cmd{Path: runtime.Pfctl, Args: []string{"-a", anchor, "-f", "-"},
		Stdin: strings.NewReader("nat on em0 inet from 10.0.0.5 to any -> (em0)\n")})
	must(t, err)
	threadtest.ReplayTwice(t, h, "pf.flush", anchor)
	if got := pfShow(s, "nat"); !strings.HasPrefix(got, "pfctl: DIOCGETRULES") {
		t.Errorf("after pf.flush: %q", got)
	}

	conf := "/etc/pf.conf"
	must(t, h.WriteFile(conf, []byte("changed\n"), 0o600))
	threadtest.ReplayTwice(t, h, "pf.conf_restore", conf, base64.StdEncoding.EncodeToString([]byte("set skip on lo\n")))
	if b, err := h.ReadFile(conf); err != nil || string(b) != "set skip on lo\n" {
		t.Errorf("after pf.conf_restore: %q, %v", b, err)
	}
	if fi, err := h.Stat(conf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("pf.conf_restore changed the mode: %v, %v", fi.Mode(), err)
	}
	threadtest.ReplayTwice(t, h, "pf.conf_restore", conf)
	if _, err := h.Lstat(conf); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after pf.conf_restore of none: %v", err)
	}
}
