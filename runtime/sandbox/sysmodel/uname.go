package sysmodel

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

const unameUsage = "usage: uname [-abiKmnoprsUv]\n"

// env looks a variable up in the program's extra environment first, then
// in the process's own, as the program would see it.
func env(e *model.Env, name string) (string, bool) {
	for i := len(e.Environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e.Environ[i], name+"="); ok {
			return v, true
		}
	}
	return os.LookupEnv(name)
}

func runUname(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "abiKmnoprsUv")
	if !ok || len(args) > 0 {
		fmt.Fprint(e.Stderr, unameUsage)
		return 1
	}
	want := map[byte]bool{}
	for _, o := range opts {
		switch o.Flag {
		case 'a':
			for _, c := range "mnrsv" {
				want[byte(c)] = true
			}
		case 'o':
			want['s'] = true
		default:
			want[o.Flag] = true
		}
	}
	if len(want) == 0 {
		want['s'] = true
	}
	var hostname string
	_ = e.SB.Store.View(func(tx *model.Tx) error {
		hostname = sysctlValue(tx, e.SB, "kern.hostname")
		return nil
	})
	version := strings.Join(strings.Fields(kernVer), " ")
	fields := []struct {
		flag byte
		env  string
		val  string
	}{
		{'s', "UNAME_s", "FreeBSD"},
		{'n', "UNAME_n", hostname},
		{'r', "UNAME_r", osRelease},
		{'v', "UNAME_v", version},
		{'m', "UNAME_m", machine},
		{'p', "UNAME_p", machine},
		{'i', "UNAME_i", kernIdent},
		{'K', "UNAME_K", strconv.Itoa(osRelDate)},
		{'U', "UNAME_U", strconv.Itoa(osRelDate)},
		{'b', "UNAME_b", buildID},
	}
	var out []string
	for _, f := range fields {
		if !want[f.flag] {
			continue
		}
		v := f.val
		if o, ok := env(e, f.env); ok {
			v = o
		}
		out = append(out, v)
	}
	fmt.Fprintln(e.Stdout, strings.Join(out, " "))
	return 0
}

const freebsdVersionUsage = "usage: freebsd-version [-kru] [-j jail]\n"

var userlandRe = regexp.MustCompile(`(?m)^USERLAND_VERSION="([^"]+)"`)

// runFreebsdVersion is freebsd-version(1). Inside a jail (through jexec)
// -u reports the jail's own userland, read from its /bin/freebsd-version
// script as the real one would print its built-in string.
func runFreebsdVersion(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "kruj:")
	if !ok || len(args) > 0 {
		fmt.Fprint(e.Stderr, freebsdVersionUsage)
		return 1
	}
	var k, r, u bool
	var jails []string
	for _, o := range opts {
		switch o.Flag {
		case 'k':
			k = true
		case 'r':
			r = true
		case 'u':
			u = true
		case 'j':
			if o.Arg == "" {
				fmt.Fprintln(e.Stderr, "No arg for -j option")
				fmt.Fprint(e.Stderr, freebsdVersionUsage)
				return 1
			}
			jails = append(jails, o.Arg)
		}
	}
	if !k && !r && !u && len(jails) == 0 {
		u = true
	}
	if k {
		// The installed kernel is the running one: the sandbox has no
		// /boot/kernel to disagree.
		fmt.Fprintln(e.Stdout, osRelease)
	}
	if r {
		fmt.Fprintln(e.Stdout, osRelease)
	}
	if u {
		fmt.Fprintln(e.Stdout, userlandVersion(e))
	}
	for _, j := range jails {
		code, err := e.SB.Exec(e.Ctx, &runtime.Cmd{Path: runtime.Jexec, Args: []string{"--", j, "freebsd-version"},
			Env: e.Environ, Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr})
		if err != nil {
			return e.Errorf("%v", err)
		}
		if code != 0 {
			return code
		}
	}
	return 0
}

// userlandVersion is the host's userland, or the jail's when run in one.
func userlandVersion(e *model.Env) string {
	if e.Jail == "" {
		return osRelease
	}
	ji, ok := findJail(e, e.Jail)
	if !ok || ji.Path == "" {
		return osRelease
	}
	b, err := os.ReadFile(e.SB.Path(ji.Path + "/bin/freebsd-version"))
	if err != nil {
		return osRelease
	}
	if m := userlandRe.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return osRelease
}
