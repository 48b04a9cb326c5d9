package jail

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

// Jail is one jail (or the defaults pseudo-jail) as read from ZFS and jls.
type Jail struct {
	UUID       string // empty for the defaults
	Tag        string
	Dataset    string
	Mountpoint string
	Default    bool // the defaults dataset, addressed as "default"
	// Props holds every property by bare name: user properties as stored
	// ("-" when unset), native ones as `zfs get` prints them (sizes in
	// human form, "none" for no quota).
	Props map[string]string
	// Raw holds the native properties' exact values (zfs -p).
	Raw map[string]string
	JID int // 0 when not running
}

// Name is the jail's name in the kernel.
func (j *Jail) Name() string { return "ioc-" + j.UUID }

// State is "up" or "down".
func (j *Jail) State() string {
	if j.JID > 0 {
		return "up"
	}
	return "down"
}

// Identity is the jail as lookup sees it.
func (j *Jail) Identity() jailprops.Identity { return jailprops.Identity{UUID: j.UUID, Tag: j.Tag} }

// nativeExtra are native columns beyond zfs.BaseColumns that jails show.
var nativeExtra = []string{"compressratio", "dedup", "copies"}

func jailColumns() []string { return append(userColumns(), nativeExtra...) }

// fromDataset converts a zfs row into a Jail.
func fromDataset(d *zfs.Dataset) *Jail {
	j := &Jail{Dataset: d.Name, Props: map[string]string{}, Raw: map[string]string{}}
	j.Mountpoint, _ = d.Value("mountpoint")
	for _, c := range userColumns() {
		v, ok := d.Props[c]
		if !ok || v == "" {
			v = "-"
		}
		j.Props[strings.TrimPrefix(c, jailprops.Prefix)] = v
	}
	for _, p := range jailprops.NativeProperties() {
		raw := d.Props[p.Name]
		if raw == "" {
			raw = "-"
		}
		j.Raw[p.Name] = raw
		j.Props[p.Name] = displayNative(p.Name, raw)
	}
	j.Tag = j.Props["tag"]
	return j
}

// displayNative renders a parsable native value the way `zfs get` shows it.
func displayNative(name, raw string) string {
	switch name {
	case "used", "available", "quota", "reservation":
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return raw
		}
		if n == 0 && (name == "quota" || name == "reservation") {
			return "none"
		}
		return zfs.HumanSize(n)
	case "compressratio":
		if raw != "-" && !strings.HasSuffix(raw, "x") {
			return raw + "x"
		}
	}
	return raw
}

// List reads every jail of pool: one zfs process for all their properties
// and one jls for their running state, whatever their number. Jails are
// the filesystems directly under POOL/iocage/jails named by a UUID, sorted
// by tag then UUID. A pool without the tree has no jails.
func List(ctx context.Context, h *runtime.Host, pool string) ([]*Jail, error) {
	ds, err := jailRows(ctx, h, pool, zfs.ListOptions{Props: jailColumns()})
	if err != nil {
		return nil, err
	}
	var jails []*Jail
	for base, d := range ds {
		j := fromDataset(d)
		j.UUID = base
		jails = append(jails, j)
	}
	sort.SliceStable(jails, func(a, b int) bool {
		if jails[a].Tag != jails[b].Tag {
			return jails[a].Tag < jails[b].Tag
		}
		return jails[a].UUID < jails[b].UUID
	})
	if len(jails) == 0 {
		return jails, nil
	}
	running, err := Running(ctx, h)
	if err != nil {
		return nil, err
	}
	byName := map[string]int{}
	for _, r := range running {
		byName[r.Name] = r.JID
	}
	for _, j := range jails {
		j.JID = byName[j.Name()]
	}
	return jails, nil
}

// jailRows lists, with one zfs list of the columns o asks for, the jails of
// pool: the filesystems directly under POOL/iocage/jails named by a UUID,
// yielded as (UUID, row) in zfs's order. A pool without the tree has none.
func jailRows(ctx context.Context, h *runtime.Host, pool string, o zfs.ListOptions) (iter.Seq2[string, *zfs.Dataset], error) {
	o.Roots, o.Depth, o.Types = []string{JailsDS(pool)}, 1, []string{"filesystem"}
	ds, err := zfs.List(ctx, h, o)
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return nil, err
	}
	return func(yield func(string, *zfs.Dataset) bool) {
		for _, d := range ds {
			base := path.Base(d.Name)
			if d.Name == JailsDS(pool) || !jailprops.IsUUID(base) {
				continue
			}
			if !yield(base, d) {
				return
			}
		}
	}, nil
}

// Defaults reads the defaults pseudo-jail (one zfs process). When the
// defaults dataset is missing (never made, or wiped by `destroy default`)
// but the iocage tree exists, it is the built-in defaults, in memory:
// reads do not write, and the next changing command (Prepare) makes the
// dataset with those values.
func Defaults(ctx context.Context, h *runtime.Host, pool string) (*Jail, error) {
	d, err := zfs.Get(ctx, h, DefaultsDS(pool), jailColumns()...)
	if err != nil {
		if !errors.Is(err, runtime.ErrNotExist) {
			return nil, err
		}
		if ok, xerr := zfs.Exists(ctx, h, JailsDS(pool)); xerr != nil || !ok {
			return nil, fmt.Errorf("defaults of pool %s: %w (`iocage activate %s` lays out the iocage datasets)", pool, err, pool)
		}
		return builtinDefaults(ctx, h, pool)
	}
	j := fromDataset(d)
	j.Default, j.Tag = true, jailprops.KeywordDefault
	return j, nil
}

// builtinDefaults is the defaults pseudo-jail of a pool whose defaults
// dataset is missing: what Prepare would write, and the native
// properties' built-in defaults.
func builtinDefaults(ctx context.Context, h *runtime.Host, pool string) (*Jail, error) {
	g, err := HostFacts(ctx, h)
	if err != nil {
		return nil, err
	}
	j := &Jail{Dataset: DefaultsDS(pool), Mountpoint: Root + "/.defaults", Default: true, Tag: jailprops.KeywordDefault,
		Props: map[string]string{}, Raw: map[string]string{}}
	for _, c := range userColumns() {
		j.Props[strings.TrimPrefix(c, jailprops.Prefix)] = "-"
	}
	for k, v := range defaultsFill(g) {
		j.Props[k] = v
	}
	builtins := jailprops.Builtins(g)
	for _, p := range jailprops.NativeProperties() {
		v, ok := builtins[p.Name]
		if !ok {
			v = "-"
		}
		j.Props[p.Name], j.Raw[p.Name] = v, v
		if v == "none" && (p.Name == "quota" || p.Name == "reservation") {
			j.Raw[p.Name] = "0" // as zfs -p prints no limit
		}
	}
	return j, nil
}

// RunningJail is one row of jls.
type RunningJail struct {
	JID      int
	Name     string
	Path     string
	Hostname string
	IP4      string
}

// JlsArgs are the arguments of the one jls that reads running jails:
// libxo JSON, so that a hostname (which the jail sets) is a quoted value
// and can never add a row or a column.
var JlsArgs = []string{"--libxo", "json", "jid", "name", "path", "host.hostname", "ip4.addr"}

// Running lists the running jails (one jls process).
func Running(ctx context.Context, h *runtime.Host) ([]RunningJail, error) {
	out, err := h.Output(ctx, runtime.Jls, JlsArgs...)
	if err != nil {
		return nil, err
	}
	return ParseJls(out)
}

// Find looks name up among jails (see jailprops.Find).
func Find(jails []*Jail, name string) (*Jail, error) {
	ids := make([]jailprops.Identity, len(jails))
	for i, j := range jails {
		ids[i] = j.Identity()
	}
	i, err := jailprops.Find(ids, name)
	if err != nil {
		return nil, err
	}
	return jails[i], nil
}

// FindSnapshot resolves JAIL@SNAP. A whole argument that is exactly the tag
// of a jail (tags of the shell iocage hold "@") is that jail with no
// snapshot; otherwise the argument splits at its last "@".
func FindSnapshot(jails []*Jail, arg string) (*Jail, string, error) {
	for _, j := range jails {
		if j.Tag == arg && strings.Contains(arg, "@") {
			return j, "", nil
		}
	}
	name, snap, ok := jailprops.SplitSnap(arg)
	if ok && snap == "" {
		return nil, "", fmt.Errorf("%q: empty snapshot name after @", arg)
	}
	j, err := Find(jails, name)
	if err != nil {
		return nil, "", err
	}
	return j, snap, nil
}

// Validate checks assignments for j before anything is written: known,
// writable, valid values; a tag unique among jails; hack88 only on a
// stopped jail. The shell iocage stored anything.
func Validate(j *Jail, assigns map[string]string, jails []*Jail) error {
	if err := jailprops.CheckOverrides(assigns); err != nil {
		return err
	}
	if !j.Default {
		claims := map[string]string{}
		for _, n := range []string{"tag", "ip4_addr", "ip6_addr"} {
			if v, ok := assigns[n]; ok {
				claims[n] = v
			}
		}
		if err := CheckUnique(j.UUID, claims, jails); err != nil {
			return err
		}
	}
	if v, ok := assigns["hack88"]; ok && !j.Default {
		if j.JID > 0 {
			return fmt.Errorf("hack88: cannot change it while jail %s is running; stop it first", j.UUID)
		}
		if v == "1" {
			if err := checkShortMountpoint(j, jails); err != nil {
				return err
			}
		}
	}
	// A jail stores the address AUTOIP4 stands for (set.star resolves it
	// under the host's AUTOIP4 lock); the defaults keep the word, which
	// create resolves for each new jail.
	if v, ok := assigns["ip4_addr"]; ok && !j.Default && strings.Contains(v, "AUTOIP4") {
		return fmt.Errorf("ip4_addr=%s: AUTOIP4 must be resolved before it is stored on a jail (net.star's autoip4 does, under the host's lock)", v)
	}
	return nil
}

// ShortMountpoint is the mountpoint hack88=1 gives a jail:
// /iocage/jails/<first 8 characters of its UUID>.
func ShortMountpoint(uuid string) string {
	short, _, _ := strings.Cut(uuid, "-")
	return Root + "/jails/" + short
}

// checkShortMountpoint refuses hack88=1 when another jail shares the
// first 8 characters of j's UUID and has, or could take, the same short
// mountpoint (layout.md §7: the shell iocage let them collide).
func checkShortMountpoint(j *Jail, jails []*Jail) error {
	want := ShortMountpoint(j.UUID)
	for _, o := range jails {
		if o.UUID == j.UUID {
			continue
		}
		if o.Mountpoint == want || (ShortMountpoint(o.UUID) == want && o.Props["hack88"] == "1") {
			return fmt.Errorf("hack88=1: jail %s (%s) already uses %s, the short mountpoint of %s; keep hack88=0 on one of them", o.UUID, o.Tag, want, j.UUID)
		}
	}
	return nil
}

// previousValues reads what taking back an assignment of keys on j
// needs: user properties come from j as read (an unset one is inherited
// back, which removes it); native ones are read with their sources, in one
// zfs get and only when one is assigned.
func previousValues(ctx context.Context, h *runtime.Host, j *Jail, keys []string) (map[string]zfs.PropSource, error) {
	prev := map[string]zfs.PropSource{}
	var native []string
	for _, k := range keys {
		p, err := jailprops.Lookup(k)
		if err != nil {
			return nil, err
		}
		if p.Native {
			native = append(native, p.ZFSName())
			continue
		}
		v := j.Props[k]
		if v == "" || v == "-" {
			prev[p.ZFSName()] = zfs.PropSource{Value: "-", Source: "-"}
		} else {
			prev[p.ZFSName()] = zfs.PropSource{Value: v, Source: "local"}
		}
	}
	if len(native) > 0 {
		got, err := zfs.Sources(ctx, h, j.Dataset, native...)
		if err != nil {
			return nil, err
		}
		for k, v := range got {
			prev[k] = v
		}
	}
	return prev, nil
}

// SetUndo returns the undo step of Set(j, assigns) (or Reset) on keys:
// the previous values restored with one zfs set and a zfs inherit per
// property that was unset, and the tag link moved back (jail.set_restore).
// Call it before the change, with j as it was.
func SetUndo(ctx context.Context, h *runtime.Host, j *Jail, keys []string) (thread.Step, error) {
	prev, err := previousValues(ctx, h, j, keys)
	if err != nil {
		return thread.Step{}, err
	}
	tag := ""
	if _, tagged := prev[jailprops.Prefix+"tag"]; tagged && !j.Default {
		tag = j.Tag
	}
	return setRestoreStep(j.Dataset, prev, tag, j.Mountpoint), nil
}

// relinkBack makes /iocage/tags/TAG point at old's mountpoint again and
// removes other links to it that a failed run made.
func relinkBack(h *runtime.Host, old *Jail) error {
	if old.Mountpoint == "" || old.Tag == "" || old.Tag == "-" || strings.Contains(old.Tag, "/") {
		return nil
	}
	ents, err := h.ReadDir(Root + "/tags")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		link := Root + "/tags/" + e.Name()
		if e.Name() == old.Tag {
			continue
		}
		if t, err := h.Readlink(link); err == nil && t == old.Mountpoint {
			if err := h.Remove(link); err != nil {
				return err
			}
		}
	}
	link := Root + "/tags/" + old.Tag
	if t, err := h.Readlink(link); err == nil && t == old.Mountpoint {
		return nil
	}
	return relinkTag(h, old, "")
}

// Set writes validated assignments on j in one zfs process, and keeps the
// tag link in /iocage/tags in step when the tag changes. It updates j.
func Set(ctx context.Context, h *runtime.Host, j *Jail, assigns map[string]string) error {
	oldTag := j.Tag
	if err := setProps(ctx, h, j, assigns); err != nil {
		return err
	}
	return followTag(h, j, oldTag)
}

// setProps is Set's zfs set: it updates j's properties and tag, not the
// link.
func setProps(ctx context.Context, h *runtime.Host, j *Jail, assigns map[string]string) error {
	zp := map[string]string{}
	for k, v := range assigns {
		p, err := jailprops.Lookup(k)
		if err != nil {
			return err
		}
		zp[p.ZFSName()] = v
	}
	if err := zfs.Set(ctx, h, j.Dataset, zp); err != nil {
		return err
	}
	for k, v := range assigns {
		j.Props[k] = v
	}
	if tag, ok := assigns["tag"]; ok && !j.Default {
		j.Tag = tag
	}
	return nil
}

// followTag moves j's tag link when setProps changed its tag from oldTag.
func followTag(h *runtime.Host, j *Jail, oldTag string) error {
	if j.Default || j.Tag == oldTag {
		return nil
	}
	return relinkTag(h, j, oldTag)
}

// relinkTag replaces the jail's link in /iocage/tags. Links are
// convenience only; a link of another jail with the old name is left.
func relinkTag(h *runtime.Host, j *Jail, oldTag string) error {
	if j.Mountpoint == "" {
		return nil
	}
	if oldTag != "" && oldTag != "-" && !strings.Contains(oldTag, "/") {
		old := Root + "/tags/" + oldTag
		if t, err := h.Readlink(old); err == nil && t == j.Mountpoint {
			if err := h.Remove(old); err != nil {
				return err
			}
		}
	}
	link, err := TagLink(h, j.Tag)
	if err != nil {
		return err
	}
	if _, err := h.Lstat(link); err == nil {
		if err := h.Remove(link); err != nil {
			return err
		}
	}
	return h.Symlink(j.Mountpoint, link)
}

// TagLink is the path of tag's link, /iocage/tags/TAG, once tag is known
// to be one file name (so the link cannot land elsewhere; tags of the
// shell iocage such as 2015-11-10@12:34:56 are file names too) and
// /iocage/tags to be a real directory (made when missing), not a symlink
// that would put the link somewhere else.
func TagLink(h *runtime.Host, tag string) (string, error) {
	if tag == "" || tag == "." || tag == ".." || strings.ContainsAny(tag, "/\x00\n") {
		return "", fmt.Errorf("tag %q cannot name a link in %s/tags: not a file name", tag, Root)
	}
	dir := Root + "/tags"
	if err := h.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fi, err := h.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory (a symlink?): tag links are made only in a real directory there", dir)
	}
	return dir + "/" + tag, nil
}

// ResetProps computes what reset writes on j from the defaults: user
// properties (jailprops.ResetValues) and the settable native ones.
func ResetProps(j, defaults *Jail) map[string]string {
	defs := map[string]string{}
	for k, v := range defaults.Props {
		defs[k] = v
	}
	for _, p := range jailprops.NativeProperties() {
		if !p.ReadOnly {
			defs[p.Name] = defaults.Props[p.Name]
		}
	}
	g := jailprops.Generated{UUID: j.UUID, HostID: defaults.Props["hostid"], VNET: defaults.Props["vnet"] == "on", Release: defaults.Props["release"]}
	return jailprops.ResetValues(j.UUID, j.Props, defs, g)
}

// Reset writes ResetProps on j in one zfs process.
func Reset(ctx context.Context, h *runtime.Host, j, defaults *Jail) (map[string]string, error) {
	if j.Default {
		return nil, fmt.Errorf("reset: the defaults cannot be reset; set their properties instead")
	}
	vals := ResetProps(j, defaults)
	zp := map[string]string{}
	for k, v := range vals {
		p, err := jailprops.Lookup(k)
		if err != nil {
			return nil, err
		}
		if p.Native && p.ReadOnly {
			continue
		}
		zp[p.ZFSName()] = v
	}
	if err := zfs.Set(ctx, h, j.Dataset, zp); err != nil {
		return nil, err
	}
	oldTag := j.Tag
	for k, v := range vals {
		j.Props[k] = v
	}
	j.Tag = j.Props["tag"]
	if j.Tag != oldTag {
		return vals, relinkTag(h, j, oldTag)
	}
	return vals, nil
}

// Migrate brings j to the current format, filling unset properties from
// the defaults. Only changing commands call it: reads never rewrite a jail.
func Migrate(ctx context.Context, h *runtime.Host, j, defaults *Jail) ([]string, error) {
	props := map[string]string{}
	for _, c := range userColumns() {
		n := strings.TrimPrefix(c, jailprops.Prefix)
		if v := j.Props[n]; v != "" && v != "-" {
			props[n] = v
		}
	}
	fill := map[string]string{}
	if defaults != nil {
		for _, p := range jailprops.UserProperties() {
			if v := defaults.Props[p.Name]; v != "" && v != "-" {
				fill[p.Name] = v
			}
		}
	}
	uuid := j.UUID
	if j.Default {
		uuid = ""
	}
	return applyMigration(ctx, h, j.Dataset, uuid, props, fill)
}
