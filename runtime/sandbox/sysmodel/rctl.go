package sysmodel

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// secRctl is the store section holding the kernel's rctl rules, in the
// order they were added.
const secRctl = "rctl"

// rctlRule is one rule as the kernel keeps it. Amount is in the
// resource's own unit (seconds, bytes, count, percent).
type rctlRule struct {
	Subject  string `json:"subject"`
	ID       string `json:"id"`
	Resource string `json:"resource"`
	Action   string `json:"action"`
	Amount   int64  `json:"amount"`
	Per      string `json:"per"`
}

const (
	resDeniable = 1 << iota
	resDecaying
	resSloppy
)

// rctlResources are racct's resources in kernel order with their flags;
// `rctl -u` prints them in this order.
var rctlResources = []struct {
	name  string
	flags int
}{
	{"cputime", 0},
	{"datasize", resDeniable},
	{"stacksize", resDeniable},
	{"coredumpsize", resDeniable},
	{"memoryuse", 0},
	{"memorylocked", resDeniable},
	{"maxproc", resDeniable},
	{"openfiles", resDeniable},
	{"vmemoryuse", resDeniable},
	{"pseudoterminals", resDeniable | resSloppy},
	{"swapuse", resDeniable | resSloppy},
	{"nthr", resDeniable},
	{"msgqqueued", resDeniable | resSloppy},
	{"msgqsize", resDeniable | resSloppy},
	{"nmsgq", resDeniable | resSloppy},
	{"nsem", resDeniable | resSloppy},
	{"nsemop", resDeniable},
	{"nshm", resDeniable | resSloppy},
	{"shmsize", resDeniable | resSloppy},
	{"wallclock", 0},
	{"pcpu", resDecaying | resDeniable},
	{"readbps", resDecaying},
	{"writebps", resDecaying},
	{"readiops", resDecaying},
	{"writeiops", resDecaying},
}

func resourceFlags(name string) (int, bool) {
	for _, r := range rctlResources {
		if r.name == name {
			return r.flags, true
		}
	}
	return 0, false
}

var rctlSubjects = map[string]bool{"process": true, "user": true, "loginclass": true, "jail": true}

var rctlSignals = map[string]bool{}

func init() {
	for _, s := range strings.Fields("hup int quit ill trap abrt emt fpe kill bus segv sys pipe alrm term urg stop tstp cont chld ttin ttou io xcpu xfsz vtalrm prof winch info usr1 usr2 thr librt") {
		rctlSignals["sig"+s] = true
	}
}

func validAction(a string) bool {
	switch a {
	case "deny", "log", "devctl", "throttle":
		return true
	}
	return rctlSignals[a]
}

// splitAction splits "action=amount/per" as the kernel's strsep calls do:
// the action ends at the first '=' or '/', the amount at the next '/'.
func splitAction(s string) (action, amount, per string, hasPer bool) {
	i := strings.IndexAny(s, "=/")
	if i < 0 {
		return s, "", "", false
	}
	action = s[:i]
	amount, per, hasPer = strings.Cut(s[i+1:], "/")
	return action, amount, per, hasPer
}

// filter is a rule whose fields may be empty (undefined).
type rctlFilter struct {
	rctlRule
	hasAmount bool
}

// parseRule is the kernel's rctl_string_to_rule on the rule rctl(8) sent
// (ids resolved, amount expanded). The error is an errno.
func parseRule(sb *model.Sandbox, s string) (rctlFilter, syscall.Errno) {
	var f rctlFilter
	fields := strings.SplitN(s, ":", 4)
	for len(fields) < 4 {
		fields = append(fields, "")
	}
	f.Subject, f.ID, f.Resource = fields[0], fields[1], fields[2]
	rest := fields[3]
	if f.Subject != "" && !rctlSubjects[f.Subject] {
		return f, syscall.EINVAL
	}
	if f.Resource != "" {
		if _, ok := resourceFlags(f.Resource); !ok {
			return f, syscall.EINVAL
		}
	}
	action, amount, per, hasPer := splitAction(rest)
	f.Action = action
	if f.Action != "" && !validAction(f.Action) {
		return f, syscall.EINVAL
	}
	if amount != "" {
		n, err := strconv.ParseInt(amount, 10, 64)
		if err != nil || n < 0 {
			return f, syscall.EINVAL
		}
		f.Amount, f.hasAmount = n, true
	}
	if hasPer {
		if per != "" && !rctlSubjects[per] {
			return f, syscall.EINVAL
		}
		f.Per = per
	}
	if f.Subject == "process" && f.ID != "" {
		pid, err := strconv.Atoi(f.ID)
		if err != nil {
			return f, syscall.EINVAL
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return f, syscall.ESRCH
		}
	}
	if f.Subject == "user" && f.ID != "" {
		if _, err := strconv.Atoi(f.ID); err != nil {
			return f, syscall.EINVAL
		}
	}
	if f.Per == "" {
		f.Per = f.Subject
	}
	return f, 0
}

func (f rctlFilter) matches(r rctlRule) bool {
	return (f.Subject == "" || f.Subject == r.Subject) &&
		(f.ID == "" || f.ID == r.ID) &&
		(f.Resource == "" || f.Resource == r.Resource) &&
		(f.Action == "" || f.Action == r.Action) &&
		(!f.hasAmount || f.Amount == r.Amount) &&
		(f.Per == "" || f.Per == r.Per)
}

// addRule is rctl_rule_add: a fully specified rule the kernel supports,
// replacing any rule with the same subject, resource, action and per.
func addRule(rules []rctlRule, f rctlFilter) ([]rctlRule, syscall.Errno) {
	if f.Subject == "" || f.ID == "" || f.Resource == "" || f.Action == "" || !f.hasAmount {
		return rules, syscall.EINVAL
	}
	flags, _ := resourceFlags(f.Resource)
	if f.Action == "deny" && flags&resDeniable == 0 && f.Resource != "memoryuse" && f.Resource != "pcpu" {
		return rules, syscall.EOPNOTSUPP
	}
	if f.Action == "throttle" && (flags&resDecaying == 0 || f.Resource == "pcpu") {
		return rules, syscall.EOPNOTSUPP
	}
	if f.Per == "process" && flags&resSloppy != 0 {
		return rules, syscall.EOPNOTSUPP
	}
	var out []rctlRule
	for _, r := range rules {
		if r.Subject == f.Subject && r.ID == f.ID && r.Resource == f.Resource && r.Action == f.Action && r.Per == f.Per {
			continue
		}
		out = append(out, r)
	}
	return append(out, f.rctlRule), 0
}

func (r rctlRule) String() string {
	s := fmt.Sprintf("%s:%s:%s:%s=%d", r.Subject, r.ID, r.Resource, r.Action, r.Amount)
	if r.Per != r.Subject {
		s += "/" + r.Per
	}
	return s
}

const rctlUsage = "usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]\n"

func runRctl(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "ahlnru")
	if !ok {
		fmt.Fprint(e.Stderr, rctlUsage)
		return 1
	}
	var aflag, hflag, lflag, nflag, rflag, uflag bool
	for _, o := range opts {
		switch o.Flag {
		case 'a':
			aflag = true
		case 'h':
			hflag = true
		case 'l':
			lflag = true
		case 'n':
			nflag = true
		case 'r':
			rflag = true
		case 'u':
			uflag = true
		}
	}
	n := 0
	for _, b := range []bool{aflag, lflag, rflag, uflag} {
		if b {
			n++
		}
	}
	if n > 1 {
		return e.Errorf("at most one of -a, -l, -r, or -u may be specified")
	}
	if len(args) == 0 {
		if n != 0 {
			fmt.Fprint(e.Stderr, rctlUsage)
			return 1
		}
		args = []string{"::"}
	}
	if uflag {
		return rctlShowUsage(e, args, hflag)
	}
	errs := 0
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		var rules []rctlRule
		if err := tx.Get(secRctl, &rules); err != nil {
			return err
		}
		enabled := sysctlValue(tx, e.SB, "kern.racct.enable") != "0"
		for _, unexpanded := range args {
			rule, ok := expandRule(e, unexpanded, !(aflag && nflag))
			if !ok {
				errs++
				continue
			}
			if !enabled {
				// Every rctl system call fails with ENOSYS; rctl(8)
				// explains why and exits.
				errs = e.Errorf("RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable")
				return nil
			}
			f, errno := parseRule(e.SB, rule)
			switch {
			case aflag:
				if errno == 0 {
					rules, errno = addRule(rules, f)
				}
				if errno != 0 {
					e.Errorf("failed to add rule '%s': %s", unexpanded, errnoText[errno])
					errs++
				}
			case rflag:
				if errno == 0 {
					var keep []rctlRule
					for _, r := range rules {
						if !f.matches(r) {
							keep = append(keep, r)
						}
					}
					if len(keep) == len(rules) {
						errno = syscall.ESRCH
					}
					rules = keep
				}
				if errno != 0 {
					e.Errorf("failed to remove rule '%s': %s", unexpanded, errnoText[errno])
					errs++
				}
			case lflag:
				if errno == 0 && (f.Subject != "process" || f.ID == "") {
					errno = syscall.EINVAL
				}
				if errno != 0 {
					e.Errorf("failed to get limits for '%s': %s", unexpanded, errnoText[errno])
					errs++
					continue
				}
				uid := procUID(f.ID)
				for _, r := range rules {
					if (r.Subject == "process" && r.ID == f.ID) || (r.Subject == "user" && r.ID == uid) {
						printRule(e, r, hflag, nflag)
					}
				}
			default:
				if errno != 0 {
					e.Errorf("failed to show rules for '%s': %s", unexpanded, errnoText[errno])
					errs++
					continue
				}
				for _, r := range rules {
					if f.matches(r) {
						printRule(e, r, hflag, nflag)
					}
				}
			}
		}
		return tx.Put(secRctl, rules)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return errs
}

// rctlShowUsage is rctl -u. It holds no state lock while it measures:
// finding a jail's processes asks jls(8), which reads the state itself.
func rctlShowUsage(e *model.Env, args []string, hflag bool) int {
	var enabled bool
	if err := e.SB.Store.View(func(tx *model.Tx) error {
		enabled = sysctlValue(tx, e.SB, "kern.racct.enable") != "0"
		return nil
	}); err != nil {
		return e.Errorf("%v", err)
	}
	errs := 0
	for _, unexpanded := range args {
		rule, ok := expandRule(e, unexpanded, true)
		if !ok {
			errs++
			continue
		}
		if !enabled {
			return e.Errorf("RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable")
		}
		f, errno := parseRule(e.SB, rule)
		if errno == 0 && (f.Subject == "" || f.ID == "") {
			errno = syscall.EINVAL
		}
		if errno != 0 {
			e.Errorf("failed to show resource consumption for '%s': %s", unexpanded, errnoText[errno])
			errs++
			continue
		}
		for _, line := range rctlUsageOf(e, f) {
			if hflag {
				k, v, _ := strings.Cut(line, "=")
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					line = k + "=" + humanizeNumber(n)
				}
			}
			fmt.Fprintln(e.Stdout, line)
		}
	}
	return errs
}

// expandRule is rctl(8)'s own rewriting before the system call: subject
// aliases, user and group names to ids, K/M/G amounts to numbers.
func expandRule(e *model.Env, rule string, resolve bool) (string, bool) {
	subject, rest, ok := strings.Cut(rule, ":")
	if !ok {
		e.Errorf("malformed rule '%s': missing subject", rule)
		return "", false
	}
	id, rest, _ := strings.Cut(rest, ":")
	switch strings.ToLower(subject) {
	case "u":
		subject = "user"
	case "g":
		subject = "group"
	case "p":
		subject = "process"
	case "l", "c", "class":
		subject = "loginclass"
	case "j":
		subject = "jail"
	}
	if resolve && (strings.EqualFold(subject, "user") || strings.EqualFold(subject, "group")) && id != "" {
		kind := strings.ToLower(subject)
		switch n, found := lookupID(e.SB, kind, id); {
		case isName(e.SB, kind, id) || found:
			id = strconv.Itoa(n)
		case id[0] < '0' || id[0] > '9':
			e.Errorf("malformed rule '%s': uknown %s '%s'", rule, kind, id)
			return "", false
		default:
			e.Errorf("malformed rule '%s': trailing characters after numerical id", rule)
			return "", false
		}
	}
	out := subject + ":" + id + ":" + rest
	resource, tail, _ := strings.Cut(rest, ":")
	action, amount, per, hasPer := splitAction(tail)
	if amount != "" {
		n, err := expandNumber(amount)
		if err != nil {
			e.Errorf("malformed rule '%s': invalid numeric value '%s'", rule, amount)
			return "", false
		}
		out = fmt.Sprintf("%s:%s:%s:%s=%d", subject, id, resource, action, n)
		if hasPer {
			out += "/" + per
		}
	}
	return out, true
}

func isName(sb *model.Sandbox, kind, name string) bool {
	for _, ent := range dbEntries(sb, kind) {
		if ent[0] == name {
			return true
		}
	}
	return false
}

func printRule(e *model.Env, r rctlRule, hflag, nflag bool) {
	if !nflag && r.Subject == "user" {
		if n, err := strconv.Atoi(r.ID); err == nil {
			r.ID = idName(e.SB, "user", n)
		}
	}
	s := r.String()
	if hflag {
		s = fmt.Sprintf("%s:%s:%s:%s=%s", r.Subject, r.ID, r.Resource, r.Action, humanizeNumber(r.Amount))
		if r.Per != r.Subject {
			s += "/" + r.Per
		}
	}
	fmt.Fprintln(e.Stdout, s)
}

// humanizeNumber is humanize_number(3) with a 6-byte buffer, HN_AUTOSCALE,
// HN_DECIMAL and HN_NOSPACE, as rctl -h calls it.
func humanizeNumber(n int64) string {
	const divisor, deccut = 1024, 973
	prefixes := []string{"", "K", "M", "G", "T", "P", "E"}
	sign := int64(1)
	baselen := 2
	if n < 0 {
		sign, n, baselen = -1, -n, 3
	}
	maxv := int64(1)
	for i := 6 - baselen; i > 0; i-- {
		maxv *= 10
	}
	quotient, remainder := n, int64(0)
	i := 0
	for (quotient >= maxv || (quotient == maxv-1 && (remainder >= deccut || remainder >= divisor/2))) && i < len(prefixes)-1 {
		remainder = quotient % divisor
		quotient /= divisor
		i++
	}
	if ((quotient == 9 && remainder < deccut) || quotient < 9) && i > 0 {
		s1 := quotient + (remainder*10+divisor/2)/divisor/10
		s2 := ((remainder*10 + divisor/2) / divisor) % 10
		return fmt.Sprintf("%d.%d%s", sign*s1, s2, prefixes[i])
	}
	return fmt.Sprintf("%d%s", sign*(quotient+(remainder+divisor/2)/divisor), prefixes[i])
}

// rctlUsageOf is rctl_get_racct: the subject's consumption, computed from
// its Linux processes where the sandbox can find them.
func rctlUsageOf(e *model.Env, f rctlFilter) []string {
	var pids []int
	switch f.Subject {
	case "jail":
		if ji, ok := findJail(e, f.ID); ok {
			pids = jailPIDs(e.SB, ji)
		}
	case "process":
		if pid, err := strconv.Atoi(f.ID); err == nil {
			pids = []int{pid}
		}
	case "user":
		pids = userPIDs(f.ID)
	}
	u := sumUsage(pids)
	out := make([]string, 0, len(rctlResources))
	for _, r := range rctlResources {
		out = append(out, fmt.Sprintf("%s=%d", r.name, u[r.name]))
	}
	return out
}

// sumUsage adds up what /proc says of the processes.
func sumUsage(pids []int) map[string]int64 {
	u := map[string]int64{}
	var oldest int64 = -1
	for _, pid := range pids {
		st := procStatus(pid)
		if st == nil {
			continue
		}
		u["maxproc"]++
		u["memoryuse"] += st["VmRSS"]
		u["vmemoryuse"] += st["VmSize"]
		u["datasize"] += st["VmData"]
		u["stacksize"] += st["VmStk"]
		u["memorylocked"] += st["VmLck"]
		u["swapuse"] += st["VmSwap"]
		u["nthr"] += st["Threads"]
		if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
			u["openfiles"] += int64(len(fds))
		}
		cpu, start := procTimes(pid)
		u["cputime"] += cpu
		if start >= 0 && (oldest < 0 || start < oldest) {
			oldest = start
		}
	}
	if oldest >= 0 {
		u["wallclock"] = oldest
	}
	return u
}

// procStatus reads /proc/PID/status; sizes come back in bytes.
func procStatus(pid int) map[string]int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		out[k] = n
	}
	return out
}

// procTimes returns the CPU seconds a process used and how many seconds
// it has run.
func procTimes(pid int) (cpu, age int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, -1
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	// After the command: state is field 3 of stat(5), utime 14, stime 15,
	// starttime 22; f[0] is field 3.
	if len(f) < 20 {
		return 0, -1
	}
	const hz = 100
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	start, _ := strconv.ParseInt(f[19], 10, 64)
	up := uptime()
	age = up - start/hz
	if age < 0 {
		age = 0
	}
	return (ut + stt) / hz, age
}

func uptime() int64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	d, err := time.ParseDuration(f[0] + "s")
	if err != nil {
		return 0
	}
	return int64(d.Seconds())
}

func userPIDs(uid string) []int {
	return model.Processes(func(pid int) bool { return procUID(strconv.Itoa(pid)) == uid })
}

// procUID is the real uid of a process, "" when it is gone.
func procUID(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}
