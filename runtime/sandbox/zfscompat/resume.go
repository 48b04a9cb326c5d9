package zfscompat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// Resumable receive, which zfs-fuse lacks, is made here: `receive -s`
// spools the stream into the sandbox's directory while it arrives and
// gives it to zfs-fuse only once it is whole. A stream cut short (its
// input ends early, or the receiver is killed: its lock then frees) leaves
// the spool as partial state, shown as receive_resume_token. `send -t`
// regenerates the same zfs-fuse stream, checks that its first bytes are
// the ones received and writes a resume header and the rest; receive
// appends that rest to the spool.

// readResumeHeader tells a resume stream (what send -t writes) from a send
// stream: for a resume stream it returns the point it resumes at and the
// reader of what follows the header; otherwise the whole input again.
func readResumeHeader(r io.Reader) (io.Reader, *resumePoint, error) {
	head := make([]byte, len(resumeMagic))
	n, err := io.ReadFull(r, head)
	if err != nil || string(head) != resumeMagic {
		return io.MultiReader(bytes.NewReader(head[:n]), r), nil, nil
	}
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, nil, fmt.Errorf("invalid backup stream")
	}
	l := binary.BigEndian.Uint32(size[:])
	if l > maxTokenLen {
		return nil, nil, fmt.Errorf("invalid backup stream")
	}
	tok := make([]byte, l)
	if _, err := io.ReadFull(r, tok); err != nil {
		return nil, nil, fmt.Errorf("invalid backup stream")
	}
	p, err := decodeToken(string(tok))
	if err != nil {
		return nil, nil, fmt.Errorf("invalid backup stream")
	}
	return r, &p, nil
}

// streamKind is the word libzfs's receive errors name a stream by.
func streamKind(b streamBegin) string {
	if b.FromGUID != 0 {
		return "incremental"
	}
	return "new filesystem"
}

// fsGUID is the guid of a file system or volume, ok false when there is
// none of that name.
func fsGUID(e *model.Env, name string) (string, bool) {
	r := run(e.Ctx, fuseZFS, "get", "-Hp", "-o", "value", "guid", name)
	if r.code != 0 {
		return "", false
	}
	return strings.TrimSpace(r.stdout), true
}

// livePartial reports whether p is partial state that stands: its file
// system is the one it was made for, and no receiver has died feeding it
// to zfs-fuse. A running receive counts too.
func livePartial(e *model.Env, p *partial) bool {
	guid, ok := fsGUID(e, p.Target)
	return ok && !p.Applying && guid == p.FSGUID
}

// ctxReader stops a copy once the receive is cancelled (SIGTERM): what
// arrived so far stays as partial state.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// receiveResumable is `receive -s`, and the receive of a resume stream.
func receiveResumable(e *model.Env, job recvJob, in io.Reader, begin streamBegin, resume *resumePoint) int {
	top := job.top
	kind := streamKind(begin)
	if resume != nil {
		kind = "resume"
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.Stderr, "cannot receive %s stream: %s\n", kind, fmt.Sprintf(format, a...))
		return 1
	}
	if resume == nil && begin.Compound {
		return fail("resuming a package stream (send -p, -R) is not supported by the sandbox's zfs-fuse")
	}
	lock, busy, err := lockTarget(e.SB, top)
	if busy {
		return fail("dataset is busy")
	}
	if err != nil {
		return fail("%v", err)
	}
	defer lock.Close()
	guid, exists := fsGUID(e, top)
	p, err := readPartial(e.SB, top)
	if err != nil {
		return fail("%v", err)
	}
	if p != nil && (p.Applying || !exists || p.FSGUID != guid) {
		// Left by a file system since destroyed, or by a receiver that
		// died feeding zfs-fuse: nothing to resume.
		removePartial(e.SB, top)
		p = nil
	}
	base := spoolBase(e.SB, top)
	walker := &streamWalker{}
	var sum hash.Hash
	var prior int64
	var spool *os.File
	if resume != nil {
		switch {
		case p == nil && !exists:
			return fail("destination '%s' does not exist", top)
		case p == nil:
			return fail("destination '%s' has no partially received state to resume", top)
		case resume.ToName != p.ToName || resume.ToGUID != p.ToGUID || resume.FromGUID != p.FromGUID:
			return fail("the stream resumes %s, not the stream partially received into %s", resume.ToName, top)
		}
		if prior, sum, err = hashSpool(e.SB, top, walker); err != nil {
			return fail("%v", err)
		}
		if prior != resume.Bytes || hex.EncodeToString(sum.Sum(nil)) != resume.Sum {
			return fail("the stream resumes at byte %d of another partial receive (%s holds %d bytes)", resume.Bytes, top, prior)
		}
		spool, err = os.OpenFile(base+".spool", os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fail("%v", err)
		}
	} else {
		if p != nil {
			return fail("destination %s contains partially-complete state from \"zfs receive -s\".", top)
		}
		full := begin.FromGUID == 0
		switch {
		case full && exists && !has(job.opts, 'F'):
			return fail("destination '%s' exists\nmust specify -F to overwrite it", top)
		case !full && !exists:
			return fail("destination '%s' does not exist", top)
		}
		p = &partial{Target: top, ToName: begin.ToName, ToGUID: begin.ToGUID, FromGUID: begin.FromGUID, FSGUID: guid}
		if !exists {
			// OpenZFS shows the new file system while it is received
			// (inconsistent, unmountable); a placeholder stands for it.
			r := run(e.Ctx, fuseZFS, "create", "-o", "canmount=off", "-o", ShadowPartial+"=on", top)
			if r.code != 0 {
				msg := strings.TrimSpace(unroot(e.SB, r.stderr))
				return fail("%s", strings.TrimPrefix(msg, "cannot create '"+top+"': "))
			}
			p.Placeholder = true
			if p.FSGUID, exists = fsGUID(e, top); !exists {
				return fail("placeholder %s vanished", top)
			}
		}
		sum = sha256.New()
		spool, err = os.OpenFile(base+".spool", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err == nil {
			err = writePartial(e.SB, p)
		}
		if err != nil {
			discardPartial(e, p)
			return fail("%v", err)
		}
	}
	n, cerr := io.Copy(io.MultiWriter(spool, sum, walker), ctxReader{e.Ctx, in})
	if err := spool.Close(); err != nil && cerr == nil {
		cerr = err
	}
	if cerr == nil && walker.complete() {
		return applySpool(e, job, p)
	}
	if !has(job.opts, 's') {
		// Without -s nothing partial is kept, as OpenZFS does.
		discardPartial(e, p)
		return fail("invalid backup stream")
	}
	p.Bytes, p.Sum = prior+n, hex.EncodeToString(sum.Sum(nil))
	if err := writePartial(e.SB, p); err != nil {
		return fail("%v", err)
	}
	tok := encodeToken(resumePoint{ToName: p.ToName, ToGUID: p.ToGUID, FromGUID: p.FromGUID, Bytes: p.Bytes, Sum: p.Sum})
	return fail("checksum mismatch or incomplete stream.\nPartially received snapshot is saved.\n"+
		"A resuming stream can be generated on the sending system by running:\n    zfs send -t %s", tok)
}

// applySpool gives a whole spooled stream to zfs-fuse. Whatever zfs-fuse
// says, the partial state is gone afterwards: the stream was complete.
func applySpool(e *model.Env, job recvJob, p *partial) int {
	defer removePartial(e.SB, p.Target)
	p.Applying = true
	if err := writePartial(e.SB, p); err != nil {
		fmt.Fprintf(e.Stderr, "cannot receive: %v\n", err)
		return 1
	}
	if p.Placeholder {
		if rc := fuse(e, "destroy", p.Target); rc != 0 {
			return rc
		}
	}
	f, err := os.Open(spoolBase(e.SB, p.Target) + ".spool")
	if err != nil {
		fmt.Fprintf(e.Stderr, "cannot receive: %v\n", err)
		return 1
	}
	defer f.Close()
	var errb bytes.Buffer
	rc := stream(e.Ctx, fuseZFS, append(append([]string{"receive"}, job.fuseArgs...), job.target), f,
		&unrootWriter{e: e, w: e.Stdout}, &errb)
	return finishReceive(e, job, rc, unroot(e.SB, errb.String()))
}

// discardPartial drops p: its spool and, for a full stream, the
// placeholder.
func discardPartial(e *model.Env, p *partial) int {
	removePartial(e.SB, p.Target)
	if p.Placeholder {
		if guid, ok := fsGUID(e, p.Target); ok && guid == p.FSGUID {
			return fuse(e, "destroy", p.Target)
		}
	}
	return 0
}

// receiveAbort is `receive -A FS`.
func receiveAbort(e *model.Env, fs string) int {
	lock, busy, err := lockTarget(e.SB, fs)
	if busy {
		fmt.Fprintf(e.Stderr, "cannot abort the resumable receive of '%s': dataset is busy\n", fs)
		return 1
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "cannot abort the resumable receive of '%s': %v\n", fs, err)
		return 1
	}
	defer lock.Close()
	if _, ok := fsGUID(e, fs); !ok {
		return noDataset(e, fs)
	}
	p, err := readPartial(e.SB, fs)
	if err != nil || p == nil || !livePartial(e, p) {
		if p != nil {
			removePartial(e.SB, fs)
		}
		fmt.Fprintf(e.Stderr, "'%s' does not have any resumable receive state to abort\n", fs)
		return 1
	}
	return discardPartial(e, p)
}

// sendResume is `send -t TOKEN`.
func sendResume(e *model.Env, tok string, dry bool) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.Stderr, "cannot resume send: %s\n", fmt.Sprintf(format, a...))
		return 1
	}
	rp, err := decodeToken(tok)
	if err != nil {
		return fail("%v", err)
	}
	fs, _, _ := strings.Cut(rp.ToName, "@")
	if rc := checkOurs(e, fs); rc != 0 {
		return rc
	}
	cat, err := loadNamed(e, []string{fs}, selection{recurse: true, depth: 1}, []string{"guid"})
	if err != nil {
		return fail("%v", err)
	}
	guidOf := func(d *dataset) uint64 { g, _ := strconv.ParseUint(d.vals["guid"].v, 10, 64); return g }
	to := cat.byName[rp.ToName]
	if to == nil || to.typ != tSnap {
		return fail("'%s' used in the initial send no longer exists", rp.ToName)
	}
	if guidOf(to) != rp.ToGUID {
		return fail("'%s' is no longer the same snapshot used in the initial send", rp.ToName)
	}
	argv := []string{"send"}
	if rp.FromGUID != 0 {
		var from *dataset
		for _, d := range cat.sets {
			if d.typ == tSnap && d.fsPart() == fs && guidOf(d) == rp.FromGUID {
				from = d
			}
		}
		if from == nil {
			return fail("incremental source %#x no longer exists", rp.FromGUID)
		}
		argv = append(argv, "-i", from.name)
	}
	if dry {
		return 0
	}
	w := &resumeWriter{w: e.Stdout, skip: rp.Bytes, sum: sha256.New(), want: rp.Sum, header: resumeHeader(tok)}
	rc := stream(e.Ctx, fuseZFS, append(argv, rp.ToName), nil, w, &unrootWriter{e: e, w: e.Stderr})
	if rc == 0 {
		w.finish()
	}
	if w.differs {
		return fail("the stream of %s is not the one partially received: its first %d bytes differ", rp.ToName, rp.Bytes)
	}
	if w.err != nil {
		return fail("%v", w.err)
	}
	return rc
}

// resumeWriter passes a regenerated stream on from byte skip, after
// checking that the bytes before are the ones received, and puts the
// resume header in front of the rest.
type resumeWriter struct {
	w       io.Writer
	skip    int64
	seen    int64
	sum     hash.Hash
	want    string
	header  []byte
	started bool
	differs bool
	err     error
}

func (r *resumeWriter) Write(p []byte) (int, error) {
	n := len(p)
	if r.differs || r.err != nil {
		return 0, io.ErrClosedPipe
	}
	if !r.started {
		k := r.skip - r.seen
		if int64(len(p)) < k {
			k = int64(len(p))
		}
		r.sum.Write(p[:k])
		r.seen += k
		p = p[k:]
		if r.seen < r.skip {
			return n, nil
		}
		if !r.begin() {
			return 0, io.ErrClosedPipe
		}
	}
	if len(p) > 0 {
		if _, err := r.w.Write(p); err != nil {
			r.err = err
			return 0, err
		}
	}
	return n, nil
}

// begin checks what was skipped and writes the header.
func (r *resumeWriter) begin() bool {
	r.started = true
	if hex.EncodeToString(r.sum.Sum(nil)) != r.want {
		r.differs = true
		return false
	}
	if _, err := r.w.Write(r.header); err != nil {
		r.err = err
		return false
	}
	return true
}

// finish ends a stream that was no longer than what was received.
func (r *resumeWriter) finish() {
	if r.started {
		return
	}
	if r.seen != r.skip {
		r.started, r.differs = true, true
		return
	}
	r.begin()
}
