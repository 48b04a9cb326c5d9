package jail

// The units of `iocage send` and `iocage receive` (recipes/send.star,
// recipes/receive.star): a jail replicated to another iocage host over
// ssh(1), one dataset stream at a time so that an interrupted transfer
// resumes (`zfs receive -s`, `zfs send -t`) instead of starting over.
//
// The sender reads what the receiver holds (ReplicaStateOf there, printed
// by `iocage receive --state`), plans a stream per dataset (PlanSync:
// skipped when the receiver has the snapshot, incremental from the newest
// snapshot both hold, resumed, or full) and writes them, framed
// (sync_proto.go), into `ssh HOST iocage receive UUID`. The receiver takes
// nothing on trust: the header is checked, the jail's properties pass the
// checks of import, and a first copy is received under POOL/iocage/incoming,
// where no verb sees it, until it is complete.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/iocage/iocage/builtins/progress"
	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// IncomingDS is where a jail's first copy is received until complete.
func IncomingDS(pool string) string { return pool + "/iocage/incoming" }

// SyncPrefix names the snapshots iocage send takes.
const SyncPrefix = "sync-"

// Destination is where iocage send delivers: an ssh destination and,
// optionally, the receiving host's pool (its active one when empty).
type Destination struct {
	User, Host, Pool string
}

var (
	sshUserRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,31}$`)
	sshHostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$`)
	ip6RE     = regexp.MustCompile(`^[0-9A-Fa-f:.]{2,45}$`)
	// remoteWordRE is every word iocage puts on the remote command line,
	// which the remote user's shell splits: nothing it would interpret.
	remoteWordRE = regexp.MustCompile(`^[A-Za-z0-9._:/@=+,-]+$`)
	sshOptionRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*[= ][^\x00-\x1f]*$`)
)

// ParseDestination reads [USER@]HOST[:POOL]; an IPv6 address is written
// in brackets, [::1]:POOL.
func ParseDestination(s string) (Destination, error) {
	var d Destination
	bad := func(why string) (Destination, error) {
		return Destination{}, fmt.Errorf("destination %q: %s; want [USER@]HOST[:POOL] (an IPv6 address in brackets)", s, why)
	}
	rest := s
	if u, h, ok := strings.Cut(rest, "@"); ok {
		if !sshUserRE.MatchString(u) {
			return bad("the user is not a user name")
		}
		d.User, rest = u, h
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("no closing bracket")
		}
		d.Host, rest = rest[1:end], rest[end+1:]
		if !ip6RE.MatchString(d.Host) || !strings.Contains(d.Host, ":") {
			return bad("not an IPv6 address in brackets")
		}
		if rest != "" && !strings.HasPrefix(rest, ":") {
			return bad("text after the address")
		}
		rest = strings.TrimPrefix(rest, ":")
		d.Pool = rest
	} else {
		d.Host, d.Pool, _ = strings.Cut(rest, ":")
		if !sshHostRE.MatchString(d.Host) {
			return bad("the host is not a host name or IPv4 address")
		}
	}
	if d.Pool != "" {
		if err := zfs.CheckName(d.Pool); err != nil || strings.ContainsAny(d.Pool, "/@") {
			return bad("the pool is not a pool name")
		}
	}
	return d, nil
}

// String writes d back as the user gives it.
func (d Destination) String() string {
	h := d.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if d.User != "" {
		h = d.User + "@" + h
	}
	if d.Pool != "" {
		h += ":" + d.Pool
	}
	return h
}

// SSH is how ssh(1) reaches the destination: its -p, -i and -o.
type SSH struct {
	Port     int
	Identity string
	Options  []string
}

// Argv is ssh's argv (after the program) running the remote iocage with
// words, every one checked to mean to the remote shell what it says.
func (s SSH) Argv(d Destination, words ...string) ([]string, error) {
	args := []string{"-T", "-o", "BatchMode=yes"}
	if s.Port != 0 {
		if s.Port < 1 || s.Port > 65535 {
			return nil, fmt.Errorf("port %d: want 1 to 65535", s.Port)
		}
		args = append(args, "-p", strconv.Itoa(s.Port))
	}
	if s.Identity != "" {
		if !path.IsAbs(s.Identity) || path.Clean(s.Identity) != s.Identity {
			return nil, fmt.Errorf("identity %q: want an absolute, clean path of a private key", s.Identity)
		}
		args = append(args, "-i", s.Identity)
	}
	for _, o := range s.Options {
		if !sshOptionRE.MatchString(o) {
			return nil, fmt.Errorf("ssh option %q: want Option=value as ssh_config(5) names them", o)
		}
		args = append(args, "-o", o)
	}
	host := d.Host
	if d.User != "" {
		host = d.User + "@" + host
	}
	args = append(args, "--", host)
	for _, w := range append([]string{"iocage", "receive"}, words...) {
		if !remoteWordRE.MatchString(w) {
			return nil, fmt.Errorf("%q cannot be passed to the remote iocage", w)
		}
		args = append(args, w)
	}
	return args, nil
}

// remoteWords are the flags of the remote `iocage receive`.
func remoteWords(d Destination, uuid string, extra ...string) []string {
	var w []string
	if d.Pool != "" {
		w = append(w, "--pool", d.Pool)
	}
	return append(append(w, extra...), uuid)
}

// tailWriter passes everything on and keeps the end, for the error.
type tailWriter struct {
	w    io.Writer
	tail []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.tail = append(t.tail, p...)
	if len(t.tail) > 2048 {
		t.tail = t.tail[len(t.tail)-2048:]
	}
	if t.w != nil {
		return t.w.Write(p)
	}
	return len(p), nil
}

// limitWriter keeps at most max bytes and fails beyond.
type limitWriter struct {
	b   bytes.Buffer
	max int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		return 0, fmt.Errorf("the remote iocage printed more than %d bytes", l.max)
	}
	return l.b.Write(p)
}

// RemoteState asks the destination what it holds of the jail uuid.
func RemoteState(ctx context.Context, h *runtime.Host, d Destination, s SSH, uuid string) (ReplicaState, error) {
	args, err := s.Argv(d, remoteWords(d, uuid, "--state")...)
	if err != nil {
		return ReplicaState{}, err
	}
	out := &limitWriter{max: maxFrame}
	if _, err := h.Run(ctx, &runtime.Cmd{Path: runtime.SSH, Args: args, Stdout: out}); err != nil {
		return ReplicaState{}, fmt.Errorf("asking %s what it holds of %s: %w", d, uuid, err)
	}
	st, err := ParseReplicaState(bytes.TrimSpace(out.b.Bytes()))
	if err != nil {
		return st, fmt.Errorf("%s: %w", d, err)
	}
	return st, nil
}

// LocalDataset is a dataset of a jail as the sender holds it.
type LocalDataset struct {
	Path   string
	Jailed bool
	Snaps  []ReplicaSnap // oldest first
}

// SyncTree lists what of j travels, parents first, with the snapshots of
// each (one zfs list). A basejail's base filesystems stay: they are
// clones of this host's base, which start makes again on the other.
func SyncTree(ctx context.Context, h *runtime.Host, j *Jail) ([]LocalDataset, error) {
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{j.Dataset}, Recursive: true,
		Types: []string{"filesystem", "snapshot"}, Props: []string{"guid", "createtxg", "jailed"}, Narrow: true})
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	if j.Props["type"] == "basejail" {
		for _, fs := range BaseFilesystems {
			skip["root/"+fs] = true
		}
	}
	byPath := map[string]*LocalDataset{}
	type snap struct {
		s   ReplicaSnap
		txg uint64
	}
	snaps := map[string][]snap{}
	for _, r := range rows {
		name, sn, isSnap := strings.Cut(r.Name, "@")
		rel, ok := relPath(j.Dataset, name)
		if !ok || skip[rel] || skipUnder(skip, rel) {
			continue
		}
		if isSnap {
			txg, _ := strconv.ParseUint(r.Props["createtxg"], 10, 64)
			snaps[rel] = append(snaps[rel], snap{ReplicaSnap{Name: sn, GUID: r.Props["guid"]}, txg})
			continue
		}
		byPath[rel] = &LocalDataset{Path: rel, Jailed: r.Props["jailed"] == "on"}
	}
	var out []LocalDataset
	for rel, d := range byPath {
		ss := snaps[rel]
		sort.SliceStable(ss, func(a, b int) bool { return ss[a].txg < ss[b].txg })
		for _, s := range ss {
			d.Snaps = append(d.Snaps, s.s)
		}
		out = append(out, *d)
	}
	// Parents first: sorted by path, a parent precedes its children.
	sort.Slice(out, func(a, b int) bool { return out[a].Path < out[b].Path })
	return out, nil
}

func skipUnder(skip map[string]bool, rel string) bool {
	for p := parentPath(rel); p != ""; p = parentPath(p) {
		if skip[p] {
			return true
		}
	}
	return false
}

// relPath is name relative to top: "" for top itself.
func relPath(top, name string) (string, bool) {
	if name == top {
		return "", true
	}
	if strings.HasPrefix(name, top+"/") {
		return name[len(top)+1:], true
	}
	return "", false
}

// PlanSync chooses each dataset's stream to bring the receiver to snap:
// skipped when it has snap (same guid), resumed when it holds an
// interrupted receive and resume says it was of snap, incremental from
// the newest snapshot both hold (by guid), full when it lacks the
// dataset. A dataset the receiver has with no snapshot in common, or with
// snapshots after the common one (taken there, which the incremental
// receive would destroy), fails the plan unless force. It returns the
// plan and the tokens of the resumed datasets.
func PlanSync(local []LocalDataset, remote ReplicaState, snap string, resume bool, force bool) ([]SyncDataset, map[string]string, error) {
	var plan []SyncDataset
	tokens := map[string]string{}
	for _, l := range local {
		guid := ""
		for _, s := range l.Snaps {
			if s.Name == snap {
				guid = s.GUID
			}
		}
		if guid == "" {
			return nil, nil, fmt.Errorf("dataset %q has no snapshot @%s to send", l.Path, snap)
		}
		sd := SyncDataset{Path: l.Path, Jailed: l.Jailed}
		r, has := remote.Datasets[l.Path]
		at := -1 // index in r.Snapshots of the newest common snapshot
		base := ""
		if has {
			mine := map[string]string{}
			for _, s := range l.Snaps {
				mine[s.GUID] = s.Name
			}
			for i, s := range r.Snapshots {
				if n, ok := mine[s.GUID]; ok {
					at, base = i, n
				}
			}
		}
		switch {
		case has && at >= 0 && base == snap:
			sd.Kind = SendSkip
		case has && r.Token != "" && resume:
			sd.Kind = SendResume
			tokens[l.Path] = r.Token
		case has && at >= 0:
			if at != len(r.Snapshots)-1 && !force {
				return nil, nil, fmt.Errorf("the copy of dataset %q has snapshots after @%s, the newest it shares with this one (%s); receiving would destroy them: send --force to do so",
					l.Path, base, r.Snapshots[len(r.Snapshots)-1].Name)
			}
			sd.Kind, sd.Base = SendIncremental, base
		case has && len(r.Snapshots) > 0:
			return nil, nil, fmt.Errorf("the copy of dataset %q shares no snapshot with this one: it is another jail's or was changed there; destroy the copy on the receiving host and send again", l.Path)
		default:
			// Missing there, or made there without a snapshot (a partial
			// full receive): a full stream, after the partial is dropped.
			sd.Kind = SendFull
		}
		plan = append(plan, sd)
	}
	return plan, tokens, nil
}

// SendSync writes the transfer hdr into `ssh DEST iocage receive UUID`:
// the streams of hdr.Datasets of the jail dataset jailDS, resumed ones
// from tokens. The remote's messages go to stderr; with a terminal prog
// the bytes sent are drawn on it. Returns the bytes sent.
func SendSync(ctx context.Context, h *runtime.Host, d Destination, s SSH, hdr *SyncHeader, jailDS string, tokens map[string]string, keepHooks bool, stderr, prog io.Writer) (int64, error) {
	if err := checkHeader(hdr); err != nil {
		return 0, err
	}
	var extra []string
	if keepHooks {
		extra = append(extra, "--keep-hooks")
	}
	args, err := s.Argv(d, remoteWords(d, hdr.UUID, extra...)...)
	if err != nil {
		return 0, err
	}
	head, err := json.Marshal(hdr)
	if err != nil {
		return 0, err
	}
	if h.DryRun() {
		_, err := h.Run(ctx, &runtime.Cmd{Path: runtime.SSH, Args: args, Change: true})
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	m := progress.New(prog, progress.Options{Name: d.Host})
	fw := &frameWriter{w: io.MultiWriter(pw, m)}
	sent := make(chan error, 1)
	go func() {
		err := writeTransfer(ctx, h, fw, head, hdr, jailDS, tokens)
		pw.CloseWithError(err)
		sent <- err
	}()
	tail := &tailWriter{w: stderr}
	_, rerr := h.Run(ctx, &runtime.Cmd{Path: runtime.SSH, Args: args, Stdin: pr, Stdout: stderr, Stderr: tail, Change: true})
	pr.CloseWithError(errors.New("ssh ended"))
	if rerr != nil {
		cancel()
	}
	serr := <-sent
	m.Finish(rerr == nil && serr == nil)
	switch {
	case rerr != nil:
		msg := strings.TrimSpace(string(tail.tail))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		// The other host's words: no control characters in our error.
		msg = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, msg)
		if msg != "" {
			return fw.n, fmt.Errorf("receiving on %s failed (%s): %w", d, msg, rerr)
		}
		return fw.n, fmt.Errorf("receiving on %s failed: %w", d, rerr)
	case serr != nil:
		return fw.n, serr
	}
	return fw.n, nil
}

func writeTransfer(ctx context.Context, h *runtime.Host, fw *frameWriter, head []byte, hdr *SyncHeader, jailDS string, tokens map[string]string) error {
	if _, err := io.WriteString(fw.w, syncMagic); err != nil {
		return err
	}
	fw.n += int64(len(syncMagic))
	if err := fw.frame(frameHeader, head); err != nil {
		return err
	}
	for _, d := range hdr.Datasets {
		ds := jailDS
		if d.Path != "" {
			ds += "/" + d.Path
		}
		var o zfs.SendOptions
		switch d.Kind {
		case SendSkip:
			continue
		case SendIncremental:
			o = zfs.SendOptions{Base: "@" + d.Base}
		case SendResume:
			o = zfs.SendOptions{ResumeToken: tokens[d.Path]}
		}
		snap := ds + "@" + hdr.Snapshot
		if d.Kind == SendResume {
			// The token names what it resumes.
			snap = ""
		}
		if err := zfs.Send(ctx, h, snap, o, fw); err != nil {
			return fmt.Errorf("send of %s: %w", ds, err)
		}
		if err := fw.frame(frameEnd, nil); err != nil {
			return err
		}
	}
	return fw.frame(frameDone, nil)
}

// ReplicaStateOf says what this host holds of the jail uuid for a
// sender: its copy (in POOL/iocage/jails, or still being received in
// POOL/iocage/incoming) and, per dataset, the snapshots and resume token.
// Two to three commands.
func ReplicaStateOf(ctx context.Context, h *runtime.Host, pool, uuid string) (ReplicaState, error) {
	st := ReplicaState{Format: syncFormat, Pool: pool, Datasets: map[string]ReplicaDataset{}}
	if !jailprops.IsUUID(uuid) {
		return st, fmt.Errorf("%q is not a jail UUID", uuid)
	}
	raw, err := h.ReadFile("/etc/hostid")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return st, err
	}
	st.HostID = strings.TrimSpace(string(raw))
	top := JailsDS(pool) + "/" + uuid
	j, err := Read(ctx, h, pool, uuid)
	switch {
	case err == nil:
		st.Jail = &ReplicaJail{Running: j.JID > 0, HostID: j.Props["hostid"], Tag: j.Tag}
	case errors.Is(err, runtime.ErrNotExist):
		top = IncomingDS(pool) + "/" + uuid
	default:
		return st, err
	}
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{top}, Recursive: true,
		Types: []string{"filesystem", "snapshot"}, Props: []string{"guid", "createtxg", "receive_resume_token"}, Narrow: true})
	if errors.Is(err, runtime.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if st.Jail == nil {
		st.Jail = &ReplicaJail{Staged: true}
	}
	txg := map[string]uint64{}
	for _, r := range rows {
		name, sn, isSnap := strings.Cut(r.Name, "@")
		rel, ok := relPath(top, name)
		if !ok {
			continue
		}
		d := st.Datasets[rel]
		if isSnap {
			d.Snapshots = append(d.Snapshots, ReplicaSnap{Name: sn, GUID: r.Props["guid"]})
			txg[r.Name], _ = strconv.ParseUint(r.Props["createtxg"], 10, 64)
		} else if t := r.Props["receive_resume_token"]; t != "" && t != "-" {
			d.Token = t
		}
		st.Datasets[rel] = d
	}
	for rel, d := range st.Datasets {
		fs := top
		if rel != "" {
			fs += "/" + rel
		}
		sort.SliceStable(d.Snapshots, func(a, b int) bool {
			return txg[fs+"@"+d.Snapshots[a].Name] < txg[fs+"@"+d.Snapshots[b].Name]
		})
	}
	return st, nil
}

// Transfer is a transfer being read by `iocage receive`.
type Transfer struct {
	Header *SyncHeader
	fr     *frameReader
}

// OpenTransfer reads and checks the header of the transfer on r.
func OpenTransfer(r io.Reader) (*Transfer, error) {
	fr, err := newFrameReader(r)
	if err != nil {
		return nil, err
	}
	hdr, err := fr.header()
	if err != nil {
		return nil, err
	}
	return &Transfer{Header: hdr, fr: fr}, nil
}

// ReceiveSync receives the datasets of t into top (POOL/iocage/jails/UUID
// or its staging twin), each resumable: a transfer cut off leaves what
// arrived for the sender's next attempt to resume. An earlier interrupted
// receive into a dataset that this transfer does not resume is dropped
// first (`zfs receive -A`). The streams carry no properties (see
// JailDatasets for the one that matters). Returns the bytes of streams
// received.
func ReceiveSync(ctx context.Context, h *runtime.Host, t *Transfer, top string, prog io.Writer) (int64, error) {
	// The interrupted receives below top, in one read.
	tokens, err := zfs.ResumeTokens(ctx, h, top)
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return 0, err
	}
	m := progress.New(prog, progress.Options{Name: t.Header.UUID})
	var total int64
	for _, d := range t.Header.Datasets {
		if d.Kind == SendSkip {
			continue
		}
		target := top
		if d.Path != "" {
			target += "/" + d.Path
		}
		if d.Kind != SendResume {
			if tokens[target] != "" {
				if err := zfs.AbortReceive(ctx, h, target); err != nil {
					return total, err
				}
			}
		}
		o := zfs.ReceiveOptions{NoMount: true, Resumable: true, Force: d.Kind != SendFull}
		cw := &countReader{r: t.fr.stream()}
		err := zfs.Receive(ctx, h, target, o, io.TeeReader(cw, m))
		total += cw.n
		// zfs receive stops at the stream's END record; what follows up
		// to the end frame must be nothing.
		if err == nil {
			if n, derr := io.Copy(io.Discard, cw); derr != nil {
				err = derr
			} else if n > 0 {
				err = fmt.Errorf("%d bytes after the stream of %s", n, target)
			}
		}
		if err != nil {
			m.Finish(false)
			if cw.cut() {
				return total, errCut
			}
			return total, fmt.Errorf("receiving %s: %w", target, err)
		}
	}
	m.Finish(true)
	return total, t.fr.done()
}

type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

func (c *countReader) cut() bool { return errors.Is(c.err, errCut) }

// Unstage moves a complete first copy from POOL/iocage/incoming/UUID to
// POOL/iocage/jails/UUID, where it is a jail. Undone by moving it back.
func Unstage(ctx context.Context, h *runtime.Host, pool, uuid string, u *thread.Undo) (string, error) {
	from, to := IncomingDS(pool)+"/"+uuid, JailsDS(pool)+"/"+uuid
	return to, u.Do("zfs rename "+to+" "+from, zfs.RenameStep(from, to, false), func() error {
		return zfs.Rename(ctx, h, from, to, false, false)
	})
}

// EnsureIncoming makes POOL/iocage/incoming, unmounted (mountpoint=none:
// nothing received there is mounted until it is a jail). Kept.
func EnsureIncoming(ctx context.Context, h *runtime.Host, pool string) error {
	ds := IncomingDS(pool)
	ok, err := zfs.Exists(ctx, h, ds)
	if err != nil || ok {
		return err
	}
	return zfs.Create(ctx, h, ds, false, map[string]string{"mountpoint": "none", "canmount": "off"})
}

// JailDatasets gives the datasets of the copy at top that the sender's
// jail has jailed jailed=on and mountpoint=none, as create makes them,
// where they are not yet: one zfs list, one zfs set each. Done once the
// copy is in POOL/iocage/jails: zfs renames no tree with a jailed child
// of inherited mountpoint. Undone (the old values back).
func JailDatasets(ctx context.Context, h *runtime.Host, hdr *SyncHeader, top string, u *thread.Undo) ([]string, error) {
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{top}, Recursive: true, Types: []string{"filesystem"}, Props: []string{"jailed"}, Narrow: true})
	if err != nil {
		return nil, err
	}
	jailed := map[string]bool{}
	for _, r := range rows {
		jailed[r.Name] = r.Props["jailed"] == "on"
	}
	var done []string
	for _, d := range hdr.Datasets {
		ds := top
		if d.Path != "" {
			ds += "/" + d.Path
		}
		if !d.Jailed || jailed[ds] {
			continue
		}
		if _, ok := jailed[ds]; !ok {
			return done, fmt.Errorf("%s: %w", ds, runtime.ErrNotExist)
		}
		prev, err := zfs.Sources(ctx, h, ds, "jailed", "mountpoint")
		if err != nil {
			return done, err
		}
		if err := u.Do("zfs set (restore) "+ds, zfs.RestoreStep(ds, prev), func() error {
			return zfs.Set(ctx, h, ds, map[string]string{"jailed": "on", "mountpoint": "none"})
		}); err != nil {
			return done, err
		}
		done = append(done, ds)
	}
	return done, nil
}
