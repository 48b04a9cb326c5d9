package pkg

// Day-two pkg(8) work with arguments the user gives verbatim (`iocage pkg
// JAIL ARGS...`): the host's pkg attached to the running jail (`pkg -j
// ioc-UUID ARGS...`) or chrooted into a stopped jail's root (`pkg -c ROOT
// ARGS...`), and the checks that say, before pkg runs, why it could not
// reach a repository.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// localCommands are the pkg commands that need no repository: they read or
// change only what is installed (the package database and the files of
// installed packages) or pkg's own configuration. Every other command
// (install, upgrade, update, fetch, search, add, version, audit ...) may
// reach a repository and is checked first (CheckRemote).
var localCommands = map[string]bool{
	"annotate": true, "autoremove": true, "check": true, "clean": true, "config": true,
	"delete": true, "help": true, "info": true, "lock": true, "query": true,
	"remove": true, "set": true, "shlib": true, "unlock": true, "which": true,
}

// readOnlyCommands are the local commands that change nothing: dry-run
// runs them rather than printing them.
var readOnlyCommands = map[string]bool{
	"config": true, "help": true, "info": true, "query": true, "shlib": true, "which": true,
}

// pkgValueOpts are pkg(8)'s global options that take a value, short and
// long.
var pkgValueOpts = map[string]bool{
	"o": true, "j": true, "c": true, "r": true, "C": true, "R": true,
	"option": true, "jail": true, "chroot": true, "rootdir": true, "config": true, "repo-conf-dir": true,
}

// whereOpts say where pkg works; iocage gives the one that names the jail.
var whereOpts = map[string]bool{"j": true, "c": true, "r": true, "jail": true, "chroot": true, "rootdir": true}

// Command returns the pkg command args run ("install" of `-d install
// -y tree`; "" when args give only global options, as `-v`), skipping
// pkg(8)'s global options. Options that say where pkg works (-j, -c, -r
// and their long forms) are refused: iocage gives them.
func Command(args []string) (string, error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1], nil
			}
			return "", nil
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			if whereOpts[name] {
				return "", fmt.Errorf("pkg option %s: iocage says where pkg works (-j for a running jail, -c for a stopped one)", a)
			}
			if pkgValueOpts[name] && !hasValue {
				i++
			}
		case len(a) > 1 && a[0] == '-':
			// A cluster of short options; one taking a value takes the
			// rest of the word, or the next word.
			for k := 1; k < len(a); k++ {
				o := a[k : k+1]
				if whereOpts[o] {
					return "", fmt.Errorf("pkg option -%s: iocage says where pkg works (-j for a running jail, -c for a stopped one)", o)
				}
				if pkgValueOpts[o] {
					if k == len(a)-1 {
						i++
					}
					break
				}
			}
		default:
			return a, nil
		}
	}
	return "", nil
}

// Local reports whether pkg with args needs no repository (see
// localCommands); no command at all (`-v`, `-l`) is local.
func Local(args []string) (bool, error) {
	cmd, err := Command(args)
	if err != nil {
		return false, err
	}
	return cmd == "" || localCommands[cmd], nil
}

// RunArgv is the command line of the host's pkg with args on tg: attached
// to the running jail (`pkg -j ioc-UUID ARGS...`) or chrooted into the
// root (`pkg -c ROOT ARGS...`). Both are the host's pkg: the jail needs
// no pkg of its own.
func RunArgv(tg Target, args []string) []string {
	if tg.Jail != "" {
		return append([]string{"-j", tg.Jail}, args...)
	}
	return append([]string{"-c", tg.Root}, args...)
}

// Run runs the host's pkg with args on tg, with the given standard files,
// and returns its exit status. The arguments pass untouched; -j, -c and -r
// among pkg's global options are refused. A command that changes nothing
// (info, query ...) runs in dry-run too.
func Run(ctx context.Context, h *runtime.Host, tg Target, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd, err := Command(args)
	if err != nil {
		return 0, err
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	c := &runtime.Cmd{Path: runtime.Pkg, Args: RunArgv(tg, args), Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Change: cmd != "" && !readOnlyCommands[cmd]}
	res, err := h.Run(ctx, c)
	var ee *runtime.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode, nil
	}
	if err != nil {
		return 0, err
	}
	return res.ExitCode, nil
}

// RepoDirs are where pkg(8) reads repository configurations by default
// (pkg.conf(5)'s REPOS_DIR), relative to the root.
var RepoDirs = []string{"etc/pkg", "usr/local/etc/pkg/repos"}

// CheckRepositories refuses a root with no repository configuration: no
// *.conf file in any of RepoDirs, read inside the root (a directory that
// is a symlink leading out of it counts as none). A REPOS_DIR set in the
// jail's pkg.conf is not followed.
func CheckRepositories(h *runtime.Host, root string) error {
	r := h.InRoot(root)
	for _, d := range RepoDirs {
		ents, err := r.ReadDir(d)
		if err != nil {
			if errors.Is(err, runtime.ErrNotExist) || errors.Is(err, runtime.ErrUnsafe) {
				continue
			}
			return err
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".conf") {
				continue
			}
			if fi, err := r.Stat(d + "/" + e.Name()); err == nil && fi.Mode().IsRegular() {
				return nil
			}
		}
	}
	return fmt.Errorf("the jail has no pkg repository configured: no *.conf file in %s or %s "+
		"(a release's /etc/pkg/FreeBSD.conf names FreeBSD's)", r.Path(RepoDirs[0]), r.Path(RepoDirs[1]))
}

// CheckRemote refuses a root where pkg could not reach a repository: no
// nameserver in its resolv.conf (CheckResolver) or no repository
// configuration (CheckRepositories).
func CheckRemote(h *runtime.Host, root string) error {
	if err := CheckResolver(h, root); err != nil {
		return err
	}
	return CheckRepositories(h, root)
}

// strs reads what, a list or tuple of str.
func strs(what string, v starlark.Value) ([]string, error) {
	switch v.(type) {
	case *starlark.List, starlark.Tuple:
	default:
		return nil, fmt.Errorf("%s: got %s, want a list of str", what, v.Type())
	}
	it := starlark.Iterate(v)
	defer it.Done()
	var out []string
	var e starlark.Value
	for it.Next(&e) {
		s, ok := starlark.AsString(e)
		if !ok {
			return nil, fmt.Errorf("%s: element %d: got %s, want str", what, len(out), e.Type())
		}
		out = append(out, s)
	}
	return out, nil
}

func (m *module) run(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv, av starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "target", &tv, "args", &av); err != nil {
		return nil, err
	}
	tg, err := targetOf(tv)
	if err != nil {
		return fail(b, err)
	}
	pargs, err := strs("args", av)
	if err != nil {
		return fail(b, err)
	}
	r := thread.Get(t)
	code, err := Run(r.Ctx, m.host(t), tg, pargs, r.Stdin, r.Stdout, r.Stderr)
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt(code), nil
}

func (m *module) local(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var av starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "args", &av); err != nil {
		return nil, err
	}
	pargs, err := strs("args", av)
	if err != nil {
		return fail(b, err)
	}
	ok, err := Local(pargs)
	if err != nil {
		return fail(b, err)
	}
	return starlark.Bool(ok), nil
}

func (m *module) checkRemote(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "target", &tv); err != nil {
		return nil, err
	}
	tg, err := targetOf(tv)
	if err != nil {
		return fail(b, err)
	}
	if err := CheckRemote(m.host(t), tg.Root); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}
