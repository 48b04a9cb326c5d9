package sandboxtest

// A second host for the tests of iocage send: its own sandbox (directory,
// pool, hostid), reached from the test's host through a real OpenSSH
// server on 127.0.0.1 whose one authorized key runs that host's iocage as
// its forced command.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox"
)

// Remote is the second host.
type Remote struct {
	*Sandbox
	// Iocage is the iocage program the forced command runs there.
	Iocage string
	// Port, Identity and KnownHosts are what the test's host passes to
	// ssh: Identity and KnownHosts are paths on the test's host (inside
	// its sandbox root, where its ssh runs).
	Port       int
	Identity   string
	KnownHosts string
	keys       string // the server's files (Linux paths)
	sshd       *exec.Cmd
	log        *bytes.Buffer
}

var (
	remoteMu  sync.Mutex
	remote    *Remote
	iocOnce   sync.Once
	iocBuilt  string
	iocBuildE error
)

// sshdPath is Debian's OpenSSH server.
const sshdPath = "/usr/sbin/sshd"

// NewRemote returns the second host, reset, with sshd running, and puts
// the client's key and known_hosts on local's host.
func NewRemote(t testing.TB, local *Sandbox) *Remote {
	t.Helper()
	if local.Real() {
		t.Skip("a second host is modelled on Linux only")
	}
	if _, err := os.Stat(sshdPath); err != nil {
		t.Fatalf("%s: %v (make deps installs openssh-server)", sshdPath, err)
	}
	remoteMu.Lock()
	defer remoteMu.Unlock()
	if remote == nil {
		r, err := startRemote()
		if err != nil {
			t.Fatal(err)
		}
		remote = r
	}
	r := remote
	if err := r.Backend.Reset(); err != nil {
		t.Fatalf("second host reset: %v", err)
	}
	r.Host = runtime.New(r.Native, runtime.Options{})
	if err := r.Cut(0); err != nil {
		t.Fatal(err)
	}
	// The client's files live on the test's host, where its ssh runs.
	for _, f := range []struct {
		src, dst string
		mode     os.FileMode
	}{{"id_ed25519", "/root/.ssh/iocage_test_id", 0o600}, {"known_hosts", "/root/.ssh/iocage_test_known_hosts", 0o644}} {
		b, err := os.ReadFile(filepath.Join(r.keys, f.src))
		if err != nil {
			t.Fatal(err)
		}
		p := local.Host.LocalPath(f.dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	r.Identity, r.KnownHosts = "/root/.ssh/iocage_test_id", "/root/.ssh/iocage_test_known_hosts"
	return r
}

// SSHOptions are ssh -o options that pin the server's key.
func (r *Remote) SSHOptions() []string {
	return []string{"UserKnownHostsFile=" + r.KnownHosts, "StrictHostKeyChecking=yes"}
}

// Cut makes the forced command pass only the first n bytes of each
// transfer to iocage and then end its input, as a connection cut off
// would; 0 passes everything.
func (r *Remote) Cut(n int64) error {
	p := filepath.Join(r.keys, "cut")
	if n == 0 {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return os.WriteFile(p, []byte(strconv.FormatInt(n, 10)), 0o644)
}

// Run runs the second host's iocage with args, as its admin would.
func (r *Remote) Run(args ...string) (string, string, error) {
	cmd := exec.Command(r.Iocage, args...)
	cmd.Env = append(os.Environ(), runtime.SandboxEnv+"="+r.Dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// Log is what sshd said.
func (r *Remote) Log() string { return r.log.String() }

func buildIocage() (string, error) {
	iocOnce.Do(func() {
		dir, err := os.MkdirTemp("/var/tmp", "iocage-remote-program-")
		if err != nil {
			iocBuildE = err
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(goruntime.GOROOT(), "bin", "go")
		}
		iocBuilt = filepath.Join(dir, "iocage")
		cmd := exec.Command(goTool, "build", "-o", iocBuilt, "github.com/iocage/iocage/cmd/iocage")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			iocBuildE = fmt.Errorf("go build iocage: %v\n%s", err, out)
		}
	})
	return iocBuilt, iocBuildE
}

func startRemote() (*Remote, error) {
	prog, err := program()
	if err != nil {
		return nil, err
	}
	ioc, err := buildIocage()
	if err != nil {
		return nil, err
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	pool := "iocr" + hex.EncodeToString(b[:])
	dir, err := os.MkdirTemp("/var/tmp", "iocage-sandbox-remote-")
	if err != nil {
		return nil, err
	}
	if _, err := sandbox.Create(dir, sandbox.CreateOptions{Pool: pool, PoolSize: 1 << 30, Program: prog}); err != nil {
		_ = sandbox.Destroy(dir)
		return nil, fmt.Errorf("second host: %w", err)
	}
	be, err := sandbox.Open(dir)
	if err != nil {
		return nil, err
	}
	native, err := runtime.SandboxRoot(dir)
	if err != nil {
		return nil, err
	}
	r := &Remote{Sandbox: &Sandbox{Native: &native, Backend: be, Dir: dir, Pool: pool}, Iocage: ioc,
		keys: filepath.Join(dir, "ssh"), log: &bytes.Buffer{}}
	mu.Lock()
	shared["remote"] = r.Sandbox
	mu.Unlock()
	if err := r.startSSHD(); err != nil {
		return nil, err
	}
	return r, nil
}

// startSSHD writes a throwaway host key, a client key whose
// authorized_keys entry forces the second host's iocage, and the
// server's configuration, and starts sshd on a free port of 127.0.0.1.
func (r *Remote) startSSHD() error {
	if err := os.MkdirAll(r.keys, 0o700); err != nil {
		return err
	}
	// sshd's privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err
	}
	for _, k := range []string{"host_ed25519", "id_ed25519"} {
		p := filepath.Join(r.keys, k)
		if out, err := exec.Command("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "iocage-test", "-f", p).CombinedOutput(); err != nil {
			return fmt.Errorf("ssh-keygen: %v: %s", err, out)
		}
	}
	// The forced command: the client's words (ssh joins them with spaces;
	// they are checked by iocage send to hold nothing a shell expands)
	// become the second host's iocage's arguments; a cut file ends the
	// transfer after that many bytes.
	forced := filepath.Join(r.keys, "forced")
	script := fmt.Sprintf(`#!/bin/sh
set -f
set -- $SSH_ORIGINAL_COMMAND
[ "$1" = iocage ] || { echo "only iocage runs here" >&2; exit 126; }
shift
export %s=%s
cut=%s/cut
if [ -f "$cut" ]; then
	head -c "$(cat "$cut")" | %s "$@"
	exit $?
fi
exec %s "$@"
`, runtime.SandboxEnv, r.Dir, r.keys, r.Iocage, r.Iocage)
	if err := os.WriteFile(forced, []byte(script), 0o755); err != nil {
		return err
	}
	pub, err := os.ReadFile(filepath.Join(r.keys, "id_ed25519.pub"))
	if err != nil {
		return err
	}
	auth := fmt.Sprintf("command=%q,restrict %s", forced, strings.TrimSpace(string(pub)))
	if err := os.WriteFile(filepath.Join(r.keys, "authorized_keys"), []byte(auth+"\n"), 0o600); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	hostPub, err := os.ReadFile(filepath.Join(r.keys, "host_ed25519.pub"))
	if err != nil {
		return err
	}
	f := strings.Fields(string(hostPub))
	known := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", r.Port, f[0], f[1])
	if err := os.WriteFile(filepath.Join(r.keys, "known_hosts"), []byte(known), 0o644); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin forced-commands-only
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel ERROR
`, r.Port, filepath.Join(r.keys, "host_ed25519"), filepath.Join(r.keys, "authorized_keys"))
	cfgPath := filepath.Join(r.keys, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	if out, err := exec.Command(sshdPath, "-t", "-f", cfgPath).CombinedOutput(); err != nil {
		return fmt.Errorf("sshd -t: %v: %s", err, out)
	}
	r.sshd = exec.Command(sshdPath, "-D", "-e", "-f", cfgPath)
	r.sshd.Stderr = r.log
	if err := r.sshd.Start(); err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", r.Port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd did not listen on 127.0.0.1:%d: %s", r.Port, r.log)
}

// stopRemote ends sshd; Main destroys the second host with the others.
func stopRemote() {
	remoteMu.Lock()
	defer remoteMu.Unlock()
	if remote != nil && remote.sshd != nil && remote.sshd.Process != nil {
		_ = remote.sshd.Process.Kill()
		_ = remote.sshd.Wait()
	}
	if iocBuilt != "" {
		os.RemoveAll(filepath.Dir(iocBuilt))
	}
}
