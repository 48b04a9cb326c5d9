//go:build linux

package jails_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// jexec -l gives the command what FreeBSD's login environment holds: HOME,
// SHELL, USER of the jail user, PATH of the login class, TERM kept, and
// nothing else of the caller's. Without -l the caller's variables pass.
// An option jexec does not know is refused as getopt(3) does.
func TestJexecCleanEnvironment(t *testing.T) {
	s := sandboxtest.New(t)
	root := jailRoot(t, s, "clean")
	mustRun(t, s, runtime.Jail, "-c", "name=c", "path="+root, "persist")
	envOf := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code, err := s.Backend.Exec(ctx, &runtime.Cmd{Path: runtime.Jexec, Args: args,
			Env: []string{"IOC_SECRET=x", "TERM=vt100"}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	show := []string{"/bin/sh", "-c", "echo ${IOC_SECRET:-none} $HOME $SHELL $USER $TERM $PATH"}
	got, _, _ := envOf(append([]string{"-l", "c"}, show...)...)
	want := "none /root /bin/sh root vt100 /sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jexec -l (-want +got):\n%s", diff)
	}
	if got, _, _ := envOf(append([]string{"c"}, show...)...); !strings.HasPrefix(got, "x ") {
		t.Errorf("jexec without -l: %q; want the caller's IOC_SECRET", got)
	}
	if _, stderr, code := envOf("-x", "c", "true"); code != 1 || !strings.HasPrefix(stderr, "jexec: illegal option -- x\nusage: jexec") {
		t.Errorf("jexec -x = exit %d, %q; want getopt's refusal and the usage", code, stderr)
	}
}
