package zfscompat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

func zfsSend(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "DLPRbcehnpsvwVi:I:X:", zfsUsage)
	if rc != 0 {
		return rc
	}
	if len(rest) != 1 {
		return argCount(e, len(rest) == 0)
	}
	snap := rest[0]
	fs, _, _ := strings.Cut(snap, "@")
	for i, o := range opts {
		// OpenZFS accepts "-i @a" for a snapshot of the same file system.
		if (o.Flag == 'i' || o.Flag == 'I') && strings.HasPrefix(o.Arg, "@") {
			opts[i].Arg = fs + o.Arg
		}
	}
	names := []string{snap}
	for _, o := range opts {
		if o.Flag == 'i' || o.Flag == 'I' {
			names = append(names, o.Arg)
		}
	}
	if rc := checkOurs(e, names...); rc != 0 {
		return rc
	}
	if has(opts, 'n') {
		// A dry run only checks that the snapshots exist.
		return fuse(e, "list", "-H", "-o", "name", "-t", "snapshot", snap)
	}
	// -L, -c, -e, -w, -b, -h only shape the stream for newer receivers;
	// zfs-fuse's stream is what the sandbox's receive reads.
	argv := append(append([]string{"send"}, flagArgs(opts, "DRpiI")...), snap)
	return stream(e.Ctx, fuseZFS, argv, e.Stdin, e.Stdout, &unrootWriter{e: e, w: e.Stderr})
}

// unrootWriter strips the sandbox root from streamed diagnostics.
type unrootWriter struct {
	e *model.Env
	w io.Writer
}

func (u *unrootWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(u.w, unroot(u.e.SB, string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// streamMagic is DMU_BACKUP_MAGIC, which opens every send stream.
const streamMagic = 0x2F5bacbac

// peekToName reads the first record of a send stream (DRR_BEGIN) for the
// name of the snapshot it carries and returns a reader that still yields
// the whole stream: nothing beyond that record is held in memory.
func peekToName(r io.Reader) (string, io.Reader, error) {
	head := make([]byte, 312)
	n, err := io.ReadFull(r, head)
	rest := io.MultiReader(bytes.NewReader(head[:n]), r)
	if err != nil {
		return "", rest, fmt.Errorf("invalid stream (bad magic number)")
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if order.Uint64(head[8:16]) != streamMagic {
		order = binary.BigEndian
		if order.Uint64(head[8:16]) != streamMagic {
			return "", rest, fmt.Errorf("invalid stream (bad magic number)")
		}
	}
	name := head[56:312]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return string(name), rest, nil
}

func zfsReceive(e *model.Env, args []string) int {
	opts, rest, rc := command(e, args, "AFMdehnsuvo:x:", 1)
	if rc != 0 {
		return rc
	}
	target := rest[0]
	if has(opts, 'A') || has(opts, 's') {
		fmt.Fprintln(e.Stderr, "cannot receive: resumable receive is not supported by the sandbox's zfs-fuse")
		return 1
	}
	if has(opts, 'd') && has(opts, 'e') {
		fmt.Fprintln(e.Stderr, "-d and -e cannot be used together")
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	}
	var setAfter, inheritAfter []string
	for _, o := range opts {
		switch o.Flag {
		case 'o':
			if strings.HasPrefix(o.Arg, "origin=") {
				fmt.Fprintln(e.Stderr, "cannot receive: -o origin is not supported by the sandbox's zfs-fuse")
				return 1
			}
			a, ok := fuseAssignments(e, "cannot receive", o.Arg)
			if !ok {
				return 1
			}
			setAfter = append(setAfter, a...)
		case 'x':
			full, p, ok := lookupProp(o.Arg)
			if !ok {
				fmt.Fprintf(e.Stderr, "cannot receive: invalid property '%s'\n", o.Arg)
				return 1
			}
			switch {
			case full == "compression":
				inheritAfter = append(inheritAfter, "compression", ShadowCompression)
			case p != nil && p.fuse != "":
				inheritAfter = append(inheritAfter, p.fuse)
			case p == nil:
				inheritAfter = append(inheritAfter, full)
			}
		}
	}
	// Which file system receives the top of the stream, for -e (which
	// zfs-fuse lacks) and for what receive must do afterwards.
	top, _, _ := strings.Cut(target, "@")
	in := e.Stdin
	fuseArgs := flagArgs(opts, "vnF")
	if has(opts, 'd') || has(opts, 'e') {
		var sent string
		var err error
		sent, in, err = peekToName(e.Stdin)
		if err != nil {
			fmt.Fprintf(e.Stderr, "cannot receive: %v\n", err)
			return 1
		}
		sentFS, _, _ := strings.Cut(sent, "@")
		if has(opts, 'e') {
			top = target + "/" + sentFS[strings.LastIndexByte(sentFS, '/')+1:]
			target = top
		} else {
			if i := strings.IndexByte(sentFS, '/'); i >= 0 {
				top = target + sentFS[i:]
			} else {
				top = target
			}
			fuseArgs = append(fuseArgs, "-d")
		}
	}
	var errb bytes.Buffer
	rc = stream(e.Ctx, fuseZFS, append(append([]string{"receive"}, fuseArgs...), target), in,
		&unrootWriter{e: e, w: e.Stdout}, &errb)
	msg := unroot(e.SB, errb.String())
	if has(opts, 'u') && rc != 0 {
		// zfs-fuse mounts (and shares) what it received and fails when
		// it cannot; with -u OpenZFS never tries, so only other errors
		// count.
		var kept []string
		for _, l := range strings.SplitAfter(msg, "\n") {
			if l != "" && !strings.HasPrefix(l, "cannot mount '") && !strings.HasPrefix(l, "cannot share '") {
				kept = append(kept, l)
			}
		}
		if len(kept) == 0 && run(e.Ctx, fuseZFS, "list", "-H", "-o", "name", top).code == 0 {
			rc, msg = 0, ""
		} else {
			msg = strings.Join(kept, "")
		}
	}
	io.WriteString(e.Stderr, msg)
	if rc != 0 || has(opts, 'n') {
		return rc
	}
	for _, a := range setAfter {
		if rc := fuse(e, "set", a, top); rc != 0 {
			return rc
		}
	}
	for _, p := range inheritAfter {
		if rc := fuse(e, "inherit", p, top); rc != 0 {
			return rc
		}
	}
	if has(opts, 'u') {
		return unmountTree(e, top, false)
	}
	return 0
}

// mountedTree lists the mounted file systems among top and its
// descendants, sorted so that parents come before their children.
func mountedTree(e *model.Env, top string) ([]string, error) {
	cat, err := loadNamed(e, []string{top}, selection{recurse: true, depth: -1}, []string{"mounted"})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range cat.sets {
		if d.typ == tFS && (d.name == top || strings.HasPrefix(d.name, top+"/")) && d.vals["mounted"].v == "yes" {
			names = append(names, d.name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// unmountTree unmounts top and its descendants, deepest first (receive -u
// undoes what zfs-fuse mounted; destroy and rename clear the way).
func unmountTree(e *model.Env, top string, force bool) int {
	names, err := mountedTree(e, top)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for _, n := range names {
		args := []string{"unmount", n}
		if force {
			args = []string{"unmount", "-f", n}
		}
		if rc := fuse(e, args...); rc != 0 {
			return rc
		}
	}
	return 0
}
