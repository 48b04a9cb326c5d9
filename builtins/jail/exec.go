package jail

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// Running commands in a jail (jexec(8)), in its root from the host
// (chroot(8)), reading its live parameters (jls(8)) and signalling its
// processes (pkill(1) -j): lifecycle.md §6 and §13.

func init() {
	register("exec", "jail.exec(j, argv, user=\"\", jail_user=\"\", log=False, check=True, clean=False) -> int\n\n"+
		"Runs argv in the running jail j: `[setfib FIB] jexec [-l] [-u USER|-U USER] ioc-UUID ARGV...`\n"+
		"(setfib when exec_fib is not 0; user is a host user, jail_user one of the\n"+
		"jail's; at most one of them; clean=True adds -l: a clean environment, as\n"+
		"the exec_clean property asks for exec_start and exec_stop). No shell:\n"+
		"argv passes as it is. Output goes\n"+
		"to the run's standard output and error, or with log=True is appended to\n"+
		"the console log /iocage/log/UUID-console.log; standard input is the run's.\n"+
		"Returns the exit status; with check=True a non-zero one is an error.", stExec)
	register("chroot", "jail.chroot(j, argv=[]) -> int\n\nRuns argv on the host chrooted into j's root (`chroot ROOT ARGV...`;\nthe jail need not run; no argv: chroot's default shell), with the run's\nstandard streams. Returns the exit status.", stChroot)
	register("runtime", "jail.runtime(j) -> list of str\n\nThe live parameters of the running jail j as \"param=value\" strings\n(`jls --libxo json -j ioc-UUID -n`; a value stays whole whatever it holds). Fails when it\nis not running.", stRuntime)
	register("jid", "jail.jid(j) -> int or None\n\nThe jid of j read now (`jls --libxo json -j ioc-UUID jid name`), None when it is not\nrunning. A jail value's jid attribute is what was read when it was listed.", stJID)
	register("kill", "jail.kill(j) -> bool\n\nSends SIGTERM to every process of the running jail j (`pkill -j JID`),\nwithout waiting, as a soft restart does. False when it had none.", stKill)
}

// fibOf is the jail's exec_fib as a number.
func fibOf(j *Jail) (int, error) {
	f := stProp(j, "exec_fib")
	n, err := strconv.Atoi(f)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("jail %s: exec_fib %q is not a FIB number", j.UUID, f)
	}
	return n, nil
}

// checkUser refuses a user name jexec would take for something else.
func checkUser(what, u string) error {
	if strings.HasPrefix(u, "-") {
		return fmt.Errorf("%s %q starts with '-'", what, u)
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f || r == ':' {
			return fmt.Errorf("%s %q has a space, control character or ':'", what, u)
		}
	}
	return nil
}

// JexecCmd builds the command that runs argv in the jail.
func JexecCmd(j *Jail, argv []string, user, jailUser string) (*runtime.Cmd, error) {
	return JexecCleanCmd(j, argv, user, jailUser, false)
}

// JexecCleanCmd is JexecCmd, with clean adding jexec's -l: the command
// gets a clean environment (HOME, SHELL, USER and PATH of the user's
// login class, TERM kept) as jail(8)'s exec.clean gives its commands.
func JexecCleanCmd(j *Jail, argv []string, user, jailUser string, clean bool) (*runtime.Cmd, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("no command to run in jail %s", j.UUID)
	}
	if user != "" && jailUser != "" {
		return nil, fmt.Errorf("give a host user (-u) or a jail user (-U), not both")
	}
	for _, u := range [][2]string{{"user", user}, {"jail user", jailUser}} {
		if err := checkUser(u[0], u[1]); err != nil {
			return nil, err
		}
	}
	fib, err := fibOf(j)
	if err != nil {
		return nil, err
	}
	var args []string
	if clean {
		args = append(args, "-l")
	}
	switch {
	case user != "":
		args = append(args, "-u", user)
	case jailUser != "":
		args = append(args, "-U", jailUser)
	}
	args = append(append(args, j.Name()), argv...)
	if fib > 0 {
		return &runtime.Cmd{Path: runtime.Setfib, Args: append([]string{strconv.Itoa(fib), runtime.Jexec}, args...), Change: true}, nil
	}
	return &runtime.Cmd{Path: runtime.Jexec, Args: args, Change: true}, nil
}

// exitOf is the exit status of a finished command, or the error that kept
// it from running.
func exitOf(res *runtime.Result, err error) (int, error) {
	var ee *runtime.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode, nil
	}
	if err != nil {
		return -1, err
	}
	return res.ExitCode, nil
}

func stExec(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var argl *starlark.List
	var user, jailUser string
	var log, clean bool
	check := true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "argv", &argl, "user?", &user, "jail_user?", &jailUser, "log?", &log, "check?", &check, "clean?", &clean); err != nil {
		return nil, err
	}
	if v.j.Default {
		return fail(b, fmt.Errorf("the defaults are not a jail"))
	}
	argv, err := stStrings(argl)
	if err != nil {
		return fail(b, fmt.Errorf("argv: %w", err))
	}
	c, err := JexecCleanCmd(v.j, argv, user, jailUser, clean)
	if err != nil {
		return fail(b, err)
	}
	r := thread.Get(t)
	c.Stdin, c.Stdout, c.Stderr = r.Stdin, r.Stdout, r.Stderr
	if log {
		if err := MakeLogDir(h); err != nil {
			return fail(b, err)
		}
		f, err := h.OpenAppend(ConsoleLog(v.j.UUID), 0o644)
		if err != nil {
			return fail(b, err)
		}
		defer f.Close()
		c.Stdin, c.Stdout, c.Stderr = nil, f, f
	}
	if c.Stdin == nil {
		c.Stdin = strings.NewReader("")
	}
	code, err := exitOf(h.Run(r.Ctx, c))
	if err != nil {
		return fail(b, err)
	}
	if check && code != 0 {
		where := ""
		if log {
			where = " (output in " + ConsoleLog(v.j.UUID) + ")"
		}
		return fail(b, fmt.Errorf("%s: exit %d%s", c.String(), code, where))
	}
	return starlark.MakeInt(code), nil
}

func stChroot(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var argl *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "argv?", &argl); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	argv, err := stStrings(argl)
	if err != nil {
		return fail(b, fmt.Errorf("argv: %w", err))
	}
	r := thread.Get(t)
	var stdin io.Reader = r.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	c := &runtime.Cmd{Path: runtime.Chroot, Args: append([]string{stRoot(v.j)}, argv...), Stdin: stdin, Stdout: r.Stdout, Stderr: r.Stderr, Change: true}
	code, err := exitOf(h.Run(r.Ctx, c))
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt(code), nil
}

func stRuntime(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	out, err := jlsOne(thread.Context(t), h, v.j.Name(), "-n")
	if err != nil {
		return fail(b, err)
	}
	var ps []string
	found := false
	if out != "" {
		if ps, found, err = RuntimeParams(out, v.j.Name()); err != nil {
			return fail(b, err)
		}
	}
	if !found {
		return fail(b, fmt.Errorf("jail %s (%s) is not running: %w", v.j.UUID, v.j.Tag, runtime.ErrNotExist))
	}
	return strings2list(ps), nil
}

// RuntimeParams reads the live parameters of the jail called name from
// `jls --libxo json -n` output, as "param=value" strings in jls's order
// (a boolean is "param" or its "no" form, as `jls -n` prints it). found
// is false when no such jail runs.
func RuntimeParams(out, name string) (params []string, found bool, err error) {
	return jlsParams(out, name)
}

func stJID(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	jid, err := JID(thread.Context(t), h, v.j.Name())
	if err != nil {
		return fail(b, err)
	}
	if jid == 0 {
		return starlark.None, nil
	}
	return starlark.MakeInt(jid), nil
}

func stKill(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	ctx := thread.Context(t)
	jid, err := JID(ctx, h, v.j.Name())
	if err != nil {
		return fail(b, err)
	}
	if jid == 0 {
		return fail(b, fmt.Errorf("jail %s (%s) is not running", v.j.UUID, v.j.Tag))
	}
	// pkill exits 1 when nothing matched: not a failure here.
	code, err := exitOf(h.Run(ctx, &runtime.Cmd{Path: runtime.Pkill, Args: []string{"-j", strconv.Itoa(jid)}, Change: true}))
	if err != nil {
		return fail(b, err)
	}
	if code > 1 {
		return fail(b, fmt.Errorf("pkill -j %d: exit %d", jid, code))
	}
	return starlark.Bool(code == 0), nil
}
