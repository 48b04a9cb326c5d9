package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// A plain shell script, run through `iocage-sandbox shell`, reads the
// sandbox host with the FreeBSD programs as another tool would: it lists
// the datasets, and finds with jls and enters with jexec a jail that
// iocage started. It starts nothing itself.
func TestShellScriptSeesIocagesJail(t *testing.T) {
	s := crashSandbox(t, true)
	if r := iocageOn(t, "", "create", "-c", "tag=shellweb", "ip4_addr=em0|192.168.1.77/24"); r.Code != 0 {
		t.Fatalf("create: %+v", r)
	}
	if r := iocageOn(t, "", "start", "shellweb"); r.Code != 0 {
		t.Fatalf("start: %+v", r)
	}
	uuid := strings.TrimSpace(iocageOn(t, "", "get", "host_hostuuid", "shellweb").Stdout)
	script := filepath.Join(t.TempDir(), "inspect.sh")
	if err := os.WriteFile(script, []byte(`#!/bin/sh
# What another jail manager or a test harness would do: plain commands.
set -e
pool=$1
echo "datasets: $(zfs list -H -o name -r "$pool/iocage/jails" | wc -l)"
jls -N -h name host.hostname ip4.addr | while read -r name host ip; do
	case $name in ioc-*) echo "jail: $name $host $ip";; esac
done
jid=$(jls -j "ioc-$2" jid)
echo "hostname inside: $(jexec "$jid" /bin/hostname)"
echo "sandbox: $IOCAGE_SANDBOX"
`), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sandboxtest.Program(t), "-d", s.Dir, "shell", "--", "/bin/sh", script, s.Pool, uuid)
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("iocage-sandbox shell: %v\n%s", err, out)
	}
	// jails, the jail, its root and its data
	want := "datasets: 4\n" +
		"jail: ioc-" + uuid + " " + uuid + " 192.168.1.77\n" +
		"hostname inside: " + uuid + "\n" +
		"sandbox: " + s.Dir + "\n"
	if d := cmp.Diff(want, string(out)); d != "" {
		t.Errorf("the script's output (-want +got):\n%s", d)
	}
	if r := iocageOn(t, "", "stop", "shellweb"); r.Code != 0 {
		t.Fatalf("stop: %+v", r)
	}
}
