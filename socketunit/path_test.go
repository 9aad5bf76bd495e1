package socketunit

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	ok := map[string]string{
		"/run/x.sk":     "/run/x.sk",
		"//run//./x/":   "/run/x",
		"/":             "/",
		"/a/b/.":        "/a/b",
		"/dev/ttyS0":    "/dev/ttyS0",
		"/proc/self/fd": "/proc/self/fd",
	}
	for in, want := range ok {
		if got, err := CheckPath(in, PathAbsolute); err != nil || got != want {
			t.Errorf("CheckPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []struct {
		in, key, message string
		flags            PathCheck
	}{
		{"relative/path", "ListenFIFO", "ListenFIFO= path is not absolute, ignoring: relative/path", PathAbsolute},
		{"/dev/../proc/x", "ListenSpecial", "ListenSpecial= path is not normalized, ignoring: /dev/../proc/x", PathAbsolute},
		{"/a//../b/", "Symlinks", "Symlinks= path is not normalized, ignoring: /a/../b", PathAbsolute},
		{"/" + strings.Repeat("a", 256), "ListenFIFO", "ListenFIFO= path has invalid length (257 bytes), ignoring.", PathAbsolute},
		{"/a\xffb", "ListenFIFO", "String is not UTF-8 clean, ignoring assignment: /a\uFFFDb", PathAbsolute},
		{"/dev/x", "ListenFIFO", "ListenFIFO= path is below API VFS, ignoring: /dev/x", PathAbsolute | PathNonAPIVFS},
	}
	for _, c := range bad {
		_, err := CheckPath(c.in, c.flags)
		var pe *PathError
		if !errors.As(err, &pe) || !errors.Is(err, ErrPath) {
			t.Errorf("CheckPath(%q) err = %v; want a PathError", c.in, err)
			continue
		}
		if got := pe.Message(c.key, false); got != c.message {
			t.Errorf("CheckPath(%q) message %q, want %q", c.in, got, c.message)
		}
	}
	if _, err := CheckPath("relative", 0); err != nil {
		t.Errorf("relative path without PathAbsolute: %v", err)
	}
	var pe *PathError
	if _, err := CheckPath("x", PathAbsolute); !errors.As(err, &pe) || pe.Message("Symlinks", true) != "Symlinks= path is not absolute: x" {
		t.Errorf("fatal wording: %v", err)
	}
}

func TestPatchVarRun(t *testing.T) {
	if p, ok := PatchVarRun("/var/run/x.sk"); !ok || p != "/run/x.sk" {
		t.Errorf("PatchVarRun = %q %v", p, ok)
	}
	for _, in := range []string{"/var/runner/x", "/run/x", "/var/run"} {
		if p, ok := PatchVarRun(in); ok || p != in {
			t.Errorf("PatchVarRun(%q) = %q %v; want unchanged", in, p, ok)
		}
	}
}
