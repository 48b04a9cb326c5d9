package starlib

import (
	"fmt"
	"regexp"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// assertModule is the assert module of *_test.star files. A failed
// assertion is an error, so it stops the test function and is reported
// with the position of the assert call.
var assertModule = &starlarkstruct.Module{
	Name: "assert",
	Members: starlark.StringDict{
		"eq":       starlark.NewBuiltin("assert.eq", assertEq),
		"ne":       starlark.NewBuiltin("assert.ne", assertNe),
		"true":     starlark.NewBuiltin("assert.true", assertTrue),
		"contains": starlark.NewBuiltin("assert.contains", assertContains),
		"fails":    starlark.NewBuiltin("assert.fails", assertFails),
	},
}

var assertDocs = map[string]string{
	"assert": "Assertions for *_test.star files (only there). A failing assertion stops the test function " +
		"and is reported with its position.",
	"assert.eq":       "assert.eq(got, want, msg=None)\n\nFails unless got == want, showing both values.",
	"assert.ne":       "assert.ne(got, unwanted, msg=None)\n\nFails if got == unwanted.",
	"assert.true":     "assert.true(cond, msg=None)\n\nFails unless cond is truthy.",
	"assert.contains": "assert.contains(container, x, msg=None)\n\nFails unless x in container (a list, dict, string, ...).",
	"assert.fails": "assert.fails(fn, pattern)\n\nCalls fn() and fails unless it fails with an error whose message " +
		"matches the regular expression pattern. Returns the error message.",
}

func withMsg(msg starlark.Value, format string, args ...any) error {
	s := fmt.Sprintf(format, args...)
	if m, ok := msg.(starlark.String); ok {
		s = m.GoString() + ": " + s
	}
	return fmt.Errorf("%s", s)
}

func assertEq(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, want, msg starlark.Value = nil, nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &got, "want", &want, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(got, want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if !eq {
		return nil, withMsg(msg, "%s: got %s, want %s", b.Name(), got, want)
	}
	return starlark.None, nil
}

func assertNe(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, unwanted, msg starlark.Value = nil, nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &got, "unwanted", &unwanted, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(got, unwanted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if eq {
		return nil, withMsg(msg, "%s: got %s, want anything else", b.Name(), got)
	}
	return starlark.None, nil
}

func assertTrue(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cond, msg starlark.Value = nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cond", &cond, "msg?", &msg); err != nil {
		return nil, err
	}
	if !cond.Truth() {
		return nil, withMsg(msg, "%s: %s is not true", b.Name(), cond)
	}
	return starlark.None, nil
}

func assertContains(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var container, x, msg starlark.Value = nil, nil, starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "container", &container, "x", &x, "msg?", &msg); err != nil {
		return nil, err
	}
	in, err := starlark.Binary(syntax.IN, x, container)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if !in.Truth() {
		return nil, withMsg(msg, "%s: %s not in %s", b.Name(), x, container)
	}
	return starlark.None, nil
}

func assertFails(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	var pattern string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn, "pattern", &pattern); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: pattern: %w", b.Name(), err)
	}
	_, err = starlark.Call(t, fn, nil, nil)
	if err == nil {
		return nil, fmt.Errorf("%s: %s did not fail (want an error matching %q)", b.Name(), fn.Name(), pattern)
	}
	msg := err.Error()
	if ee, ok := err.(*starlark.EvalError); ok {
		msg = ee.Msg
	}
	if !re.MatchString(msg) {
		return nil, fmt.Errorf("%s: error %q does not match %q", b.Name(), msg, pattern)
	}
	return starlark.String(msg), nil
}
