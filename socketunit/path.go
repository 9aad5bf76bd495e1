package socketunit

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// PathCheck selects the checks CheckPath applies (systemd's PATH_CHECK_* flags).
type PathCheck uint8

const (
	// PathAbsolute refuses relative paths.
	PathAbsolute PathCheck = 1 << iota
	// PathNonAPIVFS refuses paths below /proc, /sys and /dev. systemd applies it to ListenFIFO=,
	// ListenMessageQueue= and ListenUSBFunction= only since v256; 252 does not.
	PathNonAPIVFS
)

// Path limits (PATH_MAX, NAME_MAX).
const (
	pathMax = 4096
	nameMax = 255
)

// PathError is a path refused by CheckPath. Error returns systemd's reason ("path is not
// absolute"); Message builds the whole line systemd logs.
type PathError struct {
	Reason string // "path is not absolute", "path is not normalized", …
	Path   string // the path as systemd prints it in the message (simplified after the absolute check)
	// Length is set for "path has invalid length", which systemd words differently.
	Length int
	// UTF8 is set when the path is not valid UTF-8 (systemd's generic "not UTF-8 clean" message).
	UTF8 bool
}

// Error returns the reason, e.g. "path is not absolute".
func (e *PathError) Error() string { return e.Reason }

// Message returns the line systemd logs for key (e.g. "ListenFIFO"); fatal selects the wording
// without ", ignoring" that systemd uses where the unit is refused.
func (e *PathError) Message(key string, fatal bool) string {
	ign := ", ignoring"
	if fatal {
		ign = ""
	}
	switch {
	case e.UTF8:
		return fmt.Sprintf("String is not UTF-8 clean, ignoring assignment: %s", escapeInvalidUTF8(e.Path))
	case e.Length > 0:
		return fmt.Sprintf("%s= path has invalid length (%d bytes)%s.", key, e.Length, ign)
	}
	return fmt.Sprintf("%s= %s%s: %s", key, e.Reason, ign, e.Path)
}

// ErrPath matches every *PathError with errors.Is.
var ErrPath = errors.New("invalid path")

// Is makes errors.Is(err, ErrPath) true for path errors.
func (e *PathError) Is(target error) bool { return target == ErrPath }

// CheckPath checks and simplifies a path as systemd's path_simplify_and_warn: valid UTF-8,
// absolute (with PathAbsolute), then simplified ("//a/./b/" → "/a/b"), of valid length (< 4096
// bytes, components ≤ 255) and normalized (no ".." component). It returns the simplified path
// or a *PathError.
func CheckPath(s string, flags PathCheck) (string, error) {
	if !utf8.ValidString(s) {
		return "", &PathError{Reason: "path is not UTF-8 clean", Path: s, UTF8: true}
	}
	if flags&PathAbsolute != 0 && !strings.HasPrefix(s, "/") {
		return "", &PathError{Reason: "path is not absolute", Path: s}
	}
	p := pathSimplify(s)
	if !pathIsValid(p) {
		return "", &PathError{Reason: "path has invalid length", Path: p, Length: len(p)}
	}
	if !pathIsNormalized(p) {
		return "", &PathError{Reason: "path is not normalized", Path: p}
	}
	if flags&PathNonAPIVFS != 0 && pathBelowAPIVFS(p) {
		return "", &PathError{Reason: "path is below API VFS", Path: p}
	}
	return p, nil
}

// PatchVarRun rewrites a path below /var/run/ to /run/ as systemd does for Listen*= paths
// (patch_var_run); the bool says whether it changed (systemd logs a notice then).
func PatchVarRun(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, "/var/run/"); ok {
		return "/run/" + rest, true
	}
	return p, false
}

// pathSimplify is systemd's path_simplify: duplicate slashes, "." components and trailing
// slashes go; ".." stays.
func pathSimplify(s string) string {
	if s == "" {
		return s
	}
	abs := s[0] == '/'
	var parts []string
	for _, c := range strings.Split(s, "/") {
		if c == "" || c == "." {
			continue
		}
		parts = append(parts, c)
	}
	out := strings.Join(parts, "/")
	switch {
	case abs:
		return "/" + out
	case out == "":
		return "."
	}
	return out
}

// pathIsValid is path_is_valid: non-empty, shorter than PATH_MAX, components at most NAME_MAX.
func pathIsValid(p string) bool {
	if p == "" || len(p) >= pathMax {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if len(c) > nameMax {
			return false
		}
	}
	return true
}

// pathIsNormalized is path_is_normalized: valid, no "." or ".." components, no "//".
func pathIsNormalized(p string) bool {
	if !pathIsValid(p) || strings.Contains(p, "//") {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if c == "." || c == ".." {
			return false
		}
	}
	return true
}

// pathBelowAPIVFS reports whether p is /proc, /sys, /dev or below one of them.
func pathBelowAPIVFS(p string) bool {
	for _, d := range []string{"/proc", "/sys", "/dev"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// filenameIsValid is filename_is_valid: a non-empty single component, not "." or "..".
func filenameIsValid(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.Contains(s, "/") && len(s) <= nameMax
}

// pathEqual is path_equal: the same components, ignoring duplicate slashes, "." components and
// a trailing slash.
func pathEqual(a, b string) bool {
	if strings.HasPrefix(a, "/") != strings.HasPrefix(b, "/") {
		return false
	}
	return pathSimplify(a) == pathSimplify(b)
}

// escapeInvalidUTF8 replaces each byte of s that is not part of valid UTF-8 with U+FFFD, as
// systemd's utf8_escape_invalid does for messages.
func escapeInvalidUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			b.WriteString("\uFFFD")
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}
