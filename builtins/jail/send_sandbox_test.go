package jail_test

// iocage send between two sandbox hosts over a real sshd on 127.0.0.1:
// the first copy, an incremental send after a change, a transfer cut off
// half-way and resumed, the hostid guard on the copy, refusals that change
// nothing, and a move that leaves the jail running on the other host only.

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"

	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

func sendKW(r *sandboxtest.Remote, name string, extra map[string]starlark.Value) map[string]starlark.Value {
	var opts []starlark.Value
	for _, o := range r.SSHOptions() {
		opts = append(opts, starlark.String(o))
	}
	kw := map[string]starlark.Value{
		"name": starlark.String(name), "destination": starlark.String("root@127.0.0.1"),
		"port": starlark.MakeInt(r.Port), "identity": starlark.String(r.Identity), "ssh_options": starlark.NewList(opts),
	}
	for k, v := range extra {
		kw[k] = v
	}
	return kw
}

// sent is the bytes column of send's result.
func sent(t *testing.T, v starlark.Value) int64 {
	t.Helper()
	l, ok := v.(*starlark.List)
	if !ok || l.Len() != 1 {
		t.Fatalf("send returned %v", v)
	}
	d := l.Index(0).(*starlark.Dict)
	b, _, _ := d.Get(starlark.String("bytes"))
	n, ok := b.(starlark.Int).Int64()
	if !ok {
		t.Fatalf("bytes %v", b)
	}
	return n
}

func randomFile(t *testing.T, p string, n int) {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	must(t, os.WriteFile(p, b, 0o644))
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	must(t, err)
	y, err := os.ReadFile(b)
	if err != nil {
		t.Errorf("on the second host: %v", err)
		return
	}
	if string(x) != string(y) {
		t.Errorf("%s differs on the second host (%d bytes, want %d)", filepath.Base(a), len(y), len(x))
	}
}

func TestSendIncrementalResumeMove(t *testing.T) {
	s := stSetup(t)
	r := sandboxtest.NewRemote(t, s)
	if _, errs, err := r.Run("activate", r.Pool); err != nil {
		t.Fatalf("activate on the second host: %v\n%s", err, errs)
	}
	j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off"})
	local := func(rel string) string { return s.Host.LocalPath(j.Mountpoint + "/root/" + rel) }
	there := func(rel string) string { return r.Host.LocalPath("/iocage/jails/" + j.UUID + "/root/" + rel) }
	randomFile(t, local("usr/share/big.bin"), 1<<20)

	// The first send is a full copy.
	t0 := time.Now()
	v, out, err := stRun(t, s, "send", sendKW(r, "web", nil))
	if err != nil {
		t.Fatalf("first send: %v\n%s\nsshd: %s", err, out, r.Log())
	}
	full, fullTime := sent(t, v), time.Since(t0)
	sameFile(t, local("usr/share/big.bin"), there("usr/share/big.bin"))
	list, _, err := r.Run("list", "-H", "-o", "uuid,tag,state")
	if err != nil || !strings.Contains(list, j.UUID+"\tweb\tdown") {
		t.Errorf("second host's list: %q, %v", list, err)
	}
	// The copy keeps the sender's hostid: it does not start there.
	if _, errs, err := r.Run("start", "web"); err == nil || !strings.Contains(errs, "--force-hostid") {
		t.Errorf("start of the copy on the second host: %v\n%s", err, errs)
	}

	// A small change costs a small incremental send.
	randomFile(t, local("usr/share/small.bin"), 64<<10)
	t0 = time.Now()
	s.Host.Record()
	v, out, err = stRun(t, s, "send", sendKW(r, "web", nil))
	t.Logf("an incremental send ran %d host commands here", len(s.Host.Events()))
	if err != nil {
		t.Fatalf("incremental send: %v\n%s", err, out)
	}
	incr, incrTime := sent(t, v), time.Since(t0)
	sameFile(t, local("usr/share/small.bin"), there("usr/share/small.bin"))
	if incr >= full/4 {
		t.Errorf("incremental send of 64 KiB moved %d bytes, the full one %d", incr, full)
	}
	t.Logf("full send %d bytes in %v; incremental after a 64 KiB change %d bytes in %v", full, fullTime, incr, incrTime)

	// A transfer cut off half-way is resumed by the next send.
	randomFile(t, local("usr/share/more.bin"), 2<<20)
	must(t, r.Cut(1<<20))
	if _, out, err := stRun(t, s, "send", sendKW(r, "web", nil)); err == nil {
		t.Fatalf("a send cut off after 1 MiB succeeded:\n%s", out)
	}
	if _, err := os.Stat(there("usr/share/more.bin")); err == nil {
		t.Errorf("a cut transfer changed the copy")
	}
	j2 := tbLookup(t, s, "web")
	if !strings.HasPrefix(j2.Props["sync_state"], "partial:") {
		t.Errorf("sync_state after a cut send: %q", j2.Props["sync_state"])
	}
	must(t, r.Cut(0))
	v, out, err = stRun(t, s, "send", sendKW(r, "web", nil))
	if err != nil || !strings.Contains(out, "Resuming the interrupted send") {
		t.Fatalf("resumed send: %v\n%s", err, out)
	}
	resumed := sent(t, v)
	sameFile(t, local("usr/share/more.bin"), there("usr/share/more.bin"))
	if resumed >= 2<<20 {
		t.Errorf("the resumed send moved %d bytes, as much as the whole change", resumed)
	}
	t.Logf("a 2 MiB change cut after 1 MiB: the resume moved %d bytes", resumed)

	// Move: stopped here, running there, and only there.
	if _, out, err := stRun(t, s, "start", names("web")); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if _, out, err := stRun(t, s, "send", sendKW(r, "web", map[string]starlark.Value{"move": starlark.True})); err != nil {
		t.Fatalf("send --move: %v\n%s", err, out)
	}
	if j := tbLookup(t, s, "web"); j.JID != 0 {
		t.Errorf("the moved jail still runs here")
	}
	list, _, _ = r.Run("list", "-H", "-o", "uuid,tag,state")
	if !strings.Contains(list, j.UUID+"\tweb\tup") {
		t.Errorf("the moved jail does not run on the second host: %q", list)
	}
	if _, out, err := stRun(t, s, "start", names("web")); err == nil || !strings.Contains(out, "--force-hostid") {
		t.Errorf("start here after the move: %v\n%s", err, out)
	}
	// The jail is the other host's now: this copy is never sent over it.
	here := stState(t, s)
	if _, out, err := stRun(t, s, "send", sendKW(r, "web", nil)); err == nil || !strings.Contains(err.Error()+out, "that host's own jail now") {
		t.Errorf("send of the old copy after the move: %v\n%s", err, out)
	}
	if d := cmp.Diff(here, stState(t, s)); d != "" {
		t.Errorf("a refused send changed this host:\n%s", d)
	}
	if _, errs, err := r.Run("stop", "web"); err != nil {
		t.Errorf("stop on the second host: %v\n%s", err, errs)
	}
}

func TestSendRefusedOrCutLeavesNoJail(t *testing.T) {
	s := stSetup(t)
	r := sandboxtest.NewRemote(t, s)
	if _, errs, err := r.Run("activate", r.Pool); err != nil {
		t.Fatalf("activate on the second host: %v\n%s", err, errs)
	}
	j := stJail(t, s, stUUID, "web", map[string]string{"vnet": "off"})
	randomFile(t, s.Host.LocalPath(j.Mountpoint+"/root/usr/share/big.bin"), 1<<20)

	// Another jail has the tag there: refused, and neither host changes.
	if _, errs, err := r.Run("create", "-e", "tag=web"); err != nil {
		t.Fatalf("create on the second host: %v\n%s", err, errs)
	}
	here, there := stState(t, s), stState(t, r.Sandbox)
	if _, out, err := stRun(t, s, "send", sendKW(r, "web", nil)); err == nil || !strings.Contains(err.Error()+out, `tag "web" is jail`) {
		t.Errorf("send to a host where the tag is taken: %v\n%s", err, out)
	}
	if d := cmp.Diff(here, stState(t, s)); d != "" {
		t.Errorf("a refused send changed this host:\n%s", d)
	}
	if d := cmp.Diff(there, stState(t, r.Sandbox)); d != "" {
		t.Errorf("a refused send changed the second host:\n%s", d)
	}
	for _, bad := range []map[string]starlark.Value{
		{"destination": starlark.String("-oProxyCommand=sh")},
		{"ssh_options": starlark.NewList([]starlark.Value{starlark.String("ProxyCommand=sh -c reboot\n")})},
		{"port": starlark.MakeInt(0x10000)},
	} {
		if _, out, err := stRun(t, s, "send", sendKW(r, "web", bad)); err == nil {
			t.Errorf("send %v accepted:\n%s", bad, out)
		}
		if d := cmp.Diff(here, stState(t, s)); d != "" {
			t.Errorf("send %v changed this host:\n%s", bad, d)
		}
	}

	// A first copy cut off is no jail there, and the next send finishes it.
	if _, errs, err := r.Run("set", "tag=other", "web"); err != nil {
		t.Fatalf("retag on the second host: %v\n%s", err, errs)
	}
	// The whole copy is some 3.4 MB (the synthetic release and 1 MiB).
	must(t, r.Cut(5<<19))
	if _, out, err := stRun(t, s, "send", sendKW(r, "web", nil)); err == nil {
		t.Fatalf("a first send cut off after 2.5 MiB succeeded:\n%s", out)
	}
	list, _, _ := r.Run("list", "-H", "-o", "uuid")
	if strings.Contains(list, j.UUID) {
		t.Errorf("a cut first send left a jail on the second host: %q", list)
	}
	must(t, r.Cut(0))
	v, out, err := stRun(t, s, "send", sendKW(r, "web", nil))
	if err != nil || !strings.Contains(out, "Resuming the interrupted send") {
		t.Fatalf("resumed first send: %v\n%s", err, out)
	}
	if n := sent(t, v); n >= 3<<19 {
		t.Errorf("the resumed first send moved %d bytes: it started over", n)
	}
	sameFile(t, s.Host.LocalPath(j.Mountpoint+"/root/usr/share/big.bin"), r.Host.LocalPath("/iocage/jails/"+j.UUID+"/root/usr/share/big.bin"))
	list, _, _ = r.Run("list", "-H", "-o", "uuid,tag")
	if !strings.Contains(list, j.UUID+"\tweb") {
		t.Errorf("second host's list after the resumed send: %q", list)
	}
}
