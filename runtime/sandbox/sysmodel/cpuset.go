package sysmodel

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// secCpuset is the store section holding each jail's CPU mask, keyed by
// JID.
const secCpuset = "cpuset"

type jailCPUs struct {
	Name string `json:"name"`
	CPUs []int  `json:"cpus"`
}

const cpusetUsage = `usage: cpuset [-l cpu-list] [-s setid] cmd ...
       cpuset [-l cpu-list] [-s setid] -p pid
       cpuset [-c] [-l cpu-list] -C -p pid
       cpuset [-c] [-l cpu-list] [-j jailid | -p pid | -t tid | -s setid | -x irq]
       cpuset -g [-cir] [-d domain | -j jailid | -p pid | -t tid | -s setid |
              -x irq]
`

// rootSet is the modelled machine's CPUs: Linux's.
func rootSet() []int {
	out := make([]int, goruntime.NumCPU())
	for i := range out {
		out[i] = i
	}
	return out
}

// parseCPUList is cpuset(1)'s parselist: "0-3", "1,2", "0-1,3".
func parseCPUList(list string) ([]int, error) {
	if strings.EqualFold(list, "all") {
		return rootSet(), nil
	}
	set := map[int]bool{}
	const (
		none = iota
		number
		dash
	)
	state, last, cur := none, 0, 0
	malformed := fmt.Errorf("Malformed list %s", list)
	for i := 0; i < len(list); {
		c := list[i]
		if c >= '0' && c <= '9' {
			j := i
			for j < len(list) && list[j] >= '0' && list[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(list[i:j])
			if err != nil || n > cpuSetSize {
				if err != nil {
					n = int(^uint(0) >> 1)
				}
				return nil, fmt.Errorf("List entry %d exceeds maximum of %d", n, cpuSetSize)
			}
			cur, i = n, j
			switch state {
			case none:
				last, state = cur, number
			case dash:
				for ; last <= cur; last++ {
					set[last] = true
				}
				state = none
			default:
				return nil, malformed
			}
			continue
		}
		switch c {
		case ',':
			switch state {
			case number:
				set[cur] = true
				state = none
			case dash:
				return nil, malformed
			}
		case '-':
			if state != number {
				return nil, malformed
			}
			state = dash
		default:
			return nil, malformed
		}
		i++
	}
	switch state {
	case number:
		set[cur] = true
	case dash:
		return nil, malformed
	}
	var out []int
	for c := 0; c <= cpuSetSize; c++ {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

func joinCPUs(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}

func runCpuset(e *model.Env) int {
	opts, args, ok := e.Getopt(e.Args, "Ccd:gij:l:n:p:rs:t:x:")
	if !ok {
		fmt.Fprint(e.Stderr, cpusetUsage)
		return 1
	}
	var (
		cflagC, dflag, gflag, iflag, jflag, lflag, nflag, pflag, rflag, sflag, tflag, xflag bool
		mask                                                                                []int
		jail                                                                                jailInfo
		id                                                                                  = -1
	)
	which := "pid"
	for _, o := range opts {
		switch o.Flag {
		case 'C':
			cflagC = true
		case 'c':
		case 'd':
			dflag, which, id = true, "domain", atoiLax(o.Arg)
		case 'g':
			gflag = true
		case 'i':
			iflag = true
		case 'j':
			ji, found := findJail(e, o.Arg)
			if !found {
				if _, err := strconv.Atoi(o.Arg); err == nil {
					return e.Errorf("jail %s not found", o.Arg)
				}
				return e.Errorf("jail \"%s\" not found", o.Arg)
			}
			jflag, which, id, jail = true, "jail", ji.JID, ji
		case 'l':
			lflag = true
			m, err := parseCPUList(o.Arg)
			if err != nil {
				return e.Errorf("%v", err)
			}
			mask = m
		case 'n':
			nflag = true
		case 'p':
			pflag, which, id = true, "pid", atoiLax(o.Arg)
		case 'r':
			rflag = true
		case 's':
			sflag, which, id = true, "cpuset", atoiLax(o.Arg)
		case 't':
			tflag, which, id = true, "tid", atoiLax(o.Arg)
		case 'x':
			xflag, which, id = true, "irq", atoiLax(o.Arg)
		}
	}
	count := func(bs ...bool) int {
		n := 0
		for _, b := range bs {
			if b {
				n++
			}
		}
		return n
	}
	usage := func() int {
		fmt.Fprint(e.Stderr, cpusetUsage)
		return 1
	}
	if gflag {
		if len(args) > 0 || cflagC || lflag || nflag || count(dflag, jflag, xflag, sflag, pflag, tflag) > 1 {
			return usage()
		}
		level := ""
		if rflag {
			level = " root"
		}
		if iflag {
			setid := 1
			if jflag {
				setid = jail.JID + 1
			}
			if level == "" {
				level = " cpuset"
			}
			fmt.Fprintf(e.Stdout, "%s %d%s id: %d\n", which, id, level, setid)
			return 0
		}
		cpus, err := affinityOf(e, which, id, rflag)
		if err != nil {
			return e.Errorf("getaffinity: %s", strerror(err))
		}
		fmt.Fprintf(e.Stdout, "%s %d%s mask: %s\n", which, id, level, joinCPUs(cpus))
		if !dflag && !xflag {
			fmt.Fprintf(e.Stdout, "%s %d%s domain policy: first-touch mask: 0\n", which, id, level)
		}
		return 0
	}
	if dflag || iflag || rflag {
		return usage()
	}
	if len(args) > 0 {
		if cflagC || pflag || tflag || xflag || jflag {
			return usage()
		}
		// Starting a command in a new set needs the affinity set
		// between fork and exec, which the in-process model cannot do.
		return e.Errorf("%s: %s", args[0], errnoText[syscall.EOPNOTSUPP])
	}
	if (cflagC && (jflag || !pflag || sflag || tflag || xflag)) || (!lflag && !nflag && !(cflagC || sflag)) ||
		(tflag && (sflag || pflag || xflag || jflag)) || (xflag && (jflag || pflag || sflag || tflag)) {
		return usage()
	}
	if !lflag {
		return 0
	}
	if len(mask) == 0 || !subset(mask, rootSet()) {
		return e.Errorf("setaffinity: %s", errnoText[syscall.EDEADLK])
	}
	switch {
	case jflag:
		return setJailCPUs(e, jail, mask)
	case pflag || tflag:
		if err := setAffinity(id, mask); err != nil {
			return e.Errorf("setaffinity: %s", strerror(err))
		}
		return 0
	case xflag:
		return e.Errorf("setaffinity: %s", errnoText[syscall.EINVAL])
	}
	return e.Errorf("setaffinity: %s", errnoText[syscall.EPERM])
}

func atoiLax(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func subset(a, b []int) bool {
	in := map[int]bool{}
	for _, x := range b {
		in[x] = true
	}
	for _, x := range a {
		if !in[x] {
			return false
		}
	}
	return true
}

// affinityOf answers cpuset -g.
func affinityOf(e *model.Env, which string, id int, root bool) ([]int, error) {
	if root {
		return rootSet(), nil
	}
	switch which {
	case "jail":
		cpus := rootSet()
		err := e.SB.Store.View(func(tx *model.Tx) error {
			m := map[string]jailCPUs{}
			if err := tx.Get(secCpuset, &m); err != nil {
				return err
			}
			if j, ok := m[strconv.Itoa(id)]; ok {
				cpus = j.CPUs
			}
			return nil
		})
		return cpus, err
	case "pid", "tid":
		if id == -1 {
			return rootSet(), nil
		}
		return getAffinity(id)
	case "cpuset":
		if id == 1 || id == 0 {
			return rootSet(), nil
		}
		return nil, syscall.ESRCH
	case "domain":
		if id == 0 {
			return rootSet(), nil
		}
		return nil, syscall.ESRCH
	}
	return nil, syscall.EINVAL
}

// setJailCPUs records the jail's mask and pins its processes to it, as
// the kernel moves the jail's whole cpuset.
func setJailCPUs(e *model.Env, ji jailInfo, mask []int) int {
	var errs []error
	for _, pid := range jailPIDs(e.SB, ji) {
		if err := setAffinity(pid, mask); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return e.Errorf("setaffinity: %s", strerror(err))
	}
	err := e.SB.Store.Update(func(tx *model.Tx) error {
		m := map[string]jailCPUs{}
		if err := tx.Get(secCpuset, &m); err != nil {
			return err
		}
		m[strconv.Itoa(ji.JID)] = jailCPUs{Name: ji.Name, CPUs: mask}
		return tx.Put(secCpuset, m)
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	return 0
}

// cpusetJailRemoved drops a removed jail's set: the kernel frees it with
// the jail.
func cpusetJailRemoved(tx *model.Tx, name string, jid int) error {
	m := map[string]jailCPUs{}
	if err := tx.Get(secCpuset, &m); err != nil {
		return err
	}
	key := strconv.Itoa(jid)
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	return tx.Put(secCpuset, m)
}
