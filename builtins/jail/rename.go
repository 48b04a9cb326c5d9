package jail

// What a new tag changes beyond the property and its /iocage/tags link
// (both jail.set's): a host name that followed the tag, in the running
// jail (jail -m) and in the jail's rc.conf. The jail's own files and its
// jls output are the jail's to write, so both are read as hostile text.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

func init() {
	thread.RegisterUndo("jail.live_hostname", replayLiveHostname)
	register("set_live_hostname", "jail.set_live_hostname(j, hostname, was) -> bool\n\n"+
		"Changes the host name of the running jail j to hostname with\n"+
		"`jail -m name=ioc-UUID host.hostname=HOSTNAME` (jail(8): host.hostname\n"+
		"may change on a running jail), but only while it is was: a name the\n"+
		"jail gave itself (allow_set_hostname) is its own and stays. Costs one\n"+
		"jls, and the jail -m when it changes anything. Returns whether it did.\n"+
		"Undone with host.hostname=WAS while the jail runs.", stSetLiveHostname)
	register("rewrite_rc_hostname", "jail.rewrite_rc_hostname(j, old, new) -> int\n\n"+
		"Replaces the value of each hostname=OLD line of ROOT/etc/rc.conf (quoted\n"+
		"or not, as create writes it) by new, keeping the quotes. Other lines,\n"+
		"and hostname lines with another value, are the jail's and stay. Read\n"+
		"and written inside the jail's root only. Returns how many lines\n"+
		"changed; a missing rc.conf is 0. Undone with the old contents.", stRewriteRcHostname)
}

// LiveHostname is the host.hostname of the running jail called name (one
// jls); running is false when no such jail runs.
func LiveHostname(ctx context.Context, h *runtime.Host, name string) (hostname string, running bool, err error) {
	out, err := jlsOne(ctx, h, name, "jid", "name", "host.hostname")
	if out == "" || err != nil {
		return "", false, err
	}
	rs, err := ParseJls(out)
	if err != nil {
		return "", false, err
	}
	for _, r := range rs {
		if r.Name == name {
			return r.Hostname, true, nil
		}
	}
	return "", false, nil
}

// SetLiveHostname is `jail -m name=NAME host.hostname=HOSTNAME`.
func SetLiveHostname(ctx context.Context, h *runtime.Host, name, hostname string) error {
	return h.Change(ctx, runtime.Jail, "-m", "name="+name, "host.hostname="+hostname)
}

func stSetLiveHostname(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var hostname, was string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "hostname", &hostname, "was", &was); err != nil {
		return nil, err
	}
	if v.j.Default {
		return fail(b, fmt.Errorf("the defaults are no jail"))
	}
	if hostname == "" || was == "" {
		return fail(b, fmt.Errorf("want a host name and the one it replaces, got %q and %q", hostname, was))
	}
	ctx := ctxOf(t)
	name := v.j.Name()
	cur, running, err := LiveHostname(ctx, h, name)
	if err != nil {
		return fail(b, err)
	}
	if !running {
		return fail(b, fmt.Errorf("jail %s (%s) is not running: %w", v.j.UUID, v.j.Tag, runtime.ErrNotExist))
	}
	if cur != was || cur == hostname {
		return starlark.False, nil
	}
	step := thread.Step{Kind: "jail.live_hostname", Args: []string{name, was}}
	desc := "jail -m name=" + name + " host.hostname=" + was
	if err := thread.UndoOf(t).Do(desc, step, func() error { return SetLiveHostname(ctx, h, name, hostname) }); err != nil {
		return fail(b, err)
	}
	return starlark.True, nil
}

// replayLiveHostname gives the jail NAME its host name back, when it
// still runs (a stopped jail takes host_hostname, restored by
// jail.set_restore, at its next start).
func replayLiveHostname(ctx context.Context, h *runtime.Host, args []string) error {
	if err := wantArgs("jail.live_hostname", args, 2); err != nil {
		return err
	}
	name, was := args[0], args[1]
	if !strings.HasPrefix(name, "ioc-") || was == "" {
		return fmt.Errorf("jail.live_hostname: jail %q, host name %q: want ioc-UUID and a host name", name, was)
	}
	cur, running, err := LiveHostname(ctx, h, name)
	if err != nil || !running || cur == was {
		return err
	}
	return SetLiveHostname(ctx, h, name, was)
}

// RewriteRcHostname replaces the value of every rc.conf line
// hostname=OLD, hostname="OLD" or hostname='OLD' (blanks around, a
// trailing comment) by new, in the same quotes. It returns the text and
// how many lines changed. Lines are compared, never evaluated: anything
// else (a value built from variables, another name) is left.
func RewriteRcHostname(text, old, new string) (string, int) {
	if old == "" || old == new {
		return text, 0
	}
	lines := strings.Split(text, "\n")
	n := 0
	for i, l := range lines {
		if r, ok := rcHostnameLine(l, old, new); ok {
			lines[i] = r
			n++
		}
	}
	if n == 0 {
		return text, 0
	}
	return strings.Join(lines, "\n"), n
}

// rcHostnameLine is line with its hostname value old replaced by new,
// when line assigns exactly old.
func rcHostnameLine(line, old, new string) (string, bool) {
	body := strings.TrimLeft(line, " \t")
	indent := line[:len(line)-len(body)]
	rest, ok := strings.CutPrefix(body, "hostname=")
	if !ok {
		return "", false
	}
	var value, tail, quote string
	switch {
	case strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, `'`):
		quote = rest[:1]
		end := strings.Index(rest[1:], quote)
		if end < 0 {
			return "", false
		}
		value, tail = rest[1:1+end], rest[2+end:]
	default:
		end := strings.IndexAny(rest, " \t#")
		if end < 0 {
			end = len(rest)
		}
		value, tail = rest[:end], rest[end:]
	}
	if value != old {
		return "", false
	}
	// After the value only blanks, then nothing or a comment: sh reads
	// `hostname=a; x=b`, `hostname="a"b` or `hostname=a#b` otherwise
	// than a compare of the line would.
	if tail != "" {
		t := strings.TrimLeft(tail, " \t")
		if t == tail || (t != "" && !strings.HasPrefix(t, "#")) {
			return "", false
		}
	}
	return indent + "hostname=" + quote + new + quote + tail, true
}

func stRewriteRcHostname(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var old, new string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "old", &old, "new", &new); err != nil {
		return nil, err
	}
	if v.j.Default || v.j.Mountpoint == "" {
		return fail(b, fmt.Errorf("%s has no root", v.j.UUID))
	}
	// Written inside the jail's root only; new goes into sh text.
	if strings.ContainsAny(new, "\"'$`\\\n \t#;") || new == "" {
		return fail(b, fmt.Errorf("host name %q: want a host name (letters, digits, '-', '.')", new))
	}
	r := h.InRoot(v.j.Mountpoint + "/root")
	const rel = "etc/rc.conf"
	if err := createRefuseSymlink(r, "etc"); err != nil {
		return fail(b, err)
	}
	if err := createRefuseSymlink(r, rel); err != nil {
		return fail(b, err)
	}
	data, err := r.ReadFile(rel)
	if errors.Is(err, runtime.ErrNotExist) {
		return starlark.MakeInt(0), nil
	}
	if err != nil {
		return fail(b, err)
	}
	text, n := RewriteRcHostname(string(data), old, new)
	if n == 0 {
		return starlark.MakeInt(0), nil
	}
	if err := rootWriteUndoable(t, r, rel, []byte(text), 0o644); err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt(n), nil
}
