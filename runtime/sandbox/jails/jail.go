package jails

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

func init() {
	model.Register(runtime.Jail, jailMain)
	model.Register(runtime.Jls, jlsMain)
	model.Register(runtime.Jexec, jexecMain)
	model.Register(runtime.Pkill, pkillMain)
	model.RegisterHelper("jailinit", initMain)
}

const jailUsage = `jail [-dhilqv] [-J jid_file] [-u username] [-U username]
            -[cmr] param=value ... [command=command ...]
       jail [-dqv] [-f file] -[cmr] [jail]
       jail [-qv] [-f file] -[rR] ['*' | jail ...]
       jail [-dhilqv] [-J jid_file] [-u username] [-U username]
            [-n jailname] [-s securelevel]
            path hostname [ip[,...]] command ...`

// defaultStopTimeout is jail(8)'s wait for processes after SIGTERM.
const defaultStopTimeout = 10 * time.Second

// jailTool is one run of jail(8). Jails given on the command line have no
// jail.conf name, so, as in jail(8), its messages carry no jail name.
type jailTool struct {
	e       *model.Env
	quiet   bool
	verbose bool
	iflag   bool
}

// errReported marks a failure whose message was already printed.
var errReported = errors.New("reported")

func (t *jailTool) warn(format string, a ...any) {
	fmt.Fprintf(t.e.Stderr, "jail: %s\n", fmt.Sprintf(format, a...))
}

func jailMain(e *model.Env) int {
	opts, rest, ok := e.Getopt(e.Args, "cdf:hiJ:lmn:p:qrRs:u:U:v")
	if !ok {
		return e.Usage(1, jailUsage)
	}
	t := &jailTool{e: e}
	var create, modify, remove bool
	ps := newParams()
	for _, o := range opts {
		switch o.Flag {
		case 'c':
			create = true
		case 'm':
			modify = true
		case 'r', 'R':
			remove = true
		case 'd':
			ps.add("allow.dying")
		case 'f':
			return e.Errorf("-f %s: jail.conf(5) files are not modelled by the sandbox; give the parameters on the command line", o.Arg)
		case 'J':
			return e.Errorf("-J %s: jid files are not modelled by the sandbox", o.Arg)
		case 'h':
			ps.add("ip_hostname")
		case 'i':
			t.iflag, t.quiet = true, true
		case 'l':
			ps.add("exec.clean")
		case 'n':
			ps.addValue("name", o.Arg, true)
		case 'q':
			t.quiet = true
		case 's':
			ps.addValue("securelevel", o.Arg, true)
		case 'u':
			ps.addValue("exec.jail_user", o.Arg, true)
			ps.add("exec.system_jail_user")
		case 'U':
			ps.addValue("exec.jail_user", o.Arg, true)
			ps.addValue("exec.system_jail_user", "false", true)
		case 'v':
			t.verbose = true
		}
	}
	switch {
	case !create && !modify && !remove:
		// The old fixed form: path hostname ip command...
		if len(rest) < 4 || !strings.HasPrefix(rest[0], "/") {
			return e.Usage(1, jailUsage)
		}
		ps.addValue("path", rest[0], true)
		ps.addValue("host.hostname", rest[1], true)
		if rest[2] != "" {
			for _, a := range strings.Split(rest[2], ",") {
				if strings.Contains(a, ":") {
					ps.addValue("ip6.addr", a, true)
				} else {
					ps.addValue("ip4.addr", a, true)
				}
			}
		}
		for _, a := range rest[3:] {
			ps.addValue("command", a, true)
		}
		return t.create(ps, false, false)
	case remove && !create && !modify:
		if len(rest) == 0 {
			return e.Usage(1, jailUsage)
		}
		for _, a := range rest {
			if strings.Contains(a, "=") {
				return e.Usage(1, jailUsage)
			}
		}
		return t.remove(rest)
	}
	if len(rest) == 0 || (len(rest) == 1 && !strings.Contains(rest[0], "=")) {
		return e.Errorf("jail.conf(5) files are not modelled by the sandbox; give the parameters on the command line")
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "command" || strings.HasPrefix(a, "command=") {
			if v, ok := strings.CutPrefix(a, "command="); ok {
				ps.addValue("command", v, true)
			}
			for _, c := range rest[i+1:] {
				ps.addValue("command", c, true)
			}
			break
		}
		ps.add(a)
	}
	if !create {
		return t.modifyCmd(ps)
	}
	return t.create(ps, modify, remove)
}

// spec is a validated jail -c/-m command line.
type spec struct {
	ps     *params
	kernel map[string]string // exported values of the kernel parameters given
	alias4 []*ifAddr
	alias6 []*ifAddr
	mounts []mountLine // the mount parameters, then the mount.fstab lines
}

type mountLine struct {
	param string // "mount" or "mount.fstab", for messages
	line  string
}

// buildSpec checks the parameters as jail(8) (check_intparams) and libjail
// (import_params) do, and returns their messages when they are wrong.
func buildSpec(sb *model.Sandbox, ps *params) (*spec, []string) {
	sp := &spec{ps: ps, kernel: map[string]string{}}
	var errs []string
	for _, p := range ps.list {
		if _, ok := internalParams[p.name]; ok {
			if err := checkInternal(p); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	// The kernel gets bare addresses; an interface (given before "|" or by
	// the interface parameter) means jail(8) also adds them as aliases.
	defIface, _ := ps.str("interface")
	stripped := map[string]*param{}
	for _, name := range []string{"ip4.addr", "ip6.addr"} {
		p := ps.get(name)
		if p == nil {
			continue
		}
		sp2 := &param{name: name}
		for _, v := range p.vals {
			k, a := splitAddr(v, defIface)
			sp2.vals = append(sp2.vals, k)
			switch {
			case a == nil:
			case name == "ip4.addr":
				sp.alias4 = append(sp.alias4, a)
			default:
				sp.alias6 = append(sp.alias6, a)
			}
		}
		stripped[name] = sp2
	}
	for _, v := range ps.commands("mount") {
		sp.mounts = append(sp.mounts, mountLine{"mount", v})
	}
	for _, f := range ps.commands("mount.fstab") {
		b, err := os.ReadFile(sb.Path(f))
		if err != nil {
			errs = append(errs, fmt.Sprintf("mount.fstab: %s: %s", f, strerror(err)))
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.IndexByte(l, '#'); i >= 0 {
				l = l[:i]
			}
			if strings.TrimSpace(l) != "" {
				sp.mounts = append(sp.mounts, mountLine{"mount.fstab", l})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, p := range ps.list {
		if _, ok := internalParams[p.name]; ok {
			continue
		}
		if s, ok := stripped[p.name]; ok {
			p = s
		}
		v, err := checkKernel(p)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		sp.kernel[p.name] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return sp, nil
}

// key is how jail(8) finds the jail: its jid when given, else its name.
func (sp *spec) key() string {
	if j, ok := sp.kernel["jid"]; ok && j != "0" {
		return j
	}
	return sp.kernel["name"]
}

func (t *jailTool) lookup(key string) *Record {
	if key == "" {
		return nil
	}
	var rec *Record
	_ = t.e.SB.Store.View(func(tx *model.Tx) error {
		rec, _ = Lookup(tx, key)
		return nil
	})
	return rec
}

// create runs jail -c (with -m: create or modify; with -r: restart).
func (t *jailTool) create(ps *params, orModify, restart bool) int {
	sp, errs := buildSpec(t.e.SB, ps)
	for _, m := range errs {
		t.warn("%s", m)
	}
	if len(errs) > 0 {
		return 1
	}
	if rec := t.lookup(sp.key()); rec != nil {
		switch {
		case orModify && !restart:
			return t.modify(sp, rec)
		case restart:
			if err := t.stop(rec, t.stopTimeout(ps)); err != nil {
				t.warn("%v", err)
				return 1
			}
		default:
			t.warn("\"%s\" already exists", sp.key())
			return 1
		}
	}
	return t.start(sp)
}

func (t *jailTool) stopTimeout(ps *params) time.Duration {
	if n, ok := ps.integer("stop.timeout"); ok {
		return time.Duration(n) * time.Second
	}
	return defaultStopTimeout
}

// start creates the jail in jail(8)'s order, undoing the earlier steps
// when one fails.
func (t *jailTool) start(sp *spec) int {
	e, ps := t.e, sp.ps
	var undo []func()
	rollback := func() int {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return 1
	}
	for _, a := range sp.alias4 {
		if t.run(sp, a.argv("inet", false)) != nil {
			return rollback()
		}
		undo = append(undo, func() { _ = t.run(sp, a.argv("inet", true)) })
	}
	for _, a := range sp.alias6 {
		if t.run(sp, a.argv("inet6", false)) != nil {
			return rollback()
		}
		undo = append(undo, func() { _ = t.run(sp, a.argv("inet6", true)) })
	}
	path := sp.kernel["path"]
	for _, m := range sp.mounts {
		up, down, err := t.mountArgv(sp, m)
		if err != nil {
			t.warn("%v", err)
			return rollback()
		}
		if up == nil {
			continue
		}
		if t.run(sp, up) != nil {
			return rollback()
		}
		undo = append(undo, func() { _ = t.run(sp, down) })
	}
	for _, fs := range []struct {
		param, dir string
		argv       []string
	}{
		{"mount.devfs", "/dev", []string{runtime.Mount, "-t", "devfs", "-oruleset=" + devfsRuleset(sp), "."}},
		{"mount.fdescfs", "/dev/fd", []string{runtime.Mount, "-t", "fdescfs", "."}},
		{"mount.procfs", "/proc", []string{runtime.Mount, "-t", "procfs", "."}},
	} {
		if !ps.boolean(fs.param) {
			continue
		}
		if path == "" {
			t.warn("%s: no jail root path defined", fs.param)
			return rollback()
		}
		dir := strings.TrimSuffix(path, "/") + fs.dir
		if err := t.checkPath(sp, fs.param, dir, false); err != nil {
			t.warn("%v", err)
			return rollback()
		}
		if t.run(sp, append(fs.argv, dir)) != nil {
			return rollback()
		}
		undo = append(undo, func() { _ = t.run(sp, []string{runtime.Umount, dir}) })
	}
	for _, c := range ps.commands("exec.prestart") {
		if t.runHost(sp, c) != nil {
			return rollback()
		}
	}

	persist := ps.boolean("persist")
	tempPersist := !persist && (ps.get("exec.start") != nil || ps.get("command") != nil || ps.get("exec.poststart") != nil)
	rec, err := t.createJail(sp, persist || tempPersist)
	if err != nil {
		if !errors.Is(err, errReported) {
			t.warn("%v", err)
		}
		return rollback()
	}
	undo = append(undo, func() {
		_ = rec.kill(0)
		_ = t.forget(rec)
	})
	if t.verbose {
		fmt.Fprintln(e.Stdout, "created")
	}

	for _, c := range ps.commands("exec.created") {
		if t.runHost(sp, c) != nil {
			return rollback()
		}
	}
	for _, ifc := range ps.commands("vnet.interface") {
		target := rec.Name
		if j, ok := sp.kernel["jid"]; ok {
			target = j
		}
		if t.run(sp, []string{runtime.Ifconfig, ifc, "vnet", target}) != nil {
			return rollback()
		}
		undo = append(undo, func() { _ = t.run(sp, []string{runtime.Ifconfig, ifc, "-vnet", target}) })
	}
	for _, c := range ps.commands("exec.start") {
		if t.runJail(sp, rec, shellArgv(c)) != nil {
			return rollback()
		}
	}
	if cmd := ps.commands("command"); len(cmd) > 0 {
		// Without a jail.conf name, command= runs as the argument vector.
		if t.runJail(sp, rec, cmd) != nil {
			return rollback()
		}
	}
	for _, c := range ps.commands("exec.poststart") {
		if t.runHost(sp, c) != nil {
			return rollback()
		}
	}
	if tempPersist {
		// As jail(8), drop the persist it set for the commands: a jail
		// with no process left now goes away.
		_ = control(rec.Socket, &request{Op: "persist", Persist: false})
	}
	if t.iflag {
		fmt.Fprintln(e.Stdout, rec.JID)
	}
	return 0
}

func devfsRuleset(sp *spec) string {
	if r, ok := sp.kernel["devfs_ruleset"]; ok {
		return r
	}
	return "4" // devfsrules_jail
}

// argv is the ifconfig command that adds (or removes) the alias, as jail(8)
// builds it.
func (a *ifAddr) argv(family string, down bool) []string {
	argv := []string{runtime.Ifconfig, a.iface, family}
	addr, mask, hasMask := strings.Cut(a.addr, "/")
	switch {
	case family == "inet6":
		argv = append(argv, a.addr)
		if !hasMask {
			argv = append(argv, "prefixlen", "128")
		}
	case !hasMask:
		argv = append(argv, addr, "netmask", "255.255.255.255")
	case strings.Contains(mask, "."):
		argv = append(argv, addr, "netmask", mask)
	default:
		argv = append(argv, a.addr)
	}
	if down {
		return append(argv, "-alias")
	}
	return append(append(argv, a.extra...), "alias")
}

// mountArgv turns an fstab line into jail(8)'s mount and umount commands.
func (t *jailTool) mountArgv(sp *spec, m mountLine) (up, down []string, err error) {
	f := strings.Fields(m.line)
	if len(f) == 0 {
		return nil, nil, nil
	}
	if len(f) < 3 {
		return nil, nil, fmt.Errorf("%s: %s: missing information", m.param, m.line)
	}
	if err := t.checkPath(sp, m.param, f[1], false); err != nil {
		return nil, nil, err
	}
	up = []string{runtime.Mount, "-t", f[2]}
	if len(f) >= 4 {
		up = append(up, "-o", f[3])
	}
	up = append(up, f[0], f[1])
	return up, []string{runtime.Umount, "-t", f[2], f[1]}, nil
}

// checkPath is jail(8)'s check_path: an absolute path, and no symbolic
// link below the jail's path (a jail could point it anywhere on the host).
func (t *jailTool) checkPath(sp *spec, pname, p string, isFile bool) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%s: %s: not an absolute pathname", pname, p)
	}
	jp := sp.kernel["path"]
	if jp == "" || !strings.HasPrefix(p, strings.TrimSuffix(jp, "/")+"/") {
		return nil
	}
	rel := strings.TrimPrefix(p, strings.TrimSuffix(jp, "/"))
	cur := strings.TrimSuffix(jp, "/")
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	for i, c := range parts {
		cur += "/" + c
		fi, err := os.Lstat(t.e.SB.Path(cur))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && isFile && i == len(parts)-1 {
				return nil
			}
			return fmt.Errorf("%s: %s: %s", pname, cur, strerror(err))
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s: %s is a symbolic link", pname, cur)
		}
	}
	return nil
}

// shellMeta are the characters that make jail(8) hand a command to sh -c.
const shellMeta = "!\"$&'()*;<>?[\\]`{|}~"

// shellArgv is how jail(8) runs an exec.* string: through /bin/sh -c when
// it has shell syntax, else split on white space.
func shellArgv(cmd string) []string {
	if strings.ContainsAny(cmd, shellMeta) {
		return []string{"/bin/sh", "-c", cmd}
	}
	return strings.Fields(cmd)
}

func (t *jailTool) timeoutCtx(sp *spec) (context.Context, context.CancelFunc) {
	if n, ok := sp.ps.integer("exec.timeout"); ok && n > 0 {
		return context.WithTimeout(t.e.Ctx, time.Duration(n)*time.Second)
	}
	return context.WithCancel(t.e.Ctx)
}

// run runs a host program (mount, ifconfig) by its absolute path.
func (t *jailTool) run(sp *spec, argv []string) error {
	return t.runArgv(sp, argv, &runtime.Cmd{Path: argv[0], Args: argv[1:]})
}

// runHost runs an exec.* command in the host environment. The sandbox
// needs absolute paths, so it always goes through /bin/sh, which splits
// and searches PATH as jail(8)'s execvp would; messages show jail(8)'s
// command line.
func (t *jailTool) runHost(sp *spec, cmd string) error {
	return t.runArgv(sp, shellArgv(cmd), &runtime.Cmd{Path: "/bin/sh", Args: []string{"-c", cmd}, Env: hostEnv(t.e.Environ)})
}

func (t *jailTool) runArgv(sp *spec, argv []string, c *runtime.Cmd) error {
	comline := strings.Join(argv, " ")
	if t.verbose {
		fmt.Fprintf(t.e.Stdout, "run command: %s\n", comline)
	}
	ctx, cancel := t.timeoutCtx(sp)
	defer cancel()
	c.Stdin, c.Stdout, c.Stderr = t.e.Stdin, t.e.Stdout, t.e.Stderr
	code, err := t.e.SB.Exec(ctx, c)
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		t.warn("%s: timed out", comline)
		return errReported
	case err != nil:
		t.warn("exec %s: %v", argv[0], err)
		return errReported
	case code > 128:
		t.warn("%s: exited on signal %d", comline, code-128)
		return errReported
	case code != 0:
		t.warn("%s: failed", comline)
		return errReported
	}
	return nil
}

// runJail runs a command inside the jail (exec.start, command), as the
// exec.jail_user when one is set, with output to exec.consolelog when set.
func (t *jailTool) runJail(sp *spec, rec *Record, argv []string) error {
	if len(argv) == 0 {
		return nil
	}
	ps := sp.ps
	comline := strings.Join(argv, " ")
	req := &request{Op: "exec", Argv: argv, Env: hostEnv(t.e.Environ)}
	user, _ := ps.str("exec.jail_user")
	clean := ps.boolean("exec.clean")
	if user != "" || clean {
		root := t.e.SB.Path(rec.Path)
		if ps.boolean("exec.system_jail_user") {
			root = t.e.SB.Root
		}
		a, err := lookupAccount(root, user, 0)
		if err != nil {
			t.warn("%v", err)
			return errReported
		}
		if user != "" {
			req.UID, req.GID, req.Groups = a.uid, a.gid, a.groups
		}
		if clean {
			req.Env, req.Dir = cleanEnv(a, req.Env), a.home
		}
	}
	if t.verbose {
		as := ""
		if user != "" {
			as = " as " + user
		}
		fmt.Fprintf(t.e.Stdout, "run command in jail%s: %s\n", as, comline)
	}
	stdout, stderr := t.e.Stdout, t.e.Stderr
	if log, ok := ps.str("exec.consolelog"); ok && log != "" {
		if err := t.checkPath(sp, "exec.consolelog", log, true); err != nil {
			t.warn("%v", err)
			return errReported
		}
		f, err := os.OpenFile(t.e.SB.Path(log), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
		if err != nil {
			t.warn("open %s: %s", log, strerror(err))
			return errReported
		}
		defer f.Close()
		stdout, stderr = f, f
	}
	ctx, cancel := t.timeoutCtx(sp)
	defer cancel()
	resp, err := execIn(ctx, rec.Socket, req, t.e.Stdin, stdout, stderr)
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		t.warn("%s: timed out", comline)
		return errReported
	case err != nil:
		t.warn("jail_attach: %v", err)
		return errReported
	case resp.Error != "":
		t.warn("exec %s", resp.Error)
		t.warn("%s: failed", comline)
		return errReported
	case resp.Signal != 0:
		t.warn("%s: exited on signal %d", comline, resp.Signal)
		return errReported
	case resp.Status != 0:
		t.warn("%s: failed", comline)
		return errReported
	}
	return nil
}

// hostHostname is the modelled host's hostname, which a jail without
// host.hostname inherits.
func hostHostname(sb *model.Sandbox) string {
	b, err := os.ReadFile(sb.Path("/etc/rc.conf"))
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "hostname="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return "sandbox.local"
}

// createJail is the kernel's jail_set(JAIL_CREATE): check what the kernel
// checks, pick the jid, start the init and record the jail.
func (t *jailTool) createJail(sp *spec, persist bool) (*Record, error) {
	sb := t.e.SB
	path := sp.kernel["path"]
	if path == "" {
		path = "/"
	}
	fi, err := os.Stat(sb.Path(path))
	switch {
	case err != nil:
		return nil, fmt.Errorf("path %s: %s", path, strerror(err))
	case !fi.IsDir():
		return nil, fmt.Errorf("path %s: %s", path, strerror(syscall.ENOTDIR))
	}
	if err := os.MkdirAll(filepath.Join(sb.Dir, "jails"), 0o700); err != nil {
		return nil, err
	}
	var rec *Record
	err = sb.Store.Update(func(tx *model.Tx) error {
		recs, err := prune(tx)
		if err != nil {
			return err
		}
		jid := 0
		if j, ok := sp.kernel["jid"]; ok {
			jid, _ = strconv.Atoi(j)
		}
		name, hasName := sp.kernel["name"]
		for _, r := range recs {
			if jid != 0 && r.JID == jid {
				return fmt.Errorf("jail %d already exists", jid)
			}
			if hasName && r.Name == name {
				return fmt.Errorf("\"%s\" already exists", name)
			}
		}
		if jid == 0 {
			jid = freeJID(recs)
		}
		if !hasName || name == "" {
			name = strconv.Itoa(jid)
		}
		if n, err := strconv.Atoi(name); err == nil && n != jid {
			return errors.New("name cannot be numeric (unless it is the jid)")
		}
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			return fmt.Errorf("jail \"%s\" not found", name[:i])
		}
		rec = newRecord(sb, sp, jid, name, path)
		cfg := &initConfig{
			Root:     sb.Path(path),
			Socket:   rec.Socket,
			Hostname: rec.Hostname,
			Persist:  persist,
			Drop:     dropCaps(rec.Params["allow.raw_sockets"] == "true"),
		}
		pid, start, err := startInit(sb, cfg, logPath(sb, jid))
		if err != nil {
			return err
		}
		rec.InitPID, rec.InitStart = pid, start
		return tx.Put(section, append(recs, rec))
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func logPath(sb *model.Sandbox, jid int) string {
	return filepath.Join(sb.Dir, "jails", fmt.Sprintf("%d.log", jid))
}

// newRecord computes every kernel parameter of a new jail: the defaults,
// what was given, and what the kernel derives.
func newRecord(sb *model.Sandbox, sp *spec, jid int, name, path string) *Record {
	v := map[string]string{}
	for n, k := range kernelParams {
		v[n] = k.def
	}
	v["host.hostname"] = hostHostname(sb)
	given := sp.kernel
	if given["ip4.addr"] != "" && given["ip4"] == "" {
		v["ip4"] = "new"
	}
	if given["ip6.addr"] != "" && given["ip6"] == "" {
		v["ip6"] = "new"
	}
	if given["allow.sysvipc"] == "true" {
		v["sysvmsg"], v["sysvsem"], v["sysvshm"] = "inherit", "inherit", "inherit"
	}
	for n, val := range given {
		v[n] = val
	}
	v["jid"], v["name"], v["path"] = strconv.Itoa(jid), name, path
	v["cpuset.id"] = strconv.Itoa(jid + 1)
	r := &Record{
		JID:      jid,
		Name:     name,
		Path:     path,
		Hostname: v["host.hostname"],
		Params:   v,
		VNet:     v["vnet"] == "new",
		Socket:   filepath.Join(sb.Dir, "jails", strconv.Itoa(jid)+".sock"),
	}
	if v["ip4.addr"] != "" {
		r.IP4 = strings.Split(v["ip4.addr"], ",")
	}
	if v["ip6.addr"] != "" {
		r.IP6 = strings.Split(v["ip6.addr"], ",")
	}
	return r
}

// forget drops rec from the state and tells the other models.
func (t *jailTool) forget(rec *Record) error {
	err := t.e.SB.Store.Update(func(tx *model.Tx) error {
		recs, err := readAll(tx)
		if err != nil {
			return err
		}
		var keep []*Record
		for _, r := range recs {
			if r.JID == rec.JID && r.InitPID == rec.InitPID {
				continue
			}
			keep = append(keep, r)
		}
		if err := tx.Put(section, keep); err != nil {
			return err
		}
		return model.JailRemoved(tx, rec.Name, rec.JID)
	})
	_ = os.Remove(logPath(t.e.SB, rec.JID))
	return err
}

// stop removes a running jail: its processes, then the jail.
func (t *jailTool) stop(rec *Record, timeout time.Duration) error {
	if err := rec.kill(timeout); err != nil {
		return err
	}
	return t.forget(rec)
}

// remove is jail -r: with no jail.conf, jail(8) knows nothing of the
// pseudo-parameters the jail was created with, so no exec.stop runs and
// nothing is unmounted; the processes get SIGTERM, then the jail goes.
func (t *jailTool) remove(targets []string) int {
	note := len(targets) > 1
	status := 0
	for _, target := range targets {
		wild := wildName(target)
		note = note || wild
		var recs []*Record
		err := t.e.SB.Store.Update(func(tx *model.Tx) error {
			live, err := prune(tx)
			for _, r := range live {
				if (wild && wildMatch(r.Name, target)) || r.Name == target || strconv.Itoa(r.JID) == target {
					recs = append(recs, r)
				}
			}
			return err
		})
		if err != nil {
			t.warn("%v", err)
			status = 1
			continue
		}
		if len(recs) == 0 && !wild {
			t.warn("\"%s\" not found", target)
			status = 1
			continue
		}
		for _, r := range recs {
			if err := t.stop(r, defaultStopTimeout); err != nil {
				t.warn("%s: %v", r.Name, err)
				status = 1
				continue
			}
			if !t.quiet && (note || t.verbose) {
				// jail(8) names the jail as it was given, unless by a wildcard.
				shown := target
				if wild {
					shown = r.Name
				}
				fmt.Fprintf(t.e.Stdout, "%s: removed\n", shown)
			}
		}
	}
	return status
}

// wildName reports whether a jail -r argument is a wildcard ("*", "foo.*").
func wildName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' && (i == 0 || s[i-1] == '.') && (i+1 == len(s) || s[i+1] == '.') {
			return true
		}
	}
	return false
}

func wildMatch(name, wild string) bool {
	if wild == "*" {
		return true
	}
	prefix := strings.TrimSuffix(wild, "*")
	return strings.HasPrefix(name, prefix)
}

// modifyCmd is jail -m.
func (t *jailTool) modifyCmd(ps *params) int {
	sp, errs := buildSpec(t.e.SB, ps)
	for _, m := range errs {
		t.warn("%s", m)
	}
	if len(errs) > 0 {
		return 1
	}
	key := sp.key()
	if key == "" {
		t.warn("no jail specified")
		return 1
	}
	rec := t.lookup(key)
	if rec == nil {
		t.warn("\"%s\" not found", key)
		return 1
	}
	return t.modify(sp, rec)
}

// modify changes the parameters of a running jail; those fixed at creation
// may not change.
func (t *jailTool) modify(sp *spec, rec *Record) int {
	for _, n := range kernelParamNames() {
		v, ok := sp.kernel[n]
		if ok && kernelParams[n].createOnly && n != "jid" && v != rec.Params[n] {
			t.warn("%s cannot be changed after creation", n)
			return 1
		}
	}
	var updated *Record
	err := t.e.SB.Store.Update(func(tx *model.Tx) error {
		recs, err := readAll(tx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.JID != rec.JID || r.InitPID != rec.InitPID {
				continue
			}
			for n, v := range sp.kernel {
				r.Params[n] = v
			}
			r.Hostname, r.Name = r.Params["host.hostname"], r.Params["name"]
			if r.Params["ip4.addr"] != "" {
				r.IP4 = strings.Split(r.Params["ip4.addr"], ",")
			}
			if r.Params["ip6.addr"] != "" {
				r.IP6 = strings.Split(r.Params["ip6.addr"], ",")
			}
			updated = r
		}
		if updated == nil {
			return fmt.Errorf("\"%s\" not found", rec.Name)
		}
		return tx.Put(section, recs)
	})
	if err != nil {
		t.warn("%v", err)
		return 1
	}
	if _, ok := sp.kernel["host.hostname"]; ok {
		if err := control(updated.Socket, &request{Op: "hostname", Hostname: updated.Hostname}); err != nil {
			t.warn("host.hostname: %v", err)
			return 1
		}
	}
	if p, ok := sp.kernel["persist"]; ok {
		if err := control(updated.Socket, &request{Op: "persist", Persist: p == "true"}); err != nil {
			t.warn("persist: %v", err)
			return 1
		}
	}
	if t.verbose {
		fmt.Fprintln(t.e.Stdout, "updated")
	}
	return 0
}
