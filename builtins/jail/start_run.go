package jail

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/iocage/iocage/builtins/thread"
	"github.com/iocage/iocage/runtime"
)

// The run helpers of the multi-jail verbs: progress lines on stderr, and
// attempt, which lets a recipe go on with the next jail when one fails,
// taking back only what the failed one did.

func init() {
	register("say", "jail.say(j, text, ok=None)\n\nPrints the progress line \"[UUID] TEXT\" to standard error (data goes\nto standard output), followed by \" OK\" or \" FAILED\" when ok is a bool.\nNo host access.", stSay)
	register("attempt", "jail.attempt(fn, *args, **kwargs) -> struct(ok, value, error)\n\nCalls fn(*args, **kwargs) with an undo log of its own. When fn fails,\nthe changes it made (and did not commit()) are undone at once, newest\nfirst, and attempt returns struct(ok=False, value=None, error=MESSAGE)\ninstead of failing, so a verb acting on several jails goes on with the\nnext one. When fn succeeds its uncommitted changes join the caller's\nundo log and attempt returns struct(ok=True, value=RESULT, error=\"\").", stAttempt)
}

func stSay(_ *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v *Value
	var text string
	var ok starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "j", &v, "text", &text, "ok?", &ok); err != nil {
		return nil, err
	}
	line := fmt.Sprintf("[%s] %s", v.j.UUID, text)
	if v.j.Default {
		line = text
	}
	switch ok {
	case starlark.True:
		line += " OK"
	case starlark.False:
		line += " FAILED"
	case starlark.None:
	default:
		return nil, fmt.Errorf("%s: ok: got %s, want bool or None", b.Name(), ok.Type())
	}
	fmt.Fprintln(thread.Stderr(t), line)
	return starlark.None, nil
}

func stAttempt(_ *runtime.Host, t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("%s: missing argument fn", b.Name())
	}
	fn, ok := args[0].(starlark.Callable)
	if !ok {
		return nil, fmt.Errorf("%s: fn: got %s, want a function", b.Name(), args[0].Type())
	}
	r := thread.Get(t)
	outer := r.Undo
	inner := outer.Child()
	r.Undo = inner
	v, err := starlark.Call(t, fn, args[1:], kwargs)
	r.Undo = outer
	if err != nil {
		if r.Ctx.Err() != nil {
			// Interrupted: give up on the whole run; its rollback
			// runs the inner log too.
			outer.Adopt(inner)
			return nil, err
		}
		msg := err.Error()
		if ee, ok := err.(*starlark.EvalError); ok {
			msg = ee.Msg
		}
		if uerr := inner.Rollback(r.Ctx); uerr != nil {
			msg += "; " + uerr.Error()
		}
		return stResult(false, starlark.None, msg), nil
	}
	outer.Adopt(inner)
	return stResult(true, v, ""), nil
}

func stResult(ok bool, v starlark.Value, msg string) starlark.Value {
	return starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
		"ok": starlark.Bool(ok), "value": v, "error": starlark.String(msg)})
}
