package jail

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
)

func TestActivePoolFirstActiveWithoutAltroot(t *testing.T) {
	s := &runtime.Scripted{Root: t.TempDir(), Replies: map[string]runtime.Reply{
		"/sbin/zpool list -H -o name,altroot":                                     {Stdout: "alt\t/mnt\nzroot\t-\ntank\t-\n"},
		"/sbin/zfs get -H -o name,value org.freebsd.iocage:active alt zroot tank": {Stdout: "alt\tyes\nzroot\t-\ntank\tyes\n"},
	}}
	h := runtime.New(s, runtime.Options{})
	p, err := ActivePool(context.Background(), h)
	if err != nil || p != "tank" {
		t.Errorf("ActivePool = %q, %v; want tank (alt has an altroot, zroot is not active)", p, err)
	}
	if n := len(s.Calls()); n != 2 {
		t.Errorf("ran %d commands, want 2", n)
	}
}

func TestNoActivePoolNamesThePools(t *testing.T) {
	s := &runtime.Scripted{Root: t.TempDir(), Replies: map[string]runtime.Reply{
		"/sbin/zpool list -H -o name,altroot":                                 {Stdout: "zroot\t-\ntank\t-\n"},
		"/sbin/zfs get -H -o name,value org.freebsd.iocage:active zroot tank": {Stdout: "zroot\t-\ntank\t-\n"},
	}}
	_, err := ActivePool(context.Background(), runtime.New(s, runtime.Options{}))
	if !errors.Is(err, ErrNoPool) || err.Error() != "no active pool: run `iocage activate POOL` with one of zroot, tank" {
		t.Errorf("err = %v", err)
	}
}

func TestRunningParsesQuotedJls(t *testing.T) {
	s := &runtime.Scripted{Root: t.TempDir(), Replies: map[string]runtime.Reply{
		"/usr/sbin/jls --libxo json jid name path host.hostname ip4.addr": {Stdout: `{"__version": "2", "jail-information": {"jail": [` +
			`{"jid":"1","name":"ioc-abc","path":"/iocage/jails/abc/root","host.hostname":"abc", "ip4.addr": ["10.0.0.1"]}, ` +
			`{"jid":"7","name":"other","path":"/srv/my jail","host.hostname":"host \"q\"", "ip4.addr": []}]}}` + "\n"},
	}}
	rs, err := Running(context.Background(), runtime.New(s, runtime.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	want := []RunningJail{
		{JID: 1, Name: "ioc-abc", Path: "/iocage/jails/abc/root", Hostname: "abc", IP4: "10.0.0.1"},
		{JID: 7, Name: "other", Path: "/srv/my jail", Hostname: `host "q"`, IP4: ""},
	}
	if d := cmp.Diff(want, rs); d != "" {
		t.Errorf("running (-want +got):\n%s", d)
	}
}

func TestDisplayNative(t *testing.T) {
	for _, tc := range [][3]string{
		{"quota", "0", "none"}, {"quota", "1073741824", "1G"}, {"used", "98304", "96K"},
		{"compressratio", "1.00", "1.00x"}, {"compression", "lz4", "lz4"}, {"origin", "-", "-"},
	} {
		if got := displayNative(tc[0], tc[1]); got != tc[2] {
			t.Errorf("displayNative(%s, %s) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
