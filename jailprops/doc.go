// Package jailprops is iocage's data model of a jail, free of any host: the
// table of every jail property (its group, type, built-in default, accepted
// values, where ZFS stores it, whether `set` may change it, whether `reset`
// keeps it, and the jail(8) parameter or rctl resource it becomes), the
// validation of values, the one precedence rule (command line, then the
// defaults dataset, then the built-in default), jail identity (UUIDs, tags,
// lookup, NAME@SNAP), and the integer format version with its ordered
// migrations.
//
// Everything here is pure so that it can be tested exhaustively; the jail
// builtins (builtins/jail) read and write ZFS with it.
package jailprops
