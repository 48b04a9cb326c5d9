package jail

// What `iocage send` and `iocage receive` say to each other over ssh.
// Both ends are other hosts to each other, so every message is parsed as
// hostile data: bounded sizes, names checked as ZFS checks them, nothing
// used before it is checked.
//
// Two exchanges, one ssh session each:
//   - `iocage receive --state UUID` prints a ReplicaState (JSON): what the
//     receiving host holds of the jail, so that the sender can choose, per
//     dataset, a full, incremental or resumed stream;
//   - `iocage receive UUID` reads a transfer on its standard input: the
//     magic syncMagic, then frames. A frame is one type byte, a 4-byte
//     big-endian length and that many bytes. The first frame is the header
//     (SyncHeader, JSON); then, for each dataset of the header that is not
//     skipped, in its order, data frames carrying the dataset's `zfs send`
//     stream and an end frame; then a done frame. A transfer that stops
//     before its done frame was interrupted: what was received is kept for
//     a resume.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
)

const (
	syncMagic  = "IOCSYNC1"
	syncFormat = 1

	frameHeader = 'H'
	frameData   = 'D'
	frameEnd    = 'E'
	frameDone   = 'Z'

	// maxFrame bounds one frame: data frames are written in pieces of
	// syncChunk, the header is a few kilobytes.
	maxFrame  = 1 << 20
	syncChunk = 256 << 10
	// maxSyncDatasets bounds the datasets of one jail a message may name.
	maxSyncDatasets = 256
	maxSyncSnaps    = 4096
)

// The kinds of stream a dataset gets.
const (
	SendSkip        = "skip"        // the receiver has the snapshot already
	SendFull        = "full"        // a full stream of the snapshot
	SendIncremental = "incremental" // from Base (-i; a package stream of -I cannot be resumed)
	SendResume      = "resume"      // the rest of an interrupted stream (send -t)
)

// SyncDataset is one dataset of a transfer. Path is relative to the
// jail's dataset: "" for it, "root", "data", "data/db".
type SyncDataset struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Base string `json:"base,omitempty"` // snapshot name, without FS@
	// Jailed is the sender's jailed=on: a full stream's dataset gets it
	// (and mountpoint=none) on the receiver, as create makes it.
	Jailed bool `json:"jailed,omitempty"`
}

// SyncHeader opens a transfer.
type SyncHeader struct {
	Format   int               `json:"format"`
	UUID     string            `json:"uuid"`
	Snapshot string            `json:"snapshot"` // the name all datasets are sent at
	Props    map[string]string `json:"props"`    // the jail's iocage properties
	Datasets []SyncDataset     `json:"datasets"`
	// Move hands the jail over: the receiver makes it its own (hostid)
	// and, with Start, starts it.
	Move  bool `json:"move,omitempty"`
	Start bool `json:"start,omitempty"`
}

// ReplicaSnap is a snapshot the receiver holds, as zfs names it there.
type ReplicaSnap struct {
	Name string `json:"name"`
	GUID string `json:"guid"`
}

// ReplicaDataset is what the receiver holds of one dataset: its
// snapshots, oldest first, and the token of an interrupted receive.
type ReplicaDataset struct {
	Snapshots []ReplicaSnap `json:"snapshots"`
	Token     string        `json:"token,omitempty"`
}

// ReplicaJail is the receiver's copy of the jail.
type ReplicaJail struct {
	Staged  bool   `json:"staged"` // still being received: not a jail there yet
	Running bool   `json:"running"`
	HostID  string `json:"hostid"`
	Tag     string `json:"tag"`
}

// ReplicaState is what `iocage receive --state` answers.
type ReplicaState struct {
	Format   int                       `json:"format"`
	HostID   string                    `json:"hostid"` // the receiving host's
	Pool     string                    `json:"pool"`
	Jail     *ReplicaJail              `json:"jail,omitempty"`
	Datasets map[string]ReplicaDataset `json:"datasets"`
}

var (
	guidRE   = regexp.MustCompile(`^[0-9]{1,20}$`)
	tokenRE  = regexp.MustCompile(`^[0-9a-z-]+$`)
	hostIDRE = regexp.MustCompile(`^[0-9A-Za-z-]{0,64}$`)
	// datasetPartRE is one component of a ZFS name (zfs_namecheck).
	datasetPartRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
)

// checkSyncPath accepts a dataset path relative to a jail's dataset:
// components of ZFS's name characters, none of them "." or "..".
func checkSyncPath(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > 200 {
		return fmt.Errorf("dataset path %q: too long", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || !datasetPartRE.MatchString(c) {
			return fmt.Errorf("dataset path %q: want a path relative to the jail's dataset, of letters, digits and _ . : -", p)
		}
	}
	return nil
}

func checkSnapName(s string) error {
	if s == "" || len(s) > 200 || strings.ContainsAny(s, "@/") {
		return fmt.Errorf("snapshot name %q: want a name without @ or /", s)
	}
	return zfs.CheckName("pool@" + s)
}

// ParseReplicaState reads a receiver's answer; anything out of bounds
// fails it.
func ParseReplicaState(b []byte) (ReplicaState, error) {
	var st ReplicaState
	if len(b) > maxFrame {
		return st, fmt.Errorf("the receiver's state is %d bytes; at most %d are read", len(b), maxFrame)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("the receiver's state is not iocage's: %w", err)
	}
	if st.Format != syncFormat {
		return st, fmt.Errorf("the receiver speaks format %d of iocage send, this iocage %d: update iocage on both hosts", st.Format, syncFormat)
	}
	if !hostIDRE.MatchString(st.HostID) || (st.Jail != nil && !hostIDRE.MatchString(st.Jail.HostID)) {
		return st, fmt.Errorf("the receiver's state names a hostid that is not one")
	}
	if err := zfs.CheckName(st.Pool); err != nil || strings.Contains(st.Pool, "/") {
		return st, fmt.Errorf("the receiver's pool %q is not a pool name", st.Pool)
	}
	if st.Jail != nil && st.Jail.Tag != "" {
		if err := jailprops.CheckTag(st.Jail.Tag); err != nil {
			return st, fmt.Errorf("the receiver's copy: %w", err)
		}
	}
	if len(st.Datasets) > maxSyncDatasets {
		return st, fmt.Errorf("the receiver's state names %d datasets; a jail has at most %d", len(st.Datasets), maxSyncDatasets)
	}
	n := 0
	for p, d := range st.Datasets {
		if err := checkSyncPath(p); err != nil {
			return st, fmt.Errorf("the receiver's state: %w", err)
		}
		if d.Token != "" && (len(d.Token) > 4096 || !tokenRE.MatchString(d.Token)) {
			return st, fmt.Errorf("the receiver's state: dataset %q: the resume token is not one", p)
		}
		n += len(d.Snapshots)
		if n > maxSyncSnaps {
			return st, fmt.Errorf("the receiver's state names more than %d snapshots", maxSyncSnaps)
		}
		for _, s := range d.Snapshots {
			if err := checkSnapName(s.Name); err != nil {
				return st, fmt.Errorf("the receiver's state: dataset %q: %w", p, err)
			}
			if !guidRE.MatchString(s.GUID) {
				return st, fmt.Errorf("the receiver's state: snapshot %q: guid %q is not a number", s.Name, s.GUID)
			}
		}
	}
	return st, nil
}

// checkHeader refuses a header out of bounds; the properties themselves
// are checked by the receiver as import checks them.
func checkHeader(h *SyncHeader) error {
	if h.Format != syncFormat {
		return fmt.Errorf("the sender speaks format %d of iocage send, this iocage %d: update iocage on both hosts", h.Format, syncFormat)
	}
	if !jailprops.IsUUID(h.UUID) {
		return fmt.Errorf("the transfer is of %q, which is not a jail's UUID", h.UUID)
	}
	if err := checkSnapName(h.Snapshot); err != nil {
		return fmt.Errorf("the transfer's %w", err)
	}
	if len(h.Datasets) == 0 || len(h.Datasets) > maxSyncDatasets {
		return fmt.Errorf("the transfer names %d datasets; want 1 to %d", len(h.Datasets), maxSyncDatasets)
	}
	if len(h.Props) > 1000 {
		return fmt.Errorf("the transfer carries %d properties; a jail has far fewer", len(h.Props))
	}
	seen := map[string]bool{}
	for i, d := range h.Datasets {
		if err := checkSyncPath(d.Path); err != nil {
			return fmt.Errorf("the transfer's %w", err)
		}
		if seen[d.Path] {
			return fmt.Errorf("the transfer names dataset %q twice", d.Path)
		}
		seen[d.Path] = true
		if i == 0 && d.Path != "" {
			return fmt.Errorf("the transfer does not start with the jail's dataset")
		}
		// Parents come first: a child is received into its parent.
		if parent := parentPath(d.Path); parent != d.Path && !seen[parent] {
			return fmt.Errorf("the transfer names dataset %q before its parent %q", d.Path, parent)
		}
		switch d.Kind {
		case SendSkip, SendFull, SendResume:
			if d.Base != "" {
				return fmt.Errorf("the transfer's dataset %q: a %s stream has no base", d.Path, d.Kind)
			}
		case SendIncremental:
			if err := checkSnapName(d.Base); err != nil {
				return fmt.Errorf("the transfer's dataset %q: base %w", d.Path, err)
			}
		default:
			return fmt.Errorf("the transfer's dataset %q: unknown kind %q", d.Path, d.Kind)
		}
	}
	return nil
}

func parentPath(p string) string {
	if p == "" {
		return ""
	}
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// frameWriter writes frames.
type frameWriter struct {
	w io.Writer
	n int64 // bytes written, framing included
}

func (f *frameWriter) frame(typ byte, p []byte) error {
	var hd [5]byte
	hd[0] = typ
	binary.BigEndian.PutUint32(hd[1:], uint32(len(p)))
	if _, err := f.w.Write(hd[:]); err != nil {
		return err
	}
	f.n += 5
	if len(p) > 0 {
		if _, err := f.w.Write(p); err != nil {
			return err
		}
		f.n += int64(len(p))
	}
	return nil
}

// Write makes data frames of p, so that a `zfs send` can write into a
// frameWriter.
func (f *frameWriter) Write(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		n := min(len(p), syncChunk)
		if err := f.frame(frameData, p[:n]); err != nil {
			return done, err
		}
		done += n
		p = p[n:]
	}
	return done, nil
}

// frameReader reads a transfer.
type frameReader struct {
	r *bufio.Reader
}

// newFrameReader checks the magic and returns the reader of the frames.
func newFrameReader(r io.Reader) (*frameReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic := make([]byte, len(syncMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != syncMagic {
		return nil, fmt.Errorf("standard input is not a transfer of iocage send")
	}
	return &frameReader{r: br}, nil
}

// errCut is a transfer that ended before its done frame.
var errCut = errors.New("the transfer was cut off: what arrived is kept for a resume (send again)")

// next reads the next frame's type and length; the payload is then read
// with payload or copied with io.CopyN(w, f.r, n).
func (f *frameReader) next() (byte, int64, error) {
	var hd [5]byte
	if _, err := io.ReadFull(f.r, hd[:]); err != nil {
		return 0, 0, errCut
	}
	n := int64(binary.BigEndian.Uint32(hd[1:]))
	if n > maxFrame {
		return 0, 0, fmt.Errorf("a frame of %d bytes; at most %d are read", n, maxFrame)
	}
	switch hd[0] {
	case frameHeader, frameData, frameEnd, frameDone:
	default:
		return 0, 0, fmt.Errorf("a frame of unknown type %q", hd[0])
	}
	if (hd[0] == frameEnd || hd[0] == frameDone) && n != 0 {
		return 0, 0, fmt.Errorf("an end frame with %d bytes", n)
	}
	return hd[0], n, nil
}

func (f *frameReader) payload(n int64) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(f.r, b); err != nil {
		return nil, errCut
	}
	return b, nil
}

// header reads the header frame, which must come first.
func (f *frameReader) header() (*SyncHeader, error) {
	typ, n, err := f.next()
	if err != nil {
		return nil, err
	}
	if typ != frameHeader {
		return nil, fmt.Errorf("the transfer does not open with its header")
	}
	b, err := f.payload(n)
	if err != nil {
		return nil, err
	}
	var h SyncHeader
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("the transfer's header is not iocage's: %w", err)
	}
	if err := checkHeader(&h); err != nil {
		return nil, err
	}
	return &h, nil
}

// stream returns a reader of the current dataset's stream: data frames up
// to its end frame, where it returns io.EOF. A done frame or a cut there
// is an error of the reader, so that the zfs receive reading it fails.
func (f *frameReader) stream() io.Reader { return &datasetReader{f: f} }

type datasetReader struct {
	f    *frameReader
	left int64
	end  bool
	err  error
}

func (d *datasetReader) Read(p []byte) (int, error) {
	for d.left == 0 {
		if d.end {
			return 0, io.EOF
		}
		if d.err != nil {
			return 0, d.err
		}
		typ, n, err := d.f.next()
		switch {
		case err != nil:
			d.err = err
		case typ == frameEnd:
			d.end = true
		case typ == frameData:
			d.left = n
		default:
			d.err = fmt.Errorf("a frame of type %q inside a dataset's stream", typ)
		}
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, err := d.f.r.Read(p)
	d.left -= int64(n)
	if err != nil {
		if d.left > 0 || err != io.EOF {
			d.err = errCut
		}
		if n > 0 {
			return n, nil
		}
		return 0, d.err
	}
	return n, nil
}

// done reads the done frame that closes a complete transfer.
func (f *frameReader) done() error {
	typ, _, err := f.next()
	if err != nil {
		return err
	}
	if typ != frameDone {
		return fmt.Errorf("the transfer goes on after its last dataset")
	}
	return nil
}
