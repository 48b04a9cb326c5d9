package starlib

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// ConvertArgs turns command-line arguments NAME=VALUE into keyword
// arguments of fn. Each value is converted by the type of the parameter's
// default: int, float, bool (true/false, yes/no, on/off, 1/0), list
// (comma-separated strings; empty for ""); a parameter with no default, a
// None default or a string default gets the string. Unknown names (when fn
// has no **kwargs) and missing required parameters are errors that list
// fn's parameters.
func ConvertArgs(fn *starlark.Function, args []string) ([]starlark.Tuple, error) {
	params := paramsOf(fn)
	byName := map[string]param{}
	for _, p := range params {
		byName[p.name] = p
	}
	seen := map[string]bool{}
	var kwargs []starlark.Tuple
	for _, a := range args {
		name, val, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("argument %q: want NAME=VALUE; %s", a, signatureText(fn, params))
		}
		if seen[name] {
			return nil, fmt.Errorf("argument %s given twice", name)
		}
		seen[name] = true
		p, known := byName[name]
		if !known && !fn.HasKwargs() {
			return nil, fmt.Errorf("unknown argument %s; %s", name, signatureText(fn, params))
		}
		v, err := convert(val, p.dflt)
		if err != nil {
			return nil, fmt.Errorf("argument %s=%q: %w", name, val, err)
		}
		kwargs = append(kwargs, starlark.Tuple{starlark.String(name), v})
	}
	var missing []string
	for _, p := range params {
		if p.dflt == nil && !seen[p.name] {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing argument %s; %s", strings.Join(missing, ", "), signatureText(fn, params))
	}
	return kwargs, nil
}

type param struct {
	name string
	dflt starlark.Value // nil when required
}

// paramsOf lists fn's named parameters (not *args or **kwargs).
func paramsOf(fn *starlark.Function) []param {
	n := fn.NumParams()
	if fn.HasKwargs() {
		n--
	}
	if fn.HasVarargs() {
		n--
	}
	ps := make([]param, 0, n)
	for i := 0; i < n; i++ {
		name, _ := fn.Param(i)
		ps = append(ps, param{name: name, dflt: fn.ParamDefault(i)})
	}
	return ps
}

func signatureText(fn *starlark.Function, params []param) string {
	var parts []string
	for _, p := range params {
		if p.dflt == nil {
			parts = append(parts, p.name)
		} else {
			parts = append(parts, p.name+"="+p.dflt.String())
		}
	}
	if fn.HasKwargs() {
		parts = append(parts, "**kwargs")
	}
	return fmt.Sprintf("%s takes %s(%s)", fn.Position().Filename(), fn.Name(), strings.Join(parts, ", "))
}

var boolWords = map[string]bool{
	"true": true, "yes": true, "on": true, "1": true,
	"false": false, "no": false, "off": false, "0": false,
}

func convert(s string, dflt starlark.Value) (starlark.Value, error) {
	switch d := dflt.(type) {
	case starlark.Bool:
		b, ok := boolWords[strings.ToLower(s)]
		if !ok {
			words := make([]string, 0, len(boolWords))
			for w := range boolWords {
				words = append(words, w)
			}
			sort.Strings(words)
			return nil, fmt.Errorf("want a bool (%s)", strings.Join(words, ", "))
		}
		return starlark.Bool(b), nil
	case starlark.Int:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer")
		}
		return starlark.MakeInt64(i), nil
	case starlark.Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number")
		}
		return starlark.Float(f), nil
	case *starlark.List, starlark.Tuple:
		var elems []starlark.Value
		if s != "" {
			for _, e := range strings.Split(s, ",") {
				elems = append(elems, starlark.String(e))
			}
		}
		if _, ok := d.(starlark.Tuple); ok {
			return starlark.Tuple(elems), nil
		}
		return starlark.NewList(elems), nil
	}
	return starlark.String(s), nil
}
