package jails

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// procStat reads the state letter and the start time (in clock ticks since
// boot) of pid from /proc. Together with the pid the start time names one
// process for good: a pid reused after a reboot or a crash has another.
func procStat(pid int) (state byte, start uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+2:]))
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return f[0][0], start, nil
}

// procLive reports whether pid runs and is not a zombie; when start is not
// zero it must also be the process that started then.
func procLive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, s, err := procStat(pid)
	if err != nil {
		return false
	}
	if st == 'Z' || st == 'X' {
		return false
	}
	return start == 0 || s == start
}

// pidNamespace names the PID namespace of pid.
func pidNamespace(pid int) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
}

// nsMembers lists the live processes in the PID namespace of the jail init
// initPID, the init itself excepted: the jail's processes.
func nsMembers(initPID int) []int {
	ns, err := pidNamespace(initPID)
	if err != nil {
		return nil
	}
	return model.Processes(func(pid int) bool {
		if pid == initPID {
			return false
		}
		n, err := pidNamespace(pid)
		return err == nil && n == ns && procLive(pid, 0)
	})
}

// procComm is the short command name of pid, as pkill matches it.
func procComm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

// procArgs is the full argument list of pid joined by spaces (pkill -f).
func procArgs(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
}

// waitGone polls until none of pids is live or d has passed, and reports
// whether they all went.
func waitGone(pids []int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		live := 0
		for _, p := range pids {
			if procLive(p, 0) {
				live++
			}
		}
		if live == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signalAll sends sig to every pid, ignoring processes that are gone.
func signalAll(pids []int, sig syscall.Signal) {
	for _, p := range pids {
		_ = syscall.Kill(p, sig)
	}
}
