package mirror

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// Files of the daemon in the sandbox directory.
const (
	TreeDir = "mirror"     // the served tree (what release.Build writes)
	pidName = "mirror.pid" // "PID ADDR"
	logName = "mirror.log"
)

// helperName is the sandbox helper that runs the daemon:
// `exe __sandbox-helper mirror DIR ADDR`.
const helperName = "mirror"

func init() { model.RegisterHelper(helperName, runHelper) }

// runHelper is the daemon's main: serve DIR on ADDR until SIGTERM/SIGINT.
func runHelper(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: __sandbox-helper mirror DIR ADDR")
		return 2
	}
	ln, err := net.Listen("tcp", args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "mirror: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, ln, args[0], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	return 0
}

// Running reports the address of the sandbox's mirror daemon when one is
// running.
func Running(sandboxDir string) (addr string, ok bool) {
	pid, addr, err := readPid(sandboxDir)
	if err != nil || !isHelper(pid) {
		return "", false
	}
	return addr, true
}

// Start starts the mirror daemon of the sandbox in sandboxDir, serving
// sandboxDir/mirror on addr (DefaultAddr when empty), and waits until it
// answers. It returns the address. A daemon already running on addr is
// kept; one running on another address is an error.
func Start(sandboxDir, addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
		return "", fmt.Errorf("mirror: address %q: want host:port, e.g. %s", addr, DefaultAddr)
	}
	if cur, ok := Running(sandboxDir); ok {
		if cur == addr {
			return addr, nil
		}
		return "", fmt.Errorf("mirror: already running on %s, not %s: stop it first", cur, addr)
	}
	tree := filepath.Join(sandboxDir, TreeDir)
	if st, err := os.Stat(tree); err != nil || !st.IsDir() {
		return "", fmt.Errorf("mirror: no tree in %s: run `iocage-sandbox setup`", tree)
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("mirror: %w", err)
	}
	logPath := filepath.Join(sandboxDir, logName)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", fmt.Errorf("mirror: log: %w", err)
	}
	defer logf.Close()
	model.KeepNothingInherited()
	cmd := exec.Command(self, model.HelperArg, helperName, tree, addr)
	cmd.Env = model.LinuxEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = "/"
	// Its own session: the daemon outlives the command that started it
	// and its terminal's signals.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("mirror: start %s: %w", self, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	pidFile := filepath.Join(sandboxDir, pidName)
	if err := os.WriteFile(pidFile, []byte(fmt.Sprintf("%d %s\n", cmd.Process.Pid, addr)), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("mirror: pid file: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			os.Remove(pidFile)
			return "", fmt.Errorf("mirror: daemon exited (%v); see %s: %s", err, logPath, lastLine(logPath))
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return addr, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	os.Remove(pidFile)
	return "", fmt.Errorf("mirror: no answer on %s after 10s; see %s", addr, logPath)
}

// Stop stops the sandbox's mirror daemon, if one runs.
func Stop(sandboxDir string) error {
	pidFile := filepath.Join(sandboxDir, pidName)
	pid, _, err := readPid(sandboxDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !isHelper(pid) {
		// A stale file (after a reboot, say) names no daemon of ours.
		os.Remove(pidFile)
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("mirror: stop pid %d: %w", pid, err)
	}
	for i := 0; i < 100 && isHelper(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if isHelper(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	os.Remove(pidFile)
	return nil
}

func readPid(sandboxDir string) (int, string, error) {
	b, err := os.ReadFile(filepath.Join(sandboxDir, pidName))
	if err != nil {
		return 0, "", err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, "", fmt.Errorf("mirror: %s: want \"PID ADDR\"", filepath.Join(sandboxDir, pidName))
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return 0, "", fmt.Errorf("mirror: %s: bad pid %q", filepath.Join(sandboxDir, pidName), f[0])
	}
	return pid, f[1], nil
}

// isHelper reports whether pid is a live mirror helper: pids are reused,
// so the pid file alone proves nothing.
func isHelper(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return len(args) >= 3 && args[1] == model.HelperArg && args[2] == helperName
}

func lastLine(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
