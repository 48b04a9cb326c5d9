package runtime

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ExecLocal runs a program on this machine under the given local path,
// with the environment of this process plus c.Env. Cancelling ctx sends
// SIGTERM, then SIGKILL after a grace period, so a Ctrl-C reaches the
// program the way it would from a terminal.
func ExecLocal(ctx context.Context, localPath, dir string, c *Cmd) (int, error) {
	cmd := exec.Command(localPath, c.Args...)
	cmd.Args[0] = c.Path
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Dir = dir
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
			}
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal()), nil
			}
			return ee.ExitCode(), nil
		}
		return -1, err
	}
	return 0, nil
}
