package zfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	gozfs "github.com/mistifyio/go-zfs/v3"

	"github.com/iocage/iocage/runtime"
)

// BaseColumns are read for every dataset a list returns; they back the
// attributes of a zfs.dataset.
var BaseColumns = []string{"name", "type", "mountpoint", "origin", "used", "available", "referenced", "quota", "reservation", "compression", "creation"}

// Dataset is what one `zfs list -p` row says of a dataset. Values are the
// raw parsable strings zfs printed ("-" when a property does not apply or a
// user property is unset).
type Dataset struct {
	Name  string
	Kind  string            // filesystem, snapshot, volume
	Props map[string]string // every column read, including BaseColumns
}

// Value returns the raw value of prop and whether it is set (not "-").
func (d *Dataset) Value(prop string) (string, bool) {
	v, ok := d.Props[prop]
	if !ok || v == "-" {
		return "", false
	}
	return v, true
}

// ListOptions select what List reads.
type ListOptions struct {
	Roots     []string // datasets to start from; none = every pool
	Recursive bool     // descend below the roots
	Depth     int      // when > 0, descend at most this many levels (implies Recursive)
	Types     []string // filesystem, snapshot, volume, bookmark, all; none = zfs's default
	Props     []string // extra columns beyond BaseColumns (user properties welcome)
	// Narrow reads only name and Props, not BaseColumns: a read of many
	// datasets that needs a few values of each costs what it reads.
	Narrow bool
}

// ListArgs builds the argv of List: one zfs process for any number of
// datasets and properties.
func ListArgs(o ListOptions) ([]string, []string, error) {
	cols := append([]string(nil), BaseColumns...)
	if o.Narrow {
		cols = []string{"name"}
	}
	seen := map[string]bool{}
	for _, c := range cols {
		seen[c] = true
	}
	for _, p := range o.Props {
		if err := checkPropName(p); err != nil {
			return nil, nil, err
		}
		if !seen[p] {
			seen[p] = true
			cols = append(cols, p)
		}
	}
	args := []string{"list", "-H", "-p", "-o", strings.Join(cols, ",")}
	switch {
	case o.Depth > 0:
		args = append(args, "-d", strconv.Itoa(o.Depth))
	case o.Depth < 0:
		return nil, nil, fmt.Errorf("depth %d: want a depth >= 0", o.Depth)
	case o.Recursive:
		args = append(args, "-r")
	}
	if len(o.Types) > 0 {
		for _, t := range o.Types {
			switch t {
			case "filesystem", "snapshot", "volume", "bookmark", "all":
			default:
				return nil, nil, fmt.Errorf("type %q: want filesystem, snapshot, volume, bookmark or all", t)
			}
		}
		args = append(args, "-t", strings.Join(o.Types, ","))
	}
	for _, r := range o.Roots {
		if err := CheckName(r); err != nil {
			return nil, nil, err
		}
	}
	return append(args, o.Roots...), cols, nil
}

// List runs one `zfs list -H -p` and parses its rows.
func List(ctx context.Context, h *runtime.Host, o ListOptions) ([]*Dataset, error) {
	args, cols, err := ListArgs(o)
	if err != nil {
		return nil, err
	}
	out, err := h.Output(ctx, runtime.ZFS, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return parseRows(out, cols)
}

func parseRows(out string, cols []string) ([]*Dataset, error) {
	var ds []*Dataset
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != len(cols) {
			return nil, fmt.Errorf("zfs list: row %q has %d fields, want %d", line, len(f), len(cols))
		}
		d := &Dataset{Props: make(map[string]string, len(cols))}
		for i, c := range cols {
			d.Props[c] = f[i]
		}
		d.Name = f[0]
		d.Kind = d.Props["type"]
		ds = append(ds, d)
	}
	return ds, nil
}

// Get reads one dataset (filesystem, volume or snapshot) with extra
// properties. A missing dataset wraps runtime.ErrNotExist.
func Get(ctx context.Context, h *runtime.Host, name string, props ...string) (*Dataset, error) {
	ds, err := List(ctx, h, ListOptions{Roots: []string{name}, Types: []string{"all"}, Props: props})
	if err != nil {
		return nil, err
	}
	if len(ds) != 1 {
		return nil, fmt.Errorf("zfs list %s: %d rows, want 1", name, len(ds))
	}
	return ds[0], nil
}

// Exists reports whether a dataset exists, with one zfs process.
func Exists(ctx context.Context, h *runtime.Host, name string) (bool, error) {
	if err := CheckName(name); err != nil {
		return false, err
	}
	_, err := h.Output(ctx, runtime.ZFS, "list", "-H", "-o", "name", "-t", "all", name)
	if err == nil {
		return true, nil
	}
	if err = mapErr(err); errors.Is(err, runtime.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// CreateArgs builds the argv of Create, options sorted so transcripts are
// stable (go-zfs orders them at random and has no -p).
func CreateArgs(name string, parents bool, props map[string]string) ([]string, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	args := []string{"create"}
	if parents {
		args = append(args, "-p")
	}
	opts, err := options(props)
	if err != nil {
		return nil, err
	}
	return append(append(args, opts...), name), nil
}

// Create makes a filesystem.
func Create(ctx context.Context, h *runtime.Host, name string, parents bool, props map[string]string) error {
	args, err := CreateArgs(name, parents, props)
	if err != nil {
		return err
	}
	return mapErr(h.Change(ctx, runtime.ZFS, args...))
}

// Snapshot takes the snapshot FS@SNAP (recursively: of every descendant
// too, atomically).
func Snapshot(ctx context.Context, h *runtime.Host, name string, recursive bool) error {
	if _, snap, ok := strings.Cut(name, "@"); !ok || snap == "" {
		return fmt.Errorf("%q is not a snapshot name (FS@SNAP)", name)
	}
	if err := CheckName(name); err != nil {
		return err
	}
	args := []string{"snapshot"}
	if recursive {
		args = append(args, "-r")
	}
	// Not go-zfs's Snapshot: it lists the new snapshot afterwards, a
	// second process no caller needs.
	return mapErr(h.Change(ctx, runtime.ZFS, append(args, name)...))
}

// CloneArgs builds the argv of Clone.
func CloneArgs(snapshot, name string, parents bool, props map[string]string) ([]string, error) {
	if !strings.Contains(snapshot, "@") {
		return nil, fmt.Errorf("%q is not a snapshot name (FS@SNAP)", snapshot)
	}
	for _, n := range []string{snapshot, name} {
		if err := CheckName(n); err != nil {
			return nil, err
		}
	}
	args := []string{"clone"}
	if parents {
		args = append(args, "-p")
	}
	opts, err := options(props)
	if err != nil {
		return nil, err
	}
	return append(append(args, opts...), snapshot, name), nil
}

// Clone makes a writable filesystem from a snapshot.
func Clone(ctx context.Context, h *runtime.Host, snapshot, name string, parents bool, props map[string]string) error {
	args, err := CloneArgs(snapshot, name, parents, props)
	if err != nil {
		return err
	}
	return mapErr(h.Change(ctx, runtime.ZFS, args...))
}

// Promote makes a clone independent of its origin snapshot.
func Promote(ctx context.Context, h *runtime.Host, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	return mapErr(h.Change(ctx, runtime.ZFS, "promote", name))
}

// Rollback returns a filesystem to a snapshot; destroyRecent destroys the
// snapshots taken after it (zfs refuses otherwise).
func Rollback(ctx context.Context, h *runtime.Host, snapshot string, destroyRecent bool) error {
	if !strings.Contains(snapshot, "@") {
		return fmt.Errorf("%q is not a snapshot name (FS@SNAP)", snapshot)
	}
	if err := CheckName(snapshot); err != nil {
		return err
	}
	argv := []string{runtime.ZFS, "rollback"}
	if destroyRecent {
		argv = append(argv, "-r")
	}
	argv = append(argv, snapshot)
	return h.GoZFS(ctx, true, argv, func() error {
		return (&gozfs.Dataset{Name: snapshot, Type: gozfs.DatasetSnapshot}).Rollback(destroyRecent)
	})
}

// DestroyOptions select how Destroy goes.
type DestroyOptions struct {
	Recursive bool // -r: children and snapshots
	Clones    bool // -R: also every clone depending on it
	Force     bool // -f: unmount busy file systems
}

// DependentError is Destroy's refusal to destroy a dataset whose snapshots
// have clones elsewhere.
type DependentError struct {
	Name    string
	Clones  []string
	Wrapped error // zfs's own refusal
}

func (e *DependentError) Error() string {
	return fmt.Sprintf("%s has dependent clones: %s (destroy them too with clones=True)", e.Name, strings.Join(e.Clones, ", "))
}

func (e *DependentError) Unwrap() error { return e.Wrapped }

// Destroy destroys a dataset through go-zfs. When zfs refuses and clones
// outside the dataset depend on its snapshots, the error is a
// *DependentError naming them (one more zfs process, only on failure).
func Destroy(ctx context.Context, h *runtime.Host, name string, o DestroyOptions) error {
	if err := CheckName(name); err != nil {
		return err
	}
	argv := []string{runtime.ZFS, "destroy"}
	var flags gozfs.DestroyFlag
	if o.Recursive {
		argv = append(argv, "-r")
		flags |= gozfs.DestroyRecursive
	}
	if o.Clones {
		argv = append(argv, "-R")
		flags |= gozfs.DestroyRecursiveClones
	}
	if o.Force {
		argv = append(argv, "-f")
		flags |= gozfs.DestroyForceUmount
	}
	argv = append(argv, name)
	err := h.GoZFS(ctx, true, argv, func() error {
		return (&gozfs.Dataset{Name: name}).Destroy(flags)
	})
	if err == nil || o.Clones || errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	deps, lerr := Dependents(ctx, h, name)
	if lerr != nil || len(deps) == 0 {
		return err
	}
	return &DependentError{Name: name, Clones: deps, Wrapped: err}
}

// Dependents lists the clones, outside name's own tree, of name (a
// snapshot) or of any snapshot of name and its descendants. It reads the
// clones property of those snapshots in one zfs process, so its cost is
// that of name's tree, not of the pool.
func Dependents(ctx context.Context, h *runtime.Host, name string) ([]string, error) {
	args := []string{"list", "-H", "-o", "name,clones", "-t", "snapshot"}
	if !strings.Contains(name, "@") {
		args = append(args, "-r")
	}
	out, err := h.Output(ctx, runtime.ZFS, append(args, name)...)
	if err != nil {
		return nil, mapErr(err)
	}
	seen := map[string]bool{}
	var deps []string
	for _, line := range strings.Split(out, "\n") {
		_, clones, ok := strings.Cut(line, "\t")
		if !ok || clones == "-" || clones == "" {
			continue
		}
		for _, clone := range strings.Split(clones, ",") {
			inside := clone == name || strings.HasPrefix(clone, name+"/")
			if clone != "" && !inside && !seen[clone] {
				seen[clone] = true
				deps = append(deps, clone)
			}
		}
	}
	sort.Strings(deps)
	return deps, nil
}

// Rename renames a dataset; parents creates missing parents, recursive
// renames a snapshot of every descendant.
func Rename(ctx context.Context, h *runtime.Host, from, to string, parents, recursive bool) error {
	if parents && recursive {
		// OpenZFS: "-p and -r options are mutually exclusive".
		return fmt.Errorf("rename %s: parents and recursive together are refused by zfs rename (-p makes a dataset's parents, -r renames a snapshot of every descendant)", from)
	}
	for _, n := range []string{from, to} {
		if err := CheckName(n); err != nil {
			return err
		}
	}
	args := []string{"rename"}
	if parents {
		args = append(args, "-p")
	}
	if recursive {
		args = append(args, "-r")
	}
	return mapErr(h.Change(ctx, runtime.ZFS, append(args, from, to)...))
}

// Set sets properties of a dataset: one through go-zfs, several in one
// `zfs set a=1 b=2 DS` with sorted keys.
func Set(ctx context.Context, h *runtime.Host, name string, props map[string]string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if len(props) == 0 {
		return fmt.Errorf("no property to set on %s", name)
	}
	opts, err := options(props)
	if err != nil {
		return err
	}
	var assigns []string
	for i := 1; i < len(opts); i += 2 {
		assigns = append(assigns, opts[i])
	}
	if len(assigns) == 1 {
		k, v, _ := strings.Cut(assigns[0], "=")
		return h.GoZFS(ctx, true, []string{runtime.ZFS, "set", assigns[0], name}, func() error {
			return (&gozfs.Dataset{Name: name}).SetProperty(k, v)
		})
	}
	return mapErr(h.Change(ctx, runtime.ZFS, append(append([]string{"set"}, assigns...), name)...))
}

// Inherit clears a property so it is inherited again (for a user property
// on a pool's root: removed).
func Inherit(ctx context.Context, h *runtime.Host, name, prop string, recursive bool) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := checkPropName(prop); err != nil {
		return err
	}
	args := []string{"inherit"}
	if recursive {
		args = append(args, "-r")
	}
	return mapErr(h.Change(ctx, runtime.ZFS, append(args, prop, name)...))
}

// Mount mounts a filesystem. Not go-zfs's Mount, which lists the dataset
// afterwards: a second process no caller needs.
func Mount(ctx context.Context, h *runtime.Host, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	return mapErr(h.Change(ctx, runtime.ZFS, "mount", name))
}

// Unmount unmounts a filesystem; force unmounts it even when busy.
func Unmount(ctx context.Context, h *runtime.Host, name string, force bool) error {
	if err := CheckName(name); err != nil {
		return err
	}
	args := []string{"unmount"}
	if force {
		args = append(args, "-f")
	}
	return mapErr(h.Change(ctx, runtime.ZFS, append(args, name)...))
}

// SendOptions select the stream Send writes.
type SendOptions struct {
	Base          string // incremental from this snapshot ("@snap" or full name)
	Intermediates bool   // -I: include the snapshots between Base and the target
	Replicate     bool   // -R: the dataset's whole tree, properties and snapshots
	Props         bool   // -p: the dataset's properties travel with the stream
	// ResumeToken (-t) sends the rest of an interrupted stream, as the
	// receiving side's receive_resume_token names it; the snapshot is
	// then "" (the token names it), and Base, Intermediates, Replicate
	// and Props must be unset, as zfs send -t refuses them.
	ResumeToken string
}

// maxResumeToken bounds a token, as ZFS_MAXPROPLEN bounds the property.
const maxResumeToken = 4096

// CheckResumeToken checks that a receive_resume_token, which comes from the
// receiving host, is one: lowercase letters, digits and dashes (OpenZFS
// writes hex), at most 4096 bytes.
func CheckResumeToken(tok string) error {
	if tok == "" || len(tok) > maxResumeToken {
		return fmt.Errorf("resume token of %d bytes: want 1 to %d", len(tok), maxResumeToken)
	}
	for _, r := range tok {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '-') {
			return fmt.Errorf("resume token holds %q: want lowercase letters, digits and dashes", r)
		}
	}
	return nil
}

// SendArgs builds the argv of a send.
func SendArgs(snapshot string, o SendOptions) ([]string, error) {
	if o.ResumeToken != "" {
		if snapshot != "" || o.Base != "" || o.Intermediates || o.Replicate || o.Props {
			return nil, fmt.Errorf("a resumed send takes its snapshot and flags from the token: want no snapshot, base, intermediates, replicate or props")
		}
		if err := CheckResumeToken(o.ResumeToken); err != nil {
			return nil, err
		}
		return []string{"send", "-t", o.ResumeToken}, nil
	}
	if !strings.Contains(snapshot, "@") {
		return nil, fmt.Errorf("%q is not a snapshot name (FS@SNAP)", snapshot)
	}
	if err := CheckName(snapshot); err != nil {
		return nil, err
	}
	args := []string{"send"}
	if o.Replicate {
		args = append(args, "-R")
	}
	if o.Props {
		args = append(args, "-p")
	}
	if o.Base != "" {
		if !strings.Contains(o.Base, "@") {
			return nil, fmt.Errorf("base %q is not a snapshot (@SNAP or FS@SNAP)", o.Base)
		}
		if strings.HasPrefix(o.Base, "@") {
			if err := checkSnapPart(o.Base[1:]); err != nil {
				return nil, err
			}
		} else if err := CheckName(o.Base); err != nil {
			return nil, err
		}
		flag := "-i"
		if o.Intermediates {
			flag = "-I"
		}
		args = append(args, flag, o.Base)
	} else if o.Intermediates {
		return nil, fmt.Errorf("intermediates needs a base snapshot")
	}
	return append(args, snapshot), nil
}

// Send streams a snapshot to w. The stream never sits in memory.
func Send(ctx context.Context, h *runtime.Host, snapshot string, o SendOptions, w io.Writer) error {
	return send(ctx, h, snapshot, o, w, false)
}

// send runs zfs send; change marks it as part of a change, so that a
// dry-run prints it rather than streaming into a receive that never runs.
func send(ctx context.Context, h *runtime.Host, snapshot string, o SendOptions, w io.Writer, change bool) error {
	args, err := SendArgs(snapshot, o)
	if err != nil {
		return err
	}
	_, err = h.Run(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: args, Stdout: w, Change: change})
	return mapErr(err)
}

// ReceiveOptions select how Receive applies a stream.
type ReceiveOptions struct {
	Force   bool // -F: roll the target back (and destroy what the stream lacks)
	NoMount bool // -u: do not mount what is received
	// Resumable (-s) keeps what arrived of a stream that is cut short
	// (its input ends early or the receiver is killed) as partial state:
	// the target then shows a receive_resume_token (ResumeTokens), and
	// Send with that ResumeToken completes it; AbortReceive drops it.
	// Until then a new stream into the target is refused.
	Resumable bool
	// Exclude (-x) leaves these properties of the stream unset.
	Exclude []string
}

// ReceiveArgs builds the argv of a receive.
func ReceiveArgs(name string, o ReceiveOptions) ([]string, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	args := []string{"receive"}
	if o.Force {
		args = append(args, "-F")
	}
	if o.NoMount {
		args = append(args, "-u")
	}
	if o.Resumable {
		args = append(args, "-s")
	}
	ex := append([]string(nil), o.Exclude...)
	sort.Strings(ex)
	for _, p := range ex {
		if err := checkPropName(p); err != nil {
			return nil, err
		}
		args = append(args, "-x", p)
	}
	return append(args, name), nil
}

// Receive applies the stream read from r to name.
func Receive(ctx context.Context, h *runtime.Host, name string, o ReceiveOptions, r io.Reader) error {
	args, err := ReceiveArgs(name, o)
	if err != nil {
		return err
	}
	_, err = h.Run(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: args, Stdin: r, Change: true})
	return mapErr(err)
}

// AbortReceive drops the partial state a resumable receive left in fs
// (zfs receive -A): a file system the interrupted stream was creating is
// destroyed, an existing one keeps what it had. A file system without
// partial state is an error.
func AbortReceive(ctx context.Context, h *runtime.Host, fs string) error {
	if err := CheckName(fs); err != nil {
		return err
	}
	if strings.Contains(fs, "@") {
		return fmt.Errorf("%q is not a file system or volume", fs)
	}
	return mapErr(h.Change(ctx, runtime.ZFS, "receive", "-A", fs))
}

// ResumeTokens reads, with one zfs get, the receive_resume_token of root
// and its descendants, and returns those that have one, by dataset. A
// missing root wraps runtime.ErrNotExist.
func ResumeTokens(ctx context.Context, h *runtime.Host, root string) (map[string]string, error) {
	if err := CheckName(root); err != nil {
		return nil, err
	}
	out, err := h.Output(ctx, runtime.ZFS, "get", "-H", "-r", "-t", "filesystem,volume", "-o", "name,value", "receive_resume_token", root)
	if err != nil {
		return nil, mapErr(err)
	}
	toks := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		name, tok, ok := strings.Cut(line, "\t")
		if !ok || name != root && !strings.HasPrefix(name, root+"/") {
			return nil, fmt.Errorf("zfs get receive_resume_token %s: unexpected line %q", root, line)
		}
		if tok == "-" || tok == "" {
			continue
		}
		if err := CheckResumeToken(tok); err != nil {
			return nil, fmt.Errorf("receive_resume_token of %s: %w", name, err)
		}
		toks[name] = tok
	}
	return toks, nil
}

// Transfer pipes `zfs send` straight into `zfs receive`: two processes,
// streamed, nothing written to disk. If either side fails the other is
// stopped and both errors are reported.
func Transfer(ctx context.Context, h *runtime.Host, snapshot, target string, so SendOptions, ro ReceiveOptions) error {
	if _, err := SendArgs(snapshot, so); err != nil {
		return err
	}
	if _, err := ReceiveArgs(target, ro); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	sendErr := make(chan error, 1)
	go func() {
		err := send(ctx, h, snapshot, so, pw, h.DryRun())
		pw.CloseWithError(err)
		sendErr <- err
	}()
	rerr := Receive(ctx, h, target, ro, pr)
	// A receiver that stopped early must not leave the sender blocked.
	pr.CloseWithError(errors.New("receive ended"))
	if rerr != nil {
		cancel()
	}
	serr := <-sendErr
	switch {
	case serr != nil && rerr != nil:
		return fmt.Errorf("send: %w; receive: %w", serr, rerr)
	case serr != nil:
		return fmt.Errorf("send: %w", serr)
	case rerr != nil:
		return fmt.Errorf("receive: %w", rerr)
	}
	return nil
}

// options renders -o k=v pairs in sorted key order.
func options(props map[string]string) ([]string, error) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if err := checkPropName(k); err != nil {
			return nil, err
		}
		v := props[k]
		if strings.ContainsAny(v, "\n\t\x00") {
			return nil, fmt.Errorf("property %s: value %q contains a tab, newline or NUL", k, v)
		}
		out = append(out, "-o", k+"="+v)
	}
	return out, nil
}

// CheckName refuses names zfs would misread: empty, with whitespace, or
// starting with "-" (an option).
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty dataset name")
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("dataset name %q starts with '-'", name)
	case strings.ContainsAny(name, " \t\n\x00"):
		return fmt.Errorf("dataset name %q contains whitespace", name)
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return fmt.Errorf("dataset name %q has an empty component", name)
	case strings.Count(name, "@") > 1:
		return fmt.Errorf("dataset name %q has more than one '@'", name)
	}
	return nil
}

func checkSnapPart(s string) error {
	if s == "" || strings.ContainsAny(s, " \t\n\x00@/") {
		return fmt.Errorf("snapshot name %q is not valid", s)
	}
	return nil
}

func checkPropName(p string) error {
	if p == "" || strings.ContainsAny(p, " \t\n\x00=,") || strings.HasPrefix(p, "-") {
		return fmt.Errorf("property name %q is not valid", p)
	}
	return nil
}

// mapErr makes a zfs "does not exist" error wrap runtime.ErrNotExist,
// keeping zfs's message.
func mapErr(err error) error {
	if err == nil || errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	var ee *runtime.ExitError
	if errors.As(err, &ee) && strings.Contains(ee.Stderr, "does not exist") {
		return fmt.Errorf("%w: %w", err, runtime.ErrNotExist)
	}
	return err
}
