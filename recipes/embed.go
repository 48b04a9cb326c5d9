// Package recipes holds the shipped Starlark recipes: the flows behind
// iocage's verbs, embedded in the binary and loaded as @iocage//NAME.star.
// A site directory can override any of them by name (see starlib).
package recipes

import "embed"

// FS holds every shipped recipe and its *_test.star tests.
//
//go:embed *.star
var FS embed.FS
