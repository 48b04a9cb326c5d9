package zfscompat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/model"
)

// The zfs-fuse command-line tools, run directly (they talk to the zfs-fuse
// daemon over its socket; chrooting them would hide that socket).
const (
	fuseZFS   = "/usr/sbin/zfs"
	fuseZpool = "/usr/sbin/zpool"
)

var fuseRuns, datasetsRead atomic.Int64

// EnvStats names a file where each sandbox program process adds what it
// cost (SaveStats), so that a test can count the zfs-fuse work of the
// programs a client ran as separate processes.
const EnvStats = "IOCAGE_SANDBOX_STATS"

// FuseRuns returns how many zfs-fuse processes this process and the
// programs that saved their stats have started, so tests can prove that a
// listing costs one process, not one per dataset.
func FuseRuns() int64 { f, _ := savedStats(); return fuseRuns.Load() + f }

// DatasetsRead returns how many dataset rows catalogue loads have read from
// zfs-fuse (each dataset counted once per load), in this process and in
// those that saved their stats, so tests can prove that a command naming
// one dataset reads a constant number of datasets whatever the pool holds,
// and that only commands without targets read whole pools.
func DatasetsRead() int64 { _, d := savedStats(); return datasetsRead.Load() + d }

// SaveStats adds this process's counts to the file named by EnvStats, if
// any. One short O_APPEND write: processes do not interleave.
func SaveStats() {
	p := os.Getenv(EnvStats)
	f, d := fuseRuns.Load(), datasetsRead.Load()
	if p == "" || f == 0 && d == 0 {
		return
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintf(out, "%d %d\n", f, d)
	out.Close()
}

func savedStats() (fuse, datasets int64) {
	p := os.Getenv(EnvStats)
	if p == "" {
		return 0, 0
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var f, d int64
		if n, _ := fmt.Sscanf(line, "%d %d", &f, &d); n == 2 {
			fuse, datasets = fuse+f, datasets+d
		}
	}
	return fuse, datasets
}

// fuseResult is one finished zfs-fuse run.
type fuseResult struct {
	stdout, stderr string
	code           int
}

// run runs a zfs-fuse tool to completion, capturing its output.
func run(ctx context.Context, prog string, args ...string) fuseResult {
	var out, errb bytes.Buffer
	code := stream(ctx, prog, args, nil, &out, &errb)
	return fuseResult{stdout: out.String(), stderr: errb.String(), code: code}
}

// stream runs a zfs-fuse tool with the given stdio; send and receive pass
// their streams through here without holding them in memory.
func stream(ctx context.Context, prog string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Under load the zfs-fuse daemon sometimes hangs up on a client, which
	// then dies of SIGPIPE before its request was served. A run whose
	// output is only being collected can safely be made again.
	outBuf, ok1 := stdout.(*bytes.Buffer)
	errBuf, ok2 := stderr.(*bytes.Buffer)
	again := stdin == nil && ok1 && ok2
	for try := 0; ; try++ {
		fuseRuns.Add(1)
		cmd := exec.Command(prog, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		cmd.Env = []string{"PATH=" + model.LinuxPath, "LC_ALL=C"}
		code, err := runtime.RunProcess(ctx, cmd)
		if err != nil {
			io.WriteString(stderr, "zfs: cannot run zfs-fuse: "+err.Error()+"\n")
			return 1
		}
		if code != 128+int(syscall.SIGPIPE) || !again || try == 3 || ctx.Err() != nil {
			return code
		}
		time.Sleep(time.Duration(50*(try+1)) * time.Millisecond)
		outBuf.Reset()
		errBuf.Reset()
	}
}

// unroot turns local paths under the sandbox root back into host paths in
// text zfs-fuse printed: the pool's altroot is the sandbox root, which a
// FreeBSD host does not have.
func unroot(sb *model.Sandbox, s string) string {
	root := strings.TrimSuffix(sb.Root, "/")
	if root == "" {
		return s
	}
	s = strings.ReplaceAll(s, root+"/", "/")
	return strings.ReplaceAll(s, root, "/")
}

// unrootPath is unroot for a single mountpoint value.
func unrootPath(sb *model.Sandbox, p string) string {
	root := strings.TrimSuffix(sb.Root, "/")
	switch {
	case root == "":
		return p
	case p == root:
		return "/"
	case strings.HasPrefix(p, root+"/"):
		return p[len(root):]
	}
	return p
}
