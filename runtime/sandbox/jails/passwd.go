package jails

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// account is a passwd(5) entry with the groups the user is a member of.
type account struct {
	name     string
	uid, gid int
	home     string
	shell    string
	groups   []int
}

// lookupAccount finds a user by name (or, when name is empty, by uid) in
// the passwd and group files under root, a local directory: the host's or
// a jail's.
func lookupAccount(root, name string, uid int) (*account, error) {
	f, err := os.Open(root + "/etc/passwd")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var a *account
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fl := strings.Split(line, ":")
		if len(fl) < 7 {
			continue
		}
		u, err1 := strconv.Atoi(fl[2])
		g, err2 := strconv.Atoi(fl[3])
		if err1 != nil || err2 != nil {
			continue
		}
		if (name != "" && fl[0] == name) || (name == "" && u == uid) {
			a = &account{name: fl[0], uid: u, gid: g, home: fl[5], shell: fl[6]}
			break
		}
	}
	if a == nil {
		if name == "" {
			return nil, fmt.Errorf("unknown uid %d", uid)
		}
		return nil, fmt.Errorf("%s: no such user", name)
	}
	a.groups = []int{a.gid}
	if gf, err := os.Open(root + "/etc/group"); err == nil {
		defer gf.Close()
		sc := bufio.NewScanner(gf)
		for sc.Scan() {
			fl := strings.Split(sc.Text(), ":")
			if len(fl) < 4 {
				continue
			}
			g, err := strconv.Atoi(fl[2])
			if err != nil || g == a.gid {
				continue
			}
			for _, m := range strings.Split(fl[3], ",") {
				if m == a.name {
					a.groups = append(a.groups, g)
				}
			}
		}
	}
	return a, nil
}

// hostEnv is the environment a command inherits from the modelled program:
// this process's, with FreeBSD's PATH instead of the sandbox's, plus the
// extra variables of the run.
func hostEnv(extra []string) []string { return model.Environ(model.FreeBSDPath, extra...) }

// cleanEnv is the environment of a login as a: what jexec -l and
// exec.clean give.
func cleanEnv(a *account, env []string) []string {
	shell := a.shell
	if shell == "" {
		shell = "/bin/sh"
	}
	out := []string{"HOME=" + a.home, "SHELL=" + shell, "USER=" + a.name, "PATH=" + model.FreeBSDPath}
	for _, kv := range env {
		if strings.HasPrefix(kv, "TERM=") {
			out = append(out, kv)
		}
	}
	return out
}
