// Package zfscompat is being written.
package zfscompat
