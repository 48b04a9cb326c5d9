package main

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// An iocage send killed with SIGKILL half-way through its transfer
// leaves no jail on the receiving host, and the next send resumes the
// transfer where it stopped rather than starting over.
func TestKillSendHalfWayThenResume(t *testing.T) {
	s := crashSandbox(t, true)
	r := sandboxtest.NewRemote(t, s)
	if _, errs, err := r.Run("activate", r.Pool); err != nil {
		t.Fatalf("activate on the second host: %v\n%s", err, errs)
	}
	if res, _ := iocageProc(t, nil, "create", "-c", "tag=moving"); res.Code != 0 {
		t.Fatalf("create: %+v", res)
	}
	got, _ := iocageProc(t, nil, "get", "host_hostuuid", "moving")
	uuid := strings.TrimSpace(got.Stdout)
	rel := "/iocage/jails/" + uuid + "/root/usr/share/big.bin"
	big := make([]byte, 4<<20)
	_, _ = rand.Read(big)
	p := s.Host.LocalPath(rel)
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"send", "-p", strconv.Itoa(r.Port), "-i", r.Identity}
	for _, o := range r.SSHOptions() {
		args = append(args, "-o", o)
	}
	args = append(args, "moving", "root@127.0.0.1")

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), envTestMain+"=1")
	var se strings.Builder
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed once the receiver has spooled 1 MiB of the streams.
	spooled := func() int64 {
		var n int64
		files, _ := filepath.Glob(filepath.Join(r.Dir, "receive", "*.spool"))
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	deadline := time.Now().Add(2 * time.Minute)
	for spooled() < 1<<20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("send was not killed half-way (it ended: %v)\n%s", err, se.String())
	}
	// The receiving iocage sees its input end; give it the moment it takes.
	time.Sleep(time.Second)
	if list, _, _ := r.Run("list", "-H", "-o", "tag"); strings.Contains(list, "moving") {
		t.Errorf("a killed first send left a jail on the second host: %q", list)
	}
	res, _ := iocageProc(t, nil, append([]string{"send", "--json"}, args[1:]...)...)
	if res.Code != 0 || !strings.Contains(res.Stderr, "Resuming the interrupted send") {
		t.Fatalf("send after the kill: %+v", res)
	}
	// The resume sends the rest: less than a full copy by about what
	// arrived before the kill.
	full := fullStreamBytes(t, s, s.Pool+"/iocage/jails/"+uuid)
	if n := jsonBytes(t, res.Stdout); n > full-(1<<19) {
		t.Errorf("the send after the kill moved %d bytes, a full copy is %d: it started over", n, full)
	} else {
		t.Logf("a full copy is %d bytes; killed after 1 MiB had arrived, the next send moved %d", full, n)
	}
	there, err := os.ReadFile(r.Host.LocalPath(rel))
	if err != nil || string(there) != string(big) {
		t.Errorf("the file on the second host: %d bytes, %v", len(there), err)
	}
}

// jsonBytes reads the bytes column of send's --json output.
func jsonBytes(t *testing.T, out string) int64 {
	t.Helper()
	i := strings.Index(out, `"bytes":`)
	if i < 0 {
		t.Fatalf("no bytes in %q", out)
	}
	s := out[i+len(`"bytes":`):]
	s = strings.TrimSpace(s)
	end := strings.IndexAny(s, ",}")
	n, err := strconv.ParseInt(strings.TrimSpace(s[:end]), 10, 64)
	if err != nil {
		t.Fatalf("bytes in %q: %v", out, err)
	}
	return n
}

// fullStreamBytes is the size of full streams of ds and its file systems
// at their newest snapshot.
func fullStreamBytes(t *testing.T, s *sandboxtest.Sandbox, ds string) int64 {
	t.Helper()
	ctx := context.Background()
	out, err := s.Host.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "snapshot", "-r", ds)
	if err != nil {
		t.Fatal(err)
	}
	newest := map[string]string{}
	for _, n := range strings.Fields(out) {
		fs, _, _ := strings.Cut(n, "@")
		newest[fs] = n
	}
	var total int64
	for _, snap := range newest {
		var c countBytes
		if _, err := s.Host.Run(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: []string{"send", snap}, Stdout: &c}); err != nil {
			t.Fatal(err)
		}
		total += int64(c)
	}
	return total
}

type countBytes int64

func (c *countBytes) Write(p []byte) (int, error) { *c += countBytes(len(p)); return len(p), nil }
