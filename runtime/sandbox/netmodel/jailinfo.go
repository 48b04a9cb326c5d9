package netmodel

import (
	"strconv"
	"strings"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// Jail is what the network model needs to know of a running jail.
type Jail struct {
	Name string
	JID  int
	VNet bool // the jail has its own network stack
}

// LookupJail finds a running jail by name or JID. It reads the "jails"
// state section written by the jails model; the lead may point it at that
// package's own lookup once it exists.
var LookupJail = lookupJailState

// lookupJailState reads the "jails" section without knowing its Go type:
// the jails model is written in parallel, so any record shape with a name,
// a jid and a vnet flag (or a vnet parameter) is understood.
func lookupJailState(tx *model.Tx, nameOrJID string) (Jail, bool) {
	var raw any
	if err := tx.Get("jails", &raw); err != nil || raw == nil {
		return Jail{}, false
	}
	for _, rec := range records(raw) {
		j := jailOf(rec)
		if j.Name == "" && j.JID == 0 {
			continue
		}
		if j.Name == nameOrJID || (j.JID != 0 && strconv.Itoa(j.JID) == nameOrJID) {
			return j, true
		}
	}
	return Jail{}, false
}

// records finds the jail records in a decoded section: a list of records,
// a map of them, or either under a "jails" key.
func records(v any) []map[string]any {
	switch v := v.(type) {
	case []any:
		var out []map[string]any
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		for k, inner := range v {
			if strings.EqualFold(k, "jails") {
				return records(inner)
			}
		}
		if _, ok := field(v, "name"); ok {
			return []map[string]any{v}
		}
		var out []map[string]any
		for k, e := range v {
			if m, ok := e.(map[string]any); ok {
				if _, named := field(m, "name"); !named {
					m = copyWith(m, "name", k)
				}
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func copyWith(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// field looks a key up case-insensitively.
func field(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func jailOf(rec map[string]any) Jail {
	var j Jail
	if v, ok := field(rec, "name"); ok {
		j.Name, _ = v.(string)
	}
	if v, ok := field(rec, "jid"); ok {
		switch n := v.(type) {
		case float64:
			j.JID = int(n)
		case string:
			j.JID, _ = strconv.Atoi(n)
		}
	}
	if v, ok := field(rec, "vnet"); ok {
		j.VNet = truthy(v)
	} else {
		for _, key := range []string{"params", "parameters"} {
			if p, ok := field(rec, key); ok {
				if pm, ok := p.(map[string]any); ok {
					if v, ok := field(pm, "vnet"); ok {
						j.VNet = truthy(v)
					}
				}
			}
		}
	}
	return j
}

// truthy reads a vnet flag as jail(8) spells it: a bool, "new", "1", "on",
// or a bare parameter; "inherit", "0", "off" and "disable" mean no vnet.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		switch strings.ToLower(v) {
		case "", "new", "1", "on", "true", "yes":
			return true
		}
	}
	return false
}
