package supervisor

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sockvisor/sockvisor/socketunit"
)

func TestExpandArgv(t *testing.T) {
	env := []string{"ONE=1", "TWO=a b  c", "Q=x 'y z' \"p\\\"q\"", "EMPTY=", "ONE=one"}
	cases := []struct {
		in   []string
		want []string
	}{
		{[]string{"cmd", "$ONE"}, []string{"cmd", "one"}},                  // last assignment wins
		{[]string{"cmd", "$TWO"}, []string{"cmd", "a", "b", "c"}},          // whole word: split
		{[]string{"cmd", "${TWO}"}, []string{"cmd", "a b  c"}},             // braces: one word
		{[]string{"cmd", "x${ONE}y"}, []string{"cmd", "xoney"}},            // inside a word
		{[]string{"cmd", "x$ONE"}, []string{"cmd", "x$ONE"}},               // braceless inside a word: left
		{[]string{"cmd", "$NOPE", "z"}, []string{"cmd", "z"}},              // unset whole word: no word
		{[]string{"cmd", "${NOPE}"}, []string{"cmd", ""}},                  // unset in braces: empty word
		{[]string{"cmd", "$EMPTY"}, []string{"cmd"}},                       // empty value: no word
		{[]string{"cmd", "$$ONE", "a$$b"}, []string{"cmd", "$ONE", "a$b"}}, // $$ is a dollar
		{[]string{"cmd", "$Q"}, []string{"cmd", "x", "y z", "p\"q"}},       // quotes in the value group
		{[]string{"cmd", "${ONE:-d}"}, []string{"cmd", "${ONE:-d}"}},       // no default-value syntax
		{[]string{"cmd", "${ONE"}, []string{"cmd", "${ONE"}},               // unterminated
		{[]string{"cmd", "$"}, []string{"cmd"}},                            // lone dollar: invalid name
		{[]string{"cmd", "$ONE/x"}, []string{"cmd"}},                       // invalid name as a whole word
	}
	for _, c := range cases {
		if got := ExpandArgv(c.in, env); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExpandArgv(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseEnvironmentFile(t *testing.T) {
	data := "# comment\n; also comment\n  A=1  \nB = two words \nC='single $x \\n'\nD=\"dq \\\"x\\\" \\$y \\n\"\n" +
		"E=multi\\\nline\nF=\"a\" \"b\"\nnoequals\nbad-name=1\n1X=2\nG=\nH=a\\ b\\\\c\n#cont\\\nI=hidden\nJ=last"
	env, skipped := ParseEnvironmentFile(data)
	want := []string{"A=1", "B=two words", "C=single $x \\n", "D=dq \"x\" $y \\n", "E=multiline", "F=ab", "G=", "H=a b\\c", "J=last"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env\n got %q\nwant %q", env, want)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0], "bad-name") || !strings.Contains(skipped[1], "1X") {
		t.Errorf("skipped %q", skipped)
	}
}

func TestBuildEnvironmentOrder(t *testing.T) {
	ec := &socketunit.ExecContext{
		PassEnvironment:  []string{"FROM_SV", "UNSET_IN_SV"},
		Environment:      []string{"A=env", "B=env", "C=keep"},
		EnvironmentFiles: []socketunit.EnvironmentFile{{Path: "/f1"}, {Path: "/missing", Optional: true}},
		UnsetEnvironment: []string{"C=other", "D"},
	}
	files := map[string]string{"/f1": "B=file\nD=gone\n"}
	env, _, err := buildEnvironment(ec, envInputs{
		base:   []string{"PATH=/p", "A=base"},
		own:    []string{"USER=u"},
		extra:  []string{"REMOTE_ADDR=1.2.3.4"},
		getenv: func(k string) (string, bool) { return map[string]string{"FROM_SV": "sv"}[k], k == "FROM_SV" },
		readFile: func(p string) ([]byte, error) {
			if d, ok := files[p]; ok {
				return []byte(d), nil
			}
			return nil, fs.ErrNotExist
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PATH=/p", "A=env", "USER=u", "REMOTE_ADDR=1.2.3.4", "FROM_SV=sv", "B=file", "C=keep"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env\n got %q\nwant %q", env, want)
	}
	ec.EnvironmentFiles = []socketunit.EnvironmentFile{{Path: "/missing"}}
	if _, _, err := buildEnvironment(ec, envInputs{getenv: osGetenv, readFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}); err == nil {
		t.Error("a missing EnvironmentFile= without - must be an error")
	}
}

func FuzzParseEnvironmentFile(f *testing.F) {
	f.Add("A=1\nB='x'\nC=\"y\\\"\"\n# c\n")
	f.Add("A=\\\n\"\\")
	f.Fuzz(func(t *testing.T, data string) {
		env, _ := ParseEnvironmentFile(data)
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !validEnvName(k) || !utf8.ValidString(v) {
				t.Fatalf("bad entry %q", kv)
			}
		}
	})
}

func FuzzExpandArgv(f *testing.F) {
	f.Add("cmd $A ${B} x${A}y $$ ${C:-d}", "A=1 2", "B='q r'")
	f.Fuzz(func(t *testing.T, line, a, b string) {
		argv := strings.Fields(line)
		out := ExpandArgv(argv, []string{"A=" + a, "B=" + b})
		if !strings.ContainsRune(line, '$') && !reflect.DeepEqual(out, argv) {
			t.Fatalf("no $ but changed: %q -> %q", argv, out)
		}
	})
}
