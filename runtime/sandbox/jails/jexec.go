package jails

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

const jexecUsage = "jexec [-l] [-d working-directory] [-u username | -U username] jail [command ...]"

// findJail looks a running jail up by name or jid, with libjail's message
// when there is none.
func findJail(sb *model.Sandbox, key string) (*Record, error) {
	var rec *Record
	err := sb.Store.View(func(tx *model.Tx) error {
		rec, _ = Lookup(tx, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		if n, err := strconv.Atoi(key); err == nil && n > 0 {
			return nil, fmt.Errorf("jail %d not found", n)
		}
		return nil, fmt.Errorf("jail \"%s\" not found", key)
	}
	return rec, nil
}

// jexecMain is jexec(8): run a command in a running jail, as root or as a
// user of the host (-u) or of the jail (-U), with this program's standard
// files, so a terminal passes through.
func jexecMain(e *model.Env) int {
	opts, rest, ok := e.Getopt(e.Args, "d:lnu:U:")
	if !ok {
		return e.Usage(1, jexecUsage)
	}
	var dir, user string
	var login, hostUser, jailUser bool
	for _, o := range opts {
		switch o.Flag {
		case 'd':
			dir = o.Arg
		case 'l':
			login = true
		case 'u':
			user, hostUser = o.Arg, true
		case 'U':
			user, jailUser = o.Arg, true
		}
	}
	if len(rest) < 1 || (hostUser && jailUser) {
		return e.Usage(1, jexecUsage)
	}
	rec, err := findJail(e.SB, rest[0])
	if err != nil {
		return e.Errorf("%v", err)
	}
	argv := rest[1:]
	jailRoot := e.SB.Path(rec.Path)

	// The user's account: -u reads the host's passwd before entering the
	// jail, -U and the default (the caller, root) the jail's.
	var acct *account
	switch {
	case hostUser:
		acct, err = lookupAccount(e.SB.Root, user, 0)
	case jailUser:
		acct, err = lookupAccount(jailRoot, user, 0)
	case login || len(argv) == 0:
		acct, err = lookupAccount(jailRoot, "", 0)
		if err != nil && len(argv) > 0 {
			return e.Errorf("%v", err)
		}
		if err != nil {
			acct, err = &account{name: "root", home: "/root", shell: "/bin/sh"}, nil
		}
	}
	if err != nil {
		return e.Errorf("%v", err)
	}

	req := &request{Op: "exec", Env: hostEnv(e.Environ), Dir: "/"}
	if acct != nil && user != "" {
		req.UID, req.GID, req.Groups = acct.uid, acct.gid, acct.groups
	}
	if login {
		req.Env = cleanEnv(acct, req.Env)
		req.Dir = acct.home
	}
	if dir != "" {
		req.Dir = dir
	}
	if len(argv) == 0 {
		shell := acct.shell
		if shell == "" {
			shell = "/bin/sh"
		}
		argv = []string{shell, "-i"}
	}
	req.Argv = argv

	if prog, ok := jailAwareProg(jailRoot, argv[0]); ok {
		p, _ := model.Lookup(prog)
		return p(&model.Env{Ctx: e.Ctx, Prog: prog, Args: argv[1:], Environ: e.Environ, Dir: req.Dir,
			Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr, SB: e.SB, Jail: rec.Name})
	}
	resp, err := execIn(e.Ctx, rec.Socket, req, e.Stdin, e.Stdout, e.Stderr)
	if err != nil {
		if e.Ctx.Err() != nil {
			return 130
		}
		return e.Errorf("jail_attach(%d): %v", rec.JID, err)
	}
	if resp.Error != "" {
		return e.Errorf("execvp: %s", resp.Error)
	}
	return resp.code()
}

// jailAwareProg resolves name as the jail's execvp would (PATH
// /sbin:/bin:/usr/sbin:/usr/bin) and reports whether the program found is
// answered by its model in the jail's context.
func jailAwareProg(jailRoot, name string) (string, bool) {
	if strings.Contains(name, "/") {
		_, ok := model.Lookup(name)
		return name, ok && model.JailAware(name)
	}
	for _, d := range []string{"/sbin", "/bin", "/usr/sbin", "/usr/bin"} {
		p := d + "/" + name
		if _, ok := model.Lookup(p); ok && model.JailAware(p) {
			return p, true
		}
		if _, err := os.Stat(jailRoot + p); err == nil {
			return "", false
		}
	}
	return "", false
}
