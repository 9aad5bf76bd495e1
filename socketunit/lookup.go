package socketunit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultSearchPath returns systemd's system unit search path, highest priority first.
func DefaultSearchPath() []string {
	return []string{
		"/etc/systemd/system",
		"/run/systemd/system",
		"/usr/local/lib/systemd/system",
		"/usr/lib/systemd/system",
		"/lib/systemd/system",
	}
}

// searchPath returns the directories units, templates and drop-ins are looked up in: opts.SearchPath,
// else $SYSTEMD_UNIT_PATH (a trailing ':' appends the defaults), else the defaults. first, if
// not empty, goes in front (the directory of the unit file being loaded, as systemd-analyze
// verify does).
func searchPath(opts Options, first string) []string {
	var dirs []string
	switch env, set := os.LookupEnv("SYSTEMD_UNIT_PATH"); {
	case opts.SearchPath != nil:
		dirs = append(dirs, opts.SearchPath...)
	case set && env != "":
		for _, d := range strings.Split(strings.TrimSuffix(env, ":"), ":") {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
		if strings.HasSuffix(env, ":") {
			dirs = append(dirs, DefaultSearchPath()...)
		}
	default:
		dirs = DefaultSearchPath()
	}
	if first != "" {
		dirs = append([]string{first}, dirs...)
	}
	// Drop duplicates, keeping the first (highest priority) occurrence.
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		c := filepath.Clean(d)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// templateName returns "foo@.socket" for "foo@bar.socket", and "" for a name that is not an
// instance.
func templateName(name string) string {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at+2 {
		return ""
	}
	return name[:at+1] + name[dot:]
}

// errMasked reports a unit whose file is a symlink to /dev/null.
var errMasked = errors.New("unit is masked")

// isMasked reports whether path masks a unit as systemd's null_or_empty does: /dev/null (or a
// symlink to it) or an empty regular file.
func isMasked(path string) bool {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	if target == os.DevNull {
		return true
	}
	st, err := os.Stat(target)
	return err == nil && st.Mode().IsRegular() && st.Size() == 0
}

// findFragment finds the file of unit name in dirs: the unit itself, else (for an instance)
// its template. It returns errMasked for a masked unit and fs.ErrNotExist when there is none.
func findFragment(name string, dirs []string) (string, error) {
	candidates := []string{name}
	if t := templateName(name); t != "" {
		candidates = append(candidates, t)
	}
	for _, n := range candidates {
		for _, d := range dirs {
			p := filepath.Join(d, n)
			if _, err := os.Lstat(p); err != nil {
				continue
			}
			if isMasked(p) {
				return p, fmt.Errorf("%s: %w", name, errMasked)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("unit %s not found: %w", name, fs.ErrNotExist)
}

// dropinDirNames returns the drop-in directory names for a unit, in systemd's order: the unit
// ("foo@bar.socket.d"), its template ("foo@.socket.d"), the dash-prefixes of its name
// ("foo-.socket.d" for "foo-bar.socket") and the unit type ("socket.d").
func dropinDirNames(name string) []string {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return []string{name + ".d"}
	}
	suffix := name[dot:]
	out := []string{name + ".d"}
	if t := templateName(name); t != "" {
		out = append(out, t+".d")
	}
	prefix := name[:dot]
	if at := strings.IndexByte(prefix, '@'); at >= 0 {
		prefix = prefix[:at]
	}
	for i := len(prefix) - 1; i > 0; i-- {
		if prefix[i] == '-' {
			out = append(out, prefix[:i+1]+suffix+".d")
		}
	}
	return append(out, suffix[1:]+".d")
}

// findDropins returns the *.conf drop-ins of unit name in dirs, sorted by file name; of files
// with the same name only the one in the earliest (highest-priority) directory counts, and a
// drop-in that is a symlink to /dev/null masks the others of its name.
func findDropins(name string, dirs []string) []string {
	chosen := map[string]string{}
	for _, d := range dirs {
		for _, dd := range dropinDirNames(name) {
			dpath := filepath.Join(d, dd)
			if _, err := os.Stat(dpath); err != nil {
				continue // one stat instead of a failing open for the usual case of no drop-ins
			}
			entries, err := os.ReadDir(dpath)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), ".conf") || e.IsDir() {
					continue
				}
				if _, taken := chosen[e.Name()]; !taken {
					chosen[e.Name()] = filepath.Join(d, dd, e.Name())
				}
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if p := chosen[n]; !isMasked(p) {
			out = append(out, p)
		}
	}
	return out
}
