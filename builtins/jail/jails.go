package jail

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

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
	ds, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{JailsDS(pool)}, Depth: 1, Types: []string{"filesystem"}, Props: jailColumns()})
	if errors.Is(err, runtime.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var jails []*Jail
	for _, d := range ds {
		base := path.Base(d.Name)
		if d.Name == JailsDS(pool) || !jailprops.IsUUID(base) {
			continue
		}
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

// Defaults reads the defaults pseudo-jail (one zfs process).
func Defaults(ctx context.Context, h *runtime.Host, pool string) (*Jail, error) {
	d, err := zfs.Get(ctx, h, DefaultsDS(pool), jailColumns()...)
	if err != nil {
		if errors.Is(err, runtime.ErrNotExist) {
			return nil, fmt.Errorf("defaults of pool %s: %w (`iocage activate %s` lays out the iocage datasets)", pool, err, pool)
		}
		return nil, err
	}
	j := fromDataset(d)
	j.Default, j.Tag = true, jailprops.KeywordDefault
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

// JlsArgs are the arguments of the one jls that reads running jails.
var JlsArgs = []string{"-q", "jid", "name", "path", "host.hostname", "ip4.addr"}

// Running lists the running jails (one jls process).
func Running(ctx context.Context, h *runtime.Host) ([]RunningJail, error) {
	out, err := h.Output(ctx, runtime.Jls, JlsArgs...)
	if err != nil {
		return nil, err
	}
	var rs []RunningJail
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := splitQuoted(line)
		if len(f) < 5 {
			return nil, fmt.Errorf("jls: line %q has %d fields, want 5", line, len(f))
		}
		jid, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("jls: jid %q is not a number", f[0])
		}
		rs = append(rs, RunningJail{JID: jid, Name: f[1], Path: f[2], Hostname: f[3], IP4: f[4]})
	}
	return rs, nil
}

// splitQuoted splits a jls -q line: space separated values, double quoted
// when they hold spaces or quotes (with backslash escapes), "" when empty.
func splitQuoted(line string) []string {
	var out []string
	var b strings.Builder
	inQ, esc, have := false, false, false
	for _, r := range line {
		switch {
		case esc:
			b.WriteRune(r)
			esc = false
		case r == '\\' && inQ:
			esc = true
		case r == '"':
			inQ = !inQ
			have = true
		case r == ' ' && !inQ:
			if have || b.Len() > 0 {
				out = append(out, b.String())
			}
			b.Reset()
			have = false
		default:
			b.WriteRune(r)
		}
	}
	if have || b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
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
	if tag, ok := assigns["tag"]; ok && !j.Default {
		for _, o := range jails {
			if o.UUID != j.UUID && o.Tag == tag {
				return fmt.Errorf("tag %q is already used by %s", tag, o.UUID)
			}
		}
	}
	if _, ok := assigns["hack88"]; ok && j.JID > 0 {
		return fmt.Errorf("hack88: cannot change it while jail %s is running", j.UUID)
	}
	if v, ok := assigns["ip4_addr"]; ok && strings.Contains(v, "AUTOIP4") {
		return fmt.Errorf("ip4_addr: AUTOIP4 is resolved by the network module, which is not available yet; give an address")
	}
	return nil
}

// Set writes validated assignments on j in one zfs process, and keeps the
// tag link in /iocage/tags in step when the tag changes. It updates j.
func Set(ctx context.Context, h *runtime.Host, j *Jail, assigns map[string]string) error {
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
	oldTag := j.Tag
	for k, v := range assigns {
		j.Props[k] = v
	}
	if tag, ok := assigns["tag"]; ok && !j.Default {
		j.Tag = tag
		return relinkTag(h, j, oldTag)
	}
	return nil
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
	link := Root + "/tags/" + j.Tag
	if _, err := h.Lstat(link); err == nil {
		if err := h.Remove(link); err != nil {
			return err
		}
	}
	if err := h.MkdirAll(Root+"/tags", 0o755); err != nil {
		return err
	}
	return h.Symlink(j.Mountpoint, link)
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
