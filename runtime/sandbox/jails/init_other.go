//go:build !linux

package jails

import (
	"errors"
	"fmt"
	"os"

	"github.com/iocage/iocage/runtime/sandbox/model"
)

// initConfig is what the jail init is started with.
type initConfig struct {
	Root     string `json:"root"`
	Socket   string `json:"socket"`
	Hostname string `json:"hostname"`
	Persist  bool   `json:"persist"`
	Drop     []int  `json:"drop"`
}

var errLinuxOnly = errors.New("the sandbox runs jails on Linux only")

func dropCaps(rawSockets bool) []int { return nil }

func startInit(sb *model.Sandbox, cfg *initConfig, logPath string) (int, uint64, error) {
	return 0, 0, errLinuxOnly
}

func initMain(args []string) int {
	fmt.Fprintf(os.Stderr, "jail init: %v\n", errLinuxOnly)
	return 1
}
