package main

import (
	"context"
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// renameCrashState is crashState with what a rename changes besides:
// the jails' tags and host names (stored and running) and their
// rc.conf's hostname lines.
func renameCrashState(t *testing.T, s *sandboxtest.Sandbox) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(crashState(t, s))
	out, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-d", "1", "-o", "name,mountpoint,org.freebsd.iocage:tag,org.freebsd.iocage:host_hostname", s.Pool+"/iocage/jails")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(out)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 2 || !strings.HasPrefix(f[1], "/iocage/jails/") {
			continue
		}
		rc, _ := s.Host.ReadFile(f[1] + "/root/etc/rc.conf")
		for _, line := range strings.Split(string(rc), "\n") {
			if strings.HasPrefix(line, "hostname=") {
				b.WriteString(f[1] + " rc.conf: " + line + "\n")
			}
		}
	}
	jls, err := s.Host.Output(ctx, runtime.Jls, "-n", "name", "host.hostname")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(jls)
	return b.String()
}

// A rename of a running jail killed after any of its changes is taken
// back by the next iocage: tag, link, host_hostname, rc.conf and the
// running host name are as before, or all renamed.
func TestKillRenameAtEveryChange(t *testing.T) {
	s := crashSandbox(t, true)
	for _, args := range [][]string{
		{"create", "-c", "tag=ren", "host_hostname=ren", "ip4_addr=em0|192.168.1.93/24"},
		{"start", "ren"},
	} {
		if r, _ := iocageProc(t, nil, args...); r.Code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	t.Cleanup(func() { iocageProc(t, nil, "stop", "ren") })
	killEveryChangeState(t, s, []string{"rename", "ren", "ren2"}, func() {
		if r, _ := iocageProc(t, nil, "rename", "ren2", "ren"); r.Code != 0 {
			t.Fatalf("rename back: %+v", r)
		}
	}, false, renameCrashState)
}
