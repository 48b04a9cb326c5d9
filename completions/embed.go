// Package completions holds iocage's shell completion scripts for bash,
// zsh and fish, embedded so that `iocage completion SHELL` prints the very
// file `make install` puts where the shell looks for it. The scripts are
// thin: each hands the words of the line to `iocage __complete` and offers
// what it prints, so the verbs, flags and arguments they complete come
// from iocage's command table and never fall behind it.
package completions

import _ "embed"

//go:embed iocage.bash
var bash string

//go:embed _iocage
var zsh string

//go:embed iocage.fish
var fish string

// Shells are the shells with a script, in the order help names them.
var Shells = []string{"bash", "zsh", "fish"}

// Script returns the completion script of shell, and false for a shell
// without one.
func Script(shell string) (string, bool) {
	switch shell {
	case "bash":
		return bash, true
	case "zsh":
		return zsh, true
	case "fish":
		return fish, true
	}
	return "", false
}
