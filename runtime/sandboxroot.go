package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Where a Linux machine keeps its sandbox host: iocage-sandbox makes one
// in DefaultSandboxDir, or in the directory SandboxEnv names. Its root
// directory, DIR/root, holds FreeBSD's programs at FreeBSD's paths.
const (
	DefaultSandboxDir = "/var/lib/iocage-sandbox"
	SandboxEnv        = "IOCAGE_SANDBOX"
)

// SandboxDir returns the sandbox directory chosen by the environment.
func SandboxDir() string {
	if d := os.Getenv(SandboxEnv); d != "" {
		return d
	}
	return DefaultSandboxDir
}

// SandboxHost returns the backend that drives the sandbox host in dir (see
// SandboxRoot), and makes this process use it: the root's /sbin goes first
// on PATH, where go-zfs looks for zfs, and the programs this process
// starts are told the sandbox's directory.
func SandboxHost(dir string) (FreeBSD, error) {
	f, err := SandboxRoot(dir)
	if err != nil {
		return f, err
	}
	os.Setenv(SandboxEnv, dir)
	sbin := filepath.Join(f.Root, "sbin")
	path := os.Getenv("PATH")
	if !strings.HasPrefix(path, sbin+":") {
		os.Setenv("PATH", sbin+":"+path)
	}
	return f, nil
}

// SandboxRoot returns the backend of the sandbox host in dir: the FreeBSD
// programs under its root, DIR/root. The mirror's address is not checked:
// a hostile value can only make fetch fail (release.CheckURL).
func SandboxRoot(dir string) (FreeBSD, error) {
	root := filepath.Join(dir, "root")
	if _, err := os.Lstat(filepath.Join(root, "sbin", "zfs")); err != nil {
		return FreeBSD{}, fmt.Errorf("no sandbox host in %s: %w", dir, ErrNotExist)
	}
	// The one thing iocage reads of the sandbox's own configuration: where
	// its mirror listens (host:port), when it has one.
	var cfg struct {
		Mirror string `json:"mirror"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sandbox.json")); err == nil {
		_ = json.Unmarshal(b, &cfg)
	}
	mirror := ""
	if cfg.Mirror != "" {
		mirror = "http://" + cfg.Mirror
	}
	return FreeBSD{Root: root, Mirror: mirror}, nil
}
