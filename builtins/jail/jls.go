package jail

// Reading jls(8). A running jail sets its own host.hostname (and, with
// allow.set_hostname, changes it at will), so jls output is hostile text:
// it is read as libxo JSON, where every value a jail controls is a quoted
// string, and never split by hand.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jlsDoc is the document `jls --libxo json` prints (libxo version "2"):
// {"__version": "2", "jail-information": {"jail": [{...}, ...]}}.
type jlsDoc struct {
	Info *struct {
		Jails []json.RawMessage `json:"jail"`
	} `json:"jail-information"`
}

// jlsRow is one jail of `jls --libxo json` with named parameters. jls
// exports each parameter as a string ("jid":"5"), except ip4.addr and
// ip6.addr, which are lists of addresses.
type jlsRow struct {
	JID      jlsInt   `json:"jid"`
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Hostname string   `json:"host.hostname"`
	IP4      []string `json:"ip4.addr"`
}

// jlsInt is a jail ID as jls prints it: a string with named parameters,
// a number with -v or the default columns.
type jlsInt int

func (n *jlsInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		s = uq
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("jid %.40q is not a positive number", string(b))
	}
	*n = jlsInt(v)
	return nil
}

// libxoJSON makes jls output valid JSON: libxo escapes only backslash,
// double quote, newline and carriage return in strings, so any other
// control character a jail puts in its hostname arrives raw, which JSON
// forbids. Those bytes are escaped inside strings; nothing else changes.
func libxoJSON(out string) []byte {
	var b bytes.Buffer
	b.Grow(len(out))
	inStr, esc := false, false
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case !inStr:
			inStr = c == '"'
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inStr = false
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
			continue
		}
		b.WriteByte(c)
	}
	return b.Bytes()
}

// jlsJails returns the jail objects of `jls --libxo json` output.
func jlsJails(out string) ([]json.RawMessage, error) {
	var d jlsDoc
	if err := json.Unmarshal(libxoJSON(out), &d); err != nil {
		return nil, fmt.Errorf("jls: output is not libxo json: %w", err)
	}
	if d.Info == nil {
		return nil, fmt.Errorf("jls: output lacks jail-information")
	}
	return d.Info.Jails, nil
}

// ParseJls reads the running jails from the output of jls with JlsArgs.
// Every jail must have a positive jid and a name.
func ParseJls(out string) ([]RunningJail, error) {
	raws, err := jlsJails(out)
	if err != nil {
		return nil, err
	}
	rs := make([]RunningJail, 0, len(raws))
	for _, raw := range raws {
		var r jlsRow
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("jls: jail %.80s: %w", raw, err)
		}
		if r.JID <= 0 || r.Name == "" {
			return nil, fmt.Errorf("jls: jail %.80s: no jid or name", raw)
		}
		rs = append(rs, RunningJail{JID: int(r.JID), Name: r.Name, Path: r.Path, Hostname: r.Hostname, IP4: strings.Join(r.IP4, ",")})
	}
	return rs, nil
}

// jlsJID is the jid of the jail called name in jls output with at least
// the jid and name parameters; 0 when no such jail runs.
func jlsJID(out, name string) (int, error) {
	rs, err := ParseJls(out)
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if r.Name == name {
			return r.JID, nil
		}
	}
	return 0, nil
}

// jlsParams reads the parameters of the jail called name from the output
// of `jls --libxo json -n` in the order jls prints them, as "param=value"
// strings: a boolean is "param" or its "no" form (as `jls -n` prints
// it), an address list is comma separated. found is false when no such
// jail runs.
func jlsParams(out, name string) (params []string, found bool, err error) {
	raws, err := jlsJails(out)
	if err != nil {
		return nil, false, err
	}
	for _, raw := range raws {
		ps, jname, err := orderedParams(raw)
		if err != nil {
			return nil, false, err
		}
		if jname == name {
			return ps, true, nil
		}
	}
	return nil, false, nil
}

// orderedParams walks one jail object key by key (a map would lose the
// order jls prints the parameters in) and returns its parameters and the
// value of its "name" key, compared exactly (encoding/json matches struct
// fields regardless of case).
func orderedParams(raw json.RawMessage) (ps []string, name string, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, "", fmt.Errorf("jls: %w", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", fmt.Errorf("jls: %w", err)
		}
		key, _ := tok.(string)
		if key == "" {
			return nil, "", fmt.Errorf("jls: jail %.80s: a parameter without a name", raw)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, "", fmt.Errorf("jls: parameter %q: %w", key, err)
		}
		switch v := v.(type) {
		case string:
			if key == "name" {
				name = v
			}
			ps = append(ps, key+"="+v)
		case bool:
			if v {
				ps = append(ps, key)
			} else {
				ps = append(ps, noName(key))
			}
		case []any:
			addrs := make([]string, 0, len(v))
			for _, a := range v {
				s, ok := a.(string)
				if !ok {
					return nil, "", fmt.Errorf("jls: parameter %q: list of %T, want strings", key, a)
				}
				addrs = append(addrs, s)
			}
			ps = append(ps, key+"="+strings.Join(addrs, ","))
		case float64:
			ps = append(ps, key+"="+strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return nil, "", fmt.Errorf("jls: parameter %q: unexpected %T", key, v)
		}
	}
	return ps, name, nil
}

// noName is the "no" form of a boolean parameter, as jls -n prints a
// false one: "allow.mount" → "allow.nomount", "persist" → "nopersist".
func noName(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[:i+1] + "no" + name[i+1:]
	}
	return "no" + name
}
