package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// The binary updates and upgrades of jails (lifecycle.md §11, §12, fixed):
// the host version that decides freebsd-update's cron flag, the ordering
// of release names, freebsd-update upgrade with its install passes, and
// the /etc merge of a basejail moved to another release's base.

// CronFlagSince is the first __FreeBSD_version (uname -U) whose
// freebsd-update knows --not-running-from-cron: 10.2-RELEASE (EN-15:04).
// The shell iocage compared with 102000, ten times too small, so it
// passed the flag to every version, also to those that reject it.
const CronFlagSince = 1002000

// OSRelDate is the host's __FreeBSD_version, as `uname -U` prints it.
func OSRelDate(ctx context.Context, h *runtime.Host) (int, error) {
	out, err := h.Output(ctx, runtime.Uname, "-U")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("uname -U: unexpected output %q", strings.TrimSpace(out))
	}
	return n, nil
}

var versionRe = regexp.MustCompile(`^([1-9][0-9]*)\.([0-9]+)-(RELEASE|RC([1-9][0-9]*)|BETA([1-9][0-9]*)|ALPHA([1-9][0-9]*))(?:-p([0-9]+))?$`)

// versionKey orders a release or patch level: major, minor, stage
// (ALPHA < BETA < RC < RELEASE) with its number, patch level.
func versionKey(v string) ([5]int, error) {
	m := versionRe.FindStringSubmatch(v)
	if m == nil {
		return [5]int{}, fmt.Errorf("version %q: want a name like 14.3-RELEASE or 14.3-RELEASE-p2", v)
	}
	var k [5]int
	k[0], _ = strconv.Atoi(m[1])
	k[1], _ = strconv.Atoi(m[2])
	switch {
	case m[3] == "RELEASE":
		k[2] = 4
	case m[4] != "":
		k[2], k[3] = 3, atoi(m[4])
	case m[5] != "":
		k[2], k[3] = 2, atoi(m[5])
	default:
		k[2], k[3] = 1, atoi(m[6])
	}
	k[4] = atoi(m[7])
	return k, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// Compare orders two releases or patch levels (14.2-RELEASE <
// 14.3-RC1 < 14.3-RELEASE < 14.3-RELEASE-p1 < 15.0-ALPHA1): -1, 0 or 1.
func Compare(a, b string) (int, error) {
	ka, err := versionKey(a)
	if err != nil {
		return 0, err
	}
	kb, err := versionKey(b)
	if err != nil {
		return 0, err
	}
	for i := range ka {
		switch {
		case ka[i] < kb[i]:
			return -1, nil
		case ka[i] > kb[i]:
			return 1, nil
		}
	}
	return 0, nil
}

// ReleaseOf is the release of a version: 14.3-RELEASE-p2 → 14.3-RELEASE.
func ReleaseOf(version string) string {
	if i := strings.LastIndex(version, "-p"); i > 0 && releaseRe.MatchString(version[:i]) {
		return version[:i]
	}
	return version
}

// UpgradeCmd is one freebsd-update run of an upgrade of the system in root
// from release current to target (lifecycle.md §12, with the jail's own
// configuration as for updates): UNAME_r=CURRENT PAGER=/bin/cat
// freebsd-update -b ROOT -f CONF -d WORKDIR -r TARGET COMMAND, where
// COMMAND is upgrade, updatesready or install. No cron flag: only fetch
// refuses to run without a terminal.
func UpgradeCmd(root, current, target, conf, workdir, command string) *runtime.Cmd {
	return &runtime.Cmd{Path: runtime.FreebsdUpdate, Env: []string{"UNAME_r=" + current, "PAGER=/bin/cat"},
		Args: []string{"-b", root, "-f", conf, "-d", workdir, "-r", target, command}, Change: command != "updatesready"}
}

// MaxInstallPasses bounds the install passes of an upgrade. FreeBSD's
// freebsd-update needs up to three (kernel, world, removal of old
// libraries); more means it is not converging.
const MaxInstallPasses = 5

// UpgradeOptions shape an Upgrade.
type UpgradeOptions struct {
	Conf    string // ROOT/etc/freebsd-update.conf when empty
	Workdir string // ROOT/var/db/freebsd-update/ when empty
	// Snapshot (DATASET@NAME) is taken recursively before anything is
	// changed; on undo every file system is rolled back to it and it is
	// destroyed.
	Snapshot string
	Stdin    io.Reader // answers to freebsd-update's questions; none when nil
	Output   io.Writer // freebsd-update's output; captured when nil
	Undo     *thread.Undo
}

// Upgraded is what an Upgrade did.
type Upgraded struct {
	Before, After string // userland versions
	Passes        int    // install passes run
}

// Upgrade moves the system in root from release current to target with
// freebsd-update: `upgrade`, then `install` for as long as `updatesready`
// says something is left (exit 0; exit 2 means done), at most
// MaxInstallPasses times. The shell iocage repeated install while it
// exited 0, which never ends with a freebsd-update that exits 0 when
// nothing is left. Success is judged by the result: the userland version
// must be of target afterwards.
func Upgrade(ctx context.Context, h *runtime.Host, root, current, target string, o UpgradeOptions) (Upgraded, error) {
	var res Upgraded
	for _, r := range []string{current, target} {
		if err := CheckRelease(r); err != nil {
			return res, err
		}
	}
	if c, err := Compare(target, current); err != nil {
		return res, err
	} else if c <= 0 {
		return res, fmt.Errorf("%s is not newer than %s: freebsd-update only upgrades", target, current)
	}
	if !path.IsAbs(root) || path.Clean(root) == "/" {
		return res, fmt.Errorf("root %q: want the absolute path of a jail root, not /", root)
	}
	root = path.Clean(root)
	if o.Conf == "" {
		o.Conf = root + "/etc/freebsd-update.conf"
	}
	if o.Workdir == "" {
		o.Workdir = root + "/var/db/freebsd-update/"
	}
	before, err := Version(h, root)
	if err != nil {
		return res, err
	}
	res.Before, res.After = before, before
	if _, err := h.Stat(o.Conf); err != nil {
		return res, fmt.Errorf("cannot upgrade without a freebsd-update configuration: %w", err)
	}
	if o.Snapshot != "" {
		if err := backout(ctx, h, o.Snapshot, o.Undo); err != nil {
			return res, err
		}
	}
	run := func(command string, stdin io.Reader) error {
		c := UpgradeCmd(root, current, target, o.Conf, o.Workdir, command)
		c.Stdin, c.Stdout, c.Stderr = stdin, o.Output, o.Output
		_, err := h.Run(ctx, c)
		return err
	}
	if err := run("upgrade", o.Stdin); err != nil {
		return res, fmt.Errorf("upgrade failed, nothing was installed: %w", err)
	}
	for {
		err := run("updatesready", nil)
		var ee *runtime.ExitError
		if errors.As(err, &ee) && ee.ExitCode == 2 {
			break
		}
		if err != nil {
			return res, err
		}
		if res.Passes == MaxInstallPasses {
			return res, fmt.Errorf("freebsd-update still has updates to install after %d install passes", res.Passes)
		}
		res.Passes++
		if err := run("install", nil); err != nil {
			return res, fmt.Errorf("install pass %d: %w", res.Passes, err)
		}
	}
	if res.After, err = Version(h, root); err != nil {
		return res, err
	}
	if ReleaseOf(res.After) != target {
		return res, fmt.Errorf("freebsd-update finished, but %s/bin/freebsd-version says %s, not %s", root, res.After, target)
	}
	return res, nil
}

// Merged is what MergeEtc did.
type Merged struct {
	Ran     bool   // etcupdate ran and left no conflicts
	Skipped string // why it did not run
}

// MergeEtc merges the /etc of a basejail that now runs release rel's base
// with what rel changed (lifecycle.md §12, fixed): `etcupdate -D ROOT -F
// -s SRC` with the sources of rel's base, then `etcupdate status -D ROOT`;
// a failed etcupdate or conflicts it left fail the merge. The shell iocage
// judged success by `newaliases` instead. Without the release's sources
// (the default fetch brings base.txz and lib32.txz only, so base/REL/root/
// usr/src is empty) there is nothing to merge from: Skipped says so, and
// the jail keeps its /etc. With snapshot (DATASET@NAME) that snapshot is
// taken first and the dataset rolled back to it on undo.
func MergeEtc(ctx context.Context, h *runtime.Host, root, rel, snapshot string, u *thread.Undo) (Merged, error) {
	var m Merged
	if err := CheckRelease(rel); err != nil {
		return m, err
	}
	if !path.IsAbs(root) || path.Clean(root) == "/" {
		return m, fmt.Errorf("root %q: want the absolute path of a jail root, not /", root)
	}
	src := BaseRoot(rel) + "/usr/src"
	ents, err := h.ReadDir(src)
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return m, err
	}
	if len(ents) == 0 {
		m.Skipped = "release " + rel + " has no sources in " + src + " (fetch src.txz to have them), so etcupdate cannot merge /etc: compare " +
			path.Clean(root) + "/etc with " + BaseRoot(rel) + "/etc yourself"
		return m, nil
	}
	if snapshot != "" {
		if err := snapshotOnly(ctx, h, snapshot, u); err != nil {
			return m, err
		}
	}
	if err := h.Change(ctx, runtime.Etcupdate, "-D", root, "-F", "-s", src); err != nil {
		return m, fmt.Errorf("etcupdate: %w", err)
	}
	out, err := h.Output(ctx, runtime.Etcupdate, "status", "-D", root)
	if err != nil {
		return m, fmt.Errorf("etcupdate status: %w", err)
	}
	var conflicts []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "C" {
			conflicts = append(conflicts, f[1])
		}
	}
	if len(conflicts) > 0 {
		return m, fmt.Errorf("etcupdate left conflicts in %s: %s", root, strings.Join(conflicts, ", "))
	}
	m.Ran = true
	return m, nil
}
