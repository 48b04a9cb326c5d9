package jail_test

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/jail"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/runtime"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

var scaleSizes = flag.String("scale-sizes", "20,200,1000", "pool sizes (numbers of jails) BenchmarkScale measures, comma-separated")

// scalePool is the pool BenchmarkScale measures now. Making a large pool
// takes minutes, so it is made once per size and shared by the size's
// sub-benchmarks, which the testing package may each call more than once.
var scalePool struct {
	s     *sandboxtest.Sandbox
	n     int
	first string // a dataset of the pool: gone when something reset the sandbox
	// What the sub-benchmarks left: whether the target jail exists and
	// runs, so that the next one knows what to make first.
	target, up bool
	seq        int // makes each set and snapshot new
}

// scaleStep is one sub-benchmark of a size: one run of a verb (b.N times),
// with what it needs made untimed first.
type scaleStep struct {
	name string
	run  func(b *testing.B, s *sandboxtest.Sandbox, n int) scaleCost
}

var scaleSteps = []scaleStep{
	{"create-e", func(b *testing.B, s *sandboxtest.Sandbox, n int) scaleCost {
		_, c := scaleRun(b, s, "create", map[string]starlark.Value{"props": dict("tag", "extra"), "empty": starlark.True})
		b.StopTimer()
		scaleRun(b, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("extra")}), "force": starlark.True})
		b.StartTimer()
		return c
	}},
	{"create-c", func(b *testing.B, s *sandboxtest.Sandbox, n int) scaleCost {
		b.StopTimer()
		scaleNoTarget(b, s)
		b.StartTimer()
		c := scaleCreateClone(b, s, "target")
		scalePool.target = true
		return c
	}},
	{"get", onTarget("get", false, func() map[string]starlark.Value { return scaleVerbs[0].kw("target") }, nil)},
	{"set", onTarget("set", false, func() map[string]starlark.Value {
		scalePool.seq++
		return map[string]starlark.Value{"args": starlark.NewList([]starlark.Value{
			starlark.String(fmt.Sprintf("notes=set %d", scalePool.seq)), starlark.String("target")})}
	}, nil)},
	{"snapshot", onTarget("snapshot", false, func() map[string]starlark.Value {
		scalePool.seq++
		return map[string]starlark.Value{"name": starlark.String(fmt.Sprintf("target@scale%d", scalePool.seq))}
	}, nil)},
	{"start", onTarget("start", false, func() map[string]starlark.Value { return names("target") }, func() { scalePool.up = true })},
	{"stop", onTarget("stop", true, func() map[string]starlark.Value { return names("target") }, func() { scalePool.up = false })},
	{"destroy", onTarget("destroy", false, func() map[string]starlark.Value {
		return map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("target")}), "force": starlark.True}
	}, func() { scalePool.target = false })},
	{"list", func(b *testing.B, s *sandboxtest.Sandbox, n int) scaleCost {
		v, c := scaleRun(b, s, "list", nil)
		rows, _ := v.(starlark.HasAttrs).Attr("rows")
		if l, ok := rows.(*starlark.List); !ok || l.Len() < n {
			b.Fatalf("list returned %v rows, want at least %d", rows, n)
		}
		return c
	}},
	// What zfs-fuse itself takes to list the columns jail.List asks for:
	// the floor under list. Not through the host: no host command.
	{scaleFuseStep, func(b *testing.B, s *sandboxtest.Sandbox, n int) scaleCost {
		b.StopTimer()
		args := scaleFuseListArgs(b, s)
		b.StartTimer()
		t0 := time.Now()
		out, err := exec.Command(scaleFuseZFS, args...).CombinedOutput()
		c := scaleCost{wall: time.Since(t0)}
		if err != nil {
			b.Fatalf("%s %s: %v: %s", scaleFuseZFS, strings.Join(args, " "), err, out)
		}
		if got := strings.Count(string(out), "\n"); got < n {
			b.Fatalf("zfs-fuse listed %d datasets, want at least %d", got, n)
		}
		return c
	}},
}

// onTarget is the step that runs recipe on the target jail, made first
// (untimed, running when up); kw gives the recipe's arguments (untimed
// too) and after, when not nil, records what the run left.
func onTarget(recipe string, up bool, kw func() map[string]starlark.Value, after func()) func(*testing.B, *sandboxtest.Sandbox, int) scaleCost {
	return func(b *testing.B, s *sandboxtest.Sandbox, n int) scaleCost {
		b.StopTimer()
		scaleTarget(b, s, up)
		args := kw()
		b.StartTimer()
		_, c := scaleRun(b, s, recipe, args)
		if after != nil {
			after()
		}
		return c
	}
}

// scaleFuseStep runs outside the host seam: it has no host commands or
// datasets read to report.
const scaleFuseStep = "zfs-fuse-list"

// scaleFuseZFS is zfs-fuse's own zfs, which the sandbox's zfs runs.
const scaleFuseZFS = "/usr/sbin/zfs"

// BenchmarkScale measures single-jail verbs on one jail of pools of
// -scale-sizes jails, and list of the whole pool, by wall time, host
// commands and datasets read (issue 12). Each size's pool is made once,
// by create -e count=N through the create recipe, which is measured too
// (sub-benchmark create-e-count). A table follows: each verb's cost at
// the largest size against the smallest, and list against zfs-fuse.
func BenchmarkScale(b *testing.B) {
	sizes, err := parseScaleSizes(*scaleSizes)
	if err != nil {
		b.Fatal(err)
	}
	got := map[string]map[int]scaleCost{} // per op, by step and size
	note := func(step string, n int, c scaleCost) {
		if got[step] == nil {
			got[step] = map[int]scaleCost{}
		}
		got[step][n] = c
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("jails=%d", n), func(b *testing.B) {
			b.Run("create-e-count", func(b *testing.B) {
				var sum scaleCost
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					scalePool.s = nil
					b.StartTimer()
					sum = sum.add(scaleFill(b, n))
				}
				note("create-e-count", n, scaleReport(b, sum, true))
			})
			for _, st := range scaleSteps {
				b.Run(st.name, func(b *testing.B) {
					s := scaleEnsure(b, n)
					b.ResetTimer()
					var sum scaleCost
					for i := 0; i < b.N; i++ {
						sum = sum.add(st.run(b, s, n))
					}
					b.StopTimer()
					note(st.name, n, scaleReport(b, sum, st.name != scaleFuseStep))
				})
			}
		})
	}
	scaleSummary(b, sizes, got)
}

// scaleReport reports the per-op averages of sum (counts only when
// counted) and returns them.
func scaleReport(b *testing.B, sum scaleCost, counted bool) scaleCost {
	n := b.N
	avg := scaleCost{sum.wall / time.Duration(n), sum.cmds / n, sum.datasets / int64(n)}
	b.ReportMetric(float64(sum.wall.Microseconds())/1000/float64(n), "ms/op")
	if counted {
		b.ReportMetric(float64(sum.cmds)/float64(n), "host-cmds/op")
		b.ReportMetric(float64(sum.datasets)/float64(n), "datasets/op")
	}
	return avg
}

// scaleSummary prints each step's cost at the largest size against the
// smallest, and list against zfs-fuse's own listing, next to the goals
// of issue 12. Figures to read, not to assert: timings vary by machine.
func scaleSummary(b *testing.B, sizes []int, got map[string]map[int]scaleCost) {
	lo, hi := sizes[0], sizes[len(sizes)-1]
	var w strings.Builder
	fmt.Fprintf(&w, "%-14s", "step")
	for _, n := range sizes {
		fmt.Fprintf(&w, " %24s", fmt.Sprintf("%d jails: ms cmds sets", n))
	}
	fmt.Fprintf(&w, "  time %d/%d\n", hi, lo)
	steps := []string{"create-e-count"}
	for _, st := range scaleSteps {
		steps = append(steps, st.name)
	}
	for _, st := range steps {
		fmt.Fprintf(&w, "%-14s", st)
		for _, n := range sizes {
			c, ok := got[st][n]
			if !ok {
				fmt.Fprintf(&w, " %24s", "-")
				continue
			}
			cell := fmt.Sprintf("%.1f %d %d", float64(c.wall.Microseconds())/1000, c.cmds, c.datasets)
			if st == scaleFuseStep {
				cell = fmt.Sprintf("%.1f - -", float64(c.wall.Microseconds())/1000)
			}
			fmt.Fprintf(&w, " %24s", cell)
		}
		if a, z := got[st][lo], got[st][hi]; a.wall > 0 && z.wall > 0 {
			fmt.Fprintf(&w, "  %.2fx", float64(z.wall)/float64(a.wall))
		}
		w.WriteByte('\n')
	}
	for _, n := range sizes {
		l, f := got["list"][n], got[scaleFuseStep][n]
		if l.wall > 0 && f.wall > 0 {
			fmt.Fprintf(&w, "list of %d jails: %.2fx zfs-fuse's own zfs list\n", n, float64(l.wall)/float64(f.wall))
		}
	}
	w.WriteString("goals: a single-jail verb at the largest size within 1.25x of the smallest; list within 1.5x of zfs-fuse with one zfs and one jls")
	w.WriteByte('\n')
	// Printed, not logged: the testing package shows a parent
	// benchmark's log only with -v.
	fmt.Print(w.String())
}

// parseScaleSizes reads -scale-sizes: ascending, so the summary compares
// the largest pool with the smallest.
func parseScaleSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-scale-sizes %q: %q is not a number of jails; want counts such as 20,200,1000", s, f)
		}
		sizes = append(sizes, n)
	}
	sort.Ints(sizes)
	return sizes, nil
}

// scaleFill makes a fresh pool of n empty jails with one create -e
// count=n, and the release the target is cloned from; only the create is
// timed.
func scaleFill(b *testing.B, n int) scaleCost {
	b.StopTimer()
	s := stSetup(b)
	scaleRelease(b, s)
	made := min(n, scaleMounted)
	b.StartTimer()
	v, c := scaleRun(b, s, "create", map[string]starlark.Value{"props": dict("tag", "j"), "empty": starlark.True, "count": starlark.MakeInt(made)})
	b.StopTimer()
	rows, ok := v.(*starlark.List)
	if !ok || rows.Len() != made {
		b.Fatalf("create -e count=%d returned %v", made, v)
	}
	// Beyond what zfs-fuse can mount, the other jails are made unmounted:
	// they are there to be read, not entered.
	for i := made; i < n; i++ {
		mkjail(b, s.Host, s.Pool, uuidN(i), fmt.Sprintf("u%04d", i), map[string]string{"canmount": "off"})
	}
	scalePool.s, scalePool.n = s, n
	scalePool.first = jail.JailsDS(s.Pool) + "/" + stField(b, rows.Index(0), "uuid")
	scalePool.target, scalePool.up = false, false
	b.StartTimer()
	return c
}

// scaleMounted is how many jails create -e count=N makes for real (two
// mounted file systems each): zfs-fuse serves about 1,020 mounts at most
// (the 507th empty jail, its 1,015th mount, failed with "Input/output
// error"), so larger pools hold the rest unmounted.
const scaleMounted = 400

// scaleEnsure returns the pool of n jails, making it (untimed) unless the
// last one made is it and still there.
func scaleEnsure(b *testing.B, n int) *sandboxtest.Sandbox {
	b.StopTimer()
	defer b.StartTimer()
	if s := scalePool.s; s != nil && scalePool.n == n {
		if ok, err := zfs.Exists(context.Background(), s.Host, scalePool.first); err == nil && ok {
			return s
		}
	}
	scaleFill(b, n)
	b.StopTimer()
	return scalePool.s
}

// scaleTarget makes the target jail exist, running when up says so,
// stopped otherwise. The caller stops the timer.
func scaleTarget(b *testing.B, s *sandboxtest.Sandbox, up bool) {
	if !scalePool.target {
		scaleCreateClone(b, s, "target")
		scalePool.target, scalePool.up = true, false
	}
	switch {
	case up && !scalePool.up:
		scaleRun(b, s, "start", names("target"))
	case !up && scalePool.up:
		scaleRun(b, s, "stop", names("target"))
	}
	scalePool.up = up
}

// scaleNoTarget destroys the target jail if it exists.
func scaleNoTarget(b *testing.B, s *sandboxtest.Sandbox) {
	if scalePool.target {
		scaleRun(b, s, "destroy", map[string]starlark.Value{"names": starlark.NewList([]starlark.Value{starlark.String("target")}), "force": starlark.True})
		scalePool.target, scalePool.up = false, false
	}
}

// scaleFuseListArgs is the zfs list jail.List runs, as zfs-fuse's zfs
// takes it: the same columns less the native ones zfs-fuse does not
// know, and without -p, which its zfs list lacks.
func scaleFuseListArgs(b *testing.B, s *sandboxtest.Sandbox) []string {
	ctx := context.Background()
	s.Host.Events()
	if _, err := jail.List(ctx, s.Host, s.Pool); err != nil {
		b.Fatal(err)
	}
	var cols []string
	for _, ev := range s.Host.Events() {
		f := strings.Fields(ev.Cmd)
		if len(f) < 2 || f[0] != runtime.ZFS || f[1] != "list" {
			continue
		}
		for i := 2; i+1 < len(f); i++ {
			if f[i] == "-o" {
				cols = strings.Split(f[i+1], ",")
			}
		}
	}
	if cols == nil {
		b.Fatal("jail.List ran no zfs list -o")
	}
	out, err := exec.Command(scaleFuseZFS, "get", "-H", "-o", "property", "all", s.Pool).Output()
	if err != nil {
		b.Fatalf("%s get all %s: %v", scaleFuseZFS, s.Pool, err)
	}
	known := map[string]bool{"name": true}
	for _, p := range strings.Fields(string(out)) {
		known[p] = true
	}
	var keep []string
	for _, c := range cols {
		if known[c] || strings.Contains(c, ":") {
			keep = append(keep, c)
		}
	}
	return []string{"list", "-H", "-d", "1", "-t", "filesystem", "-o", strings.Join(keep, ","), jail.JailsDS(s.Pool)}
}
