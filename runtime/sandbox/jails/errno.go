package jails

import (
	"errors"
	"io/fs"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// strerror words an error as FreeBSD's strerror(3) does ("No such file or
// directory"), for messages that copy FreeBSD tools.
func strerror(err error) string {
	var errno syscall.Errno
	var pe *fs.PathError
	switch {
	case errors.As(err, &errno):
	case errors.As(err, &pe):
		return strerror(pe.Err)
	default:
		return err.Error()
	}
	s := errno.Error()
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
