package jail

// The Starlark bindings of sync.go, for recipes/send.star and
// recipes/receive.star.

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/builtins/zfs"
	"github.com/iocage/iocage/jailprops"
	"github.com/iocage/iocage/runtime"
)

func init() {
	register("destination", "jail.destination(text, port=0, identity=\"\", ssh_options=[]) -> jail.destination\n\n"+
		"Checks where iocage send delivers: text is [USER@]HOST[:POOL] (an IPv6\n"+
		"address in brackets), port, identity and ssh_options (Option=value) are\n"+
		"ssh(1)'s -p, -i and -o. Attributes: host, address ([USER@]HOST), pool,\n"+
		"text. No host access.", stDestination)
	register("remote_state", "jail.remote_state(dest, j) -> jail.replica_state\n\n"+
		"Asks the destination what it holds of j (`ssh ... iocage receive --state\n"+
		"UUID`, one ssh session). Attributes: hostid (the receiving host's),\n"+
		"pool, copy (None, or struct(staged, running, hostid, tag)), partial\n"+
		"(whether an interrupted receive is there to resume) and snapshots (the\n"+
		"names of those it holds of any dataset).", stRemoteState)
	register("plan_sync", "jail.plan_sync(j, state, snapshot, resume=False, force=False) -> jail.sync_plan\n\n"+
		"Chooses, per dataset of j that travels (a basejail's base filesystems\n"+
		"stay), the stream that brings the receiver to snapshot: skip, full,\n"+
		"incremental from the newest snapshot both hold (by guid), or, with\n"+
		"resume, the rest of an interrupted one. Reads j's datasets and\n"+
		"snapshots (one zfs list). Fails when the copy there shares no\n"+
		"snapshot with j, or has snapshots after the shared one (unless force).\n"+
		"Attributes: snapshot, datasets (list of struct(path, kind, base)).", stPlanSync)
	register("send_sync", "jail.send_sync(dest, j, plan, move=False, start=False, keep_hooks=False) -> int\n\n"+
		"Sends the streams of plan into `ssh ... iocage receive UUID` on the\n"+
		"destination, with j's properties (which the receiver checks as import\n"+
		"does). move hands the jail over (the receiver makes it its own), start\n"+
		"starts it there. Progress on a terminal. Returns the bytes sent.\n"+
		"Nothing to undo here: an interrupted transfer is resumed by the next.", stSendSync)
	register("replica_state", "jail.replica_state(uuid, pool=\"\") -> str\n\n"+
		"What this host holds of the jail uuid, as JSON for a sender (see\n"+
		"jail.remote_state): the copy and, per dataset, its snapshots and\n"+
		"resume token. Two or three commands.", stReplicaState)
	register("open_transfer", "jail.open_transfer() -> jail.transfer\n\n"+
		"Reads the header of the transfer on standard input (refused on a\n"+
		"terminal) and checks it. Attributes: uuid, snapshot, properties\n"+
		"(dict), move, start, datasets (list of struct(path, kind, base)).", stOpenTransfer)
	register("receive_sync", "jail.receive_sync(transfer, dataset) -> int\n\n"+
		"Receives the transfer's streams into dataset and its descendants, each\n"+
		"`zfs receive -s -u` (-F for incremental ones). A transfer cut off keeps\n"+
		"what arrived for a resume and fails. Returns the bytes received. Not\n"+
		"undone: received data is the point of a resume.", stReceiveSync)
	register("ensure_incoming", "jail.ensure_incoming(pool)\n\n"+
		"Makes POOL/iocage/incoming (mountpoint=none) when missing: first\n"+
		"copies are received there. Kept.", stEnsureIncoming)
	register("unstage", "jail.unstage(pool, uuid) -> str\n\n"+
		"Renames the complete first copy POOL/iocage/incoming/UUID to\n"+
		"POOL/iocage/jails/UUID. Returns the new name. Undone (renamed back).", stUnstage)
	register("replica_spec", "jail.replica_spec(transfer, pool, keep_hooks=False) -> jail.spec\n\n"+
		"Checks the transfer's jail on this host as import checks a stream's\n"+
		"(jail.import_spec), except that a tag or address another jail has is\n"+
		"refused, not changed, and the jail keeps its hostid (it is a copy,\n"+
		"kept from starting here) unless the transfer moves it here. Call it\n"+
		"inside jail.locked.", stReplicaSpec)
	register("write_replica", "jail.write_replica(spec) -> dict\n\n"+
		"Writes the properties of spec that differ from those of spec.dataset\n"+
		"(one zfs get, one zfs set). Returns them. Undone (the old values\n"+
		"back).", stWriteReplica)
	register("jail_datasets", "jail.jail_datasets(transfer, dataset) -> list of str\n\n"+
		"Gives the datasets below dataset that the sender has jailed jailed=on\n"+
		"and mountpoint=none where they are not yet (one zfs list, one zfs set\n"+
		"each). Returns them. Undone.", stJailDatasets)
	register("prune_sync", "jail.prune_sync(dataset, keep) -> list of str\n\n"+
		"Destroys the snapshots sync-* of dataset (`zfs destroy -r DS@SNAP`)\n"+
		"other than keep: the newest one both hosts hold is all an\n"+
		"incremental send needs. Returns what it destroyed. Not undone.", stPruneSync)
}

// goValue carries a Go value through Starlark with data attributes.
type goValue struct {
	typ   string
	v     any
	attrs starlark.StringDict
}

func (g *goValue) String() string        { return "<" + g.typ + ">" }
func (g *goValue) Type() string          { return g.typ }
func (g *goValue) Freeze()               { g.attrs.Freeze() }
func (g *goValue) Truth() starlark.Bool  { return true }
func (g *goValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", g.typ) }
func (g *goValue) Attr(n string) (starlark.Value, error) {
	return g.attrs[n], nil
}
func (g *goValue) AttrNames() []string { return g.attrs.Keys() }

func goArg[T any](v starlark.Value, typ string) (T, error) {
	var zero T
	g, ok := v.(*goValue)
	if !ok || g.typ != typ {
		return zero, fmt.Errorf("got %s, want %s", v.Type(), typ)
	}
	x, ok := g.v.(T)
	if !ok {
		return zero, fmt.Errorf("got %s, want %s", v.Type(), typ)
	}
	return x, nil
}

type destination struct {
	d Destination
	s SSH
}

func stDestination(_ *runtime.Host, _ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text, identity string
	var port int
	var opts *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "text", &text, "port?", &port, "identity?", &identity, "ssh_options?", &opts); err != nil {
		return nil, err
	}
	d, err := ParseDestination(text)
	if err != nil {
		return fail(b, err)
	}
	o, err := stStrings(opts)
	if err != nil {
		return fail(b, fmt.Errorf("ssh_options: %w", err))
	}
	s := SSH{Port: port, Identity: identity, Options: o}
	// The argv is checked now, so that a bad option fails before any change.
	if _, err := s.Argv(d, "x"); err != nil {
		return fail(b, err)
	}
	return &goValue{typ: "jail.destination", v: destination{d, s}, attrs: starlark.StringDict{
		"host": starlark.String(d.Host), "pool": starlark.String(d.Pool), "text": starlark.String(d.String()),
		"address": starlark.String(Destination{User: d.User, Host: d.Host}.String())}}, nil
}

func stRemoteState(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var dv starlark.Value
	var v *Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "dest", &dv, "j", &v); err != nil {
		return nil, err
	}
	dest, err := goArg[destination](dv, "jail.destination")
	if err != nil {
		return fail(b, err)
	}
	st, err := RemoteState(thread.Context(t), h, dest.d, dest.s, v.j.UUID)
	if err != nil {
		return fail(b, err)
	}
	var copyv starlark.Value = starlark.None
	if st.Jail != nil {
		copyv = starlarkstruct.FromStringDict(starlark.String("jail.copy"), starlark.StringDict{
			"staged": starlark.Bool(st.Jail.Staged), "running": starlark.Bool(st.Jail.Running),
			"hostid": starlark.String(st.Jail.HostID), "tag": starlark.String(st.Jail.Tag)})
	}
	partial := false
	held := map[string]bool{}
	for _, d := range st.Datasets {
		partial = partial || d.Token != ""
		for _, s := range d.Snapshots {
			held[s.Name] = true
		}
	}
	names := make([]string, 0, len(held))
	for n := range held {
		names = append(names, n)
	}
	sort.Strings(names)
	return &goValue{typ: "jail.replica_state", v: st, attrs: starlark.StringDict{
		"hostid": starlark.String(st.HostID), "pool": starlark.String(st.Pool), "copy": copyv,
		"partial": starlark.Bool(partial), "snapshots": strings2list(names)}}, nil
}

type syncPlan struct {
	snapshot string
	datasets []SyncDataset
	tokens   map[string]string
}

func datasetsList(ds []SyncDataset) *starlark.List {
	var l []starlark.Value
	for _, d := range ds {
		l = append(l, starlarkstruct.FromStringDict(starlark.String("jail.sync_dataset"), starlark.StringDict{
			"path": starlark.String(d.Path), "kind": starlark.String(d.Kind), "base": starlark.String(d.Base)}))
	}
	return starlark.NewList(l)
}

func stPlanSync(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var sv starlark.Value
	var snap string
	var resume, force bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "state", &sv, "snapshot", &snap, "resume?", &resume, "force?", &force); err != nil {
		return nil, err
	}
	st, err := goArg[ReplicaState](sv, "jail.replica_state")
	if err != nil {
		return fail(b, err)
	}
	if err := checkSnapName(snap); err != nil {
		return fail(b, err)
	}
	local, err := SyncTree(thread.Context(t), h, v.j)
	if err != nil {
		return fail(b, err)
	}
	plan, tokens, err := PlanSync(local, st, snap, resume, force)
	if err != nil {
		return fail(b, err)
	}
	return &goValue{typ: "jail.sync_plan", v: syncPlan{snap, plan, tokens}, attrs: starlark.StringDict{
		"snapshot": starlark.String(snap), "datasets": datasetsList(plan)}}, nil
}

// syncProps are j's iocage properties as the receiver gets them.
func syncProps(j *Jail) map[string]string {
	out := map[string]string{}
	for _, p := range jailprops.UserProperties() {
		if v := j.Props[p.Name]; v != "" && v != "-" {
			out[p.Name] = v
		}
	}
	return out
}

func stSendSync(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var dv, pv starlark.Value
	var v *Value
	var move, start, keep bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "dest", &dv, "j", &v, "plan", &pv, "move?", &move, "start?", &start, "keep_hooks?", &keep); err != nil {
		return nil, err
	}
	dest, err := goArg[destination](dv, "jail.destination")
	if err != nil {
		return fail(b, err)
	}
	plan, err := goArg[syncPlan](pv, "jail.sync_plan")
	if err != nil {
		return fail(b, err)
	}
	hdr := &SyncHeader{Format: syncFormat, UUID: v.j.UUID, Snapshot: plan.snapshot, Props: syncProps(v.j),
		Datasets: plan.datasets, Move: move, Start: start}
	run := thread.Get(t)
	n, err := SendSync(run.Ctx, h, dest.d, dest.s, hdr, v.j.Dataset, plan.tokens, keep, run.Stderr, thread.Progress(t))
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt64(n), nil
}

func stReplicaState(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var uuid, pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "uuid", &uuid, "pool?", &pool); err != nil {
		return nil, err
	}
	var err error
	if pool == "" {
		if pool, err = activePoolOf(t, h); err != nil {
			return fail(b, err)
		}
	}
	st, err := ReplicaStateOf(thread.Context(t), h, pool, uuid)
	if err != nil {
		return fail(b, err)
	}
	out, err := json.Marshal(st)
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(out), nil
}

func stOpenTransfer(_ *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	run := thread.Get(t)
	if run.Stdin == nil || isTerminal(run.Stdin) {
		return fail(b, fmt.Errorf("standard input is a terminal, not a transfer: iocage receive is run by iocage send over ssh"))
	}
	tr, err := OpenTransfer(run.Stdin)
	if err != nil {
		return fail(b, err)
	}
	hd := tr.Header
	return &goValue{typ: "jail.transfer", v: tr, attrs: starlark.StringDict{
		"uuid": starlark.String(hd.UUID), "snapshot": starlark.String(hd.Snapshot), "properties": frozenDict(hd.Props),
		"move": starlark.Bool(hd.Move), "start": starlark.Bool(hd.Start), "datasets": datasetsList(hd.Datasets)}}, nil
}

func stReceiveSync(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	tr, ds, err := transferArgs(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	n, err := ReceiveSync(thread.Context(t), h, tr, ds, thread.Progress(t))
	if err != nil {
		return fail(b, err)
	}
	return starlark.MakeInt64(n), nil
}

func stEnsureIncoming(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pool string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool); err != nil {
		return nil, err
	}
	if err := EnsureIncoming(thread.Context(t), h, pool); err != nil {
		return fail(b, err)
	}
	return starlark.None, nil
}

func stUnstage(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pool, uuid string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pool", &pool, "uuid", &uuid); err != nil {
		return nil, err
	}
	if !jailprops.IsUUID(uuid) {
		return fail(b, fmt.Errorf("%q is not a jail UUID", uuid))
	}
	to, err := Unstage(thread.Context(t), h, pool, uuid, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return starlark.String(to), nil
}

// ReplicaSpec checks the jail of a transfer on this host: see
// jail.replica_spec. hostid is this host's, set only when the transfer
// moves the jail here.
func ReplicaSpec(hdr *SyncHeader, o ImportOptions, hostid string) (*Spec, error) {
	src := &Jail{UUID: hdr.UUID, Props: map[string]string{}}
	for k, v := range hdr.Props {
		src.Props[k] = v
	}
	src.Tag = src.Props["tag"]
	o.UUID = hdr.UUID
	o.RefuseTagClash = true
	o.HostID = ""
	if hdr.Move {
		o.HostID = hostid
	}
	if src.Props["hostid"] == "" && !hdr.Move {
		return nil, fmt.Errorf("the transfer's jail has no hostid: a copy without one could start here")
	}
	return ImportSpec(src, nil, o)
}

func stReplicaSpec(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv starlark.Value
	var pool string
	var keep bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "transfer", &tv, "pool", &pool, "keep_hooks?", &keep); err != nil {
		return nil, err
	}
	tr, err := goArg[*Transfer](tv, "jail.transfer")
	if err != nil {
		return fail(b, err)
	}
	ctx := thread.Context(t)
	o := ImportOptions{Pool: pool, KeepHooks: keep}
	if !keep {
		if o.Defaults, err = Defaults(ctx, h, pool); err != nil {
			return fail(b, err)
		}
	}
	if o.Jails, err = claimsOf(t, h, pool); err != nil {
		return fail(b, err)
	}
	raw, err := h.ReadFile("/etc/hostid")
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return fail(b, err)
	}
	s, err := ReplicaSpec(tr.Header, o, strings.TrimSpace(string(raw)))
	if err != nil {
		return fail(b, err)
	}
	addClaim(t, s)
	return NewSpecValue(s), nil
}

func stWriteReplica(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := specOnly(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	ctx := thread.Context(t)
	want := map[string]string{}
	for k, v := range s.Props {
		p, err := jailprops.Lookup(k)
		if err != nil || (p.Native && p.ReadOnly) {
			continue
		}
		want[p.ZFSName()] = v
	}
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	prev, err := zfs.Sources(ctx, h, s.Dataset, names...)
	if err != nil {
		return fail(b, err)
	}
	changes := map[string]string{}
	back := map[string]zfs.PropSource{}
	for _, k := range names {
		if p := prev[k]; !p.Local() || p.Value != want[k] {
			changes[k] = want[k]
			back[k] = p
		}
	}
	if len(changes) > 0 {
		if err := thread.UndoOf(t).Do("zfs set (restore) "+s.Dataset, zfs.RestoreStep(s.Dataset, back), func() error {
			return zfs.Set(ctx, h, s.Dataset, changes)
		}); err != nil {
			return fail(b, err)
		}
	}
	return frozenDict(changes), nil
}

// PruneSync destroys the sync-* snapshots of ds other than keep.
func PruneSync(t *starlark.Thread, h *runtime.Host, ds, keep string) ([]string, error) {
	ctx := thread.Context(t)
	rows, err := zfs.List(ctx, h, zfs.ListOptions{Roots: []string{ds}, Depth: 1, Types: []string{"snapshot"}, Narrow: true})
	if err != nil {
		return nil, err
	}
	var done []string
	for _, r := range rows {
		fs, sn, _ := strings.Cut(r.Name, "@")
		if fs != ds || !strings.HasPrefix(sn, SyncPrefix) || sn == keep {
			continue
		}
		if err := zfs.Destroy(ctx, h, r.Name, zfs.DestroyOptions{Recursive: true}); err != nil {
			return done, err
		}
		done = append(done, r.Name)
	}
	return done, nil
}

func stPruneSync(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ds, keep string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "dataset", &ds, "keep", &keep); err != nil {
		return nil, err
	}
	done, err := PruneSync(t, h, ds, keep)
	if err != nil {
		return fail(b, err)
	}
	return strings2list(done), nil
}

func stJailDatasets(h *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	tr, ds, err := transferArgs(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	done, err := JailDatasets(thread.Context(t), h, tr.Header, ds, thread.UndoOf(t))
	if err != nil {
		return fail(b, err)
	}
	return strings2list(done), nil
}

// transferArgs unpacks (transfer, dataset), the arguments of the
// receiving builtins.
func transferArgs(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (*Transfer, string, error) {
	var tv starlark.Value
	var ds string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "transfer", &tv, "dataset", &ds); err != nil {
		return nil, "", err
	}
	tr, err := goArg[*Transfer](tv, "jail.transfer")
	if err == nil {
		err = zfs.CheckName(ds)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", b.Name(), err)
	}
	return tr, ds, nil
}
