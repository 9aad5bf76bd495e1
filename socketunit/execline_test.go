package socketunit

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseExecLine(t *testing.T) {
	cases := []struct {
		in   string
		want []ExecCommand
	}{
		{"/bin/echo hello world", []ExecCommand{{Path: "/bin/echo", Argv: []string{"/bin/echo", "hello", "world"}}}},
		{`/bin/echo "a b" 'c d' e\tf`, []ExecCommand{{Path: "/bin/echo", Argv: []string{"/bin/echo", "a b", "c d", "e\tf"}}}},
		{"-/bin/false", []ExecCommand{{Path: "/bin/false", Argv: []string{"/bin/false"}, IgnoreFailure: true}}},
		{"@/bin/sh mysh -c x", []ExecCommand{{Path: "/bin/sh", Argv: []string{"mysh", "-c", "x"}, ArgvZero: true}}},
		{"-@:+/bin/x y", []ExecCommand{{Path: "/bin/x", Argv: []string{"y"}, IgnoreFailure: true, ArgvZero: true, NoEnvExpand: true, Privileged: true}}},
		{"!!/bin/x", []ExecCommand{{Path: "/bin/x", Argv: []string{"/bin/x"}, AmbientOnly: true}}},
		{"!/bin/x", []ExecCommand{{Path: "/bin/x", Argv: []string{"/bin/x"}, AmbientOnly: true}}},
		{"true", []ExecCommand{{Path: "true", Argv: []string{"true"}}}},
		{"//usr//bin/./env a", []ExecCommand{{Path: "/usr/bin/env", Argv: []string{"//usr//bin/./env", "a"}}}},
		{"/bin/a x ; /bin/b y", []ExecCommand{
			{Path: "/bin/a", Argv: []string{"/bin/a", "x"}}, {Path: "/bin/b", Argv: []string{"/bin/b", "y"}}}},
		{`/bin/a \; x;y ";"`, []ExecCommand{{Path: "/bin/a", Argv: []string{"/bin/a", ";", "x;y", ";"}}}},
		{"; /bin/a", []ExecCommand{{Path: "/bin/a", Argv: []string{"/bin/a"}}}},
		{"/bin/a ;", []ExecCommand{{Path: "/bin/a", Argv: []string{"/bin/a"}}}},
		{`/bin/e \x41\u00e9\101\s`, []ExecCommand{{Path: "/bin/e", Argv: []string{"/bin/e", "A\u00e9A "}}}},
		{"", nil},
	}
	for _, c := range cases {
		got, err := ParseExecLine(c.in)
		if err != nil {
			t.Errorf("ParseExecLine(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseExecLine(%q) =\n %+v\nwant\n %+v", c.in, got, c.want)
		}
	}
}

// TestParseExecLineMessages checks the messages systemd 252 prints for these lines (observed with
// systemd-analyze verify).
func TestParseExecLineMessages(t *testing.T) {
	cases := []struct {
		in       string
		message  string
		warning  string
		fatal    bool
		keepCmds int
	}{
		{"relative/cmd", "Neither a valid executable name nor an absolute path: relative/cmd", "", true, 0},
		{"-relative/cmd", "Neither a valid executable name nor an absolute path, ignoring: relative/cmd", "", false, 0},
		{`-/bin/echo "unbalanced`, `Unbalanced quoting, ignoring: "-/bin/echo "unbalanced"`, "", false, 0},
		{`/bin/echo "unbalanced`, `Unbalanced quoting, ignoring: "/bin/echo "unbalanced"`, "", true, 0},
		{`-/bin/echo \q x`, "", `Ignoring unknown escape sequences: "\q"`, false, 1},
		{"-/bin/echo a ; -/usr/ ; /bin/true", "Executable path specifies a directory, ignoring: /usr/", "", false, 1},
		{"-@", "Empty path in command line, ignoring: '-@'", "", false, 0},
		{`-/bin/e"cho`, `Unbalanced quoting, ignoring: "-/bin/e"cho"`, "", false, 0},
		{`-"/bin/e\\cho"`, `Executable name contains special characters, ignoring: /bin/e\cho`, "", false, 0},
		{"-@/bin/echo", "Empty executable name or zeroeth argument, ignoring: -@/bin/echo", "", false, 0},
		{"@/bin/echo", "Empty executable name or zeroeth argument: @/bin/echo", "", true, 0},
		{"-!!!/bin/true", "Neither a valid executable name nor an absolute path, ignoring: !/bin/true", "", false, 0},
		{"-+!/bin/true", "Neither a valid executable name nor an absolute path, ignoring: !/bin/true", "", false, 0},
		{`-/bin/x\x00`, `Executable name contains special characters, ignoring: /bin/x\x00`, `Ignoring unknown escape sequences: "-/bin/x\x00"`, false, 0},
		{"-true \\; ; -x/", "Executable path specifies a directory, ignoring: x/", "", false, 1},
		{"/" + strings.Repeat("a", 256), "Neither a valid executable name nor an absolute path: /" + strings.Repeat("a", 256), "", true, 0},
	}
	for _, c := range cases {
		cmds, err := ParseExecLine(c.in)
		var e *ExecLineError
		if !errors.As(err, &e) {
			t.Errorf("ParseExecLine(%q) = %v, %v; want an ExecLineError", c.in, cmds, err)
			continue
		}
		if e.Message != c.message || e.Fatal != c.fatal || len(cmds) != c.keepCmds {
			t.Errorf("ParseExecLine(%q): message %q fatal %v cmds %d; want %q %v %d", c.in, e.Message, e.Fatal, len(cmds), c.message, c.fatal, c.keepCmds)
		}
		if c.warning != "" && (len(e.Warnings) == 0 || e.Warnings[0] != c.warning) {
			t.Errorf("ParseExecLine(%q): warnings %q, want %q", c.in, e.Warnings, c.warning)
		}
	}
}

func TestParseExecLineExpand(t *testing.T) {
	c := testSpecifierContext("echo@inst.socket")
	cmds, err := ParseExecLineExpand("/usr/bin/%p-helper %i %%", c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/echo-helper", "inst", "%"}
	if !reflect.DeepEqual(cmds[0].Argv, want) || cmds[0].Path != want[0] {
		t.Errorf("got %+v, want argv %q", cmds[0], want)
	}
	_, err = ParseExecLineExpand("-/bin/echo %Z", c)
	var e *ExecLineError
	if !errors.As(err, &e) || e.Message != "Failed to resolve unit specifiers in %Z, ignoring: Invalid slot" {
		t.Errorf("unknown specifier: %v", err)
	}
	_, err = ParseExecLineExpand("/bin/%Z", c)
	if !errors.As(err, &e) || e.Message != "Failed to resolve unit specifiers in '/bin/%Z': Invalid slot" || !e.Fatal {
		t.Errorf("unknown specifier in path: %v", err)
	}
}

func FuzzParseExecLine(f *testing.F) {
	for _, s := range []string{"/bin/echo a ; -/usr/ ; /bin/true", `-/bin/e"cho`, `/bin/a \; x;y ";"`, "-@", `\`, "@/bin/sh x \\x41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmds, err := ParseExecLine(s)
		var e *ExecLineError
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("ParseExecLine(%q): error %v is not an ExecLineError", s, err)
		}
		for _, c := range cmds {
			if c.Path == "" || len(c.Argv) == 0 {
				t.Fatalf("ParseExecLine(%q) returned an empty command %+v", s, c)
			}
			if !strings.HasPrefix(c.Path, "/") && strings.Contains(c.Path, "/") {
				t.Fatalf("ParseExecLine(%q): path %q is neither absolute nor a plain name", s, c.Path)
			}
		}
	})
}
