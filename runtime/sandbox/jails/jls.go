package jails

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// jls print flags, as jls.c names them.
const (
	printDefault = 1 << iota
	printHeader
	printNameVal
	printQuoted
	printSkip
	printVerbose
	printJailName
)

const jlsUsage = "usage: jls [-dhNnqv] [-j jail] [param ...]"

// libxoArgs takes libxo's --libxo options out of args (xo_parse_args) and
// reports whether JSON output was asked for, and whether pretty.
func libxoArgs(args []string) (rest []string, json, pretty bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var spec string
		switch {
		case a == "--libxo":
			if i+1 >= len(args) {
				return nil, false, false, fmt.Errorf("missing libxo option")
			}
			i++
			spec = args[i]
		case strings.HasPrefix(a, "--libxo="):
			spec = strings.TrimPrefix(a, "--libxo=")
		case strings.HasPrefix(a, "--libxo:"):
			for _, c := range strings.TrimPrefix(a, "--libxo:") {
				switch c {
				case 'J':
					json = true
				case 'P':
					pretty = true
				case 'T':
					json = false
				}
			}
			continue
		default:
			rest = append(rest, a)
			continue
		}
		for _, w := range strings.Split(spec, ",") {
			switch w {
			case "json":
				json = true
			case "text":
				json = false
			case "pretty":
				pretty = true
			case "":
			default:
				return nil, false, false, fmt.Errorf("libxo style %q is not modelled by the sandbox (json and text are)", w)
			}
		}
	}
	return rest, json, pretty, nil
}

// field is one value jls emits: its libxo name, its text rendering and its
// JSON rendering. A list field (list true) is an address list, which
// libxo opens as a list of its own: json then holds its items.
type field struct {
	key  string
	text string
	json string
	list bool
}

// jsonString renders s as libxo does in JSON: only backslash, double
// quote, newline and carriage return are escaped; other control
// characters go out raw. A value that is not UTF-8 stops at its first
// bad byte, where libxo's conversion gives up.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		switch r {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// jsonList renders the items of an address list: libxo separates the
// values of a list with a bare comma.
func jsonList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = jsonString(v)
	}
	return strings.Join(q, ",")
}

func jlsMain(e *model.Env) int {
	args, asJSON, pretty, err := libxoArgs(e.Args)
	if err != nil {
		return e.Errorf("%v", err)
	}
	opts, names, ok := e.Getopt(args, "adj:hNnqsv")
	if !ok {
		return e.Errorf("%s", jlsUsage)
	}
	pflags := 0
	jname := ""
	for _, o := range opts {
		switch o.Flag {
		case 'j':
			jname = o.Arg
		case 'h':
			pflags = pflags&^(printSkip|printVerbose) | printHeader
		case 'N':
			pflags |= printJailName
		case 'n':
			pflags = pflags&^printVerbose | printNameVal
		case 'q':
			pflags |= printQuoted
		case 's':
			pflags = pflags&^(printHeader|printVerbose) | printNameVal | printQuoted | printSkip
		case 'v':
			pflags = pflags&^(printHeader|printNameVal|printSkip) | printVerbose
		}
	}
	var params []string
	if len(names) == 0 {
		switch {
		case pflags&(printHeader|printNameVal) != 0:
			params = kernelParamNames()
		case pflags&printVerbose != 0:
		default:
			pflags |= printDefault
		}
	} else {
		pflags &^= printVerbose
		for _, n := range names {
			if n == "all" {
				params = append(params, kernelParamNames()...)
				continue
			}
			if _, ok := kernelParams[n]; !ok {
				return e.Errorf("unknown parameter: %s", n)
			}
			params = append(params, n)
		}
	}

	var recs []*Record
	err = e.SB.Store.View(func(tx *model.Tx) error {
		if jname == "" {
			recs = List(tx)
			return nil
		}
		if r, ok := Lookup(tx, jname); ok {
			recs = []*Record{r}
		}
		return nil
	})
	if err != nil {
		return e.Errorf("%v", err)
	}
	if jname != "" && len(recs) == 0 {
		if n, err := strconv.Atoi(jname); err == nil && n > 0 {
			return e.Errorf("jail %d not found", n)
		}
		return e.Errorf("jail \"%s\" not found", jname)
	}

	var rows [][]field
	for _, r := range recs {
		rows = append(rows, jlsRow(r, pflags, params, asJSON))
	}
	if asJSON {
		return writeJSON(e, rows, pretty)
	}
	var b strings.Builder
	switch {
	case pflags&printVerbose != 0:
		b.WriteString("   JID  Hostname                      Path\n")
		b.WriteString("        Name                          State\n")
		b.WriteString("        CPUSetID\n")
		b.WriteString("        IP Address(es)\n")
	case pflags&printDefault != 0 && pflags&printJailName != 0:
		fmt.Fprintf(&b, " %-15s %-15s %-29s %s\n", "JID", "IP Address", "Hostname", "Path")
	case pflags&printDefault != 0:
		b.WriteString("   JID  IP Address      Hostname                      Path\n")
	case pflags&printHeader != 0:
		b.WriteString(strings.Join(params, " ") + "\n")
	}
	for i, r := range recs {
		b.WriteString(jlsText(r, pflags, rows[i]))
	}
	_, _ = e.Stdout.Write([]byte(b.String()))
	return 0
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// jlsText renders one jail as jls prints it on a terminal.
func jlsText(r *Record, pflags int, row []field) string {
	switch {
	case pflags&printVerbose != 0:
		var b strings.Builder
		fmt.Fprintf(&b, "%6d  %-29s %s\n", r.JID, trunc(r.Hostname, 29), trunc(r.Path, 74))
		fmt.Fprintf(&b, "        %-29s %s\n", trunc(r.Name, 29), "ACTIVE")
		fmt.Fprintf(&b, "        %s\n", r.Params["cpuset.id"])
		for _, a := range append(append([]string(nil), r.IP4...), r.IP6...) {
			fmt.Fprintf(&b, "        %s\n", a)
		}
		return b.String()
	case pflags&printDefault != 0:
		ip := ""
		if len(r.IP4) > 0 {
			ip = r.IP4[0]
		}
		lead := fmt.Sprintf("%6d  ", r.JID)
		if pflags&printJailName != 0 {
			lead = fmt.Sprintf(" %-15s ", r.Name)
		}
		return fmt.Sprintf("%s%-15s %-29s %s\n", lead, trunc(ip, 15), trunc(r.Hostname, 29), trunc(r.Path, 74))
	}
	var parts []string
	for _, f := range row {
		parts = append(parts, f.text)
	}
	return strings.Join(parts, " ") + "\n"
}

// jlsRow computes the fields of one jail for the parameter modes (-n, -s,
// -h, explicit parameters) and for JSON.
func jlsRow(r *Record, pflags int, params []string, asJSON bool) []field {
	ip := ""
	if len(r.IP4) > 0 {
		ip = r.IP4[0]
	}
	switch {
	case pflags&printVerbose != 0:
		return []field{
			{key: "jid", json: strconv.Itoa(r.JID)},
			{key: "hostname", json: jsonString(r.Hostname)},
			{key: "path", json: jsonString(r.Path)},
			{key: "name", json: jsonString(r.Name)},
			{key: "state", json: jsonString("ACTIVE")},
			{key: "cpusetid", json: r.Params["cpuset.id"]},
			{key: "ipv4_addrs", json: jsonList(r.IP4), list: true},
			{key: "ipv6_addrs", json: jsonList(r.IP6), list: true},
		}
	case pflags&printDefault != 0:
		first := field{key: "jid", json: strconv.Itoa(r.JID)}
		if pflags&printJailName != 0 {
			first = field{key: "name", json: jsonString(r.Name)}
		}
		return []field{first,
			{key: "ipv4", json: jsonString(ip)},
			{key: "hostname", json: jsonString(r.Hostname)},
			{key: "path", json: jsonString(r.Path)},
		}
	}
	var row []field
	for _, n := range params {
		k := kernelParams[n]
		v := r.Params[n]
		if pflags&printSkip != 0 && skipParam(r, n, k) {
			continue
		}
		if pflags&printNameVal != 0 && k.kind == kBool {
			t, jv := n, "true"
			if v != "true" {
				t, jv = noName(n), "false"
			}
			row = append(row, field{key: n, text: t, json: jv})
			continue
		}
		f := field{key: n, json: jsonString(v)}
		if k.kind == kIP4 || k.kind == kIP6 {
			var list []string
			if v != "" {
				list = strings.Split(v, ",")
			}
			f.json, f.list = jsonList(list), true
		}
		switch {
		case (k.kind == kIP4 || k.kind == kIP6) && v == "":
			// An empty address list is "" quoted, "-" alone, nothing after "=".
			switch {
			case pflags&printQuoted != 0:
				f.text = `""`
			case pflags&printNameVal == 0:
				f.text = "-"
			}
		case v == "":
			f.text = `""`
		default:
			f.text = jlsQuote(v, pflags)
		}
		if pflags&printNameVal != 0 {
			f.text = n + "=" + f.text
		}
		row = append(row, f)
	}
	return row
}

// skipParam is jls -s: read-only parameters, and those under a jailsys
// parameter (host, ip4, ip6) that is not "new", are not settable.
func skipParam(r *Record, n string, k kparam) bool {
	if k.readOnly {
		return true
	}
	if i := strings.IndexByte(n, '.'); i >= 0 {
		if pk, ok := kernelParams[n[:i]]; ok && pk.kind == kJailsys && r.Params[n[:i]] != "new" {
			return true
		}
	}
	return false
}

// jlsQuote quotes a value with spaces or quotes when -q (or -s) asks for it.
func jlsQuote(v string, pflags int) string {
	if pflags&printQuoted == 0 {
		return v
	}
	switch {
	case strings.Contains(v, "'"):
		return `"` + v + `"`
	case strings.Contains(v, `"`):
		return "'" + v + "'"
	case strings.ContainsAny(v, " \t"):
		return `"` + v + `"`
	}
	return v
}

// writeJSON prints libxo's JSON: the version, then the jail-information
// container with the list of jails. Within a jail, libxo puts a bare comma
// before a value and ", " before a list (xo_do_open_list), which it opens
// as "name": [.
func writeJSON(e *model.Env, rows [][]field, pretty bool) int {
	var inst []string
	for _, row := range rows {
		var b strings.Builder
		for i, f := range row {
			if f.list {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(jsonString(f.key) + ": [" + f.json + "]")
				continue
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(jsonString(f.key) + ":" + f.json)
		}
		inst = append(inst, "{"+b.String()+"}")
	}
	out := `{"__version": "2", "jail-information": {"jail": [` + strings.Join(inst, ", ") + "]}}\n"
	if pretty {
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(out), "", "  "); err == nil {
			out = b.String()
		}
	}
	_, _ = e.Stdout.Write([]byte(out))
	return 0
}
