package jails

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// section is the state section this package owns: a list of Records.
const section = "jails"

// Record is one jail as the modelled kernel knows it.
type Record struct {
	JID      int    `json:"jid"`
	Name     string `json:"name"`
	Path     string `json:"path"` // host path of the jail root
	Hostname string `json:"hostname"`
	// Params holds every kernel parameter of the jail (the ones given and
	// the defaults) in the text form jls prints: booleans "true"/"false",
	// jailsys values "new"/"inherit"/"disable", lists comma-joined.
	Params map[string]string `json:"params"`
	VNet   bool              `json:"vnet"`
	IP4    []string          `json:"ip4,omitempty"`
	IP6    []string          `json:"ip6,omitempty"`
	// InitPID and InitStart name the jail init process; a record whose
	// init is gone (after a reboot, or a jail without persist whose last
	// process exited) is not a running jail.
	InitPID   int    `json:"init_pid"`
	InitStart uint64 `json:"init_start"`
	Socket    string `json:"socket"` // local path of the init's socket
}

// Running reports whether the jail's init process is alive.
func (r *Record) Running() bool { return procLive(r.InitPID, r.InitStart) }

// Param returns the kernel parameter name of the jail.
func (r *Record) Param(name string) (string, bool) {
	v, ok := r.Params[name]
	return v, ok
}

// Processes lists the PIDs (in the machine's namespace) of the jail's
// processes, the jail init excepted.
func (r *Record) Processes() []int {
	if !r.Running() {
		return nil
	}
	return nsMembers(r.InitPID)
}

func readAll(tx *model.Tx) ([]*Record, error) {
	var recs []*Record
	if err := tx.Get(section, &recs); err != nil {
		return nil, err
	}
	return recs, nil
}

// List returns the running jails by JID.
func List(tx *model.Tx) []*Record {
	recs, err := readAll(tx)
	if err != nil {
		return nil
	}
	var out []*Record
	for _, r := range recs {
		if r.Running() {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out
}

// Lookup finds a running jail by name or by JID.
func Lookup(tx *model.Tx, nameOrJID string) (*Record, bool) {
	for _, r := range List(tx) {
		if r.Name == nameOrJID || strconv.Itoa(r.JID) == nameOrJID {
			return r, true
		}
	}
	return nil, false
}

// prune drops the records whose init is gone, telling the other models
// that those jails were removed, and returns the live ones.
func prune(tx *model.Tx) ([]*Record, error) {
	recs, err := readAll(tx)
	if err != nil {
		return nil, err
	}
	var live []*Record
	for _, r := range recs {
		if r.Running() {
			live = append(live, r)
			continue
		}
		_ = os.Remove(r.Socket)
		if err := model.JailRemoved(tx, r.Name, r.JID); err != nil {
			return nil, err
		}
	}
	if len(live) != len(recs) {
		if err := tx.Put(section, live); err != nil {
			return nil, err
		}
	}
	return live, nil
}

func freeJID(recs []*Record) int {
	used := map[int]bool{}
	for _, r := range recs {
		used[r.JID] = true
	}
	for j := 1; ; j++ {
		if !used[j] {
			return j
		}
	}
}

// kill stops a jail: SIGTERM to its processes, up to timeout for them to
// go, then SIGKILL to the init, which makes the kernel kill whatever is
// left in the namespace. It returns once nothing of the jail runs.
func (r *Record) kill(timeout time.Duration) error {
	if !r.Running() {
		return nil
	}
	if timeout > 0 {
		procs := nsMembers(r.InitPID)
		signalAll(procs, syscall.SIGTERM)
		waitGone(procs, timeout)
	}
	left := nsMembers(r.InitPID)
	if err := syscall.Kill(r.InitPID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill jail init %d: %w", r.InitPID, err)
	}
	if !waitGone(append(left, r.InitPID), 10*time.Second) {
		return fmt.Errorf("jail %s: processes still running after SIGKILL", r.Name)
	}
	// A process that was forking when the init died may have escaped the
	// first list; the namespace is dead, so any such process dies too.
	waitGone(nsMembers(r.InitPID), 2*time.Second)
	_ = os.Remove(r.Socket)
	return nil
}

// Teardown kills every jail of the sandbox and forgets them; the sandbox
// runs it before it resets or destroys itself.
func Teardown(sb *model.Sandbox) error {
	// Failures are collected rather than returned from the transaction, so
	// the jails that did stop are forgotten all the same.
	var errs []error
	err := sb.Store.Update(func(tx *model.Tx) error {
		recs, err := readAll(tx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			errs = append(errs, r.kill(0))
			errs = append(errs, model.JailRemoved(tx, r.Name, r.JID))
		}
		// Sockets of jails whose records were lost go as well.
		if ents, err := filepath.Glob(filepath.Join(sb.Dir, "jails", "*.sock")); err == nil {
			for _, s := range ents {
				_ = os.Remove(s)
			}
		}
		return tx.Put(section, []*Record{})
	})
	return errors.Join(append(errs, err)...)
}
