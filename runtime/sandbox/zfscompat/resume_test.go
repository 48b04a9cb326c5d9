package zfscompat_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

// sendBytes runs a zfs send and returns its stream.
func sendBytes(t *testing.T, s *sandboxtest.Sandbox, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	if _, err := s.Host.Run(context.Background(), &runtime.Cmd{Path: runtime.ZFS, Args: append([]string{"send"}, args...), Stdout: &out, Stderr: &errb}); err != nil {
		t.Fatalf("zfs send %v: %v: %s", args, err, errb.String())
	}
	return out.Bytes()
}

// recv runs a zfs receive of stream.
func recv(t *testing.T, s *sandboxtest.Sandbox, stream []byte, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	_, err := s.Host.Run(context.Background(), &runtime.Cmd{Path: runtime.ZFS, Args: append([]string{"receive"}, args...),
		Stdin: bytes.NewReader(stream), Stdout: &out, Stderr: &errb})
	code := 0
	if ee, ok := err.(*runtime.ExitError); ok {
		code = ee.ExitCode
	} else if err != nil {
		t.Fatalf("zfs receive %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// srcFS makes POOL/src mounted at /zrtest/src holding file one (random,
// large enough for a stream of many records), snapshot @s1. Not under
// /iocage: other tests mount POOL/iocage there, which needs it empty.
func srcFS(t *testing.T, s *sandboxtest.Sandbox) (src string, one []byte) {
	t.Helper()
	src = s.Pool + "/src"
	mustZFS(t, s, "create", "-o", "mountpoint=/zrtest/src", src)
	one = make([]byte, 300<<10)
	rand.Read(one)
	if err := s.Host.WriteFile("/zrtest/src/one", one, 0o644); err != nil {
		t.Fatal(err)
	}
	mustZFS(t, s, "snapshot", src+"@s1")
	return src, one
}

var tokenRE = regexp.MustCompile(`^[0-9a-z-]+$`)

// token reads the receive_resume_token of fs as a caller does.
func token(t *testing.T, s *sandboxtest.Sandbox, fs string) string {
	t.Helper()
	return strings.TrimSpace(mustZFS(t, s, "get", "-H", "-o", "value", "receive_resume_token", fs))
}

// checkFile mounts fs at /zrtest/NAME and compares a file with want.
func checkFile(t *testing.T, s *sandboxtest.Sandbox, fs, file string, want []byte) {
	t.Helper()
	mp := "/zrtest/" + fs[strings.LastIndexByte(fs, '/')+1:]
	mustZFS(t, s, "set", "mountpoint="+mp, fs)
	if strings.TrimSpace(mustZFS(t, s, "get", "-H", "-o", "value", "mounted", fs)) != "yes" {
		mustZFS(t, s, "mount", fs)
	}
	got, err := s.Host.ReadFile(mp + "/" + file)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s/%s after the resumed receive: %d bytes, %v; want the %d bytes sent", fs, file, len(got), err, len(want))
	}
}

func snapshots(t *testing.T, s *sandboxtest.Sandbox, fs string) string {
	t.Helper()
	return mustZFS(t, s, "list", "-H", "-o", "name", "-t", "snapshot", "-r", fs)
}

// TestSendIsByteDeterministic is the premise of send -t: zfs-fuse writes
// the same stream for the same snapshot every time.
func TestSendIsByteDeterministic(t *testing.T) {
	s := newSandbox(t)
	src, _ := srcFS(t, s)
	if err := s.Host.WriteFile("/zrtest/src/two", []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustZFS(t, s, "snapshot", src+"@s2")
	for _, args := range [][]string{{src + "@s1"}, {"-i", "@s1", src + "@s2"}, {"-p", src + "@s2"}} {
		a := sendBytes(t, s, args...)
		time.Sleep(1100 * time.Millisecond) // a clock in the stream would show
		b := sendBytes(t, s, args...)
		t.Logf("zfs send %v: %d bytes, identical: %v", args, len(a), bytes.Equal(a, b))
		if !bytes.Equal(a, b) {
			t.Errorf("zfs send %v: two runs differ (%d and %d bytes)", args, len(a), len(b))
		}
	}
}

func TestResumableReceive(t *testing.T) {
	s := newSandbox(t)
	p := s.Pool
	src, one := srcFS(t, s)
	dst := p + "/dst"
	full := sendBytes(t, s, src+"@s1")

	// Full stream cut short: the file system exists, with a token.
	r := recv(t, s, full[:len(full)/2], "-s", dst)
	if r.code != 1 || !strings.Contains(r.err, "cannot receive new filesystem stream: checksum mismatch or incomplete stream.\nPartially received snapshot is saved.") {
		t.Fatalf("cut receive -s = exit %d, %q; want the partial-state message", r.code, r.err)
	}
	tok := token(t, s, dst)
	if !tokenRE.MatchString(tok) || !strings.Contains(r.err, "zfs send -t "+tok+"\n") {
		t.Fatalf("receive_resume_token %q: want [0-9a-z-]+ and the one receive printed (%q)", tok, r.err)
	}
	if got := mustZFS(t, s, "list", "-H", "-o", "name,canmount", dst); got != dst+"\toff\n" {
		t.Errorf("partially received file system lists as %q", got)
	}
	// A tree's tokens in one command.
	got := mustZFS(t, s, "get", "-H", "-r", "-o", "name,value", "receive_resume_token", p)
	if !strings.Contains(got, dst+"\t"+tok+"\n") || !strings.Contains(got, src+"\t-\n") {
		t.Errorf("zfs get -r receive_resume_token = %q", got)
	}
	if got := mustZFS(t, s, "list", "-H", "-o", "name,receive_resume_token", src); got != src+"\t-\n" {
		t.Errorf("zfs list -o receive_resume_token of a complete file system = %q", got)
	}
	// A new stream is refused, with or without -s, even with -F.
	for _, args := range [][]string{{"-s", dst}, {dst}, {"-F", dst}} {
		r := recv(t, s, full, args...)
		if r.code == 0 || !strings.Contains(r.err, "destination "+dst+" contains partially-complete state from \"zfs receive -s\".") {
			t.Errorf("receive %v into partial state = exit %d, %q", args, r.code, r.err)
		}
	}
	// A token of another stream position is refused by the sender.
	rp, err := zfscompat.DecodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	wrong := rp
	wrong.Sum = strings.Repeat("0", 64)
	if r := zfs(t, s, "send", "-t", zfscompat.EncodeToken(wrong)); r.code != 1 || !strings.Contains(r.err, "cannot resume send: the stream of "+src+"@s1 is not the one partially received") {
		t.Errorf("send -t of a token with another checksum = exit %d, %q", r.code, r.err)
	}
	if r := zfs(t, s, "send", "-t", tok[:len(tok)-2]); r.code != 1 || r.err != "cannot resume send: resume token is corrupt\n" {
		t.Errorf("send -t of a corrupt token = exit %d, %q", r.code, r.err)
	}
	if r := zfs(t, s, "send", "-i", "@s1", "-t", tok); r.code != 2 || !strings.HasPrefix(r.err, "invalid flags combined with -t\n") {
		t.Errorf("send -i -t = exit %d, %q", r.code, r.err)
	}
	// Resumed in two more steps: cut again, then whole.
	rest := sendBytes(t, s, "-t", tok)
	if r := recv(t, s, rest[:len(rest)/2], "-s", dst); r.code != 1 || token(t, s, dst) == tok {
		t.Fatalf("second cut receive = exit %d, %q, token unchanged", r.code, r.err)
	}
	tok = token(t, s, dst)
	if r := recv(t, s, sendBytes(t, s, "-t", tok), "-s", dst); r.code != 0 {
		t.Fatalf("resumed receive = exit %d, %q", r.code, r.err)
	}
	if tok := token(t, s, dst); tok != "-" {
		t.Errorf("token after the resumed receive = %q, want -", tok)
	}
	if diff := cmp.Diff(dst+"@s1\n", snapshots(t, s, dst)); diff != "" {
		t.Errorf("snapshots after the resumed full receive (-want +got):\n%s", diff)
	}
	checkFile(t, s, dst, "one", one)

	// Incremental: cut, the file system unchanged, resumed.
	two := make([]byte, 200<<10)
	rand.Read(two)
	if err := s.Host.WriteFile("/zrtest/src/two", two, 0o644); err != nil {
		t.Fatal(err)
	}
	mustZFS(t, s, "snapshot", src+"@s2")
	inc := sendBytes(t, s, "-i", "@s1", src+"@s2")
	r = recv(t, s, inc[:len(inc)/2], "-s", "-F", dst)
	if r.code != 1 || !strings.Contains(r.err, "cannot receive incremental stream: checksum mismatch or incomplete stream.") {
		t.Fatalf("cut incremental receive -s = exit %d, %q", r.code, r.err)
	}
	if diff := cmp.Diff(dst+"@s1\n", snapshots(t, s, dst)); diff != "" {
		t.Errorf("snapshots after the cut incremental (-want +got):\n%s", diff)
	}
	if r := recv(t, s, inc, "-F", dst); r.code == 0 || !strings.Contains(r.err, "cannot receive incremental stream: destination "+dst+" contains partially-complete state") {
		t.Errorf("new incremental into partial state = exit %d, %q", r.code, r.err)
	}
	if r := recv(t, s, sendBytes(t, s, "-t", token(t, s, dst)), "-s", "-F", dst); r.code != 0 {
		t.Fatalf("resumed incremental = exit %d, %q", r.code, r.err)
	}
	if diff := cmp.Diff(dst+"@s1\n"+dst+"@s2\n", snapshots(t, s, dst)); diff != "" {
		t.Errorf("snapshots after the resumed incremental (-want +got):\n%s", diff)
	}
	checkFile(t, s, dst, "two", two)

	// receive -A: an incremental's partial state goes, the file system stays.
	mustZFS(t, s, "snapshot", src+"@s3")
	inc = sendBytes(t, s, "-i", "@s2", src+"@s3")
	if r := recv(t, s, inc[:len(inc)/2], "-s", "-F", dst); r.code != 1 {
		t.Fatalf("cut incremental = exit %d, %q", r.code, r.err)
	}
	mustZFS(t, s, "receive", "-A", dst)
	if tok := token(t, s, dst); tok != "-" {
		t.Errorf("token after receive -A = %q", tok)
	}
	if r := zfs(t, s, "receive", "-A", dst); r.code != 1 || r.err != "'"+dst+"' does not have any resumable receive state to abort\n" {
		t.Errorf("second receive -A = exit %d, %q", r.code, r.err)
	}
	if r := recv(t, s, inc, "-F", dst); r.code != 0 {
		t.Errorf("incremental after receive -A = exit %d, %q", r.code, r.err)
	}
	// receive -A of a full stream's partial state destroys the file system.
	if r := recv(t, s, full[:len(full)/3], "-s", p+"/dst2"); r.code != 1 {
		t.Fatalf("cut receive = exit %d, %q", r.code, r.err)
	}
	mustZFS(t, s, "receive", "-A", p+"/dst2")
	if r := zfs(t, s, "list", p+"/dst2"); r.code != 1 {
		t.Errorf("%s/dst2 still exists after receive -A", p)
	}
	// A resume stream into a file system without partial state.
	if r := recv(t, s, full[:len(full)/3], "-s", p+"/dst3"); r.code != 1 {
		t.Fatalf("cut receive = exit %d, %q", r.code, r.err)
	}
	rest = sendBytes(t, s, "-t", token(t, s, p+"/dst3"))
	if r := recv(t, s, rest, "-s", p+"/dst4"); r.code != 1 || !strings.Contains(r.err, "cannot receive resume stream: destination '"+p+"/dst4' does not exist") {
		t.Errorf("resume stream into another file system = exit %d, %q", r.code, r.err)
	}
}

// TestResumableReceiveKilled kills the receiving zfs mid-stream: the
// partial state must still be there, and resume.
func TestResumableReceiveKilled(t *testing.T) {
	s := newSandbox(t)
	src, one := srcFS(t, s)
	dst := s.Pool + "/dst"
	full := sendBytes(t, s, src+"@s1")
	cut := len(full) / 2
	cmd := exec.Command(s.Path("/sbin/zfs"), "receive", "-s", dst)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write(full[:cut]); err != nil {
		t.Fatal(err)
	}
	// Wait until the receiver has spooled what it was given.
	deadline := time.Now().Add(20 * time.Second)
	for {
		spools, _ := filepath.Glob(filepath.Join(s.Dir, "receive", "*.spool"))
		if len(spools) > 1 {
			t.Fatalf("spools of an earlier test are left: %v", spools)
		}
		if len(spools) == 1 {
			if st, err := os.Stat(spools[0]); err == nil && st.Size() == int64(cut) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not spool %d bytes (stderr %q)", cut, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if tok := token(t, s, dst); tok != "-" {
		t.Errorf("token while the receiver runs = %q, want -", tok)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	in.Close()
	tok := token(t, s, dst)
	if !tokenRE.MatchString(tok) {
		t.Fatalf("token after the receiver was killed = %q", tok)
	}
	if rp, err := zfscompat.DecodeToken(tok); err != nil || rp.Bytes != int64(cut) {
		t.Errorf("token after the kill says %+v, %v; want %d bytes", rp, err, cut)
	}
	if r := recv(t, s, sendBytes(t, s, "-t", tok), "-s", dst); r.code != 0 {
		t.Fatalf("resumed receive = exit %d, %q", r.code, r.err)
	}
	if diff := cmp.Diff(dst+"@s1\n", snapshots(t, s, dst)); diff != "" {
		t.Errorf("snapshots after the resumed receive (-want +got):\n%s", diff)
	}
	checkFile(t, s, dst, "one", one)
}
