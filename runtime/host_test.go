package runtime

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunCapturesOutputAndQuotesStderrOnFailure(t *testing.T) {
	sc := &Scripted{Replies: map[string]Reply{
		"/sbin/zfs list -H -o name zroot":  {Stdout: "zroot\n"},
		"/sbin/zfs list -H -o name nopool": {Stderr: "cannot open 'nopool': dataset does not exist\n", ExitCode: 1},
	}, Root: t.TempDir()}
	h := New(sc, Options{})
	out, err := h.Output(context.Background(), ZFS, "list", "-H", "-o", "name", "zroot")
	if err != nil || out != "zroot\n" {
		t.Fatalf("Output = %q, %v; want %q, nil", out, err, "zroot\n")
	}
	_, err = h.Output(context.Background(), ZFS, "list", "-H", "-o", "name", "nopool")
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	want := `/sbin/zfs list -H -o name nopool: "cannot open 'nopool': dataset does not exist": exit 1`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error text (-want +got):\n%s", diff)
	}
	if h.Count() != 2 {
		t.Errorf("Count = %d, want 2", h.Count())
	}
}

func TestDryRunPrintsChangesAndRunsReads(t *testing.T) {
	sc := &Scripted{Root: t.TempDir()}
	var out bytes.Buffer
	h := New(sc, Options{DryRun: true, Out: &out})
	ctx := context.Background()
	if _, err := h.Output(ctx, ZFS, "list"); err != nil {
		t.Fatal(err)
	}
	if err := h.Change(ctx, ZFS, "destroy", "-r", "zroot/iocage/jails/x y"); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteFile("/etc/x", []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/sbin/zfs list"}, sc.Calls()); diff != "" {
		t.Errorf("commands run (-want +got):\n%s", diff)
	}
	want := "would run: /sbin/zfs destroy -r 'zroot/iocage/jails/x y'\nwould write /etc/x\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("dry-run output (-want +got):\n%s", diff)
	}
	if _, err := h.ReadFile("/etc/x"); !errors.Is(err, ErrNotExist) {
		t.Errorf("dry-run wrote the file: ReadFile err = %v", err)
	}
}

func TestTraceLinesNameCommandAndStatus(t *testing.T) {
	sc := &Scripted{Replies: map[string]Reply{"/usr/sbin/jls -j x": {ExitCode: 1}}, Root: t.TempDir()}
	var tr bytes.Buffer
	h := New(sc, Options{Trace: &tr})
	_, _ = h.Output(context.Background(), Jls, "-j", "x")
	line := tr.String()
	if !strings.HasPrefix(line, "+ /usr/sbin/jls -j x  (") || !strings.HasSuffix(line, ", exit 1)\n") {
		t.Errorf("trace line = %q", line)
	}
}

func TestInjectedFailureStopsTheNthChange(t *testing.T) {
	sc := &Scripted{Root: t.TempDir()}
	h := New(sc, Options{})
	ctx := context.Background()
	h.InjectFailure(2)
	if err := h.Change(ctx, ZFS, "create", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Output(ctx, ZFS, "list"); err != nil {
		t.Fatal(err) // reads are never counted as changes
	}
	if err := h.Change(ctx, ZFS, "create", "b"); !errors.Is(err, ErrInjected) {
		t.Fatalf("second change: err = %v, want ErrInjected", err)
	}
	if diff := cmp.Diff([]string{"/sbin/zfs create a", "/sbin/zfs list"}, sc.Calls()); diff != "" {
		t.Errorf("commands run (-want +got):\n%s", diff)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "''",
		"plain/path_1.2":             "plain/path_1.2",
		"em0|192.168.1.1":            "'em0|192.168.1.1'",
		"it's":                       `'it'\''s'`,
		"ip4.addr=a,b":               "ip4.addr=a,b",
		"$(reboot)":                  "'$(reboot)'",
		"exec.start=/bin/sh /etc/rc": "'exec.start=/bin/sh /etc/rc'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}
