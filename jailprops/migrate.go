package jailprops

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Plan is what a migration writes on one dataset: properties to set and
// obsolete properties to remove (zfs inherit). An empty plan changes
// nothing.
type Plan struct {
	From, To int
	Set      map[string]string
	Remove   []string
	// Notes say what each step did, for the INFO lines of the caller.
	Notes []string
}

// Empty reports whether p writes nothing.
func (p *Plan) Empty() bool { return len(p.Set) == 0 && len(p.Remove) == 0 }

// step raises the format by one version. It reads and edits the working
// copy of the properties and records what it changed in the plan.
type step struct {
	to  int
	doc string
	run func(s *migration)
}

type migration struct {
	uuid  string
	props map[string]string // working copy, unset = absent
	fill  map[string]string
	plan  *Plan
}

func (m *migration) put(k, v string) {
	m.props[k] = v
	m.plan.Set[k] = v
}

func (m *migration) drop(k string) {
	delete(m.props, k)
	m.plan.Remove = append(m.plan.Remove, k)
}

// steps are ordered and idempotent: each only touches what it finds.
var steps = []step{
	{to: 1, doc: "drop hostname and jail_zfs_pool, qualify jail_zfs_dataset, fill unset properties", run: func(m *migration) {
		if old, ok := m.props["hostname"]; ok {
			if _, has := m.props["host_hostname"]; !has {
				m.put("host_hostname", old)
			}
			m.drop("hostname")
			m.plan.Notes = append(m.plan.Notes, "removed obsolete property hostname")
		}
		pool := "DEFAULT"
		if p, ok := m.props["jail_zfs_pool"]; ok {
			pool = p
			m.drop("jail_zfs_pool")
			m.plan.Notes = append(m.plan.Notes, "folded obsolete property jail_zfs_pool into jail_zfs_dataset")
		}
		if ds, ok := m.props["jail_zfs_dataset"]; ok && strings.HasPrefix(ds, "iocage/") {
			// Before 2015-09-04 the value had no pool component.
			m.put("jail_zfs_dataset", pool+"/"+ds)
		}
		if m.uuid != "" {
			// The identity comes from the dataset, never from the
			// defaults (whose host_hostuuid is junk).
			if _, ok := m.props["host_hostuuid"]; !ok {
				m.put("host_hostuuid", m.uuid)
			}
			if _, ok := m.props["host_hostname"]; !ok {
				m.put("host_hostname", m.uuid)
			}
			if _, ok := m.props["jail_zfs_dataset"]; !ok {
				m.put("jail_zfs_dataset", "DEFAULT/iocage/jails/"+m.uuid+"/data")
			}
		}
		for _, p := range UserProperties() {
			if _, ok := m.props[p.Name]; ok || p.Name == "format_version" || p.Name == "iocage_version" {
				continue
			}
			if p.PerJail {
				// Per-jail values are never copied from the defaults: a
				// missing tag becomes the UUID's first group, the rest
				// their neutral "none".
				switch {
				case m.uuid == "":
				case p.Name == "tag":
					m.put("tag", m.uuid[:8])
				case strings.HasSuffix(p.Name, "_mac") || p.Name == "last_started":
					m.put(p.Name, "none")
				}
				continue
			}
			if v, ok := m.fill[p.Name]; ok {
				m.put(p.Name, v)
			}
		}
	}},
}

// FormatOf returns the format version stored in props; a dataset without
// one (written by the shell iocage) is format 0.
func FormatOf(props map[string]string) (int, error) {
	v, ok := set(props, "format_version")
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("format_version %q is not a version number", v)
	}
	return n, nil
}

// PlanMigration computes the writes that bring a dataset to FormatVersion.
// props are its user properties by bare name (unset ones absent or "-");
// uuid is the jail's UUID (empty for the defaults dataset); fill holds the
// values unset properties get (for jails: the resolved defaults). A
// dataset from a newer iocage is an error: this program must not touch it.
func PlanMigration(uuid string, props, fill map[string]string) (*Plan, error) {
	from, err := FormatOf(props)
	if err != nil {
		return nil, err
	}
	plan := &Plan{From: from, To: from, Set: map[string]string{}}
	if from > FormatVersion {
		return nil, fmt.Errorf("format version %d is newer than this iocage's %d; upgrade iocage", from, FormatVersion)
	}
	if from == FormatVersion {
		return plan, nil
	}
	m := &migration{uuid: uuid, props: map[string]string{}, fill: fill, plan: plan}
	for k, v := range props {
		if v != "" && v != "-" {
			m.props[k] = v
		}
	}
	for _, s := range steps {
		if s.to <= from {
			continue
		}
		s.run(m)
		plan.To = s.to
	}
	plan.Set["format_version"] = strconv.Itoa(plan.To)
	plan.Set["iocage_version"] = Version
	sort.Strings(plan.Remove)
	return plan, nil
}
