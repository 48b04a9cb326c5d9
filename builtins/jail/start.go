package jail

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// The units of host work of start and stop (lifecycle.md §4, §5): the
// generated fstab, procfs, the jail(8) parameters and the jail itself,
// the unmounting that a bare `jail -r` leaves to its caller, and the
// host-side hooks. Each change pushes its inverse on the run's undo log.

// FstabDir holds the fstab files generated at start, one per jail. It is
// root's alone (mode 0700, checked before use: runtime.Host.PrivateDir):
// whoever can write there decides what root mounts at the next start and
// unmounts at the next stop. The shell iocage used /tmp/iocage.
const FstabDir = "/var/run/iocage"

// FstabPath is the fstab generated for the jail with this UUID.
func FstabPath(uuid string) string { return FstabDir + "/fstab." + uuid }

// ConsoleLog is the jail's console log: jail(8)'s exec.consolelog, and
// where iocage appends the output of exec_start and exec_stop.
func ConsoleLog(uuid string) string { return Root + "/log/" + uuid + "-console.log" }

// MakeLogDir makes /iocage/log when it is missing (no host access when it
// is there). prepare makes it, but verbs on one jail do not run prepare,
// and a directory removed by hand is no reason for start to fail.
func MakeLogDir(h *runtime.Host) error { return h.MkdirAll(Root+"/log", 0o755) }

// Hooks are the host-side hooks an executable file next to the jail's
// fstab (MP/NAME) overrides.
var Hooks = []string{"prestart", "poststart", "prestop", "poststop"}

func init() {
	register("params", "jail.params(j, vnet=False, ip=[], jail_zfs=None) -> list of str\n\nThe parameters of `jail -c` for j in lifecycle.md §4.2's order, one\nelement each: \"vnet\" (vnet=True) or the shared-IP parameters ip (from\nnet.star's jail_ip_params), then name=ioc-UUID, host.hostname, path,\nsecurelevel, ..., exec.prestart and exec.poststart (an executable MP/HOOK\nfile wins over the exec_HOOK property), exec.timeout, stop.timeout,\nmount.fstab=/var/run/iocage/fstab.UUID, mount.devfs, mount.fdescfs,\nexec.consolelog=/iocage/log/UUID-console.log, persist. exec.prestop,\nexec.stop and exec.clean are not passed: jail(8) forgets them once the\njail is created, so `jail -r ioc-UUID` would not run them; stop.star runs\nthe stop hooks and exec_stop itself (with `jexec -l` when exec_clean=1).\nWith jail_zfs on (the property when None) allow.mount, enforce_statfs=1\nand allow.mount.zfs are passed for this start only. Unset properties take\ntheir built-in default. Reads the hook files.", stParams)
	register("hook", "jail.hook(j, name) -> str\n\nThe command of host hook name (prestart, poststart, prestop, poststop):\nMP/NAME when that file is executable, else the exec_NAME property. A\nsymlink at MP/NAME is refused: it could name any program of the host.", stHook)
	register("run_hook", "jail.run_hook(j, name)\n\nRuns host hook name (see jail.hook) with `/bin/sh -c COMMAND` on the host,\nas jail(8) runs exec.* commands. Fails when it exits non-zero.", stRunHook)
	register("expand_fstab", "jail.expand_fstab(j) -> str\n\nWrites /var/run/iocage/fstab.UUID (the directory made mode 0700, or\nchecked to be root's alone): the entries of the jail's MP/fstab (empty\nwhen missing; a symlink is refused) with every %jailroot% replaced by\nthe jail's root and each mount point resolved inside the root, symlinks\nfollowed as the jail sees them. Fails, naming the fstab line, when a\nmount point lies outside the root or leads out of it. Returns the path.\nUndone (the previous file back, or removed) when the run fails.", stExpandFstab)
	register("remove_expanded_fstab", "jail.remove_expanded_fstab(j) -> bool\n\nRemoves /var/run/iocage/fstab.UUID (a symlink there is removed, not its\ntarget); False when there was none. Put back when the run fails.", stRemoveFstab)
	register("mount_procfs", "jail.mount_procfs(j)\n\nMounts procfs on the jail's /proc (`mount -t procfs proc ROOT/proc`),\nthe point resolved inside the root: a /proc that leads out of it is\nrefused. Unmounted when the run fails.", stMountProcfs)
	register("launch", "jail.launch(j, params) -> int\n\nCreates the jail: `jail -c PARAMS...` (params from jail.params), then\nreads its jid (`jls --libxo json -j ioc-UUID jid name`), which it returns. When the run\nfails, the jail is removed (`jail -r ioc-UUID`), what jail(8) mounted for\nit is unmounted and the aliases it added are removed.", stLaunch)
	register("devlog", "jail.devlog(j)\n\nLinks ROOT/dev/log to ../var/run/log in the jail's fresh devfs, so\nsyslogd inside the jail is reached. Does nothing when the link is there.\nRemoved when the run fails.", stDevlog)
	register("remove", "jail.remove(j) -> bool\n\nRemoves the running jail (`jail -r ioc-UUID`): its processes are\nstopped and the jail goes. False when it was not running. Not undone.", stRemove)
	register("mounts", "jail.mounts(j) -> list of str\n\nThe mount points of file systems other than ZFS mounted at or below the\njail's root, or at a mount point of the generated fstab, in mount order\n(one `mount -p`).", stMounts)
	register("unmount", "jail.unmount(j) -> list of str\n\nUnmounts what jail.mounts lists, newest first, one `umount POINT` each:\nthe fstab entries, devfs, fdescfs and procfs that jail(8) and iocage\nmounted for the jail (a bare `jail -r` leaves them). ZFS datasets are\nleft alone. Returns the points unmounted. Not undone.", stUnmount)
}

// prop is j's value of name; an unset one takes the built-in default
// (jails of an older iocage may lack newer properties).
func stProp(j *Jail, name string) string {
	v := j.Props[name]
	if v != "" && v != "-" {
		return v
	}
	if p, err := jailprops.Lookup(name); err == nil && !strings.HasPrefix(p.Default, "<") {
		return p.Default
	}
	return v
}

// rootOf is the jail's root directory, jail(8)'s path.
func stRoot(j *Jail) string { return j.Mountpoint + "/root" }

// checkJail refuses a value that is not a jail of the pool.
// stJailOnly unpacks the single jail argument most lifecycle steps take
// and checks it is a jail with a mountpoint.
func stJailOnly(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (*Jail, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	return v.j, nil
}

func stCheckJail(b *starlark.Builtin, j *Jail) error {
	if j.Default {
		return fmt.Errorf("%s: the defaults are not a jail", b.Name())
	}
	if j.Mountpoint == "" || j.Mountpoint == "-" || j.Mountpoint == "none" || j.Mountpoint == "legacy" || !path.IsAbs(j.Mountpoint) {
		return fmt.Errorf("%s: jail %s has no mountpoint (%q)", b.Name(), j.UUID, j.Mountpoint)
	}
	return nil
}

// HookCommand is H(x) of lifecycle.md §4.2: MP/NAME when it is an
// executable file, else the exec_NAME property.
// NoHook is the value of a hook property that does nothing, each hook's
// default: run_hook does not spend a process on it.
const NoHook = "/usr/bin/true"

func HookCommand(h *runtime.Host, j *Jail, name string) (string, error) {
	known := false
	for _, k := range Hooks {
		known = known || k == name
	}
	if !known {
		return "", fmt.Errorf("hook %q: want one of %s", name, strings.Join(Hooks, ", "))
	}
	// A hook file may have come with an import stream: a symlink would
	// make root run whatever file of the host it names.
	p := j.Mountpoint + "/" + name
	fi, err := h.LstatRegular(p)
	switch {
	case err == nil && fi.Mode().Perm()&0o111 != 0:
		return p, nil
	case err != nil && !errors.Is(err, runtime.ErrNotExist):
		return "", fmt.Errorf("hook %s: %w", name, err)
	}
	return stProp(j, "exec_"+name), nil
}

// ParamOptions are what start decides beyond the jail's properties.
type ParamOptions struct {
	VNET    bool
	IP      []string          // shared-IP parameters, in their order
	JailZFS bool              // delegate a dataset: allow mounting for this start
	Hooks   map[string]string // H(x) of each hook
}

// StartParams builds the parameters of `jail -c` (lifecycle.md §4.2),
// one argv element each; none is empty.
func StartParams(j *Jail, o ParamOptions) ([]string, error) {
	var out []string
	if o.VNET {
		out = append(out, "vnet")
	} else {
		for _, p := range o.IP {
			if !strings.Contains(p, "=") || strings.HasPrefix(p, "=") {
				return nil, fmt.Errorf("ip parameter %q is not NAME=VALUE", p)
			}
			out = append(out, p)
		}
	}
	allowMount, enforce, allowZFS := stProp(j, "allow_mount"), stProp(j, "enforce_statfs"), stProp(j, "allow_mount_zfs")
	if o.JailZFS {
		// Only for this start (the spec persisted them, so they stayed
		// after jail_zfs was turned off).
		allowMount, enforce, allowZFS = "1", "1", "1"
	}
	kv := []struct{ k, v string }{
		{"name", j.Name()},
		{"host.hostname", stProp(j, "host_hostname")},
		{"path", stRoot(j)},
		{"securelevel", stProp(j, "securelevel")},
		{"host.hostuuid", j.UUID},
		{"devfs_ruleset", stProp(j, "devfs_ruleset")},
		{"enforce_statfs", enforce},
		{"children.max", stProp(j, "children_max")},
		{"allow.set_hostname", stProp(j, "allow_set_hostname")},
		{"allow.sysvipc", stProp(j, "allow_sysvipc")},
		{"allow.raw_sockets", stProp(j, "allow_raw_sockets")},
		{"allow.chflags", stProp(j, "allow_chflags")},
		{"allow.mount", allowMount},
		{"allow.mount.devfs", stProp(j, "allow_mount_devfs")},
		{"allow.mount.nullfs", stProp(j, "allow_mount_nullfs")},
		{"allow.mount.procfs", stProp(j, "allow_mount_procfs")},
		{"allow.mount.tmpfs", stProp(j, "allow_mount_tmpfs")},
		{"allow.mount.zfs", allowZFS},
		{"allow.quotas", stProp(j, "allow_quotas")},
		{"allow.socket_af", stProp(j, "allow_socket_af")},
		{"exec.fib", stProp(j, "exec_fib")},
		{"exec.prestart", o.Hooks["prestart"]},
		{"exec.poststart", o.Hooks["poststart"]},
		{"exec.timeout", stProp(j, "exec_timeout")},
		{"stop.timeout", stProp(j, "stop_timeout")},
		{"mount.fstab", FstabPath(j.UUID)},
		{"mount.devfs", stProp(j, "mount_devfs")},
		{"mount.fdescfs", stProp(j, "mount_fdescfs")},
	}
	for _, p := range kv {
		if p.v == "" || p.v == "-" {
			return nil, fmt.Errorf("jail %s: no value for jail parameter %s", j.UUID, p.k)
		}
		out = append(out, p.k+"="+p.v)
	}
	// allow.dying is gone: since FreeBSD 14 it does nothing on a create.
	return append(out, "exec.consolelog="+ConsoleLog(j.UUID), "persist"), nil
}

func stHooksOf(h *runtime.Host, j *Jail) (map[string]string, error) {
	m := map[string]string{}
	for _, name := range Hooks {
		c, err := HookCommand(h, j, name)
		if err != nil {
			return nil, err
		}
		m[name] = c
	}
	return m, nil
}

func stParams(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var vnet bool
	var ip *starlark.List
	var jz starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "vnet?", &vnet, "ip?", &ip, "jail_zfs?", &jz); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	o := ParamOptions{VNET: vnet, JailZFS: stProp(v.j, "jail_zfs") == "on"}
	if jz != starlark.None {
		o.JailZFS = bool(jz.Truth())
	}
	var err error
	if o.IP, err = stStrings(ip); err != nil {
		return fail(b, fmt.Errorf("ip: %w", err))
	}
	if o.Hooks, err = stHooksOf(h, v.j); err != nil {
		return fail(b, err)
	}
	ps, err := StartParams(v.j, o)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(ps), nil
}

func stStrings(l *starlark.List) ([]string, error) {
	if l == nil {
		return nil, nil
	}
	out := make([]string, l.Len())
	for i := range out {
		s, ok := starlark.AsString(l.Index(i))
		if !ok {
			return nil, fmt.Errorf("element %d: got %s, want string", i, l.Index(i).Type())
		}
		out[i] = s
	}
	return out, nil
}

func stHook(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "name", &name); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	c, err := HookCommand(h, v.j, name)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(c), nil
}

func stRunHook(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "name", &name); err != nil {
		return nil, err
	}
	if err := stCheckJail(b, v.j); err != nil {
		return nil, err
	}
	c, err := HookCommand(h, v.j, name)
	if err != nil {
		return fail(b, err)
	}
	if strings.TrimSpace(c) == NoHook {
		// The default hook: true(1) does nothing, so nothing is run.
		return starlark.None, nil
	}
	// The hook is the user's own shell command, run as jail(8) runs its
	// exec.* commands: the property is not data from elsewhere.
	r := thread.Get(t)
	cmd := &runtime.Cmd{Path: runtime.Sh, Args: []string{"-c", c}, Stdout: r.Stderr, Change: true}
	if _, err := h.Run(r.Ctx, cmd); err != nil {
		return fail(b, fmt.Errorf("%s hook: %w", name, err))
	}
	return starlark.None, nil
}

func stExpandFstab(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	j := v.j
	if err := stCheckJail(b, j); err != nil {
		return nil, err
	}
	// MP/fstab may have come with an import stream.
	src, err := h.ReadRegular(j.Mountpoint + "/fstab")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return fail(b, err)
	}
	root := stRoot(j)
	text, err := ExpandFstab(string(src), root, h.InRoot(root).Resolve)
	if err != nil {
		return fail(b, fmt.Errorf("%s/fstab: %w", j.Mountpoint, err))
	}
	p := FstabPath(j.UUID)
	u := thread.UndoOf(t)
	mkdir := func() error { return h.PrivateDir(FstabDir) }
	if _, err = h.Lstat(FstabDir); errors.Is(err, runtime.ErrNotExist) {
		err = u.Do("rmdir "+FstabDir, thread.Step{Kind: "jail.rmdir_if_empty", Args: []string{FstabDir}}, mkdir)
	} else {
		err = mkdir()
	}
	if err != nil {
		return fail(b, err)
	}
	back, err := fstabStep(h, p)
	if err != nil {
		return fail(b, err)
	}
	if err := u.Do("restore "+p, back, func() error { return h.WriteFile(p, []byte(text), 0o644) }); err != nil {
		return fail(b, err)
	}
	return starlark.String(p), nil
}

func stRemoveIfEmpty(h *runtime.Host, dir string) error {
	ents, err := h.ReadDir(dir)
	if err != nil || len(ents) > 0 {
		return nil
	}
	return h.Remove(dir)
}

func stRemoveFstab(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	p := FstabPath(v.j.UUID)
	old, err := stReadGenerated(h, p)
	if errors.Is(err, runtime.ErrNotExist) {
		return starlark.False, nil
	}
	if err != nil {
		return fail(b, err)
	}
	// Remove unlinks: a symlink found there goes, not what it names.
	if err := thread.UndoOf(t).Do("restore "+p, fstabContentStep(p, old), func() error { return h.Remove(p) }); err != nil {
		return fail(b, err)
	}
	return starlark.True, nil
}

// stReadGenerated reads a file iocage generated in FstabDir. What is not
// a regular file there (a symlink) was not made by iocage: it reads as
// empty, so it is replaced or removed but never followed.
func stReadGenerated(h *runtime.Host, p string) ([]byte, error) {
	fi, err := h.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil
	}
	return h.ReadRegular(p)
}

// Mount is one line of `mount -p`.
type Mount struct{ Device, Point, FSType string }

// Mounts reads the host's mount table in mount order (one `mount -p`).
func Mounts(ctx context.Context, h *runtime.Host) ([]Mount, error) {
	out, err := h.Output(ctx, runtime.Mount, "-p")
	if err != nil {
		return nil, err
	}
	return ParseMounts(out), nil
}

// ParseMounts reads `mount -p` output; a line of fewer than three fields
// is skipped.
func ParseMounts(out string) []Mount {
	var ms []Mount
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		ms = append(ms, Mount{Device: stUnescape(f[0]), Point: stUnescape(f[1]), FSType: f[2]})
	}
	return ms
}

// unescapeFstab undoes fstab(5)'s \040 for spaces in `mount -p` output.
func stUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
		return u
	}
	return s
}

func stMounted(ms []Mount, point string) bool {
	for _, m := range ms {
		if m.Point == point {
			return true
		}
	}
	return false
}

// fstabPoints are the mount points named by the generated fstab.
func stFstabPoints(h *runtime.Host, uuid string) []string {
	b, err := stReadGenerated(h, FstabPath(uuid))
	if err != nil {
		return nil
	}
	es, err := ParseFstab(string(b))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Point)
	}
	return out
}

// JailMounts are the non-ZFS mounts of the jail in mount order: those at
// or below its root and those at a point of its generated fstab. ZFS
// datasets below the root (a basejail's base clones) belong to the jail's
// storage, not to one start.
func JailMounts(ctx context.Context, h *runtime.Host, j *Jail) ([]string, error) {
	ms, err := Mounts(ctx, h)
	if err != nil {
		return nil, err
	}
	root := stRoot(j)
	want := map[string]bool{}
	for _, p := range stFstabPoints(h, j.UUID) {
		want[path.Clean(p)] = true
	}
	var out []string
	for _, m := range ms {
		if m.FSType == "zfs" {
			continue
		}
		if m.Point == root || strings.HasPrefix(m.Point, root+"/") || want[m.Point] {
			out = append(out, m.Point)
		}
	}
	return out, nil
}

// UnmountJail unmounts JailMounts newest first and returns the points.
func UnmountJail(ctx context.Context, h *runtime.Host, j *Jail) ([]string, error) {
	pts, err := JailMounts(ctx, h, j)
	if err != nil {
		return nil, err
	}
	var done []string
	var errs []error
	for i := len(pts) - 1; i >= 0; i-- {
		if err := h.Change(ctx, runtime.Umount, pts[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, pts[i])
	}
	return done, errors.Join(errs...)
}

func stMounts(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	j, err := stJailOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	pts, err := JailMounts(thread.Context(t), h, j)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(pts), nil
}

func stUnmount(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	j, err := stJailOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	done, err := UnmountJail(thread.Context(t), h, j)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(done), nil
}

func stMountProcfs(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	j, err := stJailOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	// The jail's root user may have made /proc a symlink to a host
	// directory: mount(8) would follow it.
	p, err := h.InRoot(stRoot(j)).Resolve("proc")
	if err != nil {
		return fail(b, err)
	}
	err = thread.UndoOf(t).Do("umount "+p, thread.Step{Kind: "jail.umount", Args: []string{p}}, func() error {
		return h.Change(thread.Context(t), runtime.Mount, "-t", "procfs", "proc", p)
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

// JID reads the jid of the running jail name; 0 when it is not running.
// It reads that jail only, whatever the number of jails.
func JID(ctx context.Context, h *runtime.Host, name string) (int, error) {
	out, err := jlsOne(ctx, h, name, "jid", "name")
	if out == "" || err != nil {
		return 0, err
	}
	return jlsJID(out, name)
}

// jlsOne runs `jls --libxo json -j NAME ARGS...`: "" when no such jail
// runs (jls says so on stderr, in text, and exits 1).
func jlsOne(ctx context.Context, h *runtime.Host, name string, args ...string) (string, error) {
	out, err := h.Output(ctx, runtime.Jls, append([]string{"--libxo", "json", "-j", name}, args...)...)
	var ee *runtime.ExitError
	if errors.As(err, &ee) && strings.Contains(ee.Stderr, "not found") {
		return "", nil
	}
	return out, err
}

func stLaunch(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var pl *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "params", &pl); err != nil {
		return nil, err
	}
	j := v.j
	if err := stCheckJail(b, j); err != nil {
		return nil, err
	}
	ps, err := stStrings(pl)
	if err != nil {
		return fail(b, fmt.Errorf("params: %w", err))
	}
	if !stContains(ps, "name="+j.Name()) {
		return fail(b, fmt.Errorf("params lack name=%s (build them with jail.params)", j.Name()))
	}
	for _, p := range ps {
		if p == "" || strings.HasPrefix(p, "-") {
			return fail(b, fmt.Errorf("parameter %q: empty or starting with '-'", p))
		}
	}
	ctx := thread.Context(t)
	// jail(8) writes exec.consolelog there.
	if err := MakeLogDir(h); err != nil {
		return fail(b, err)
	}
	// -i makes jail(8) print the new jail's JID, which saves a jls.
	var out []byte
	err = thread.UndoOf(t).Do("jail -r "+j.Name(), launchStep(j, ps), func() error {
		res, err := h.Run(ctx, &runtime.Cmd{Path: runtime.Jail, Args: append([]string{"-i", "-c"}, ps...), Change: true})
		if res != nil {
			out = res.Stdout
		}
		return err
	})
	if err != nil {
		return fail(b, err)
	}
	jid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if perr != nil || jid <= 0 {
		// Not a JID (a dry run prints none): ask jls.
		if jid, err = JID(ctx, h, j.Name()); err != nil {
			return fail(b, err)
		}
	}
	if jid == 0 {
		return fail(b, fmt.Errorf("jail %s is not running after jail -c", j.Name()))
	}
	return starlark.MakeInt(jid), nil
}

// AliasRemovals are the ifconfig commands that take back the aliases
// jail(8) added for the ip4.addr and ip6.addr parameters that name an
// interface (IFACE|ADDR[/MASK]).
func AliasRemovals(params []string) [][]string {
	var out [][]string
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		family := map[string]string{"ip4.addr": "inet", "ip6.addr": "inet6"}[k]
		if family == "" {
			continue
		}
		for _, item := range strings.Split(v, ",") {
			iface, addr, ok := strings.Cut(strings.TrimSpace(item), "|")
			if !ok || iface == "" {
				continue
			}
			addr, _, _ = strings.Cut(strings.TrimSpace(addr), " ")
			addr, _, _ = strings.Cut(addr, "/")
			out = append(out, []string{iface, family, addr, "-alias"})
		}
	}
	return out
}

func stContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func stDevlog(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	j, err := stJailOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	// Resolved inside the root: a /dev the jail made a symlink to the
	// host's /dev must not get a link made there.
	r := h.InRoot(stRoot(j))
	p := r.Path("dev/log")
	if _, err := r.Lstat("dev/log"); err == nil {
		return starlark.None, nil
	}
	if fi, err := r.Stat("dev"); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("%s is not a directory", r.Path("dev"))
		}
		return fail(b, fmt.Errorf("the jail has no /dev (mount_devfs=0?): %w", err))
	}
	err = thread.UndoOf(t).Do("rm "+p, thread.Step{Kind: "jail.devlog_remove", Args: []string{stRoot(j)}}, func() error {
		return r.Symlink("../var/run/log", "dev/log")
	})
	if err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func stRemove(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v); err != nil {
		return nil, err
	}
	// jail -r of a jail that is not there says so (as jls -j does): no
	// jls first.
	err := h.Change(thread.Context(t), runtime.Jail, "-r", v.j.Name())
	var ee *runtime.ExitError
	if errors.As(err, &ee) && strings.Contains(ee.Stderr, "not found") {
		return starlark.False, nil
	}
	if err != nil {
		return fail(b, err)
	}
	return starlark.True, nil
}

// sortedKeys returns m's keys in order, for stable argv and messages.
func stSortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
