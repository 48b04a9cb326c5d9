package jailprops

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
)

func TestTableCoversTheSpecInOrder(t *testing.T) {
	// The group order and the first and last member of each group, from
	// properties.md §2.
	var got []string
	for _, g := range []string{GroupNet, GroupJail, GroupRctl, GroupCustom, GroupZFS, GroupSync, GroupFTP} {
		ps := Group(g)
		got = append(got, g+":"+ps[0].Name+".."+ps[len(ps)-1].Name)
	}
	want := []string{
		"net:interfaces..vnet3_mac", "jail:devfs_ruleset..host_hostuuid", "rctl:memoryuse..wallclock",
		"custom:tag..format_version", "zfs:compression..copies", "sync:sync_state..sync_tgt_zpool",
		"ftp:ftpproto..ftpfiles",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	// 3: nat, nat_interface and rdr, which the spec does not have.
	if n := len(All()); n != 20+3+33+20+18+10+3+4 {
		t.Errorf("table has %d properties, want %d", n, 20+3+33+20+18+10+3+4)
	}
	for _, p := range All() {
		if p.Default == "" {
			t.Errorf("%s has no default", p.Name)
		}
		if !p.Native && p.Group == GroupZFS {
			t.Errorf("%s in zfs group is not native", p.Name)
		}
		if p.ZFSName() != p.Name && p.ZFSName() != Prefix+p.Name {
			t.Errorf("%s stored as %s", p.Name, p.ZFSName())
		}
	}
}

func TestBuiltinDefaultsAreValid(t *testing.T) {
	b := Builtins(Generated{UUID: "0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab", Tag: DefaultTag(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)),
		HostID: "hostid-x", VNET: true, Release: "14.3-RELEASE"})
	for name, v := range b {
		p, _ := Lookup(name)
		if err := p.Validate(v); err != nil {
			t.Errorf("built-in default of %s: %v", name, err)
		}
	}
	want := map[string]string{
		"tag": "2025-01-02_03-04-05", "vnet": "on", "host_hostname": "0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab",
		"jail_zfs_dataset": "DEFAULT/iocage/jails/0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab/data",
		"ftpdir":           "/pub/FreeBSD/releases/amd64/14.3-RELEASE", "memoryuse": "8G:log", "devfs_ruleset": "4",
		"format_version": "1",
	}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("built-in %s = %q, want %q", k, b[k], v)
		}
	}
	if _, ok := b["used"]; ok {
		t.Error("read-only native property used has a built-in default")
	}
}

func TestValidation(t *testing.T) {
	good := map[string][]string{
		"vnet":           {"on", "off"},
		"template":       {"yes", "no"},
		"allow_mount":    {"0", "1"},
		"memoryuse":      {"off", "8G:log", "512M:deny", "1T:sigterm", "100:devctl"},
		"pcpu":           {"50:deny"},
		"cpuset":         {"off", "1", "0-3", "1,3,5-7"},
		"ip4_addr":       {"none", "em0|192.168.1.10/24", "DEFAULT|10.0.0.2", "em0|AUTOIP4", "10.0.0.1/24,lo1|10.0.0.2/255.255.255.0", "em0|10.0.0.3/24 vhid 1"},
		"ip6_addr":       {"none", "em0|fd00::1/64", "fd00::2"},
		"interfaces":     {"vnet0:bridge0", "vnet0:bridge0,vnet1:bridge1,vnet2:br2,vnet3:bridge0"},
		"vnet0_mac":      {"none", "02ff60000001,02ff60000002"},
		"priority":       {"0", "99", "999"},
		"tag":            {"web", "web-01", "a.b_c"},
		"quota":          {"none", "10G", "1.5T", "1024"},
		"compression":    {"lz4", "gzip-9", "zstd-3", "off"},
		"release":        {"14.3-RELEASE", "14.2-RELEASE-p1", "15.0-CURRENT"},
		"securelevel":    {"-1", "3"},
		"host_hostname":  {"web.example.org"},
		"defaultrouter":  {"none", "192.168.1.1"},
		"defaultrouter6": {"fe80::1"},
		"notes":          {"anything goes; even $(this)"},
	}
	bad := map[string][]string{
		"vnet":        {"yes", "1", "ON"},
		"template":    {"on"},
		"allow_mount": {"on", "2"},
		"memoryuse":   {"8G", "8G:", ":log", "lots:log", "8G:explode", "8G:sigfoo"},
		"cputime":     {"100:deny"},
		"cpuset":      {"a", "3-1", "1,,2", "-1"},
		"ip4_addr": {"192.168.1.300", "em0|fd00::1", "em 0|1.2.3.4", "1.2.3.4/33", "em0|AUTOIP5",
			// What only the network parsers (the ones start uses) refuse.
			"em0|AUTOIP4/24", "em0|AUTOIP4,em1|AUTOIP4", "em0|10.0.0.1/255.0.255.0", "em0|", "10.0.0.1,,10.0.0.2"},
		"ip6_addr":       {"AUTOIP4", "10.0.0.1", "fe80::1%em0", "::ffff:10.0.0.1", "fd00::1/129"},
		"interfaces":     {"eth0:bridge0", "vnet0", "vnet0:bridge0,vnet0:bridge1", "vnet0:b0,vnet1:b1,vnet2:b2,vnet3:b3,vnet0:b4"},
		"vnet0_mac":      {"02ff60000001", "xx,yy"},
		"priority":       {"-1", "high", "1000"},
		"tag":            {"ALL", "default", "a/b", "a@b", "web 1", "-x", strings.Repeat("a", 65), "0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab"},
		"quota":          {"ten", "-1G"},
		"compression":    {"brotli"},
		"release":        {"14.3", "latest"},
		"host_hostname":  {"bad_host!", "-x"},
		"defaultrouter":  {"fe80::1"},
		"defaultrouter6": {"1.2.3.4"},
		"notes":          {"", "-", "two\nlines", "tab\there"},
	}
	for name, vs := range good {
		for _, v := range vs {
			if _, err := CheckSet(name, v); err != nil {
				t.Errorf("%s=%q refused: %v", name, v, err)
			}
		}
	}
	for name, vs := range bad {
		for _, v := range vs {
			_, err := CheckSet(name, v)
			if err == nil {
				t.Errorf("%s=%q accepted", name, v)
			} else if !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %q does not name the property", name, v, err)
			}
		}
	}
}

func TestReadOnlyAndUnknown(t *testing.T) {
	for _, name := range []string{"host_hostuuid", "used", "origin", "mountpoint", "iocage_version", "format_version", "type", "last_started"} {
		if _, err := CheckSet(name, "x"); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("set %s: %v, want read-only", name, err)
		}
	}
	_, err := Lookup("alow_mount")
	if err == nil || !strings.Contains(err.Error(), "did you mean allow_mount") {
		t.Errorf("unknown property error = %v, want a suggestion of allow_mount", err)
	}
	_, err = Lookup("mount")
	if err == nil || !strings.Contains(err.Error(), "allow_mount") {
		t.Errorf("unknown property mount: %v, want suggestions containing it", err)
	}
	if _, _, err := ParseAssignment("vnet"); err == nil || !strings.Contains(err.Error(), "PROPERTY=VALUE") {
		t.Errorf("assignment without = : %v", err)
	}
	p, v, err := ParseAssignment("notes=a=b")
	if err != nil || p.Name != "notes" || v != "a=b" {
		t.Errorf("ParseAssignment(notes=a=b) = %v, %q, %v", p, v, err)
	}
	if err := CheckOverrides(map[string]string{"vnet": "maybe", "bogus": "1", "boot": "on"}); err == nil ||
		!strings.Contains(err.Error(), "vnet") || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("CheckOverrides = %v, want both bad assignments named", err)
	}
}

func TestPrecedenceCommandLineThenDefaultsThenBuiltin(t *testing.T) {
	b := Builtins(Generated{UUID: "u-new", Tag: "t-new", HostID: "h", Release: "14.3-RELEASE"})
	defaults := map[string]string{
		"boot": "on", "priority": "-", "ip4_addr": "em0|10.0.0.5/24", "template": "yes", "compression": "zstd",
		"host_hostuuid": "junk", "tag": "junk", "vnet0_mac": "02ff60000001,02ff60000002", "release": "14.2-RELEASE",
		"format_version": "0",
	}
	cli := map[string]string{"boot": "off", "notes": "hello"}
	got := Resolve(cli, defaults, b)
	want := map[string]string{
		"boot": "off", "notes": "hello", // command line
		"ip4_addr": "em0|10.0.0.5/24", "template": "yes", "compression": "zstd", "release": "14.2-RELEASE", // defaults dataset (spec bugs fixed)
		"priority": "99", "host_hostuuid": "u-new", "tag": "t-new", "vnet0_mac": "none", "format_version": "1", // built-in
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(b) {
		t.Errorf("resolved %d properties, want %d", len(got), len(b))
	}
}

func TestResetKeepsIdentity(t *testing.T) {
	uuid := "0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab"
	current := map[string]string{
		"host_hostuuid": uuid, "host_hostname": "custom", "tag": "web", "template": "yes", "type": "basejail",
		"boot": "on", "ip4_addr": "em0|1.2.3.4", "vnet0_mac": "02ff60000001,02ff60000002", "release": "14.2-RELEASE",
		"notes": "x", "jail_zfs_dataset": "tank/other",
	}
	defaults := map[string]string{"ip4_addr": "em0|10.9.9.9", "boot": "off", "release": "14.3-RELEASE"}
	got := ResetValues(uuid, current, defaults, Generated{UUID: "ignored", Tag: "ignored", Release: "14.3-RELEASE"})
	want := map[string]string{
		"host_hostuuid": uuid, "host_hostname": uuid, "tag": "web", "template": "yes", "type": "basejail",
		"vnet0_mac": "02ff60000001,02ff60000002", "release": "14.2-RELEASE", "jail_zfs_dataset": "tank/other",
		"boot": "off", "ip4_addr": "em0|10.9.9.9", "notes": "none",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after reset %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestFind(t *testing.T) {
	jails := []Identity{
		{UUID: "abc12345-0000-4000-8000-000000000001", Tag: "zeta"},
		{UUID: "0f000000-0000-4000-8000-000000000002", Tag: "abc"},
		{UUID: "11111111-0000-4000-8000-000000000003", Tag: "www01"},
		{UUID: "22222222-0000-4000-8000-000000000004", Tag: "www"},
		{UUID: "33333333-0000-4000-8000-000000000005", Tag: "dup"},
		{UUID: "44444444-0000-4000-8000-000000000006", Tag: "dup"},
		{UUID: "55555555-0000-4000-8000-000000000007", Tag: "a.c"},
		{UUID: "66666666-0000-4000-8000-000000000008", Tag: "2015-11-10@12:34:56"},
	}
	for _, tc := range []struct {
		name string
		want int
		err  string
	}{
		{"abc", 1, ""}, // exact tag beats the UUID prefix of another jail (the shell's bug)
		{"abc1", 0, ""},
		{"www", 3, ""},
		{"www0", 2, ""},
		{"22222222-0000-4000-8000-000000000004", 3, ""},
		{"2222", 3, ""},
		{"ww", -1, "matches 2 jails"},
		{"dup", -1, "matches 2 jails"},
		{"a.", 6, ""},
		{"a*", -1, "does not exist"}, // literal, not a pattern
		{"ab.", -1, "does not exist"},
		{"2015-11-10@12:34:56", 7, ""},
		{"nothing", -1, "does not exist"},
		{"", -1, "empty"},
		{"w w", -1, "whitespace"},
	} {
		got, err := Find(jails, tc.name)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("Find(%q) = %d, %v; want %d", tc.name, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Find(%q) = %d, %v; want error containing %q", tc.name, got, err, tc.err)
		}
	}
	_, err := Find(jails, "dup")
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "33333333-0000-4000-8000-000000000005 (dup)") {
		t.Errorf("ambiguity error %v does not list the candidates", err)
	}
	if _, err := Find(jails, "nothing"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("not found does not wrap ErrNotExist: %v", err)
	}
}

func TestSplitSnapAndTags(t *testing.T) {
	for in, want := range map[string][3]string{
		"web@snap":                  {"web", "snap", "true"},
		"web":                       {"web", "", "false"},
		"2015-11-10@12:34:56@daily": {"2015-11-10@12:34:56", "daily", "true"},
		"ALL@ALL":                   {"ALL", "ALL", "true"},
	} {
		n, s, ok := SplitSnap(in)
		if got := [3]string{n, s, map[bool]string{true: "true", false: "false"}[ok]}; got != want {
			t.Errorf("SplitSnap(%q) = %v, want %v", in, got, want)
		}
	}
	if tag := DefaultTag(time.Now()); strings.Contains(tag, "@") || CheckTag(tag) != nil {
		t.Errorf("default tag %q is not a valid tag without @", tag)
	}
	u, err := NewUUID()
	if err != nil || !IsUUID(u) || u[14] != '4' {
		t.Errorf("NewUUID() = %q, %v; want a version 4 UUID", u, err)
	}
}

func TestMigrationFromShellIocage(t *testing.T) {
	uuid := "0b7e4c4e-1a2b-4c3d-8e9f-0123456789ab"
	old := map[string]string{
		"hostname": "oldname", "jail_zfs_pool": "tank2", "jail_zfs_dataset": "iocage/jails/" + uuid + "/root/data",
		"tag": "2015-11-10@12:34:56", "boot": "on", "iocage_version": "iocage gofast (2015/11/10)", "priority": "-",
	}
	fill := map[string]string{"boot": "off", "priority": "99", "host_hostuuid": "junk", "vnet0_mac": "02ff60000001,02ff60000002", "notes": "none"}
	plan, err := PlanMigration(uuid, old, fill)
	if err != nil {
		t.Fatal(err)
	}
	if plan.From != 0 || plan.To != FormatVersion {
		t.Errorf("plan %d→%d, want 0→%d", plan.From, plan.To, FormatVersion)
	}
	if d := cmp.Diff([]string{"hostname", "jail_zfs_pool"}, plan.Remove); d != "" {
		t.Errorf("removed (-want +got):\n%s", d)
	}
	want := map[string]string{
		"host_hostname": "oldname", "jail_zfs_dataset": "tank2/iocage/jails/" + uuid + "/root/data",
		"host_hostuuid": uuid, "priority": "99", "notes": "none", "last_started": "none",
		"vnet0_mac": "none", "vnet1_mac": "none", "vnet2_mac": "none", "vnet3_mac": "none", // never copied from the defaults
		"format_version": "1", "iocage_version": Version,
	}
	if d := cmp.Diff(want, plan.Set); d != "" {
		t.Errorf("set (-want +got):\n%s", d)
	}
	if _, ok := plan.Set["boot"]; ok {
		t.Error("migration overwrote a set property")
	}
	// Idempotent: a current dataset needs nothing.
	again, err := PlanMigration(uuid, map[string]string{"format_version": "1"}, fill)
	if err != nil || !again.Empty() {
		t.Errorf("second migration = %+v, %v; want empty", again, err)
	}
	if _, err := PlanMigration(uuid, map[string]string{"format_version": "99"}, fill); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("future format: %v, want refusal", err)
	}
}
