// Package jails is being written.
package jails
