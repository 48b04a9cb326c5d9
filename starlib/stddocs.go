package starlib

// Docstrings of the go.starlark.net modules the world includes, in the form
// `iocage doc` and help() print for iocage's own builtins.

var jsonDocs = map[string]string{
	"json": "JSON encoding and decoding of Starlark values.",
	"json.encode": "json.encode(x)\n\nReturns the JSON encoding of x as a string. Dicts must have string keys " +
		"(emitted sorted); structs encode as objects, lists and tuples as arrays. Fails for values with no JSON form " +
		"(functions, sets, non-finite floats).",
	"json.encode_indent": "json.encode_indent(x, *, prefix=\"\", indent=\"\\t\")\n\nLike json.encode, but indented " +
		"for people to read.",
	"json.decode": "json.decode(x, default=unbound)\n\nParses the JSON string x into Starlark values: objects become " +
		"dicts, arrays lists, numbers ints or floats. Invalid JSON fails, unless default is given, which is then returned.",
	"json.indent": "json.indent(str, *, prefix=\"\", indent=\"\\t\")\n\nReturns the JSON string str re-indented. " +
		"Fails when str is not valid JSON.",
}

var timeDocs = map[string]string{
	"time": "Times and durations (time.time, time.duration).",
	"time.from_timestamp": "time.from_timestamp(sec, nsec=0)\n\nReturns the time.time sec seconds (plus nsec nanoseconds) " +
		"after the Unix epoch.",
	"time.is_valid_timezone": "time.is_valid_timezone(loc)\n\nReports whether loc names a time zone known to the host's " +
		"zone database.",
	"time.now": "time.now()\n\nReturns the current time.time of the machine iocage runs on.",
	"time.parse_duration": "time.parse_duration(d)\n\nParses a duration string such as \"1h30m\" or \"250ms\" into a " +
		"time.duration. Fails for malformed strings.",
	"time.parse_time": "time.parse_time(x, format=\"2006-01-02T15:04:05Z07:00\", location=\"UTC\")\n\nParses the string x " +
		"with Go's reference-time layout format. Fails when x does not match.",
	"time.time": "time.time(year=0, month=1, day=1, hour=0, minute=0, second=0, nanosecond=0, location=\"UTC\")\n\n" +
		"Returns the time.time for the given calendar fields.",
	"time.nanosecond":  "time.nanosecond\n\nThe time.duration of one nanosecond.",
	"time.microsecond": "time.microsecond\n\nThe time.duration of one microsecond.",
	"time.millisecond": "time.millisecond\n\nThe time.duration of one millisecond.",
	"time.second":      "time.second\n\nThe time.duration of one second.",
	"time.minute":      "time.minute\n\nThe time.duration of one minute.",
	"time.hour":        "time.hour\n\nThe time.duration of one hour.",
}

var mathDocs = map[string]string{
	"math":           "Floating-point mathematics; every function accepts ints and floats.",
	"math.ceil":      "math.ceil(x)\n\nReturns the smallest integer not less than x.",
	"math.copysign":  "math.copysign(x, y)\n\nReturns x with the sign of y.",
	"math.fabs":      "math.fabs(x)\n\nReturns the absolute value of x as a float.",
	"math.floor":     "math.floor(x)\n\nReturns the largest integer not greater than x.",
	"math.mod":       "math.mod(x, y)\n\nReturns the floating-point remainder of x/y, with the sign of x.",
	"math.pow":       "math.pow(x, y)\n\nReturns x raised to the power y.",
	"math.remainder": "math.remainder(x, y)\n\nReturns the IEEE 754 remainder of x/y.",
	"math.round":     "math.round(x)\n\nReturns x rounded to the nearest integer, halves away from zero.",
	"math.exp":       "math.exp(x)\n\nReturns e raised to the power x.",
	"math.sqrt":      "math.sqrt(x)\n\nReturns the square root of x.",
	"math.acos":      "math.acos(x)\n\nReturns the arc cosine of x, in radians.",
	"math.asin":      "math.asin(x)\n\nReturns the arc sine of x, in radians.",
	"math.atan":      "math.atan(x)\n\nReturns the arc tangent of x, in radians.",
	"math.atan2":     "math.atan2(y, x)\n\nReturns atan(y / x), in radians, using the signs of both to pick the quadrant.",
	"math.cos":       "math.cos(x)\n\nReturns the cosine of x radians.",
	"math.hypot":     "math.hypot(x, y)\n\nReturns sqrt(x*x + y*y).",
	"math.sin":       "math.sin(x)\n\nReturns the sine of x radians.",
	"math.tan":       "math.tan(x)\n\nReturns the tangent of x radians.",
	"math.degrees":   "math.degrees(x)\n\nConverts x from radians to degrees.",
	"math.radians":   "math.radians(x)\n\nConverts x from degrees to radians.",
	"math.acosh":     "math.acosh(x)\n\nReturns the inverse hyperbolic cosine of x.",
	"math.asinh":     "math.asinh(x)\n\nReturns the inverse hyperbolic sine of x.",
	"math.atanh":     "math.atanh(x)\n\nReturns the inverse hyperbolic tangent of x.",
	"math.cosh":      "math.cosh(x)\n\nReturns the hyperbolic cosine of x.",
	"math.sinh":      "math.sinh(x)\n\nReturns the hyperbolic sine of x.",
	"math.tanh":      "math.tanh(x)\n\nReturns the hyperbolic tangent of x.",
	"math.log":       "math.log(x, base=e)\n\nReturns the logarithm of x in base (natural logarithm by default).",
	"math.gamma":     "math.gamma(x)\n\nReturns the Gamma function of x.",
	"math.e":         "math.e\n\nThe base of natural logarithms, about 2.71828.",
	"math.pi":        "math.pi\n\nThe ratio of a circle's circumference to its diameter, about 3.14159.",
}
