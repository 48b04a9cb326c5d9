// Package progress draws the one line of progress of a long transfer —
// name, bytes done and expected, percent, rate and time left — rewritten
// in place on a terminal, as FreeBSD's fetch(1) does. Release downloads
// (fetch) and the ZFS streams of export and import share it, so that they
// look alike. A Meter is an io.Writer that counts what is written to it
// (put it behind io.TeeReader or io.MultiWriter); whether to draw at all
// (standard error a terminal) is the caller's decision: a Meter with no
// writer only counts.
package progress

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Interval is the least time between two redraws: a terminal redrawn on
// every 32K block costs more than the transfer and flickers.
const Interval = 200 * time.Millisecond

// smoothing is the time constant of the rate's moving average: long
// enough to calm a bursty pipe, short enough to follow a real change of
// speed within seconds.
const smoothing = 3 * time.Second

// Options shape a Meter.
type Options struct {
	// Name leads the line (a file name).
	Name string
	// Total is the number of bytes expected; 0 or less when unknown (a
	// stream from standard input): then no percent and no time left.
	Total int64
	// Done is what was there before this transfer (a resumed download):
	// counted in the bytes and percent, not in the rate.
	Done int64
	// Clock is time.Now when nil; tests give a fake one.
	Clock func() time.Time
}

// Meter counts the bytes written to it and draws them on w.
type Meter struct {
	w     io.Writer
	name  string
	total int64
	now   func() time.Time

	mu       sync.Mutex // the writer and the closer of a stream may be two goroutines
	done     int64
	base     int64     // Done: not part of the rate
	start    time.Time // of this transfer
	last     time.Time // of the last sample and redraw
	lastDone int64     // done at last
	rate     float64   // smoothed bytes per second
	measured bool      // rate holds a sample
	drawn    bool
	width    int // of the line on the terminal, to blank what a shorter one leaves
	finished bool
}

// New returns a Meter drawing on w (nothing when w is nil).
func New(w io.Writer, o Options) *Meter {
	m := &Meter{w: w, name: printable(o.Name), total: o.Total, now: o.Clock, done: o.Done, base: o.Done, lastDone: o.Done}
	if m.now == nil {
		m.now = time.Now
	}
	m.start = m.now()
	m.last = m.start
	return m
}

// Write counts p and redraws when Interval has passed since the last
// redraw (the first bytes are drawn at once). It never fails: progress
// must not break the transfer it watches.
func (m *Meter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += int64(len(p))
	if m.w == nil || m.finished {
		return len(p), nil
	}
	now := m.now()
	due := now.Sub(m.last) >= Interval
	if due {
		m.sample(now)
	}
	if due || !m.drawn {
		m.draw(m.line(now, false))
	}
	return len(p), nil
}

// Finish draws the final line, ending in " done" or " failed" and a
// newline. Later calls and writes draw nothing.
func (m *Meter) Finish(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.w == nil || m.finished {
		return
	}
	m.finished = true
	word := " failed"
	if ok {
		word = " done"
	}
	m.draw(m.line(m.now(), true) + word)
	io.WriteString(m.w, "\n")
}

// sample folds the rate since the last sample, at least Interval ago,
// into the moving average: a rate over the first millisecond is noise and
// must not seed it.
func (m *Meter) sample(now time.Time) {
	dt := now.Sub(m.last)
	inst := float64(m.done-m.lastDone) / dt.Seconds()
	if !m.measured {
		m.rate, m.measured = inst, true
	} else {
		// Weighted by the time the sample covers: writes come at
		// irregular intervals.
		a := 1 - math.Exp(-dt.Seconds()/smoothing.Seconds())
		m.rate += a * (inst - m.rate)
	}
	m.last, m.lastDone = now, m.done
}

// line is the text of the progress line at now; final lines give the
// average rate and the time taken instead of the time left.
func (m *Meter) line(now time.Time, final bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s", m.name)
	if m.total > 0 {
		pct := min(float64(m.done)*100/float64(m.total), 100)
		fmt.Fprintf(&b, " %3d%%  %s/%s", int(pct), Size(m.done), Size(m.total))
	} else {
		fmt.Fprintf(&b, "  %s", Size(m.done))
	}
	elapsed := now.Sub(m.start)
	if final {
		if elapsed >= Interval {
			fmt.Fprintf(&b, "  %s/s  in %s", Size(int64(float64(m.done-m.base)/elapsed.Seconds())), Duration(elapsed))
		}
		return b.String()
	}
	if !m.measured {
		return b.String()
	}
	fmt.Fprintf(&b, "  %s/s", Size(int64(m.rate)))
	if m.total > 0 {
		// A stalled transfer (rate 0) has no end in sight; the estimate
		// is capped before it becomes a Duration, which it would overflow.
		left := maxETA
		if rem := m.total - m.done; rem <= 0 {
			left = 0
		} else if secs := float64(rem) / m.rate; m.rate > 0 && secs < maxETA.Seconds() {
			left = time.Duration(secs * float64(time.Second))
		}
		fmt.Fprintf(&b, "  ETA %s", Duration(left))
	}
	return b.String()
}

// draw rewrites the line on the terminal.
func (m *Meter) draw(s string) {
	n := utf8.RuneCountInString(s)
	pad := ""
	if n < m.width {
		pad = strings.Repeat(" ", m.width-n)
	}
	m.width = max(n, m.width)
	io.WriteString(m.w, "\r"+s+pad)
	m.drawn = true
}

// printable replaces what a terminal would act on (escape sequences,
// carriage returns) in a name that may come from a URL or a command line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}

// Size is n bytes in 1024-based units as ls -h and fetch(1) print them:
// "512B", "1.5K", "15K", "150M"; one decimal below ten.
func Size(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(max(n, 0), 10) + "B"
	}
	const units = "KMGTPE"
	f, i := float64(n)/1024, 0
	// 1023.7K prints as 1.0M, not 1024K.
	for math.Round(f) >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f < 9.95 {
		return strconv.FormatFloat(f, 'f', 1, 64) + units[i:i+1]
	}
	return strconv.FormatFloat(math.Round(f), 'f', 0, 64) + units[i:i+1]
}

// maxETA is where estimates stop: a stalled transfer's reaches it, and no
// one waits for it.
const maxETA = 100 * time.Hour

// Duration is d as M:SS, or H:MM:SS from an hour on; "--:--" when
// negative or from maxETA on.
func Duration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case d < 0 || d >= maxETA:
		return "--:--"
	case s >= 3600:
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
