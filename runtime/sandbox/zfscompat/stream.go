package zfscompat

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

func zfsSend(e *model.Env, args []string) int {
	opts, rest, rc := options(e, args, "DLPRbcehnpsvwVi:I:X:t:", zfsUsage)
	if rc != 0 {
		return rc
	}
	for _, o := range opts {
		if o.Flag != 't' {
			continue
		}
		for _, x := range opts {
			if strings.IndexByte("RiIpX", x.Flag) >= 0 {
				fmt.Fprintln(e.Stderr, "invalid flags combined with -t")
				fmt.Fprint(e.Stderr, zfsUsage)
				return 2
			}
		}
		if len(rest) > 0 {
			return argCount(e, false)
		}
		return sendResume(e, o.Arg, has(opts, 'n'))
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

// peekBegin reads the first record of a send stream (DRR_BEGIN) and
// returns a reader that still yields the whole stream: nothing beyond that
// record is held in memory.
func peekBegin(r io.Reader) (streamBegin, io.Reader, error) {
	head := make([]byte, drrSize)
	n, err := io.ReadFull(r, head)
	rest := io.MultiReader(bytes.NewReader(head[:n]), r)
	if err != nil {
		return streamBegin{}, rest, fmt.Errorf("invalid stream (bad magic number)")
	}
	b, _, ok := parseBegin(head)
	if !ok {
		return streamBegin{}, rest, fmt.Errorf("invalid stream (bad magic number)")
	}
	return b, rest, nil
}

func zfsReceive(e *model.Env, args []string) int {
	opts, rest, rc := command(e, args, "AFMdehnsuvo:x:", 1)
	if rc != 0 {
		return rc
	}
	target := rest[0]
	if has(opts, 'A') {
		return receiveAbort(e, target)
	}
	if has(opts, 'd') && has(opts, 'e') {
		fmt.Fprintln(e.Stderr, "-d and -e cannot be used together")
		fmt.Fprint(e.Stderr, zfsUsage)
		return 2
	}
	job := recvJob{opts: opts, target: target}
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
			job.setAfter = append(job.setAfter, a...)
		case 'x':
			full, p, ok := lookupProp(o.Arg)
			if !ok {
				fmt.Fprintf(e.Stderr, "cannot receive: invalid property '%s'\n", o.Arg)
				return 1
			}
			switch {
			case full == "compression":
				job.inheritAfter = append(job.inheritAfter, "compression", ShadowCompression)
			case p != nil && p.fuse != "":
				job.inheritAfter = append(job.inheritAfter, p.fuse)
			case p == nil:
				job.inheritAfter = append(job.inheritAfter, full)
			}
		}
	}
	// Which file system receives the top of the stream, for -e (which
	// zfs-fuse lacks) and for what receive must do afterwards.
	job.top, _, _ = strings.Cut(target, "@")
	job.fuseArgs = flagArgs(opts, "vnF")
	in, resume, err := readResumeHeader(e.Stdin)
	if err != nil {
		fmt.Fprintf(e.Stderr, "cannot receive resume stream: %v\n", err)
		return 1
	}
	var begin streamBegin
	if resume == nil && (has(opts, 'd') || has(opts, 'e') || has(opts, 's')) {
		begin, in, err = peekBegin(in)
		if err != nil {
			fmt.Fprintf(e.Stderr, "cannot receive: %v\n", err)
			return 1
		}
	}
	if has(opts, 'd') || has(opts, 'e') {
		sent := begin.ToName
		if resume != nil {
			sent = resume.ToName
		}
		sentFS, _, _ := strings.Cut(sent, "@")
		if has(opts, 'e') {
			job.top = target + "/" + sentFS[strings.LastIndexByte(sentFS, '/')+1:]
			job.target = job.top
		} else {
			if i := strings.IndexByte(sentFS, '/'); i >= 0 {
				job.top = target + sentFS[i:]
			} else {
				job.top = target
			}
			job.fuseArgs = append(job.fuseArgs, "-d")
		}
	}
	if resume != nil || has(opts, 's') && !has(opts, 'n') {
		return receiveResumable(e, job, in, begin, resume)
	}
	if p, _ := readPartial(e.SB, job.top); p != nil {
		// A new stream into partial state: OpenZFS refuses it until the
		// state is resumed or aborted.
		var b streamBegin
		if b, in, err = peekBegin(in); err == nil && livePartial(e, p) {
			fmt.Fprintf(e.Stderr, "cannot receive %s stream: destination %s contains partially-complete state from \"zfs receive -s\".\n",
				streamKind(b), job.top)
			return 1
		}
	}
	var errb bytes.Buffer
	rc = stream(e.Ctx, fuseZFS, append(append([]string{"receive"}, job.fuseArgs...), job.target), in,
		&unrootWriter{e: e, w: e.Stdout}, &errb)
	return finishReceive(e, job, rc, unroot(e.SB, errb.String()))
}

// recvJob is one receive as the command line asks it.
type recvJob struct {
	opts []model.Option
	// target is what zfs-fuse's receive is given, top the file system
	// that gets the top of the stream.
	target, top            string
	fuseArgs               []string
	setAfter, inheritAfter []string
}

// finishReceive reports a zfs-fuse receive (rc, its unrooted stderr msg)
// and does what OpenZFS's receive does that zfs-fuse's does not.
func finishReceive(e *model.Env, job recvJob, rc int, msg string) int {
	opts, top := job.opts, job.top
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
	for _, a := range job.setAfter {
		if rc := fuse(e, "set", a, top); rc != 0 {
			return rc
		}
	}
	for _, p := range job.inheritAfter {
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
