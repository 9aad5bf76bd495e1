package supervisor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sockvisor/sockvisor/socketunit"
)

// DefaultPath is the PATH systemd gives services when nothing else sets one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// envBuilder accumulates KEY=VALUE entries; a later assignment replaces an earlier one in place.
type envBuilder struct {
	list  []string
	index map[string]int
}

func (e *envBuilder) set(kv string) {
	k, _, ok := strings.Cut(kv, "=")
	if !ok {
		return
	}
	if e.index == nil {
		e.index = make(map[string]int)
	}
	if i, ok := e.index[k]; ok {
		e.list[i] = kv
		return
	}
	e.index[k] = len(e.list)
	e.list = append(e.list, kv)
}

// unset removes NAME, or only the exact assignment NAME=VALUE (UnsetEnvironment= semantics).
func (e *envBuilder) unset(entry string) {
	k, _, hasValue := strings.Cut(entry, "=")
	i, ok := e.index[k]
	if !ok || hasValue && e.list[i] != entry {
		return
	}
	e.list = append(e.list[:i], e.list[i+1:]...)
	delete(e.index, k)
	for j := i; j < len(e.list); j++ {
		name, _, _ := strings.Cut(e.list[j], "=")
		e.index[name] = j
	}
}

// envInputs is what a service's environment is built from, besides the unit's ExecContext.
type envInputs struct {
	base     []string // the manager's environment: nil means PATH=DefaultPath
	own      []string // the variables sockvisor sets itself (HOME, USER, NOTIFY_SOCKET, ...)
	extra    []string // ProcessSpec.ExtraEnv (REMOTE_ADDR, MAINPID, ...)
	getenv   func(string) (string, bool)
	readFile func(string) ([]byte, error)
}

// buildEnvironment merges a service's environment in systemd's order, each later source
// overriding the earlier ones: the manager's base environment, the variables sockvisor sets
// (HOME, USER, LOGNAME, SHELL, INVOCATION_ID, NOTIFY_SOCKET, then ExtraEnv), PassEnvironment=
// (taken from sockvisor's own environment), Environment=, EnvironmentFile= (in order, files
// of one glob sorted); finally UnsetEnvironment= removes entries. LISTEN_PID, LISTEN_FDS,
// LISTEN_FDNAMES and SYSTEMD_EXEC_PID are added later, by the exec shim in the child.
// Warnings lists skipped lines of environment files.
func buildEnvironment(ec *socketunit.ExecContext, in envInputs) (env []string, warnings []string, err error) {
	var b envBuilder
	base := in.base
	if base == nil {
		base = []string{"PATH=" + DefaultPath}
	}
	for _, kv := range base {
		b.set(kv)
	}
	for _, kv := range in.own {
		b.set(kv)
	}
	for _, kv := range in.extra {
		b.set(kv)
	}
	for _, name := range ec.PassEnvironment {
		if v, ok := in.getenv(name); ok {
			b.set(name + "=" + v)
		}
	}
	for _, kv := range ec.Environment {
		b.set(kv)
	}
	for _, ef := range ec.EnvironmentFiles {
		files, err := expandEnvironmentFile(ef.Path)
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 && !ef.Optional {
			return nil, nil, fmt.Errorf("EnvironmentFile=%s: %w", ef.Path, fs.ErrNotExist)
		}
		for _, f := range files {
			data, err := in.readFile(f)
			if err != nil {
				if ef.Optional && errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return nil, nil, fmt.Errorf("EnvironmentFile=%s: %w", ef.Path, err)
			}
			kvs, skipped := ParseEnvironmentFile(string(data))
			for _, s := range skipped {
				warnings = append(warnings, f+": "+s)
			}
			for _, kv := range kvs {
				b.set(kv)
			}
		}
	}
	for _, u := range ec.UnsetEnvironment {
		b.unset(u)
	}
	return b.list, warnings, nil
}

// expandEnvironmentFile returns the files an EnvironmentFile= path names: the path itself, or
// the sorted matches of a glob pattern.
func expandEnvironmentFile(path string) ([]string, error) {
	if !strings.ContainsAny(path, "*?[") {
		return []string{path}, nil
	}
	m, err := filepath.Glob(path)
	if err != nil {
		return nil, fmt.Errorf("EnvironmentFile=%s: %w", path, err)
	}
	return m, nil
}

// newInvocationID returns a random 128-bit ID in hex, as systemd's $INVOCATION_ID.
func newInvocationID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// osGetenv adapts os.LookupEnv.
func osGetenv(name string) (string, bool) { return os.LookupEnv(name) }
