package jails

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const pkillUsage = "pkill [-signal] [-ILfilnovx] [-F pidfile] [-G gid]\n             [-M core] [-N system]\n             [-P ppid] [-U uid] [-c class] [-g pgrp] [-j jid]\n             [-s sid] [-t tty] [-u euid] pattern ..."

var signals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "ILL": syscall.SIGILL,
	"TRAP": syscall.SIGTRAP, "ABRT": syscall.SIGABRT, "FPE": syscall.SIGFPE, "KILL": syscall.SIGKILL,
	"BUS": syscall.SIGBUS, "SEGV": syscall.SIGSEGV, "SYS": syscall.SIGSYS, "PIPE": syscall.SIGPIPE,
	"ALRM": syscall.SIGALRM, "TERM": syscall.SIGTERM, "URG": syscall.SIGURG, "STOP": syscall.SIGSTOP,
	"TSTP": syscall.SIGTSTP, "CONT": syscall.SIGCONT, "CHLD": syscall.SIGCHLD, "TTIN": syscall.SIGTTIN,
	"TTOU": syscall.SIGTTOU, "IO": syscall.SIGIO, "XCPU": syscall.SIGXCPU, "XFSZ": syscall.SIGXFSZ,
	"VTALRM": syscall.SIGVTALRM, "PROF": syscall.SIGPROF, "WINCH": syscall.SIGWINCH,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
}

// pkillMain is pkill(1) for the processes of jails (-j). Exit status: 0
// when a process matched, 1 when none did, 2 for a usage error, 3 for a
// fatal one.
func pkillMain(e *model.Env) int {
	args := e.Args
	sig := syscall.SIGTERM
	if len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		s := args[0][1:]
		if n, err := strconv.Atoi(s); err == nil {
			sig, args = syscall.Signal(n), args[1:]
		} else if v, ok := signals[strings.TrimPrefix(strings.ToUpper(s), "SIG")]; ok {
			sig, args = v, args[1:]
		}
	}
	opts, patterns, ok := e.Getopt(args, "DF:G:ILM:N:P:SU:ac:fg:ij:lnoqs:t:u:vx")
	if !ok {
		return e.Usage(2, pkillUsage)
	}
	var jails []string
	var full, exact, icase, list, inverse bool
	for _, o := range opts {
		switch o.Flag {
		case 'j':
			jails = append(jails, strings.Split(o.Arg, ",")...)
		case 'f':
			full = true
		case 'x':
			exact = true
		case 'i':
			icase = true
		case 'l':
			list = true
		case 'v':
			inverse = true
		default:
			fmt.Fprintf(e.Stderr, "pkill: -%c is not modelled by the sandbox (only -j, -f, -i, -l, -v, -x)\n", o.Flag)
			return 3
		}
	}
	if len(jails) == 0 {
		fmt.Fprintln(e.Stderr, "pkill: the sandbox models pkill for jailed processes only (-j)")
		return 3
	}
	var res []*regexp.Regexp
	for _, p := range patterns {
		if exact {
			p = "^(" + p + ")$"
		}
		if icase {
			p = "(?i)" + p
		}
		re, err := regexp.Compile(p)
		if err != nil {
			fmt.Fprintf(e.Stderr, "pkill: Cannot compile regular expression `%s' (%v)\n", p, err)
			return 2
		}
		res = append(res, re)
	}
	var recs []*Record
	err := e.SB.Store.View(func(tx *model.Tx) error {
		for _, j := range jails {
			if j == "any" {
				recs = append(recs, List(tx)...)
				continue
			}
			r, ok := Lookup(tx, j)
			if !ok {
				return fmt.Errorf("Invalid jail ID `%s'", j)
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(e.Stderr, "pkill: %v\n", err)
		return 2
	}
	matched := 0
	for _, r := range recs {
		for _, pid := range r.Processes() {
			subject := procComm(pid)
			if full {
				subject = procArgs(pid)
			}
			ok := len(res) == 0
			for _, re := range res {
				ok = ok || re.MatchString(subject)
			}
			if ok == inverse && len(res) > 0 {
				continue
			}
			if err := syscall.Kill(pid, sig); err != nil {
				fmt.Fprintf(e.Stderr, "pkill: signalling pid %d: %s\n", pid, strerror(err))
				continue
			}
			matched++
			if list {
				fmt.Fprintf(e.Stdout, "%d %s\n", pid, subject)
			}
		}
	}
	if matched == 0 {
		return 1
	}
	return 0
}
