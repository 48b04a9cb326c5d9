package runtime

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// killDelay is how long a cancelled program has between SIGTERM and
// SIGKILL: long enough for a jail's rc scripts or a zfs send to stop
// cleanly, short enough that a Ctrl-C is not ignored. Tests shorten it.
var killDelay = 5 * time.Second

// ExecLocal runs a program on this machine under the given local path,
// with the environment of this process plus c.Env, as RunProcess does.
func ExecLocal(ctx context.Context, localPath, dir string, c *Cmd) (int, error) {
	cmd := exec.Command(localPath, c.Args...)
	cmd.Args[0] = c.Path
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Dir = dir
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	return RunProcess(ctx, cmd)
}

// RunProcess starts cmd, waits for it and returns its exit status the way
// a shell reports it: the exit code, or 128+N when signal N ended it. The
// error is only for a program that could not be started or waited for.
//
// Cancelling ctx sends the program SIGTERM, then SIGKILL when it has not
// gone after a grace period, so a Ctrl-C reaches it the way it would from
// a terminal. cmd must come from exec.Command, not exec.CommandContext,
// whose cancellation is an immediate SIGKILL.
func RunProcess(ctx context.Context, cmd *exec.Cmd) (int, error) {
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	delay := killDelay
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(delay):
				_ = cmd.Process.Kill()
			}
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	if err == nil {
		return 0, nil
	}
	if code, ok := exitStatus(err); ok {
		return code, nil
	}
	return -1, err
}

// exitStatus maps the error of exec.Cmd's Run or Wait to the program's
// exit status as a shell reports it (128+N for signal N). ok is false
// when err is not about how the program ended.
func exitStatus(err error) (code int, ok bool) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 0, false
	}
	if ws, isWS := ee.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	return ee.ExitCode(), true
}
