package sandbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

// Linux programs the sandbox itself uses (never sent by iocage).
const (
	linuxZpool   = "/usr/sbin/zpool"
	linuxZfsFuse = "/usr/sbin/zfs-fuse"
	zfsSocket    = "/var/run/zfs/zfs_socket"
	zfsPidfile   = "/var/run/zfs-fuse.pid"
)

// CreateOptions shape a new sandbox.
type CreateOptions struct {
	Pool     string // pool name; "zroot" when empty
	PoolSize int64  // bytes of the file vdev; 4 GiB when zero
	// Program is the multi-call binary installed in the root at FreeBSD's
	// paths (see Main); this executable when empty.
	Program string
}

// Create makes a sandbox in dir: the root skeleton, a file-backed pool
// mounted under the root, and an empty state. It is idempotent: an existing
// sandbox is repaired (mounts and pool import) rather than rebuilt.
func Create(dir string, opt CreateOptions) (*Config, error) {
	if opt.Pool == "" {
		opt.Pool = "zroot"
	}
	if opt.PoolSize == 0 {
		opt.PoolSize = 4 << 30
	}
	if err := EnsureZFS(); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "root")
	cfg, err := ReadConfig(dir)
	if err != nil {
		cfg = &Config{Root: root, Pools: []string{opt.Pool}, Vdevs: []string{filepath.Join(dir, opt.Pool+".img")}}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if err := unmountStale(root); err != nil {
		return nil, err
	}
	if err := makeRoot(root); err != nil {
		return nil, fmt.Errorf("sandbox root: %w", err)
	}
	if opt.Program == "" {
		if opt.Program, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	if err := install(root, opt.Program); err != nil {
		return nil, fmt.Errorf("sandbox programs: %w", err)
	}
	for i, pool := range cfg.Pools {
		if err := ensurePool(pool, cfg.Vdevs[i], root, opt.PoolSize); err != nil {
			return nil, err
		}
	}
	if _, err := model.NewStore(filepath.Join(dir, "state")); err != nil {
		return nil, err
	}
	if err := WriteConfig(dir, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// makeRoot lays out a FreeBSD-looking "/" whose programs are Linux's.
func makeRoot(root string) error {
	for _, d := range []string{"dev", "etc", "tmp", "var/run", "var/log", "var/db", "iocage", "proc", "root", "compat/linux"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	// Debian's merged /usr: /bin, /sbin, /lib* are links into /usr.
	for _, l := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		t, err := os.Readlink("/" + l)
		if err != nil {
			continue
		}
		p := filepath.Join(root, l)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Symlink(t, p); err != nil {
			return err
		}
	}
	if err := makeUsr(root); err != nil {
		return err
	}
	if err := bindMount("/dev", filepath.Join(root, "dev"), false, true); err != nil {
		return err
	}
	etc := filepath.Join(root, "etc")
	for _, f := range []string{"passwd", "group", "nsswitch.conf", "localtime", "services", "protocols"} {
		if _, err := os.Stat(filepath.Join(etc, f)); err == nil {
			continue
		}
		if b, err := os.ReadFile("/etc/" + f); err == nil {
			if err := os.WriteFile(filepath.Join(etc, f), b, 0o644); err != nil {
				return err
			}
		}
	}
	files := map[string]string{
		"hostid":      newUUID() + "\n",
		"resolv.conf": "# sandbox resolver: the local mirror is all there is\nnameserver 127.0.0.1\n",
		"rc.conf":     "hostname=\"sandbox.local\"\nzfs_enable=\"YES\"\nifconfig_em0=\"inet 192.168.1.2/24\"\ndefaultrouter=\"192.168.1.1\"\ncloned_interfaces=\"bridge0 bridge1\"\nifconfig_bridge0=\"addm em0 up\"\nifconfig_bridge1=\"up\"\n",
		"hosts":       "127.0.0.1 localhost sandbox.local\n",
	}
	for f, content := range files {
		p := filepath.Join(etc, f)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Mounts returns the local mount points at or below prefix, deepest first.
func Mounts(prefix string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == prefix || strings.HasPrefix(mp, prefix+"/") {
			out = append(out, mp)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

func mounted(p string) bool {
	ms, err := Mounts(p)
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m == p {
			return true
		}
	}
	return false
}

// EnsureZFS starts the zfs-fuse daemon when it is not answering.
func EnsureZFS() error {
	if zfsAlive() {
		return nil
	}
	if _, err := os.Stat(linuxZfsFuse); err != nil {
		return fmt.Errorf("zfs-fuse is not installed (%s): run `iocage-sandbox setup` as root, or apt-get install zfs-fuse", linuxZfsFuse)
	}
	// Test binaries start the shared daemon concurrently, and one may still
	// be shutting down: never pull the socket from under a daemon that
	// runs; wait for it, and start one only when none is left.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if !zfsRunning() {
			os.Remove(zfsSocket)
			// A daemon that died without cleaning up leaves its pid file,
			// and zfs-fuse will not start (exit 1, no message) while it is
			// there.
			os.Remove(zfsPidfile)
			model.KeepNothingInherited()
			cmd := LinuxCommand(linuxZfsFuse, "--pidfile", zfsPidfile)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			if out, err := cmd.CombinedOutput(); err != nil {
				lastErr = fmt.Errorf("start zfs-fuse: %v: %s", err, out)
				time.Sleep(time.Second)
				continue
			}
		}
		for i := 0; i < 100; i++ {
			if zfsAlive() {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if lastErr != nil {
		return lastErr
	}
	return errors.New("zfs-fuse did not come up (no answer on " + zfsSocket + ")")
}

// zfsRunning reports whether the zfs-fuse named by the pid file still
// exists (answering, starting up or winding down).
func zfsRunning() bool {
	b, err := os.ReadFile(zfsPidfile)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(comm)) == filepath.Base(linuxZfsFuse)
}

func zfsAlive() bool {
	c, err := net.Dial("unix", zfsSocket)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func ensurePool(pool, vdev, root string, size int64) error {
	if err := LinuxCommand(linuxZpool, "list", "-H", "-o", "name", pool).Run(); err == nil {
		return nil
	}
	if _, err := os.Stat(vdev); err == nil {
		// Known pool after a daemon restart: import it under our root again.
		out, err := LinuxCommand(linuxZpool, "import", "-d", filepath.Dir(vdev), "-R", root, pool).CombinedOutput()
		if err == nil {
			return nil
		}
		return fmt.Errorf("zpool import %s: %s", pool, strings.TrimSpace(string(out)))
	}
	f, err := os.Create(vdev)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	f.Close()
	out, err := LinuxCommand(linuxZpool, "create", "-R", root, "-m", "none", pool, vdev).CombinedOutput()
	if err != nil {
		os.Remove(vdev)
		return fmt.Errorf("zpool create %s: %s", pool, strings.TrimSpace(string(out)))
	}
	return nil
}

// Teardown hooks let models release what they hold (jail processes,
// interfaces) before the sandbox is unmounted.
var teardowns []func(sb *model.Sandbox) error

// OnTeardown registers a hook run by Destroy and Reset.
func OnTeardown(fn func(sb *model.Sandbox) error) { teardowns = append(teardowns, fn) }

// Reset returns the sandbox to a fresh host: jails stopped, modelled state
// forgotten, mounts under /iocage undone, the pools' datasets destroyed.
func (b *Backend) Reset() error {
	var errs []error
	for _, fn := range teardowns {
		errs = append(errs, fn(b.sb))
	}
	// Mounts that are not ZFS (nullfs, devfs ...) go first, then the
	// datasets through the modelled zfs, which unmounts before destroying
	// (zfs-fuse refuses to destroy a mounted dataset).
	errs = append(errs, unmountBelow(filepath.Join(b.cfg.Root, "iocage"), false))
	ctx := context.Background()
	for _, pool := range b.cfg.Pools {
		var out strings.Builder
		if _, err := b.Exec(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: []string{"list", "-H", "-o", "name", "-d", "1", pool}, Stdout: &out, Stderr: io.Discard}); err != nil {
			errs = append(errs, fmt.Errorf("zfs list %s: %w", pool, err))
			continue
		}
		for _, ds := range strings.Fields(out.String()) {
			if ds == pool {
				continue
			}
			var stderr strings.Builder
			code, err := b.Exec(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: []string{"destroy", "-rRf", ds}, Stdout: io.Discard, Stderr: &stderr})
			if err != nil || code != 0 {
				errs = append(errs, fmt.Errorf("zfs destroy %s: %v %s", ds, err, strings.TrimSpace(stderr.String())))
			}
		}
		_, _ = b.Exec(ctx, &runtime.Cmd{Path: runtime.ZFS, Args: []string{"inherit", "org.freebsd.iocage:active", pool}, Stdout: io.Discard, Stderr: io.Discard})
	}
	errs = append(errs, b.sb.Store.Reset())
	return errors.Join(errs...)
}

const linuxZfs = "/usr/sbin/zfs"

func fuseMounts() map[string]bool {
	out := map[string]bool{}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, " - fuse.zfs ") {
			fields := strings.Fields(line)
			out[unescapeMount(fields[4])] = true
		}
	}
	return out
}

// Destroy removes the sandbox in dir entirely: jails, mounts, pools, files.
func Destroy(dir string) error {
	cfg, err := ReadConfig(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "no sandbox") {
			return nil
		}
		return err
	}
	var errs []error
	if b, err := Open(dir); err == nil {
		for _, fn := range teardowns {
			errs = append(errs, fn(b.sb))
		}
	}
	errs = append(errs, unmountBelow(filepath.Join(cfg.Root, "iocage"), false))
	for _, pool := range cfg.Pools {
		// zfs-fuse will not destroy a pool with mounted datasets, even with
		// -f: unmount them through zfs, deepest first. (Unmounting them
		// behind its back leaves it believing they are busy.)
		if out, err := LinuxCommand(linuxZfs, "list", "-H", "-o", "name", "-r", pool).Output(); err == nil {
			names := strings.Fields(string(out))
			sort.Sort(sort.Reverse(sort.StringSlice(names)))
			for _, ds := range names {
				_ = LinuxCommand(linuxZfs, "unmount", "-f", ds).Run()
			}
		}
		if LinuxCommand(linuxZpool, "list", "-H", pool).Run() == nil {
			if out, err := LinuxCommand(linuxZpool, "destroy", "-f", pool).CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("zpool destroy %s: %s", pool, strings.TrimSpace(string(out))))
			}
		}
	}
	errs = append(errs, unmountBelow(cfg.Root, true))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if ms, _ := Mounts(cfg.Root); len(ms) > 0 {
		return fmt.Errorf("sandbox %s: still mounted: %s", dir, strings.Join(ms, ", "))
	}
	return os.RemoveAll(dir)
}

// LinuxCommand is a Linux program the sandbox runs itself (zfs-fuse's,
// apt-get), with the sandbox's Linux PATH.
func LinuxCommand(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = model.LinuxEnv()
	return cmd
}
