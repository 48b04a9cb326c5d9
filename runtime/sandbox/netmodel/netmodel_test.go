package netmodel

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

// rig is a bare model sandbox: a state store and a root with a hostid,
// enough for the network models, which keep all their effect in state.
type rig struct {
	t  *testing.T
	sb *model.Sandbox
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	store, err := model.NewStore(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "hostid"), []byte("5c0a3f6e-1111-2222-3333-444455556666\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, sb: &model.Sandbox{Root: root, Dir: dir, Store: store}}
}

type result struct {
	Stdout, Stderr string
	Code           int
}

// in runs a modelled program as jexec would inside jail ("" for the host).
func (r *rig) in(jail, prog string, args ...string) result {
	r.t.Helper()
	p, ok := model.Lookup(prog)
	if !ok {
		r.t.Fatalf("%s is not modelled", prog)
	}
	var out, errb bytes.Buffer
	code := p(&model.Env{Ctx: context.Background(), Prog: prog, Args: args, Stdin: strings.NewReader(""),
		Stdout: &out, Stderr: &errb, SB: r.sb, Jail: jail})
	return result{out.String(), errb.String(), code}
}

func (r *rig) ifconfig(args ...string) result {
	r.t.Helper()
	return r.in("", runtime.Ifconfig, args...)
}

func (r *rig) route(args ...string) result {
	r.t.Helper()
	return r.in("", runtime.Route, args...)
}

// ok runs a command that must succeed and returns its output.
func (r *rig) ok(res result) string {
	r.t.Helper()
	if res.Code != 0 {
		r.t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	return res.Stdout
}

// addJail records a running jail the way the jails model does.
func (r *rig) addJail(name string, jid int, vnet bool) {
	r.t.Helper()
	err := r.sb.Store.Update(func(tx *model.Tx) error {
		var jails []map[string]any
		if err := tx.Get("jails", &jails); err != nil {
			return err
		}
		jails = append(jails, map[string]any{"name": name, "jid": jid, "vnet": vnet})
		return tx.Put("jails", jails)
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) removeJail(name string, jid int) {
	r.t.Helper()
	err := r.sb.Store.Update(func(tx *model.Tx) error {
		var jails []map[string]any
		if err := tx.Get("jails", &jails); err != nil {
			return err
		}
		var keep []map[string]any
		for _, j := range jails {
			if j["name"] != name {
				keep = append(keep, j)
			}
		}
		if err := tx.Put("jails", keep); err != nil {
			return err
		}
		return model.JailRemoved(tx, name, jid)
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// macs of this rig's hostid, worked out once so the goldens stay readable.
func (r *rig) state() *state {
	var st *state
	err := r.sb.Store.View(func(tx *model.Tx) error {
		var err error
		st, err = load(tx, r.sb)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func TestInitialHostListing(t *testing.T) {
	r := newRig(t)
	st := r.state()
	em0, br0, br1 := st.mac("00:1b:21", "em0"), st.mac("58:9c:fc", "bridge0"), st.mac("58:9c:fc", "bridge1")
	want := `em0: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
	options=46504bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU,VLAN_HWCSUM,LRO,VLAN_HWFILTER,VLAN_HWTSO,RXCSUM_IPV6,TXCSUM_IPV6,NOMAP>
	ether ` + em0 + `
	inet 192.168.1.2 netmask 0xffffff00 broadcast 192.168.1.255
	media: Ethernet autoselect (1000baseT <full-duplex>)
	status: active
	nd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384
	options=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>
	inet 127.0.0.1 netmask 0xff000000
	inet6 ::1 prefixlen 128
	inet6 fe80::1%lo0 prefixlen 64 scopeid 0x2
	groups: lo
	nd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>
bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
	options=0
	ether ` + br0 + `
	id 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
	maxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200
	root id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0
	member: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
	        ifmaxaddr 0 port 1 priority 128 path cost 20000
	groups: bridge
	nd6 options=9<PERFORMNUD,IFDISABLED>
bridge1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
	options=0
	ether ` + br1 + `
	id 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
	maxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200
	root id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0
	groups: bridge
	nd6 options=9<PERFORMNUD,IFDISABLED>
`
	if diff := cmp.Diff(want, r.ok(r.ifconfig())); diff != "" {
		t.Errorf("ifconfig (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, r.ok(r.ifconfig("-a"))); diff != "" {
		t.Errorf("ifconfig -a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1\n", r.ok(r.ifconfig("-l"))); diff != "" {
		t.Errorf("ifconfig -l (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("bridge0\nbridge1\n", r.ok(r.ifconfig("-g", "bridge"))); diff != "" {
		t.Errorf("ifconfig -g bridge (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(em0, "00:1b:21:") || em0 != newRig(t).state().mac("00:1b:21", "em0") {
		t.Errorf("em0's MAC %s is not stable for one hostid", em0)
	}
	got := r.ifconfig("nosuch0")
	if diff := cmp.Diff(result{"", "ifconfig: interface nosuch0 does not exist\n", 1}, got); diff != "" {
		t.Errorf("unknown interface (-want +got):\n%s", diff)
	}
}

func TestEpairLifecycle(t *testing.T) {
	r := newRig(t)
	if diff := cmp.Diff("epair0a\n", r.ok(r.ifconfig("epair", "create"))); diff != "" {
		t.Errorf("epair create (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("epair1a\n", r.ok(r.ifconfig("epair", "create"))); diff != "" {
		t.Errorf("second epair create (-want +got):\n%s", diff)
	}
	st := r.state()
	want := "epair0a: flags=1008842<BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\toptions=8<VLAN_MTU>\n" +
		"\tether " + st.epairMAC(0, 'a') + "\n" +
		"\tgroups: epair\n" +
		"\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n" +
		"\tstatus: active\n" +
		"\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
	if diff := cmp.Diff(want, r.ok(r.ifconfig("epair0a"))); diff != "" {
		t.Errorf("ifconfig epair0a (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(st.epairMAC(0, 'b'), ":0b") {
		t.Errorf("b end MAC %s does not end in 0b", st.epairMAC(0, 'b'))
	}

	// What iocage does on start (lifecycle.md §4.3), host side.
	if diff := cmp.Diff("vnet0:12\n", r.ok(r.ifconfig("epair0a", "name", "vnet0:12", "mtu", "1500"))); diff != "" {
		t.Errorf("rename (-want +got):\n%s", diff)
	}
	r.ok(r.ifconfig("vnet0:12", "link", "02ff60abcdee"))
	r.ok(r.ifconfig("vnet0:12", "description", "associated with jail: web"))
	r.ok(r.ifconfig("bridge0", "addm", "vnet0:12", "up"))
	r.ok(r.ifconfig("vnet0:12", "up"))
	want = "vnet0:12: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\tdescription: associated with jail: web\n" +
		"\toptions=8<VLAN_MTU>\n" +
		"\tether 02:ff:60:ab:cd:ee\n" +
		"\thwaddr " + st.epairMAC(0, 'a') + "\n" +
		"\tgroups: epair\n" +
		"\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n" +
		"\tstatus: active\n" +
		"\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
	if diff := cmp.Diff(want, r.ok(r.ifconfig("vnet0:12"))); diff != "" {
		t.Errorf("configured host side (-want +got):\n%s", diff)
	}
	members := grep(r.ok(r.ifconfig("bridge0")), "member:")
	if diff := cmp.Diff([]string{
		"\tmember: vnet0:12 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
		"\tmember: em0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
	}, members); diff != "" {
		t.Errorf("bridge members, newest first (-want +got):\n%s", diff)
	}

	// Destroying either end takes both, and the bridge lets go.
	r.ok(r.ifconfig("vnet0:12", "destroy"))
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1 epair1a epair1b\n", r.ok(r.ifconfig("-l"))); diff != "" {
		t.Errorf("after destroy (-want +got):\n%s", diff)
	}
	if got := grep(r.ok(r.ifconfig("bridge0")), "member:"); len(got) != 1 {
		t.Errorf("bridge members after destroy: %q", got)
	}
	// The lowest free unit is reused.
	if diff := cmp.Diff("epair0a\n", r.ok(r.ifconfig("epair", "create"))); diff != "" {
		t.Errorf("unit reuse (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("", r.ok(r.ifconfig("bridge5", "create"))); diff != "" {
		t.Errorf("bridge5 create prints nothing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("bridge2\n", r.ok(r.ifconfig("bridge", "create", "up"))); diff != "" {
		t.Errorf("bridge create (-want +got):\n%s", diff)
	}
	r.ok(r.ifconfig("bridge5", "destroy"))
	if diff := cmp.Diff("bridge0\nbridge1\nbridge2\n", r.ok(r.ifconfig("-g", "bridge"))); diff != "" {
		t.Errorf("bridges (-want +got):\n%s", diff)
	}
}

func grep(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

func TestIfconfigErrorsChangeNothing(t *testing.T) {
	r := newRig(t)
	r.ok(r.ifconfig("epair", "create"))
	before := r.ok(r.ifconfig())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"epair0a", "mtu", "70000"}, "ifconfig: ioctl (set mtu): Invalid argument\n"},
		{[]string{"epair0a", "mtu", "71"}, "ifconfig: ioctl (set mtu): Invalid argument\n"},
		{[]string{"epair0a", "mtu", "big"}, "ifconfig: big: bad value\n"},
		{[]string{"epair0a", "name", "x", "mtu", "0"}, "ifconfig: ioctl (set mtu): Invalid argument\n"},
		{[]string{"epair0a", "link", "02ff60abcd"}, "ifconfig: malformed link-level address\n"},
		{[]string{"epair0a", "ether", "zz:ff:60:ab:cd:ef"}, "ifconfig: malformed link-level address\n"},
		{[]string{"epair0a", "lladdr", "03ff60abcdef"}, "ifconfig: ioctl (set lladdr): Invalid argument\n"},
		{[]string{"epair0a", "name", "em0"}, "ifconfig: ioctl SIOCSIFNAME (set name): File exists\n"},
		{[]string{"epair0a", "name", "averyveryverylongname"}, "ifconfig: ioctl SIOCSIFNAME (set name): File name too long\n"},
		{[]string{"epair0a", "mtu"}, "ifconfig: 'mtu' requires argument\n"},
		{[]string{"bridge0", "addm", "em0"}, "ifconfig: BRDGADD em0: File exists\n"},
		{[]string{"bridge0", "addm", "nosuch"}, "ifconfig: BRDGADD nosuch: No such file or directory\n"},
		{[]string{"bridge0", "addm", "lo0"}, "ifconfig: BRDGADD lo0: Invalid argument\n"},
		{[]string{"bridge0", "deletem", "epair0a"}, "ifconfig: BRDGDEL epair0a: No such file or directory\n"},
		{[]string{"em0", "addm", "epair0a"}, "ifconfig: BRDGADD epair0a: Invalid argument\n"},
		{[]string{"em0", "destroy"}, "ifconfig: SIOCIFDESTROY: Invalid argument\n"},
		{[]string{"lo0", "destroy"}, "ifconfig: SIOCIFDESTROY: Invalid argument\n"},
		{[]string{"epair0", "create"}, "ifconfig: SIOCIFCREATE2 (epair0): File exists\n"},
		{[]string{"bridge0", "create"}, "ifconfig: SIOCIFCREATE2 (bridge0): File exists\n"},
		{[]string{"tun0", "create"}, "ifconfig: SIOCIFCREATE2 (tun0): Invalid argument\n"},
		{[]string{"epair0a", "10.0.0.300/24"}, "ifconfig: 10.0.0.300: bad value\n"},
		{[]string{"epair0a", "10.0.0.3/33"}, "ifconfig: 10.0.0.3/33: bad value (width too large)\n"},
		{[]string{"epair0a", "inet", "10.0.0.3", "netmask", "255.0.255.0"}, "ifconfig: 255.0.255.0: bad value\n"},
		{[]string{"epair0a", "inet6", "2001:db8::zz"}, "ifconfig: 2001:db8::zz: bad value\n"},
		{[]string{"epair0a", "inet6", "2001:db8::1", "prefixlen", "129"}, "ifconfig: 129: bad value\n"},
		{[]string{"em0", "192.168.1.99", "-alias"}, "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n"},
		{[]string{"em0", "inet6", "2001:db8::9", "-alias"}, "ifconfig: ioctl (SIOCDIFADDR_IN6): Can't assign requested address\n"},
		{[]string{"epair0a", "192.168.1.2/24"}, "ifconfig: ioctl (SIOCAIFADDR): File exists\n"},
		{[]string{"epair0a", "vnet", "nosuch"}, "ifconfig: jail \"nosuch\" not found\n"},
		{[]string{"epair0a", "up", "bogus"}, "ifconfig: bogus: bad value\n"},
		{[]string{"nosuch0", "up"}, "ifconfig: interface nosuch0 does not exist\n"},
	} {
		got := r.ifconfig(tc.args...)
		if diff := cmp.Diff(result{"", tc.want, 1}, got); diff != "" {
			t.Errorf("ifconfig %s (-want +got):\n%s", strings.Join(tc.args, " "), diff)
		}
	}
	if diff := cmp.Diff(before, r.ok(r.ifconfig())); diff != "" {
		t.Errorf("a failed command changed the host (-before +after):\n%s", diff)
	}
}

func TestAddresses(t *testing.T) {
	r := newRig(t)
	r.ok(r.ifconfig("em0", "192.168.1.10/24", "alias"))
	r.ok(r.ifconfig("em0", "inet", "10.1.0.5", "netmask", "0xffff0000", "alias"))
	r.ok(r.ifconfig("em0", "inet", "172.16.0.1/32", "alias"))
	r.ok(r.ifconfig("em0", "inet6", "2001:db8::5/64", "alias"))
	r.ok(r.ifconfig("em0", "inet6", "fe80::2%em0", "prefixlen", "64"))
	got := r.ok(r.ifconfig("em0", "inet"))
	want := "em0: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\tinet 192.168.1.2 netmask 0xffffff00 broadcast 192.168.1.255\n" +
		"\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255\n" +
		"\tinet 10.1.0.5 netmask 0xffff0000 broadcast 10.1.255.255\n" +
		"\tinet 172.16.0.1 netmask 0xffffffff broadcast 172.16.0.1\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inet (-want +got):\n%s", diff)
	}
	want = "em0: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\tinet6 2001:db8::5 prefixlen 64\n" +
		"\tinet6 fe80::2%em0 prefixlen 64 scopeid 0x1\n"
	if diff := cmp.Diff(want, r.ok(r.ifconfig("em0", "inet6"))); diff != "" {
		t.Errorf("inet6 (-want +got):\n%s", diff)
	}
	r.ok(r.ifconfig("em0", "192.168.1.10", "-alias"))
	r.ok(r.ifconfig("em0", "inet6", "2001:db8::5", "-alias"))
	r.ok(r.ifconfig("em0", "inet", "172.16.0.1", "delete"))
	want = "em0: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\tinet 192.168.1.2 netmask 0xffffff00 broadcast 192.168.1.255\n" +
		"\tinet 10.1.0.5 netmask 0xffff0000 broadcast 10.1.255.255\n"
	if diff := cmp.Diff(want, r.ok(r.ifconfig("em0", "inet"))); diff != "" {
		t.Errorf("after -alias (-want +got):\n%s", diff)
	}
	// Without alias the first address is replaced; without a mask the
	// classful one is used, with FreeBSD 14's warning.
	res := r.ifconfig("epair", "create")
	r.ok(res)
	res = r.ifconfig("epair0b", "10.0.0.7", "up")
	if diff := cmp.Diff(result{"", "ifconfig: WARNING: setting interface address without mask is deprecated,\ndefault mask may not be correct.\n", 0}, res); diff != "" {
		t.Errorf("no mask (-want +got):\n%s", diff)
	}
	r.ok(r.ifconfig("epair0b", "10.0.0.8/24"))
	if diff := cmp.Diff([]string{"\tinet 10.0.0.8 netmask 0xffffff00 broadcast 10.0.0.255"}, grep(r.ok(r.ifconfig("epair0b")), "inet ")); diff != "" {
		t.Errorf("replace (-want +got):\n%s", diff)
	}
}

func TestRoutes(t *testing.T) {
	r := newRig(t)
	want := `   route to: default
destination: default
       mask: default
    gateway: 192.168.1.1
        fib: 0
  interface: em0
      flags: <UP,GATEWAY,DONE,STATIC>
 recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire
       0         0         0         0      1500         1         0 
`
	if diff := cmp.Diff(result{want, "", 0}, r.route("-n", "get", "default")); diff != "" {
		t.Errorf("route -n get default (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"", "route: route has not been found\n", 1}, r.route("-6", "-n", "get", "default")); diff != "" {
		t.Errorf("no inet6 default (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"add net default: gateway 192.168.1.1: route already in table\n",
		"route: writing to routing socket: File exists\n", 1}, r.route("add", "default", "192.168.1.1")); diff != "" {
		t.Errorf("add existing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"delete net default\n", "", 0}, r.route("delete", "default")); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"", "route: route has not been found\n", 1}, r.route("-n", "get", "default")); diff != "" {
		t.Errorf("get after delete (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"delete net default: not in table\n", "route: writing to routing socket: No such process\n", 1}, r.route("delete", "default")); diff != "" {
		t.Errorf("delete again (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"add net default: gateway 10.9.9.9: Network is unreachable\n",
		"route: writing to routing socket: Network is unreachable\n", 1}, r.route("add", "default", "10.9.9.9")); diff != "" {
		t.Errorf("unreachable (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"", "", 0}, r.route("-q", "add", "default", "192.168.1.254")); diff != "" {
		t.Errorf("quiet add (-want +got):\n%s", diff)
	}
	if got := grep(r.ok(r.route("-n", "get", "default")), "gateway:"); !cmp.Equal(got, []string{"    gateway: 192.168.1.254"}) {
		t.Errorf("new default gateway: %q", got)
	}
	// IPv6 needs an interface in the gateway's subnet.
	r.ok(r.ifconfig("em0", "inet6", "2001:db8::2/64"))
	if diff := cmp.Diff(result{"add net default: gateway 2001:db8::1\n", "", 0}, r.route("add", "-6", "default", "2001:db8::1")); diff != "" {
		t.Errorf("add -6 (-want +got):\n%s", diff)
	}
	want = `   route to: ::
destination: ::
       mask: default
    gateway: 2001:db8::1
        fib: 0
  interface: em0
      flags: <UP,GATEWAY,DONE,STATIC>
 recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire
       0         0         0         0      1500         1         0 
`
	if diff := cmp.Diff(result{want, "", 0}, r.route("-6", "-n", "get", "default")); diff != "" {
		t.Errorf("route -6 get default (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result{"add net 10.0.0.0: gateway 192.168.1.3\n", "", 0}, r.route("add", "-net", "10.0.0.0/8", "192.168.1.3")); diff != "" {
		t.Errorf("add -net (-want +got):\n%s", diff)
	}
	if got := grep(r.ok(r.route("-n", "get", "10.2.3.4")), "gateway:"); !cmp.Equal(got, []string{"    gateway: 192.168.1.3"}) {
		t.Errorf("route to 10.2.3.4 goes by %q", got)
	}
	// Taking the address away takes the routes that relied on it.
	r.ok(r.ifconfig("em0", "inet6", "2001:db8::2", "-alias"))
	if res := r.route("-6", "-n", "get", "default"); res.Code != 1 {
		t.Errorf("inet6 default survived its subnet: %+v", res)
	}
	if res := r.route("frobnicate"); res.Code != 64 {
		t.Errorf("unknown command: %+v", res)
	}
}

func TestVnetMoveAndReturn(t *testing.T) {
	r := newRig(t)
	r.addJail("ioc-web", 3, true)
	r.addJail("ioc-flat", 4, false)
	r.ok(r.ifconfig("epair", "create"))
	r.ok(r.ifconfig("epair0a", "name", "vnet0:3", "mtu", "1500"))
	r.ok(r.ifconfig("bridge0", "addm", "vnet0:3", "up"))
	if diff := cmp.Diff(result{"", "ifconfig: SIOCSIFVNET: File exists\n", 1}, r.ifconfig("epair0b", "vnet", "ioc-flat")); diff != "" {
		t.Errorf("vnet into a jail without vnet (-want +got):\n%s", diff)
	}
	r.ok(r.ifconfig("epair0b", "vnet", "ioc-web"))
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1 vnet0:3\n", r.ok(r.ifconfig("-l"))); diff != "" {
		t.Errorf("host after the move (-want +got):\n%s", diff)
	}

	// Inside the jail, as iocage configures it.
	jail := func(prog string, args ...string) result { return r.in("ioc-web", prog, args...) }
	if diff := cmp.Diff(result{"vnet0\n", "", 0}, jail(runtime.Ifconfig, "epair0b", "name", "vnet0", "mtu", "1500")); diff != "" {
		t.Errorf("rename in jail (-want +got):\n%s", diff)
	}
	r.ok(jail(runtime.Ifconfig, "vnet0", "link", "02ff60abcdef"))
	r.ok(jail(runtime.Ifconfig, "vnet0", "192.168.1.50/24", "up"))
	if diff := cmp.Diff(result{"add net default: gateway 192.168.1.1\n", "", 0}, jail(runtime.Route, "add", "default", "192.168.1.1")); diff != "" {
		t.Errorf("route add in jail (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("lo0 vnet0\n", r.ok(jail(runtime.Ifconfig, "-l"))); diff != "" {
		t.Errorf("jail interfaces (-want +got):\n%s", diff)
	}
	if got := grep(r.ok(jail(runtime.Route, "-n", "get", "default")), "interface:"); !cmp.Equal(got, []string{"  interface: vnet0"}) {
		t.Errorf("jail default route leaves by %q", got)
	}
	// The host's table is its own.
	if got := grep(r.ok(r.route("-n", "get", "default")), "interface:"); !cmp.Equal(got, []string{"  interface: em0"}) {
		t.Errorf("host default route leaves by %q", got)
	}
	// A jail without vnet sees the host's interfaces and changes nothing.
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1 vnet0:3\n", r.ok(r.in("ioc-flat", runtime.Ifconfig, "-l"))); diff != "" {
		t.Errorf("shared-stack jail (-want +got):\n%s", diff)
	}
	if res := r.in("ioc-flat", runtime.Route, "add", "default", "192.168.1.9"); res.Code != 1 || !strings.Contains(res.Stderr, errPerm) {
		t.Errorf("route add in a shared-stack jail: %+v", res)
	}

	// Removing the jail sends vnet0 home (down, no addresses) and drops
	// the jail's lo0 and routes.
	r.removeJail("ioc-web", 3)
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1 vnet0:3 vnet0\n", r.ok(r.ifconfig("-l"))); diff != "" {
		t.Errorf("host after removal (-want +got):\n%s", diff)
	}
	got := r.ok(r.ifconfig("vnet0"))
	if diff := cmp.Diff([]string{"vnet0: flags=1008842<BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500"}, grep(got, "flags=")); diff != "" {
		t.Errorf("returned interface flags (-want +got):\n%s", diff)
	}
	if len(grep(got, "inet")) != 0 {
		t.Errorf("returned interface kept its addresses:\n%s", got)
	}
	if _, ok := r.state().Vnets["ioc-web"]; ok {
		t.Error("the removed jail's stack is still there")
	}
	// Destroying the host end takes the returned end too.
	r.ok(r.ifconfig("vnet0:3", "destroy"))
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1\n", r.ok(r.ifconfig("-l"))); diff != "" {
		t.Errorf("after destroy (-want +got):\n%s", diff)
	}
}

func TestReclaimWithMinusVnet(t *testing.T) {
	r := newRig(t)
	r.addJail("ioc-db", 7, true)
	r.ok(r.ifconfig("epair", "create"))
	r.ok(r.ifconfig("epair0b", "vnet", "7"))
	if diff := cmp.Diff("lo0 epair0b\n", r.ok(r.in("ioc-db", runtime.Ifconfig, "-l"))); diff != "" {
		t.Errorf("jail by JID (-want +got):\n%s", diff)
	}
	r.ok(r.ifconfig("epair0b", "-vnet", "ioc-db"))
	if diff := cmp.Diff("em0 lo0 bridge0 bridge1 epair0a epair0b\n", r.ok(r.ifconfig("-l"))); diff != "" {
		t.Errorf("after -vnet (-want +got):\n%s", diff)
	}
	if res := r.ifconfig("lo0", "-vnet", "ioc-db"); res.Code != 1 {
		t.Errorf("reclaiming the jail's own lo0 worked: %+v", res)
	}
}

func TestParseMAC(t *testing.T) {
	for in, want := range map[string]string{
		"02ff60abcdef":      "02:ff:60:ab:cd:ef",
		"02FF60ABCDEF":      "02:ff:60:ab:cd:ef",
		"2:ff:60:ab:cd:ef":  "02:ff:60:ab:cd:ef",
		"02:ff:60:ab:cd:ef": "02:ff:60:ab:cd:ef",
	} {
		got, err := ParseMAC(in)
		if err != nil || got != want {
			t.Errorf("ParseMAC(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "02ff60abcde", "02ff60abcdeg", "02:ff:60:ab:cd", "02:ff:60:ab:cd:ef:00", "02::60:ab:cd:ef", "02-ff-60-ab-cd-ef"} {
		if _, err := ParseMAC(bad); err == nil {
			t.Errorf("ParseMAC(%q) accepted", bad)
		}
	}
}
