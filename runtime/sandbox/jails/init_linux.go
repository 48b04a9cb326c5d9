//go:build linux

package jails

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// initConfig is what the jail init is started with (one JSON argument).
type initConfig struct {
	Root     string `json:"root"`   // local directory to chroot into
	Socket   string `json:"socket"` // local path of the socket to serve
	Hostname string `json:"hostname"`
	Persist  bool   `json:"persist"`
	Drop     []int  `json:"drop"` // capabilities to drop from the bounding set
}

// dropCaps are the capabilities no jailed process may have: with them a
// process could change the Linux machine's network (which jails share),
// mount over the host, load modules, set the clock, reboot, leave the
// chroot (a second chroot escapes the first) or trace host processes. CAP_NET_RAW
// goes too unless allow.raw_sockets is set.
func dropCaps(rawSockets bool) []int {
	caps := []int{unix.CAP_NET_ADMIN, unix.CAP_SYS_ADMIN, unix.CAP_SYS_MODULE, unix.CAP_SYS_TIME, unix.CAP_SYS_BOOT, unix.CAP_SYS_CHROOT, unix.CAP_SYS_PTRACE}
	if !rawSockets {
		caps = append(caps, unix.CAP_NET_RAW)
	}
	return caps
}

// startInit starts the jail init and waits until it serves its socket. The
// init is a child of this process (reaped here while this process lives)
// in new PID, UTS and IPC namespaces, in its own session. It keeps the
// host's mount namespace, so mounts made under the jail later are seen in
// it, and the host's network, so jailed processes reach the local mirror.
func startInit(sb *model.Sandbox, cfg *initConfig, logPath string) (pid int, start uint64, err error) {
	arg, err := json.Marshal(cfg)
	if err != nil {
		return 0, 0, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return 0, 0, err
	}
	model.KeepNothingInherited()
	cmd := exec.Command(sb.Self, model.HelperArg, "jailinit", string(arg))
	cmd.Env = model.LinuxEnv()
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Setsid:     true,
	}
	err = cmd.Start()
	w.Close()
	logf.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("start jail init: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	var msg string
	select {
	case msg = <-line:
	case <-time.After(10 * time.Second):
		msg = "no answer within 10s"
	}
	if msg != "ok" {
		_ = cmd.Process.Kill()
		if msg == "" {
			msg = "exited before it was ready (see " + logPath + ")"
		}
		return 0, 0, fmt.Errorf("jail init: %s", strings.TrimPrefix(msg, "error: "))
	}
	_, start, err = procStat(cmd.Process.Pid)
	if err != nil {
		return 0, 0, fmt.Errorf("jail init: %w", err)
	}
	return cmd.Process.Pid, start, nil
}

// spawnReq asks the init's main thread to fork a command.
type spawnReq struct {
	req   *request
	files []*os.File
	reply chan spawnReply
}

type spawnReply struct {
	pid  int
	exit chan syscall.WaitStatus
	err  error
}

// initMain is the jail init (the "jailinit" helper). It is PID 1 of the
// jail's PID namespace.
//
// The main goroutine stays locked to the main thread, which drops the
// capabilities from its bounding set and does every fork: the bounding set
// is per thread in Linux, and a child gets the one of the thread that
// forked it.
func initMain(args []string) int {
	runtime.LockOSThread()
	ready := os.NewFile(3, "ready")
	fail := func(format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintf(os.Stderr, "jail init: %s\n", msg)
		if ready != nil {
			fmt.Fprintf(ready, "error: %s\n", msg)
		}
		return 1
	}
	if len(args) != 1 {
		return fail("usage: jailinit CONFIG")
	}
	var cfg initConfig
	if err := json.Unmarshal([]byte(args[0]), &cfg); err != nil {
		return fail("config: %v", err)
	}
	if err := unix.Sethostname(utsName(cfg.Hostname)); err != nil {
		return fail("sethostname %q: %v", cfg.Hostname, err)
	}
	_ = os.Remove(cfg.Socket)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: cfg.Socket, Net: "unix"})
	if err != nil {
		return fail("listen: %v", err)
	}
	// After the chroot the socket's path is out of reach; jail -r removes it.
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(cfg.Socket, 0o600); err != nil {
		return fail("chmod socket: %v", err)
	}
	if err := unix.Chroot(cfg.Root); err != nil {
		return fail("chroot %s: %v", cfg.Root, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fail("chdir /: %v", err)
	}
	for _, c := range cfg.Drop {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fail("drop capability %d: %v", c, err)
		}
	}
	chld := make(chan os.Signal, 8)
	signal.Notify(chld, syscall.SIGCHLD)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	s := &initServer{spawn: make(chan spawnReq), persist: make(chan bool)}
	go s.accept(l)
	fmt.Fprintln(ready, "ok")
	ready.Close()
	return s.loop(cfg.Persist, chld, term)
}

type initServer struct {
	spawn   chan spawnReq
	persist chan bool
	pending atomic.Int32 // connections being served
}

func (s *initServer) loop(persist bool, chld, term <-chan os.Signal) int {
	waiters := map[int]chan syscall.WaitStatus{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		children := reap(waiters)
		// A jail without persist goes away with its last process.
		if !persist && !children && len(waiters) == 0 && s.pending.Load() == 0 {
			return 0
		}
		select {
		case r := <-s.spawn:
			pid, err := forkCommand(r.req, r.files)
			closeAll(r.files)
			if err != nil {
				r.reply <- spawnReply{err: err}
				break
			}
			ch := make(chan syscall.WaitStatus, 1)
			waiters[pid] = ch
			r.reply <- spawnReply{pid: pid, exit: ch}
		case p := <-s.persist:
			persist = p
		case <-chld:
		case <-tick.C:
		case <-term:
			// As PID 1, kill(-1) reaches every other process of the jail.
			_ = syscall.Kill(-1, syscall.SIGKILL)
			return 0
		}
	}
}

// reap collects exited children (the init inherits every orphan of the
// jail), hands the exit status of commands to whoever waits for it, and
// reports whether children remain.
func reap(waiters map[int]chan syscall.WaitStatus) bool {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return false // ECHILD: no children at all
		case pid == 0:
			return true
		}
		if ch, ok := waiters[pid]; ok {
			ch <- ws
			delete(waiters, pid)
		}
	}
}

func (s *initServer) accept(l *net.UnixListener) {
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.pending.Add(1)
		go func() {
			defer s.pending.Add(-1)
			defer conn.Close()
			s.serve(conn)
		}()
	}
}

func (s *initServer) serve(conn *net.UnixConn) {
	req, files, err := readRequest(conn)
	if err != nil {
		return
	}
	switch req.Op {
	case "persist":
		closeAll(files)
		s.persist <- req.Persist
		writeResponse(conn, &response{})
	case "hostname":
		closeAll(files)
		if err := unix.Sethostname(utsName(req.Hostname)); err != nil {
			writeResponse(conn, &response{Error: err.Error()})
			return
		}
		writeResponse(conn, &response{})
	case "exec":
		reply := make(chan spawnReply, 1)
		s.spawn <- spawnReq{req: req, files: files, reply: reply}
		r := <-reply
		if r.err != nil {
			writeResponse(conn, &response{Error: r.err.Error()})
			return
		}
		// The client holds the connection open while it waits; when it
		// goes away (killed, Ctrl-C) the command goes too.
		gone := make(chan struct{})
		go func() {
			var b [64]byte
			for {
				if _, err := conn.Read(b[:]); err != nil {
					close(gone)
					return
				}
			}
		}()
		var ws syscall.WaitStatus
		select {
		case ws = <-r.exit:
		case <-gone:
			_ = syscall.Kill(-r.pid, syscall.SIGKILL)
			<-r.exit
			return
		}
		resp := &response{Status: ws.ExitStatus()}
		if ws.Signaled() {
			resp.Signal = int(ws.Signal())
		}
		writeResponse(conn, resp)
	default:
		closeAll(files)
		writeResponse(conn, &response{Error: fmt.Sprintf("unknown request %q", req.Op)})
	}
}

// forkCommand starts the command of req with files as its stdin, stdout
// and stderr, in a session of its own (so it can be killed as a group).
// It runs on the init's locked main thread.
func forkCommand(req *request, files []*os.File) (int, error) {
	if len(req.Argv) == 0 {
		return 0, errors.New("empty command")
	}
	if len(files) != 3 {
		return 0, fmt.Errorf("got %d files, want stdin, stdout and stderr", len(files))
	}
	path, err := lookPath(req.Argv[0], req.Env)
	if err != nil {
		return 0, err
	}
	dir := req.Dir
	if dir == "" {
		dir = "/"
	}
	groups := make([]uint32, len(req.Groups))
	for i, g := range req.Groups {
		groups[i] = uint32(g)
	}
	attr := &syscall.ProcAttr{
		Dir:   dir,
		Env:   req.Env,
		Files: []uintptr{files[0].Fd(), files[1].Fd(), files[2].Fd()},
		Sys: &syscall.SysProcAttr{
			Setsid:     true,
			Credential: &syscall.Credential{Uid: uint32(req.UID), Gid: uint32(req.GID), Groups: groups},
		},
	}
	pid, err := syscall.ForkExec(path, req.Argv, attr)
	if err != nil {
		return 0, fmt.Errorf("%s: %s", req.Argv[0], strerror(err))
	}
	return pid, nil
}

// lookPath finds name as execvp(3) does, on the PATH of env.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", fmt.Errorf("%s: %s", name, strerror(err))
		}
		return name, nil
	}
	path := "/usr/bin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %s", name, strerror(syscall.ENOENT))
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return syscall.EACCES
	}
	return nil
}

// utsName is the part of a jail's host.hostname that Linux's UTS
// namespace holds: FreeBSD takes up to MAXHOSTNAMELEN-1 (255) bytes,
// Linux 64. jls reads the whole value from the jail's record; only what
// the jail's processes see of it is cut.
func utsName(h string) []byte {
	const linuxMax = 64
	if len(h) > linuxMax {
		h = h[:linuxMax]
	}
	return []byte(h)
}
