package starlib

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pty is the controlling side of a pseudo-terminal whose other side is the
// REPL's terminal.
type pty struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	seen   int
}

func openPTY(t *testing.T) (*pty, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 100}); err != nil {
		t.Fatalf("pty size: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	p := &pty{t: t, master: m}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p, s
}

func (p *pty) send(s string) {
	p.t.Helper()
	if _, err := p.master.WriteString(s); err != nil {
		p.t.Fatalf("write to pty: %v", err)
	}
}

// expect waits for s in the output after what earlier expects consumed.
func (p *pty) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		out := p.out.String()
		if i := strings.Index(out[p.seen:], s); i >= 0 {
			p.seen += i + len(s)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.Fatalf("no %q in the terminal output after:\n%q", s, p.out.String()[p.seen:])
}

func TestREPLOnATerminal(t *testing.T) {
	p, slave := openPTY(t)
	defer p.master.Close()
	hist := filepath.Join(t.TempDir(), "state", "iocage", "history")
	if err := os.MkdirAll(filepath.Dir(hist), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hist, []byte("earlier = 99\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replHelperEnv+"="+hist)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()

	p.expect(">>> ")
	// History from earlier sessions: Up recalls the last line.
	p.send("\x1b[A\r")
	p.expect("earlier = 99")
	p.expect(">>> ")
	p.send("earlier + 1\r")
	p.expect("100")
	// Completion of an attribute: json.enc<TAB> extends to the common
	// prefix, a second Tab lists the candidates.
	p.send("json.enc\t")
	p.expect("json.encode")
	p.send("\t")
	p.expect("encode  encode_indent")
	p.send("(1)\r")
	p.expect(`"1"`)
	// Completion of a global: unique, so it adds the call parenthesis.
	p.send("stru\t")
	p.expect("struct(")
	p.send("a = 1)\r")
	p.expect("struct(a = 1)")
	// A multi-line block ends with an empty line.
	p.send("def inc(n):\r")
	p.expect("... ")
	p.send("    return n + 1\r")
	p.expect("... ")
	p.send("\r")
	p.expect(">>> ")
	p.send("inc(41)\r")
	p.expect("42")
	// help() prints docstrings.
	p.send("help(json.indent)\r")
	p.expect("re-indented")
	// Ctrl-C drops the line being typed...
	p.send("this is not starlark\x03")
	p.expect(">>> ")
	p.send("1 + 1\r")
	p.expect("2")
	// ...and cancels a running statement, returning to the prompt.
	p.send("def spin():\r    for i in range(1 << 62):\r        pass\r\r")
	p.expect(">>> ")
	p.send("spin()\r")
	time.Sleep(300 * time.Millisecond)
	p.send("\x03")
	p.expect("cancelled: interrupted (Ctrl-C)")
	p.expect(">>> ")
	p.send("inc(1)\r")
	p.expect("2")
	// Ctrl-D exits.
	p.send("\x04")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("repl exit: %v\n%s", err, p.out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("repl did not exit on Ctrl-D:\n%s", p.out.String())
	}
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"earlier + 1\n", "inc(41)\n", "spin()\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("history lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "this is not starlark") {
		t.Errorf("history kept a line dropped with Ctrl-C:\n%s", b)
	}
}
