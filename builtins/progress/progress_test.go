package progress_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/builtins/progress"
)

// clock is a fake time.Now that moves only when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newMeter(name string, total int64) (*progress.Meter, *bytes.Buffer, *clock) {
	var out bytes.Buffer
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return progress.New(&out, progress.Options{Name: name, Total: total, Clock: c.now}), &out, c
}

const (
	kib = 1024
	mib = 1024 * kib
)

// lines splits what a Meter drew into its redraws.
func lines(out string) []string {
	return strings.Split(out, "\r")[1:]
}

// TestMeterSteadyTransfer: 512K every 250ms of a 10M file is 2M/s; the
// percent, rate and time left follow, and the final line gives the
// average rate and the time taken.
func TestMeterSteadyTransfer(t *testing.T) {
	m, out, c := newMeter("base.txz", 10*mib)
	block := make([]byte, 512*kib)
	var got []string
	for i := 1; i <= 20; i++ {
		c.advance(250 * time.Millisecond)
		m.Write(block)
		if i == 1 || i == 4 || i == 19 {
			ls := lines(out.String())
			got = append(got, ls[len(ls)-1])
		}
	}
	m.Finish(true)
	ls := lines(out.String())
	got = append(got, ls[len(ls)-1])
	want := []string{
		// 9.5M left at 2M/s: 4.75s.
		"base.txz       5%  512K/10M  2.0M/s  ETA 0:05",
		"base.txz      20%  2.0M/10M  2.0M/s  ETA 0:04",
		"base.txz      95%  9.5M/10M  2.0M/s  ETA 0:00",
		"base.txz     100%  10M/10M  2.0M/s  in 0:05 done\n",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 || !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("%d newlines, want one at the end:\n%q", n, out.String())
	}
}

// TestMeterRateFollowsChange: after a 3s stall the smoothed rate drops
// part of the way, by 1-e^-1 (the stall is one time constant long), not
// to the stall's own rate.
func TestMeterRateFollowsChange(t *testing.T) {
	m, out, c := newMeter("web.zfs", 10*mib)
	block := make([]byte, 512*kib)
	for range 2 {
		c.advance(250 * time.Millisecond)
		m.Write(block)
	}
	c.advance(3 * time.Second)
	m.Write(block)
	ls := lines(out.String())
	// 2048K/s + (1-1/e)(170.7K/s - 2048K/s) = 861.3K/s; 8.5M left: 10.1s.
	if d := cmp.Diff("web.zfs       15%  1.5M/10M  861K/s  ETA 0:10", ls[len(ls)-1]); d != "" {
		t.Errorf("line after the stall (-want +got):\n%s", d)
	}
}

// TestMeterThrottles: 20 writes 50ms apart draw the first at once, then
// one every 200ms, each a carriage return and no newline.
func TestMeterThrottles(t *testing.T) {
	m, out, c := newMeter("base.txz", 100*mib)
	for range 20 {
		c.advance(50 * time.Millisecond)
		m.Write(make([]byte, kib))
	}
	// At 50ms (the first), 200, 400, 600, 800 and 1000ms.
	if got := strings.Count(out.String(), "\r"); got != 6 {
		t.Errorf("%d redraws in a second, want 6:\n%q", got, out.String())
	}
	if strings.Contains(out.String(), "\n") {
		t.Errorf("a newline before Finish:\n%q", out.String())
	}
}

// TestMeterUnknownTotal: a stream from standard input has no size, so no
// percent and no time left; bytes and rate still show.
func TestMeterUnknownTotal(t *testing.T) {
	m, out, c := newMeter("stdin", 0)
	c.advance(500 * time.Millisecond)
	m.Write(make([]byte, mib))
	c.advance(500 * time.Millisecond)
	m.Write(make([]byte, mib))
	m.Finish(true)
	want := []string{
		"stdin         1.0M  2.0M/s",
		"stdin         2.0M  2.0M/s",
		"stdin         2.0M  2.0M/s  in 0:01 done\n",
	}
	if d := cmp.Diff(want, lines(out.String())); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
}

// TestMeterFinish: a failed transfer says so; a shorter final line blanks
// the rest of the longer one; Finish draws once, and writes after it
// nothing.
func TestMeterFinish(t *testing.T) {
	m, out, c := newMeter("base.txz", 10*mib)
	c.advance(time.Second)
	m.Write(make([]byte, mib))
	m.Finish(false)
	m.Finish(true)
	c.advance(time.Second)
	m.Write(make([]byte, mib))
	want := "\rbase.txz      10%  1.0M/10M  1.0M/s  ETA 0:09" + "\rbase.txz      10%  1.0M/10M  1.0M/s  in 0:01 failed\n"
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}

// TestMeterBlanksLeftovers: a line shorter than the one before it ("1023K"
// becomes "1.0M") is padded with blanks over the old one's end.
func TestMeterBlanksLeftovers(t *testing.T) {
	m, out, c := newMeter("stdin", 0)
	c.advance(time.Second)
	m.Write(make([]byte, 1023*kib))
	c.advance(time.Second)
	m.Write(make([]byte, kib))
	// 1023K/s + (1-e^-1/3)(1K/s - 1023K/s) = 733.3K/s.
	want := []string{"stdin         1023K  1023K/s", "stdin         1.0M  733K/s" + "  "}
	if d := cmp.Diff(want, lines(out.String())); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
}

// TestMeterResumed: bytes there before count in the percent, not in the
// rate.
func TestMeterResumed(t *testing.T) {
	var out bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	m := progress.New(&out, progress.Options{Name: "base.txz", Total: 10 * mib, Done: 8 * mib, Clock: c.now})
	c.advance(time.Second)
	m.Write(make([]byte, mib))
	if d := cmp.Diff([]string{"base.txz      90%  9.0M/10M  1.0M/s  ETA 0:01"}, lines(out.String())); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
}

// TestMeterShortTransfer: done within a redraw interval there is no rate
// worth showing.
func TestMeterShortTransfer(t *testing.T) {
	m, out, c := newMeter("MANIFEST", 300)
	c.advance(10 * time.Millisecond)
	m.Write(make([]byte, 300))
	m.Finish(true)
	want := []string{"MANIFEST     100%  300B/300B", "MANIFEST     100%  300B/300B done\n"}
	if d := cmp.Diff(want, lines(out.String())); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
}

// TestMeterNoWriter: without a terminal a Meter counts and draws nothing.
func TestMeterNoWriter(t *testing.T) {
	m := progress.New(nil, progress.Options{Name: "x", Total: 10})
	if n, err := m.Write(make([]byte, 5)); n != 5 || err != nil {
		t.Errorf("Write = %d, %v; want 5, nil", n, err)
	}
	m.Finish(true)
}

// TestMeterNameIsSanitised: a name from a URL or a command line cannot
// move the cursor or send escape sequences to the terminal.
func TestMeterNameIsSanitised(t *testing.T) {
	m, out, _ := newMeter("a\x1b[2Jb\rc", 0)
	m.Write([]byte("x"))
	if d := cmp.Diff("\ra?[2Jb?c      1B", out.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{-5, "0B"},
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.0K"},
		{1536, "1.5K"},
		{10188, "9.9K"},              // 9.949K
		{10240, "10K"},               // ten and up: no decimal
		{1023 * kib, "1023K"},        //
		{1048064, "1.0M"},            // 1023.5K would round to 1024K
		{5*mib + 300*kib, "5.3M"},    //
		{3 << 30, "3.0G"},            //
		{1 << 62, "4.0E"},            //
		{1<<63 - 1, "8.0E"},          // the largest int64
		{150 * mib, "150M"},          //
		{999*mib + 600*kib, "1000M"}, // below 1023.5: stays in M
	} {
		if got := progress.Size(tc.n); got != tc.want {
			t.Errorf("Size(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"},
		{59*time.Second + 500*time.Millisecond, "1:00"},
		{59*time.Minute + 59*time.Second, "59:59"},
		{time.Hour, "1:00:00"},
		{99*time.Hour + 59*time.Minute + 59*time.Second, "99:59:59"},
		{100 * time.Hour, "--:--"},
		{-time.Second, "--:--"},
	} {
		if got := progress.Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
