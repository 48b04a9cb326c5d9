// Package netmodel is being written.
package netmodel
