package main

// Tags and addresses are claimed under the host's identity lock: iocage
// processes started at once never make two jails with one tag or one
// address.

import (
	"bytes"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// iocageProcs runs n iocage processes at once (this test binary as the
// program), argv(i) giving the arguments of the i-th; it returns their
// results in order.
func iocageProcs(t *testing.T, n int, argv func(i int) []string) []result {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(self, argv(i)...)
			cmd.Env = append(os.Environ(), envTestMain+"=1")
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			<-start
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
				se.WriteString(err.Error())
			}
			out[i] = result{so.String(), se.String(), code}
		}(i)
	}
	close(start)
	wg.Wait()
	return out
}

func claimsSandbox(t *testing.T) {
	t.Helper()
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	if r := iocageOn(t, "", "activate", s.Pool); r.Code != 0 {
		t.Fatalf("activate: %+v", r)
	}
}

// listed is `list -H` as tag -> count.
func listedTags(t *testing.T) map[string]int {
	t.Helper()
	r := iocageOn(t, "", "list", "-H")
	if r.Code != 0 {
		t.Fatalf("list: %+v", r)
	}
	tags := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if f := strings.Split(l, "\t"); len(f) == 5 {
			tags[f[4]]++
		}
	}
	return tags
}

func TestParallelCreatesOfOneTagMakeOneJail(t *testing.T) {
	claimsSandbox(t)
	rs := iocageProcs(t, 16, func(int) []string { return []string{"create", "-e", "tag=same"} })
	ok := 0
	for i, r := range rs {
		switch {
		case r.Code == 0:
			ok++
		case r.Code == 1 && strings.Contains(r.Stderr, `tag "same" is already used by`):
		default:
			t.Errorf("create %d: exit %d\n%s", i, r.Code, r.Stderr)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
	if got := listedTags(t); got["same"] != 1 || len(got) != 1 {
		t.Errorf("jails after 16 parallel creates of tag same: %v, want one", got)
	}
}

func TestParallelCreatesOfOneAddressMakeOneJail(t *testing.T) {
	claimsSandbox(t)
	const n = 8
	rs := iocageProcs(t, n, func(i int) []string {
		return []string{"create", "-e", "tag=a" + string(rune('0'+i)), "ip4_addr=em0|10.7.7.7/24"}
	})
	var made []string
	for i, r := range rs {
		switch {
		case r.Code == 0:
			made = append(made, "a"+string(rune('0'+i)))
		case r.Code == 1 && strings.Contains(r.Stderr, "address 10.7.7.7 is already used by jail"):
		default:
			t.Errorf("create %d: exit %d\n%s", i, r.Code, r.Stderr)
		}
	}
	if len(made) != 1 {
		t.Fatalf("jails made with 10.7.7.7: %v, want one", made)
	}
	if got := listedTags(t); len(got) != 1 || got[made[0]] != 1 {
		t.Errorf("jails listed: %v, want only %s", got, made[0])
	}
	// set and a later create see the address taken too.
	if r := iocageOn(t, "", "create", "-e", "tag=other", "ip4_addr=em1|10.7.7.7/32"); r.Code != 1 || !strings.Contains(r.Stderr, "already used by jail") {
		t.Errorf("create with a taken address: %+v", r)
	}
	if r := iocageOn(t, "", "create", "-e", "tag=other", "ip4_addr=em0|10.7.7.8/24"); r.Code != 0 {
		t.Fatalf("create with a free address: %+v", r)
	}
	r := iocageOn(t, "", "set", "ip4_addr=em0|10.7.7.7/24", "other")
	if r.Code != 1 || !strings.Contains(r.Stderr, "address 10.7.7.7 is already used by jail") {
		t.Errorf("set of a taken address: %+v", r)
	}
	if r := iocageOn(t, "", "get", "ip4_addr", "other"); r.Stdout != "em0|10.7.7.8/24\n" {
		t.Errorf("ip4_addr after the refused set: %+v", r)
	}
	tags := []string{}
	for tag := range listedTags(t) {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	if len(tags) != 2 {
		t.Errorf("jails: %v", tags)
	}
}
