package model

import (
	"os"
	"strconv"
)

// Processes lists the processes of this Linux machine (the numeric entries
// of /proc) for which keep is true. The models find a jail's or a user's
// processes this way: jailed processes are ordinary Linux processes.
func Processes(keep func(pid int) bool) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err == nil && keep(pid) {
			out = append(out, pid)
		}
	}
	return out
}
