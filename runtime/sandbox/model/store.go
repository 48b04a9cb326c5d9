package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Store keeps the modelled kernel state (running jails, interfaces, rctl
// rules, mounts ...) in one JSON file guarded by an flock, so every iocage
// process on the machine sees one consistent host. State is split into named
// sections, each owned by one model package.
type Store struct {
	dir string
}

// NewStore opens (creating if needed) the store in dir.
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

// Tx is one locked view of the state.
type Tx struct {
	sections map[string]json.RawMessage
	dirty    bool
}

// Get decodes section into v; a missing section leaves v unchanged.
func (tx *Tx) Get(section string, v any) error {
	raw, ok := tx.sections[section]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("sandbox state %s: %w", section, err)
	}
	return nil
}

// Put replaces section with v.
func (tx *Tx) Put(section string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tx.sections[section] = raw
	tx.dirty = true
	return nil
}

func (s *Store) lock(how int) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "state.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (s *Store) load() (*Tx, error) {
	tx := &Tx{sections: map[string]json.RawMessage{}}
	b, err := os.ReadFile(filepath.Join(s.dir, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return tx, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return tx, nil
	}
	if err := json.Unmarshal(b, &tx.sections); err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	return tx, nil
}

// View runs fn with a shared lock.
func (s *Store) View(fn func(tx *Tx) error) error {
	f, err := s.lock(syscall.LOCK_SH)
	if err != nil {
		return err
	}
	defer f.Close()
	tx, err := s.load()
	if err != nil {
		return err
	}
	return fn(tx)
}

// Update runs fn with an exclusive lock and saves what it Put when fn
// returns nil. Nothing is saved when fn fails.
func (s *Store) Update(fn func(tx *Tx) error) error {
	f, err := s.lock(syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer f.Close()
	tx, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	if !tx.dirty {
		return nil
	}
	b, err := json.MarshalIndent(tx.sections, "", " ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, "state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir, "state.json"))
}

// Reset forgets all state (a fresh host).
func (s *Store) Reset() error {
	f, err := s.lock(syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer f.Close()
	err = os.Remove(filepath.Join(s.dir, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
