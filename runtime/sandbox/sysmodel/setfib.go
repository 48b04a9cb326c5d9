package sysmodel

import (
	"fmt"
	"strconv"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

const setfibUsage = "usage: setfib [-[F]]value command\n"

// runSetfib is setfib(1): check the FIB against net.fibs, then run the
// command (modelled or real) with the caller's stdio. The sandbox has one
// routing table, so the only valid FIB, 0, changes nothing.
func runSetfib(e *model.Env) int {
	var numfibs int
	_ = e.SB.Store.View(func(tx *model.Tx) error {
		numfibs, _ = strconv.Atoi(sysctlValue(tx, e.SB, "net.fibs"))
		return nil
	})
	if numfibs < 1 {
		numfibs = 1
	}
	args := append([]string(nil), e.Args...)
	if len(args) < 1 {
		fmt.Fprint(e.Stderr, setfibUsage)
		return 1
	}
	// setfib N and setfib -N mean setfib -FN.
	first := args[0]
	if len(first) > 1 && first[0] == '-' && first[1] >= '0' && first[1] <= '9' {
		first = first[1:]
	}
	if first != "" && first[0] >= '0' && first[0] <= '9' {
		args[0] = "-F" + first
	}
	opts, rest, ok := e.Getopt(args, "F:")
	if !ok {
		fmt.Fprint(e.Stderr, setfibUsage)
		return 1
	}
	for _, o := range opts {
		fib, err := strconv.ParseInt(o.Arg, 10, 64)
		if err != nil || fib < 0 || fib >= int64(numfibs) {
			return e.Errorf("%s: invalid FIB (max %d)", o.Arg, numfibs-1)
		}
	}
	if len(rest) == 0 {
		fmt.Fprint(e.Stderr, setfibUsage)
		return 1
	}
	prog, found := lookPath(e, rest[0])
	if !found {
		e.Errorf("%s: No such file or directory", rest[0])
		return 127
	}
	code, err := e.SB.Exec(e.Ctx, &runtime.Cmd{Path: prog, Args: rest[1:], Env: e.Environ, Dir: e.Dir,
		Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr})
	if err != nil {
		e.Errorf("%s: %v", rest[0], err)
		return 126
	}
	return code
}
