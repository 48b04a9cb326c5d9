package runtime

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestRunProcessReportsStatusAsAShellDoes(t *testing.T) {
	for _, c := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"kill -USR1 $$", 128 + int(syscall.SIGUSR1)},
	} {
		code, err := RunProcess(context.Background(), exec.Command("/bin/sh", "-c", c.script))
		if err != nil || code != c.want {
			t.Errorf("sh -c %q: got %d, %v; want %d, nil", c.script, code, err, c.want)
		}
	}
}

func TestRunProcessFailsToStartWithAnError(t *testing.T) {
	code, err := RunProcess(context.Background(), exec.Command("/nonexistent/program"))
	if err == nil || code != -1 {
		t.Errorf("got %d, %v; want -1 and an error", code, err)
	}
}

// startReady runs script under RunProcess in the background once it has
// printed "ready", so the test cancels only after the script's traps are
// set.
func startReady(t *testing.T, ctx context.Context, script string) <-chan int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdout = w
	result := make(chan int, 1)
	go func() {
		// Closed only when the script is gone: Start reads it.
		defer w.Close()
		code, err := RunProcess(ctx, cmd)
		if err != nil {
			t.Errorf("RunProcess: %v", err)
		}
		result <- code
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("script said %q, %v; want ready", line, err)
	}
	return result
}

func TestRunProcessCancelSendsSIGTERMFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	// The trap proves the program saw SIGTERM and could clean up: it exits
	// with its own status, not by the signal.
	result := startReady(t, ctx, `trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	cancel()
	select {
	case code := <-result:
		if code != 7 {
			t.Errorf("exit status %d, want 7 from the TERM trap", code)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("program still running 3s after cancel")
	}
}

func TestRunProcessCancelKillsWhatIgnoresSIGTERM(t *testing.T) {
	old := killDelay
	killDelay = 200 * time.Millisecond
	defer func() { killDelay = old }()
	ctx, cancel := context.WithCancel(context.Background())
	result := startReady(t, ctx, `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	start := time.Now()
	cancel()
	select {
	case code := <-result:
		if code != 128+int(syscall.SIGKILL) {
			t.Errorf("exit status %d, want %d (SIGKILL)", code, 128+int(syscall.SIGKILL))
		}
		if d := time.Since(start); d < killDelay {
			t.Errorf("killed after %v, before the %v grace period", d, killDelay)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("program still running 3s after cancel")
	}
}
