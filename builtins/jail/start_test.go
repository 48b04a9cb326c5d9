package jail_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/jailprops"
)

func stPlainJail(props map[string]string) *jail.Jail {
	g := jailprops.Generated{UUID: stUUID, Tag: "p", HostID: "h", Release: "14.3-RELEASE", VNET: true}
	vals := jailprops.Resolve(map[string]string{"tag": "p"}, nil, jailprops.Builtins(g))
	for k, v := range props {
		vals[k] = v
	}
	return &jail.Jail{UUID: stUUID, Tag: "p", Dataset: "tank/iocage/jails/" + stUUID, Mountpoint: "/iocage/jails/" + stUUID, Props: vals}
}

func TestStartParamsJailZFSAndHooks(t *testing.T) {
	j := stPlainJail(map[string]string{"allow_mount": "0", "enforce_statfs": "2", "allow_mount_zfs": "0", "exec_poststart": "/usr/local/bin/hello world"})
	hooks := map[string]string{"prestart": "/iocage/jails/" + stUUID + "/prestart", "poststart": "/usr/local/bin/hello world", "prestop": "/usr/bin/true"}
	ps, err := jail.StartParams(j, jail.ParamOptions{JailZFS: true, Hooks: hooks, IP: []string{"ip4.addr=em0|10.0.0.2/24", "ip4=new"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i, p := range ps {
		got[p] = i
	}
	for _, want := range []string{"enforce_statfs=1", "allow.mount=1", "allow.mount.zfs=1",
		"exec.prestart=/iocage/jails/" + stUUID + "/prestart", "exec.poststart=/usr/local/bin/hello world"} {
		if _, ok := got[want]; !ok {
			t.Errorf("params lack %q: %v", want, ps)
		}
	}
	if d := cmp.Diff([]string{"ip4.addr=em0|10.0.0.2/24", "ip4=new", "name=ioc-" + stUUID}, ps[:3]); d != "" {
		t.Errorf("shared-IP parameters come first (-want +got):\n%s", d)
	}
	if ps[len(ps)-1] != "persist" {
		t.Errorf("last parameter %q, want persist", ps[len(ps)-1])
	}
	// VNET: the bare vnet parameter instead of the addresses.
	ps, err = jail.StartParams(j, jail.ParamOptions{VNET: true, Hooks: hooks, IP: []string{"ip4=new"}})
	if err != nil || ps[0] != "vnet" || ps[1] != "name=ioc-"+stUUID {
		t.Errorf("vnet params %v, %v", ps[:2], err)
	}
	// No empty argument ever reaches jail(8).
	if _, err := jail.StartParams(j, jail.ParamOptions{Hooks: map[string]string{}}); err == nil || !strings.Contains(err.Error(), "exec.prestart") {
		t.Errorf("missing hook: %v", err)
	}
	if _, err := jail.StartParams(j, jail.ParamOptions{Hooks: hooks, IP: []string{"=x"}}); err == nil {
		t.Errorf("a bad ip parameter was accepted")
	}
}

func TestRuntimeParamsKeepQuotedValues(t *testing.T) {
	out := `{"__version": "2", "jail-information": {"jail": [` +
		`{"devfs_ruleset":"0","name":"ioc-other","host.hostname":"x"}, ` +
		`{"devfs_ruleset":"4","host.hostname":"my \"host\"\nname=forged","persist":true,"allow.mount":false, "ip4.addr": ["10.0.0.2","10.0.0.3"],"osrelease":"14.3-RELEASE","host.domainname":"","name":"ioc-x", "ip6.addr": []}]}}` + "\n"
	want := []string{"devfs_ruleset=4", "host.hostname=my \"host\"\nname=forged", "persist", "allow.nomount", "ip4.addr=10.0.0.2,10.0.0.3",
		"osrelease=14.3-RELEASE", "host.domainname=", "name=ioc-x", "ip6.addr="}
	got, found, err := jail.RuntimeParams(out, "ioc-x")
	if err != nil || !found {
		t.Fatalf("RuntimeParams: found %v, %v", found, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, found, err := jail.RuntimeParams(out, "ioc-y"); found || err != nil {
		t.Errorf("a jail that does not run: found %v, %v", found, err)
	}
}

func TestJexecCmd(t *testing.T) {
	j := stPlainJail(map[string]string{"exec_fib": "2"})
	c, err := jail.JexecCmd(j, []string{"ls", "-la", "--", "-x"}, "", "www")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff("/usr/sbin/setfib 2 /usr/sbin/jexec -U www ioc-"+stUUID+" ls -la -- -x", c.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, tc := range []struct{ user, jailUser, msg string }{
		{"a", "b", "not both"}, {"-x", "", "starts with '-'"}, {"", "a b", "space"},
	} {
		if _, err := jail.JexecCmd(j, []string{"ls"}, tc.user, tc.jailUser); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q/%q: %v, want %q", tc.user, tc.jailUser, err, tc.msg)
		}
	}
	if _, err := jail.JexecCmd(j, nil, "", ""); err == nil {
		t.Errorf("an empty command was accepted")
	}
}

func TestAliasRemovalsTakeBackWhatJailAdded(t *testing.T) {
	got := jail.AliasRemovals([]string{"ip4.addr=em0|192.168.1.5/24,10.0.0.9,lo0|127.0.1.2 mtu 1400", "ip4=new",
		"ip6.addr=em0|2001:db8::5/64", "name=ioc-x"})
	want := [][]string{{"em0", "inet", "192.168.1.5", "-alias"}, {"lo0", "inet", "127.0.1.2", "-alias"}, {"em0", "inet6", "2001:db8::5", "-alias"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
