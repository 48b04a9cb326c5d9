package starlib

import (
	"context"
	"fmt"
	"os"
)

// replHelperEnv makes the test binary a REPL on its terminal, for the
// pseudo-terminal test.
const replHelperEnv = "STARLIB_TEST_REPL_HISTORY"

func replHelper() int {
	// A step limit far out of reach: on a loaded machine the default one can
	// end the Ctrl-C test's endless loop before the Ctrl-C arrives.
	in := New(Options{Recipes: shipped, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, StepLimit: 1 << 40})
	if err := in.REPL(context.Background(), os.Getenv(replHelperEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "repl:", err)
		return 1
	}
	return 0
}
