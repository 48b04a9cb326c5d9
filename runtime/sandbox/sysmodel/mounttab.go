package sysmodel

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// secMounts is the store section holding the mounts the models made, in
// mount order.
const secMounts = "mounts"

// mountRec is one mount made by mount(8) (or by a jail through it), in
// FreeBSD terms. Its Linux side is found at sb.Path(Point).
type mountRec struct {
	Device   string   `json:"device"`
	Point    string   `json:"point"` // host path, symbolic links resolved
	FSType   string   `json:"fstype"`
	ReadOnly bool     `json:"readonly,omitempty"`
	Flags    []string `json:"flags,omitempty"`   // noatime, noexec, nosuid
	FSOpts   []string `json:"fsopts,omitempty"`  // file system options, e.g. size=1g
	Ruleset  int      `json:"ruleset,omitempty"` // devfs: the mount's ruleset
	Hidden   []string `json:"hidden,omitempty"`  // devfs: nodes hidden by rules
	// Sub lists helper mounts made inside this one (devfs's devpts), host
	// paths, unmounted before it.
	Sub []string `json:"sub,omitempty"`
}

func loadMounts(tx *model.Tx) ([]mountRec, error) {
	var recs []mountRec
	err := tx.Get(secMounts, &recs)
	return recs, err
}

// linuxMount is one line of /proc/self/mountinfo.
type linuxMount struct {
	Point  string // local path
	FSType string
	Source string
	RO     bool
}

func readMountinfo() ([]linuxMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMountinfo(f)
}

func parseMountinfo(r io.Reader) ([]linuxMount, error) {
	var out []linuxMount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 6 || sep < 0 || sep+2 >= len(fields) {
			continue
		}
		ro := false
		for _, o := range strings.Split(fields[5], ",") {
			if o == "ro" {
				ro = true
			}
		}
		out = append(out, linuxMount{Point: unescapeOctal(fields[4]), FSType: fields[sep+1], Source: unescapeOctal(fields[sep+2]), RO: ro})
	}
	return out, sc.Err()
}

// unescapeOctal undoes the \ooo escapes of mountinfo and fstab(5).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// entryKind says who made a mount in the table.
type entryKind int

const (
	kindOurs    entryKind = iota // made by this package, in state
	kindZFS                      // a ZFS file system of the sandbox pools
	kindSandbox                  // the sandbox's own /dev
)

// tabEntry is one line of the modelled host's mount table.
type tabEntry struct {
	Device string
	Point  string // host path
	FSType string
	RO     bool
	Flags  []string
	kind   entryKind
	rec    int // index in the state's records when kind is kindOurs
}

// mountTable merges the Linux mount table with the recorded mounts into
// the FreeBSD view, in mount order. It also returns recs with the records
// whose Linux mount is gone (unmounted behind the model's back) dropped.
func mountTable(sb *model.Sandbox, recs []mountRec) ([]tabEntry, []mountRec, error) {
	lm, err := readMountinfo()
	if err != nil {
		return nil, recs, err
	}
	root := path.Clean(sb.Root)
	// Stacked mounts on one point are matched to records in order.
	pending := map[string][]int{}
	for i, r := range recs {
		pending[r.Point] = append(pending[r.Point], i)
	}
	used := make([]bool, len(recs))
	var tab []tabEntry
	for _, m := range lm {
		if m.Point != root && !strings.HasPrefix(m.Point, root+"/") {
			continue
		}
		host := "/" + strings.TrimPrefix(strings.TrimPrefix(m.Point, root), "/")
		if q := pending[host]; len(q) > 0 {
			i := q[0]
			pending[host] = q[1:]
			used[i] = true
			r := recs[i]
			tab = append(tab, tabEntry{Device: r.Device, Point: r.Point, FSType: r.FSType, RO: r.ReadOnly, Flags: r.Flags, kind: kindOurs, rec: i})
			continue
		}
		switch {
		case m.FSType == "fuse.zfs" || m.FSType == "zfs":
			tab = append(tab, tabEntry{Device: m.Source, Point: host, FSType: "zfs", RO: m.RO, kind: kindZFS, rec: -1})
		case host == "/dev":
			tab = append(tab, tabEntry{Device: "devfs", Point: host, FSType: "devfs", kind: kindSandbox, rec: -1})
		}
	}
	var live []mountRec
	idx := map[int]int{}
	for i, r := range recs {
		if used[i] {
			idx[i] = len(live)
			live = append(live, r)
		}
	}
	for k := range tab {
		if tab[k].kind == kindOurs {
			tab[k].rec = idx[tab[k].rec]
		}
	}
	return tab, live, nil
}

// describe renders an entry as `mount` lists it:
// "devfs on /dev (devfs)".
func (t tabEntry) describe() string {
	words := []string{t.FSType}
	local := t.FSType != "devfs" && t.FSType != "fdescfs"
	if local {
		words = append(words, "local")
	}
	if has(t.Flags, "noatime") {
		words = append(words, "noatime")
	}
	if has(t.Flags, "noexec") {
		words = append(words, "noexec")
	}
	if has(t.Flags, "nosuid") {
		words = append(words, "nosuid")
	}
	if t.RO {
		words = append(words, "read-only")
	}
	if t.FSType == "zfs" {
		words = append(words, "nfsv4acls")
	}
	return fmt.Sprintf("%s on %s (%s)", t.Device, t.Point, strings.Join(words, ", "))
}

// fstabLine renders an entry as `mount -p` does, in fstab(5) form with
// FreeBSD's tab padding.
func (t tabEntry) fstabLine() string {
	var opts []string
	if t.RO {
		opts = append(opts, "ro")
	}
	for _, f := range []string{"noexec", "nosuid", "noatime"} {
		if has(t.Flags, f) {
			opts = append(opts, f)
		}
	}
	o := strings.Join(opts, ",")
	if o == "" {
		o = "rw\t"
	} else if len(o) < 8 {
		o += "\t"
	} else {
		o += " "
	}
	return pad(t.Device) + pad(t.Point) + t.FSType + "\t" + o + "\t0 0"
}

func pad(s string) string {
	l := len(s)
	p := s
	if l < 8 {
		p += "\t"
	}
	if l < 16 {
		p += "\t"
	}
	if l < 24 {
		p += "\t"
	} else {
		p += " "
	}
	return p
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fstabEnt is one usable line of an fstab(5) file.
type fstabEnt struct {
	Spec, File, VFSType, MntOps string
	Type                        string // rw, ro, rq, sw
	Line                        int
}

// parseFstab reads an fstab(5) file as getfsent(3) does. Lines it cannot
// use are reported by line number; getfsent skips them after complaining.
func parseFstab(data string) (ents []fstabEnt, bad []int) {
	for n, line := range strings.Split(data, "\n") {
		ln := n + 1
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		if len(f) < 4 {
			bad = append(bad, ln)
			continue
		}
		e := fstabEnt{Spec: unescapeOctal(f[0]), File: unescapeOctal(f[1]), VFSType: f[2], MntOps: f[3], Line: ln}
		xx := false
		for _, o := range strings.Split(e.MntOps, ",") {
			switch o {
			case "rw", "rq", "ro", "sw":
				if e.Type == "" {
					e.Type = o
				}
			case "xx":
				if e.Type == "" {
					xx = true
				}
			}
		}
		if e.VFSType == "swap" && e.Type == "" {
			e.Type = "sw"
		}
		if xx && e.Type == "" {
			continue
		}
		if e.Type == "" {
			bad = append(bad, ln)
			continue
		}
		ents = append(ents, e)
	}
	return ents, bad
}

// readFstab loads the fstab named by -F (or /etc/fstab) and complains
// about unusable lines on stderr as libc does.
func readFstab(e *model.Env, file string) ([]fstabEnt, error) {
	host := absHost(e, file)
	b, err := os.ReadFile(e.SB.Path(host))
	if err != nil {
		return nil, err
	}
	ents, bad := parseFstab(string(b))
	for _, ln := range bad {
		fmt.Fprintf(e.Stderr, "fstab: %s:%d: Inappropriate file type or format\n", file, ln)
	}
	return ents, nil
}

// errNotMounted is returned for an unmount of something not in the table.
var errNotMounted = errors.New("not mounted")

// depthOrder sorts records deepest mount point first, later mounts first
// among equals, for tearing down.
func depthOrder(recs []mountRec) []int {
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = len(recs) - 1 - i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return strings.Count(recs[idx[a]].Point, "/") > strings.Count(recs[idx[b]].Point, "/")
	})
	return idx
}
