//go:build linux

package net_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/iocage/iocage/runtime"
)

// TestDefaultInterfacesUseTheHostBridges starts the network of a vnet jail
// whose interfaces property is iocage's default, vnet0:bridge0,vnet1:bridge1,
// on the sandbox host as the manual asks it to be prepared (both bridges
// in cloned_interfaces): up needs no bridge created, puts one host end in
// each bridge, and down leaves both bridges as they were.
func TestDefaultInterfacesUseTheHostBridges(t *testing.T) {
	e := newEnv(t)
	rc, err := e.h.ReadFile("/etc/rc.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rc), "cloned_interfaces=\"bridge0 bridge1\"\n") {
		t.Errorf("sandbox /etc/rc.conf lacks cloned_interfaces=\"bridge0 bridge1\":\n%s", rc)
	}
	root := e.mkjail(vnetUUID, map[string]string{"vnet": "on", "ip4_addr": "vnet0|192.168.1.60/24"})
	_, jid := e.startVnet(vnetUUID, root)
	before := map[string]string{}
	for _, br := range []string{"bridge0", "bridge1"} {
		before[br] = mustRun(t, e.h, runtime.Ifconfig, br)
	}
	e.mustCall(map[string]any{"op": "up", "name": vnetUUID, "jid": jid})
	for i, br := range []string{"bridge0", "bridge1"} {
		member := fmt.Sprintf("member: vnet%d:%d ", i, jid)
		if out := mustRun(t, e.h, runtime.Ifconfig, br); !strings.Contains(out, member) {
			t.Errorf("%s lacks %q:\n%s", br, member, out)
		}
	}
	e.mustCall(map[string]any{"op": "down", "name": vnetUUID})
	for br, want := range before {
		if out := mustRun(t, e.h, runtime.Ifconfig, br); out != want {
			t.Errorf("%s after down:\n%s\nwant as before up:\n%s", br, out, want)
		}
	}
}
