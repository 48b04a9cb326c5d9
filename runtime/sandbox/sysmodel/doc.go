// Package sysmodel is being written.
package sysmodel
