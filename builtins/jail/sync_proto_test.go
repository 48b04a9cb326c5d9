package jail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// transfer builds the bytes of a transfer: header, then each stream.
func transfer(t testing.TB, hdr *SyncHeader, streams ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	fw := &frameWriter{w: &b}
	b.WriteString(syncMagic)
	head, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.frame(frameHeader, head); err != nil {
		t.Fatal(err)
	}
	for _, s := range streams {
		if _, err := fw.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		_ = fw.frame(frameEnd, nil)
	}
	_ = fw.frame(frameDone, nil)
	return b.Bytes()
}

func testHeader() *SyncHeader {
	return &SyncHeader{Format: syncFormat, UUID: "3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c", Snapshot: "sync-2026-12-06_08:00:00",
		Props: map[string]string{"tag": "web"},
		Datasets: []SyncDataset{{Path: "", Kind: SendFull}, {Path: "root", Kind: SendIncremental, Base: "sync-1"},
			{Path: "data", Kind: SendSkip, Jailed: true}}}
}

// readAll reads a transfer as the receiver does, each stream whole.
func readAll(r io.Reader) (*SyncHeader, []string, error) {
	tr, err := OpenTransfer(r)
	if err != nil {
		return nil, nil, err
	}
	var got []string
	for _, d := range tr.Header.Datasets {
		if d.Kind == SendSkip {
			continue
		}
		b, err := io.ReadAll(tr.fr.stream())
		if err != nil {
			return tr.Header, got, err
		}
		got = append(got, string(b))
	}
	return tr.Header, got, tr.fr.done()
}

func TestTransferRoundTrip(t *testing.T) {
	big := strings.Repeat("z", 3*syncChunk+17)
	b := transfer(t, testHeader(), "top stream", big)
	hdr, got, err := readAll(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(testHeader(), hdr); d != "" {
		t.Errorf("header (-sent +read):\n%s", d)
	}
	if d := cmp.Diff([]string{"top stream", big}, got); d != "" {
		t.Errorf("streams differ:\n%.300s", d)
	}
	// Cut anywhere, the receiver sees a cut, never a complete transfer.
	for _, n := range []int{0, 5, len(syncMagic) + 3, len(b) / 2, len(b) - 1} {
		if _, _, err := readAll(bytes.NewReader(b[:n])); err == nil {
			t.Errorf("a transfer cut at %d of %d bytes was read as complete", n, len(b))
		}
	}
	if _, _, err := readAll(bytes.NewReader(b[:len(b)/2])); !errors.Is(err, errCut) {
		t.Errorf("cut half-way: %v, want errCut", err)
	}
}

func TestHeaderRefusals(t *testing.T) {
	for _, tc := range []struct {
		edit func(*SyncHeader)
		want string
	}{
		{func(h *SyncHeader) { h.Format = 2 }, "format 2"},
		{func(h *SyncHeader) { h.UUID = "../../etc" }, "not a jail's UUID"},
		{func(h *SyncHeader) { h.Snapshot = "a@b" }, "snapshot name"},
		{func(h *SyncHeader) { h.Datasets[1].Path = "../x" }, "dataset path"},
		{func(h *SyncHeader) { h.Datasets[1].Path = "/root" }, "relative"},
		{func(h *SyncHeader) { h.Datasets[1].Path = "" }, "twice"},
		{func(h *SyncHeader) { h.Datasets[2].Path = "data/x/y" }, "before its parent"},
		{func(h *SyncHeader) { h.Datasets[1].Kind = "rm" }, "unknown kind"},
		{func(h *SyncHeader) { h.Datasets[1].Base = "" }, "base"},
		{func(h *SyncHeader) { h.Datasets[0].Base = "x" }, "has no base"},
		{func(h *SyncHeader) { h.Datasets = h.Datasets[1:] }, "does not start"},
	} {
		h := testHeader()
		tc.edit(h)
		_, _, err := readAll(bytes.NewReader(transfer(t, h)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("header %+v: %v, want %q", h, err, tc.want)
		}
	}
	// Unknown fields are another iocage's, not ours to guess at.
	var buf bytes.Buffer
	buf.WriteString(syncMagic)
	_ = (&frameWriter{w: &buf}).frame(frameHeader, []byte(`{"format":1,"exec":"x"}`))
	if _, _, err := readAll(&buf); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("header with an unknown field: %v", err)
	}
}

func TestParseReplicaState(t *testing.T) {
	good := `{"format":1,"hostid":"5e3c8a62-2b1d-4c1b-9a1f-5d8e7c6b5a49","pool":"tank","jail":{"staged":false,"running":false,"hostid":"x","tag":"web"},
		"datasets":{"":{"snapshots":[{"name":"sync-1","guid":"18446744073709551615"}]},"root":{"snapshots":[],"token":"1-ab-12"}}}`
	st, err := ParseReplicaState([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if st.Datasets["root"].Token != "1-ab-12" || st.Jail.Tag != "web" {
		t.Errorf("parsed %+v", st)
	}
	for _, bad := range []string{
		`{"format":2,"pool":"tank","datasets":{}}`,
		`{"format":1,"pool":"tank/x","datasets":{}}`,
		`{"format":1,"pool":"tank","datasets":{"../x":{}}}`,
		`{"format":1,"pool":"tank","datasets":{"root":{"token":"1-AB; rm -rf /"}}}`,
		`{"format":1,"pool":"tank","datasets":{"root":{"snapshots":[{"name":"a/b","guid":"1"}]}}}`,
		`{"format":1,"pool":"tank","datasets":{"root":{"snapshots":[{"name":"a","guid":"-1"}]}}}`,
		`{"format":1,"pool":"tank","hostid":"$(x)","datasets":{}}`,
		`{"format":1,"pool":"tank","jail":{"tag":"ALL"},"datasets":{}}`,
		`not json`,
	} {
		if _, err := ParseReplicaState([]byte(bad)); err == nil {
			t.Errorf("ParseReplicaState(%s) accepted it", bad)
		}
	}
}

func TestParseDestination(t *testing.T) {
	for in, want := range map[string]Destination{
		"backup":                  {Host: "backup"},
		"root@backup.example.org": {User: "root", Host: "backup.example.org"},
		"root@10.0.0.2:tank":      {User: "root", Host: "10.0.0.2", Pool: "tank"},
		"[::1]:zroot":             {Host: "::1", Pool: "zroot"},
		"admin@[fe80::1]":         {User: "admin", Host: "fe80::1"},
	} {
		got, err := ParseDestination(in)
		if err != nil || got != want {
			t.Errorf("ParseDestination(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%q written back as %q", in, got.String())
		}
	}
	for _, bad := range []string{"", "-oProxyCommand=x", "root@", "a b", "host:tank/x", "ro;ot@h", "[::1", "[x]:p", "host:-p", "h:p@q", "@h"} {
		if d, err := ParseDestination(bad); err == nil {
			t.Errorf("ParseDestination(%q) = %+v, want an error", bad, d)
		}
	}
}

func TestSSHArgv(t *testing.T) {
	d := Destination{User: "root", Host: "backup", Pool: "tank"}
	got, err := SSH{Port: 2222, Identity: "/root/.ssh/id", Options: []string{"StrictHostKeyChecking=yes"}}.Argv(d, remoteWords(d, "3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c", "--state")...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-T", "-o", "BatchMode=yes", "-p", "2222", "-i", "/root/.ssh/id", "-o", "StrictHostKeyChecking=yes", "--", "root@backup",
		"iocage", "receive", "--pool", "tank", "--state", "3f2a9c41-7d10-4e5b-9a2c-0d4e6f8a1b2c"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("argv (-want +got):\n%s", d)
	}
	for _, s := range []SSH{{Port: 70000}, {Identity: "id"}, {Identity: "/a/../b"}, {Options: []string{"-oProxyCommand=x"}}, {Options: []string{"A=b\nc"}}} {
		if _, err := s.Argv(d, "x"); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if _, err := (SSH{}).Argv(d, "$(reboot)"); err == nil {
		t.Errorf("a remote word with shell syntax accepted")
	}
}

func TestPlanSync(t *testing.T) {
	snaps := func(ns ...string) []ReplicaSnap {
		var out []ReplicaSnap
		for _, n := range ns {
			out = append(out, ReplicaSnap{Name: n, GUID: "1" + strings.TrimPrefix(n, "s")})
		}
		return out
	}
	local := []LocalDataset{{Path: "", Snaps: snaps("s1", "s2", "s3")}, {Path: "root", Snaps: snaps("s1", "s3")}, {Path: "data", Jailed: true, Snaps: snaps("s3")}}
	remote := ReplicaState{Datasets: map[string]ReplicaDataset{
		"":     {Snapshots: snaps("s1", "s2")},
		"root": {Snapshots: snaps("s1"), Token: "1-ab"},
	}}
	plan, tokens, err := PlanSync(local, remote, "s3", false, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []SyncDataset{{Path: "", Kind: SendIncremental, Base: "s2"}, {Path: "root", Kind: SendIncremental, Base: "s1"}, {Path: "data", Kind: SendFull, Jailed: true}}
	if d := cmp.Diff(want, plan); d != "" || len(tokens) != 0 {
		t.Errorf("plan (-want +got):\n%s tokens %v", d, tokens)
	}
	plan, tokens, _ = PlanSync(local, remote, "s3", true, false)
	if plan[1].Kind != SendResume || tokens["root"] != "1-ab" {
		t.Errorf("resume plan %+v %v", plan, tokens)
	}
	remote.Datasets[""] = ReplicaDataset{Snapshots: snaps("s1", "s3")}
	if plan, _, _ := PlanSync(local, remote, "s3", false, false); plan[0].Kind != SendSkip {
		t.Errorf("a dataset the receiver has at s3: %+v", plan[0])
	}
	remote.Datasets[""] = ReplicaDataset{Snapshots: snaps("s1", "s9")}
	if _, _, err := PlanSync(local, remote, "s3", false, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("snapshots taken on the copy: %v", err)
	}
	if plan, _, err := PlanSync(local, remote, "s3", false, true); err != nil || plan[0].Base != "s1" {
		t.Errorf("with force: %+v %v", plan, err)
	}
	remote.Datasets[""] = ReplicaDataset{Snapshots: []ReplicaSnap{{Name: "s1", GUID: "999"}}}
	if _, _, err := PlanSync(local, remote, "s3", false, false); err == nil || !strings.Contains(err.Error(), "shares no snapshot") {
		t.Errorf("a copy of another jail: %v", err)
	}
	if _, _, err := PlanSync(local, ReplicaState{}, "s4", false, false); err == nil {
		t.Errorf("a snapshot the jail lacks was planned")
	}
}

func FuzzReadTransfer(f *testing.F) {
	f.Add(transfer(f, testHeader(), "a", "b"))
	f.Add([]byte(syncMagic + "H\x00\x00\x00\x02{}"))
	f.Add([]byte(syncMagic + "D\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hdr, _, err := readAll(bytes.NewReader(b))
		if err == nil && checkHeader(hdr) != nil {
			t.Errorf("a transfer with a bad header was read")
		}
	})
}

func FuzzParseReplicaState(f *testing.F) {
	f.Add([]byte(`{"format":1,"hostid":"h","pool":"tank","datasets":{"":{"snapshots":[{"name":"s","guid":"1"}],"token":"1-a"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseReplicaState(b)
		if err != nil {
			return
		}
		for p, d := range st.Datasets {
			if checkSyncPath(p) != nil || (d.Token != "" && !tokenRE.MatchString(d.Token)) {
				t.Errorf("accepted dataset %q %+v", p, d)
			}
		}
	})
}

func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"root@backup:tank", "[::1]:zroot", "h", "-oProxyCommand=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDestination(s)
		if err != nil {
			return
		}
		if strings.HasPrefix(d.Host, "-") || strings.HasPrefix(d.User, "-") {
			t.Errorf("%q: a host or user that ssh would take for an option", s)
		}
		again, err := ParseDestination(d.String())
		if err != nil || again != d {
			t.Errorf("%q → %+v → %q → %+v, %v", s, d, d.String(), again, err)
		}
	})
}
