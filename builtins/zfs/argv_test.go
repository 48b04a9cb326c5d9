package zfs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
)

func scripted(t *testing.T, replies map[string]runtime.Reply) (*runtime.Host, *runtime.Scripted) {
	t.Helper()
	s := &runtime.Scripted{Replies: replies, Root: t.TempDir()}
	return runtime.New(s, runtime.Options{}), s
}

func TestListArgsOneProcessForManyPropsAndDatasets(t *testing.T) {
	args, cols, err := ListArgs(ListOptions{Roots: []string{"tank/iocage/jails"}, Depth: 1, Types: []string{"filesystem"},
		Props: []string{"org.freebsd.iocage:tag", "used", "org.freebsd.iocage:boot"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"list", "-H", "-p", "-o",
		"name,type,mountpoint,origin,used,available,referenced,quota,reservation,compression,creation,org.freebsd.iocage:tag,org.freebsd.iocage:boot",
		"-d", "1", "-t", "filesystem", "tank/iocage/jails"}
	if d := cmp.Diff(want, args); d != "" {
		t.Errorf("argv (-want +got):\n%s", d)
	}
	if len(cols) != 13 {
		t.Errorf("columns = %d, want 13 (used is not repeated)", len(cols))
	}
}

func TestListArgsRefusesBadInput(t *testing.T) {
	for _, o := range []ListOptions{
		{Types: []string{"jail"}},
		{Depth: -1},
		{Roots: []string{"-r"}},
		{Roots: []string{"tank/a b"}},
		{Props: []string{"a,b"}},
	} {
		if _, _, err := ListArgs(o); err == nil {
			t.Errorf("ListArgs(%+v) succeeded, want an error", o)
		}
	}
}

func TestListParsesRows(t *testing.T) {
	line := "zfs list -H -p -o name,type,mountpoint,origin,used,available,referenced,quota,reservation,compression,creation,org.freebsd.iocage:tag -r tank"
	h, _ := scripted(t, map[string]runtime.Reply{"/sbin/" + line: {Stdout: "tank\tfilesystem\t/tank\t-\t100\t200\t24\t0\t0\toff\t1700000000\t-\n" +
		"tank/web\tfilesystem\t/tank/web\ttank/base@s\t50\t200\t12\t1073741824\t0\tlz4\t1700000001\tweb\n"}})
	ds, err := List(context.Background(), h, ListOptions{Roots: []string{"tank"}, Recursive: true, Props: []string{"org.freebsd.iocage:tag"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("got %d datasets, want 2", len(ds))
	}
	if tag, ok := ds[0].Value("org.freebsd.iocage:tag"); ok {
		t.Errorf("unset user property read as set: %q", tag)
	}
	got := map[string]string{"name": ds[1].Name, "kind": ds[1].Kind, "origin": ds[1].Props["origin"], "tag": ds[1].Props["org.freebsd.iocage:tag"]}
	want := map[string]string{"name": "tank/web", "kind": "filesystem", "origin": "tank/base@s", "tag": "web"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("row (-want +got):\n%s", d)
	}
	if h.Count() != 1 {
		t.Errorf("host commands = %d, want 1", h.Count())
	}
}

func TestListShortRowIsAnError(t *testing.T) {
	h, _ := scripted(t, map[string]runtime.Reply{
		"/sbin/zfs list -H -p -o name,type,mountpoint,origin,used,available,referenced,quota,reservation,compression,creation tank": {Stdout: "tank\tfilesystem\n"}})
	if _, err := List(context.Background(), h, ListOptions{Roots: []string{"tank"}}); err == nil || !strings.Contains(err.Error(), "2 fields") {
		t.Errorf("err = %v, want a field count error", err)
	}
}

func TestMissingDatasetWrapsErrNotExist(t *testing.T) {
	h, _ := scripted(t, map[string]runtime.Reply{
		"/sbin/zfs list -H -o name -t all tank/nope": {Stderr: "cannot open 'tank/nope': dataset does not exist\n", ExitCode: 1},
		"/sbin/zfs list -H -p -o name,type,mountpoint,origin,used,available,referenced,quota,reservation,compression,creation -t all tank/nope": {Stderr: "cannot open 'tank/nope': dataset does not exist\n", ExitCode: 1},
		"/sbin/zfs list -H -o name -t all tank/broken": {Stderr: "permission denied\n", ExitCode: 1},
	})
	ctx := context.Background()
	ok, err := Exists(ctx, h, "tank/nope")
	if ok || err != nil {
		t.Errorf("Exists(missing) = %v, %v; want false, nil", ok, err)
	}
	if _, err := Exists(ctx, h, "tank/broken"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("Exists(broken) err = %v, want zfs's message", err)
	}
	_, err = Get(ctx, h, "tank/nope")
	if !errors.Is(err, runtime.ErrNotExist) || !strings.Contains(err.Error(), "dataset does not exist") {
		t.Errorf("Get(missing) err = %v, want ErrNotExist with zfs's message", err)
	}
}

func TestChangeArgvSortedAndChecked(t *testing.T) {
	h, s := scripted(t, nil)
	ctx := context.Background()
	props := map[string]string{"org.freebsd.iocage:tag": "web", "compression": "lz4", "mountpoint": "/iocage/jails/x"}
	if err := Create(ctx, h, "tank/iocage/jails/x", true, props); err != nil {
		t.Fatal(err)
	}
	if err := Clone(ctx, h, "tank/a@s", "tank/b", false, props); err != nil {
		t.Fatal(err)
	}
	if err := Set(ctx, h, "tank/b", map[string]string{"quota": "1G", "org.freebsd.iocage:boot": "on"}); err != nil {
		t.Fatal(err)
	}
	if err := Rename(ctx, h, "tank/a@s", "tank/a@t", false, true); err != nil {
		t.Fatal(err)
	}
	if err := Inherit(ctx, h, "tank", "org.freebsd.iocage:active", false); err != nil {
		t.Fatal(err)
	}
	if err := Promote(ctx, h, "tank/b"); err != nil {
		t.Fatal(err)
	}
	if err := Unmount(ctx, h, "tank/b", true); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/sbin/zfs create -p -o compression=lz4 -o mountpoint=/iocage/jails/x -o org.freebsd.iocage:tag=web tank/iocage/jails/x",
		"/sbin/zfs clone -o compression=lz4 -o mountpoint=/iocage/jails/x -o org.freebsd.iocage:tag=web tank/a@s tank/b",
		"/sbin/zfs set org.freebsd.iocage:boot=on quota=1G tank/b",
		"/sbin/zfs rename -r tank/a@s tank/a@t",
		"/sbin/zfs inherit org.freebsd.iocage:active tank",
		"/sbin/zfs promote tank/b",
		"/sbin/zfs unmount -f tank/b",
	}
	if d := cmp.Diff(want, s.Calls()); d != "" {
		t.Errorf("transcript (-want +got):\n%s", d)
	}
	for name, err := range map[string]error{
		"value with newline": Create(ctx, h, "tank/x", false, map[string]string{"org.x:y": "a\nb"}),
		"clone of non-snap":  Clone(ctx, h, "tank/a", "tank/b", false, nil),
		"option-like name":   Promote(ctx, h, "-f"),
		"empty set":          Set(ctx, h, "tank/b", nil),
		"two @":              Rename(ctx, h, "tank/a@b@c", "tank/x", false, false),
		"rename -p -r":       Rename(ctx, h, "tank/a@s", "tank/b@s", true, true),
	} {
		if err == nil {
			t.Errorf("%s: succeeded, want an error", name)
		}
	}
	if len(s.Calls()) != len(want) {
		t.Errorf("refused calls reached the host: %v", s.Calls()[len(want):])
	}
}

func TestSendReceiveArgs(t *testing.T) {
	for _, tc := range []struct {
		o    SendOptions
		want string
	}{
		{SendOptions{}, "send tank/a@2"},
		{SendOptions{Base: "@1"}, "send -i @1 tank/a@2"},
		{SendOptions{Base: "tank/a@1", Intermediates: true, Replicate: true}, "send -R -I tank/a@1 tank/a@2"},
	} {
		args, err := SendArgs("tank/a@2", tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(args, " "); got != tc.want {
			t.Errorf("SendArgs(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
	if _, err := SendArgs("tank/a@2", SendOptions{Intermediates: true}); err == nil {
		t.Error("intermediates without base accepted")
	}
	if _, err := SendArgs("tank/a", SendOptions{}); err == nil {
		t.Error("send of a filesystem accepted")
	}
	args, err := ReceiveArgs("tank/b", ReceiveOptions{Force: true, NoMount: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args, " "); got != "receive -F -u tank/b" {
		t.Errorf("ReceiveArgs = %q", got)
	}
}

func TestTransferReportsTheFailingSide(t *testing.T) {
	h, s := scripted(t, map[string]runtime.Reply{
		"/sbin/zfs send tank/a@1":  {Stdout: "STREAM"},
		"/sbin/zfs receive tank/b": {Stderr: "cannot receive: destination exists", ExitCode: 1},
	})
	err := Transfer(context.Background(), h, "tank/a@1", "tank/b", SendOptions{}, ReceiveOptions{})
	if err == nil || !strings.Contains(err.Error(), "receive:") || !strings.Contains(err.Error(), "destination exists") {
		t.Errorf("err = %v, want the receive side's zfs message", err)
	}
	if len(s.Calls()) != 2 {
		t.Errorf("calls = %v, want send and receive", s.Calls())
	}
}

func TestDryRunPrintsChanges(t *testing.T) {
	s := &runtime.Scripted{Root: t.TempDir()}
	var out strings.Builder
	h := runtime.New(s, runtime.Options{DryRun: true, Out: &out})
	if err := Create(context.Background(), h, "tank/x", true, nil); err != nil {
		t.Fatal(err)
	}
	if len(s.Calls()) != 0 || !strings.Contains(out.String(), "would run: /sbin/zfs create -p tank/x") {
		t.Errorf("dry-run ran %v, printed %q", s.Calls(), out.String())
	}
}

func TestResumableArgs(t *testing.T) {
	for _, tc := range []struct {
		snap string
		o    SendOptions
		want string
	}{
		{"", SendOptions{ResumeToken: "1-e604ea4bf-e0-789c"}, "send -t 1-e604ea4bf-e0-789c"},
		{"tank/a@2", SendOptions{Props: true, Base: "@1"}, "send -p -i @1 tank/a@2"},
	} {
		args, err := SendArgs(tc.snap, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(args, " "); got != tc.want {
			t.Errorf("SendArgs(%q, %+v) = %q, want %q", tc.snap, tc.o, got, tc.want)
		}
	}
	for _, bad := range []struct {
		snap string
		o    SendOptions
	}{
		{"tank/a@2", SendOptions{ResumeToken: "1-ab"}},
		{"", SendOptions{ResumeToken: "1-ab", Base: "@1"}},
		{"", SendOptions{ResumeToken: "1-ab", Replicate: true}},
		{"", SendOptions{ResumeToken: "1-ab", Intermediates: true}},
		{"", SendOptions{ResumeToken: "1-ab", Props: true}},
		{"", SendOptions{ResumeToken: "1-AB"}},
		{"", SendOptions{ResumeToken: "1-ab -R"}},
		{"", SendOptions{ResumeToken: strings.Repeat("a", 4097)}},
	} {
		if args, err := SendArgs(bad.snap, bad.o); err == nil {
			t.Errorf("SendArgs(%q, %+v) = %q, want an error", bad.snap, bad.o, args)
		}
	}
	args, err := ReceiveArgs("tank/b", ReceiveOptions{Resumable: true, NoMount: true, Exclude: []string{"mountpoint", "compression"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args, " "); got != "receive -u -s -x compression -x mountpoint tank/b" {
		t.Errorf("ReceiveArgs = %q", got)
	}
	if _, err := ReceiveArgs("tank/b", ReceiveOptions{Exclude: []string{"-F"}}); err == nil {
		t.Error("an option as excluded property accepted")
	}
}

func TestAbortReceiveAndResumeTokens(t *testing.T) {
	const get = "/sbin/zfs get -H -r -t filesystem,volume -o name,value receive_resume_token "
	h, s := scripted(t, map[string]runtime.Reply{
		"/sbin/zfs receive -A tank/b": {},
		get + "tank/b":                {Stdout: "tank/b\t-\ntank/b/c\t1-ab-12\ntank/b/d\t-\n"},
		get + "tank/x":                {Stderr: "cannot open 'tank/x': dataset does not exist\n", ExitCode: 1},
		get + "tank/h":                {Stdout: "tank/other\t1-ab\n"},
		get + "tank/t":                {Stdout: "tank/t\t1-AB;x\n"},
	})
	ctx := context.Background()
	if err := AbortReceive(ctx, h, "tank/b"); err != nil {
		t.Fatal(err)
	}
	if err := AbortReceive(ctx, h, "tank/b@1"); err == nil {
		t.Error("AbortReceive of a snapshot accepted")
	}
	toks, err := ResumeTokens(ctx, h, "tank/b")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"tank/b/c": "1-ab-12"}, toks); d != "" {
		t.Errorf("ResumeTokens (-want +got):\n%s", d)
	}
	if _, err := ResumeTokens(ctx, h, "tank/x"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("ResumeTokens of a missing root = %v, want ErrNotExist", err)
	}
	for _, root := range []string{"tank/h", "tank/t"} {
		if toks, err := ResumeTokens(ctx, h, root); err == nil {
			t.Errorf("ResumeTokens(%s) accepted hostile output: %v", root, toks)
		}
	}
	if n := len(s.Calls()); n != 5 {
		t.Errorf("ran %d commands, want 5 (one each)", n)
	}
}
