package socketunit

import (
	"fmt"
	"strings"
	"testing"
)

// tokLine renders tokenizer output compactly: "3 Socket.Key=Value" per assignment and
// "3 ! message" per finding, in line order.
func tokLines(t tokenized) []string {
	var out []string
	a, d := t.Assignments, t.Diagnostics
	for len(a) > 0 || len(d) > 0 {
		if len(d) == 0 || len(a) > 0 && a[0].Loc.Line <= d[0].Line {
			out = append(out, fmt.Sprintf("%d %s.%s=%s", a[0].Loc.Line, a[0].Section, a[0].Key, a[0].Value))
			a = a[1:]
			continue
		}
		out = append(out, fmt.Sprintf("%d ! %s", d[0].Line, d[0].Message))
		d = d[1:]
	}
	return out
}

// The expectations below were observed with systemd-analyze verify of systemd 252.
func TestTokenize(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  []string
		fatal bool
	}{
		{"continuation with comments inside", "[Socket]\nDescription=first \\\n  second \\\n# c\n; c\n  third\n",
			[]string{"6 Socket.Description=first    second    third"}, false},
		{"continuation then blank line", "[Socket]\nA=first \\\n\nB=x\n",
			[]string{"3 Socket.A=first", "4 Socket.B=x"}, false},
		{"escaped backslash is not a continuation", "[Socket]\nA=ends with \\\\\n[Socket]\nB=x\n",
			[]string{`2 Socket.A=ends with \\`, "4 Socket.B=x"}, false},
		{"continuation at end of file counts one more line", "[Socket]\nListenStream=1234\nBacklog=abc \\\n",
			[]string{"2 Socket.ListenStream=1234", "4 Socket.Backlog=abc"}, false},
		{"two continuations at end of file", "[Socket]\nBacklog=abc \\\n\\\n",
			[]string{"4 Socket.Backlog=abc"}, false},
		{"hash and semicolon inside a value are kept", "[Socket]\nListenStream=1.2.3.4:1 # x\nA=b;c\n",
			[]string{"2 Socket.ListenStream=1.2.3.4:1 # x", "3 Socket.A=b;c"}, false},
		{"spaces around key and value", "[Socket]\n \t Key \t=\t value  \n",
			[]string{"2 Socket.Key=value"}, false},
		{"quotes kept", "[Unit]\nDescription=\"quoted value\"\n",
			[]string{`2 Unit.Description="quoted value"`}, false},
		{"unknown and X- sections", "[Bogus]\nx=y\n[X-Custom]\nz=1\n[Socket]\nA=1\n",
			[]string{"1 ! Unknown section 'Bogus'. Ignoring.", "6 Socket.A=1"}, false},
		{"sections are case-sensitive", "[socket]\nA=1\n", []string{"1 ! Unknown section 'socket'. Ignoring."}, false},
		{"assignment outside of section", "Stray=x\n.include foo\n[Socket]\nA=1\n",
			[]string{"1 ! Assignment outside of section. Ignoring.", "2 ! Assignment outside of section. Ignoring.", "4 Socket.A=1"}, false},
		{"missing equals and missing key", "[Socket]\nnoeq\nBacklog: 5\n=val\n  = val\n",
			[]string{"2 ! Missing '=', ignoring line.", "3 ! Missing '=', ignoring line.",
				"4 ! Missing key name before '=', ignoring line.", "5 ! Missing key name before '=', ignoring line."}, false},
		{"section repeated", "[Socket]\nA=1\n[Unit]\nB=2\n[Socket]\nC=3\n",
			[]string{"2 Socket.A=1", "4 Unit.B=2", "6 Socket.C=3"}, false},
		{"section header with trailing garbage is fatal", "[Socket] # c\nA=1\n",
			[]string{"1 ! Invalid section header '[Socket] # c'"}, true},
		{"unterminated section header is fatal", "[Socket\nA=1\n",
			[]string{"1 ! Invalid section header '[Socket'"}, true},
		{"quote in a section name is fatal", "[So\"cket]\nA=1\n", []string{"1 ! Bad characters in section header '[So\"cket]'"}, true},
		{"backslash in a section name is fatal", "[X-a\\b]\nA=1\n", []string{"1 ! Bad characters in section header '[X-a\\b]'"}, true},
		{"BOM then comment is not a comment", "\xef\xbb\xbf# comment\n[Socket]\nA=1\n",
			[]string{"1 ! Assignment outside of section. Ignoring.", "3 Socket.A=1"}, false},
		{"BOM stripped on a later line", "[Socket]\n\xef\xbb\xbfBacklog=x\n", []string{"2 Socket.Backlog=x"}, false},
		{"CRLF", "[Socket]\r\nA=1\r\nB=x\r\n", []string{"2 Socket.A=1", "3 Socket.B=x"}, false},
		{"CR alone ends a line", "[Socket]\rA=1\rB=m\n", []string{"2 Socket.A=1", "3 Socket.B=m"}, false},
		{"LF CR is one line end", "[Socket]\n\rA=1\n\rB=x\n", []string{"2 Socket.A=1", "3 Socket.B=x"}, false},
		{"NUL then LF is two line ends", "[Socket]\nA=1\x00\nB=x\n", []string{"2 Socket.A=1", "4 Socket.B=x"}, false},
		{"CR NUL is one line end", "[Socket]\nA=1\r\x00B=x\n", []string{"2 Socket.A=1", "3 Socket.B=x"}, false},
		{"NUL inside a line splits it", "[Socket]\nBacklog=5\x00junk\nAccept=maybe\n",
			[]string{"2 Socket.Backlog=5", "3 ! Missing '=', ignoring line.", "4 Socket.Accept=maybe"}, false},
		{"invalid UTF-8 is fatal", "[Socket]\nA=1\nBacklog=\xff\nAccept=maybe\n",
			[]string{"2 Socket.A=1", "3 ! String is not UTF-8 clean, ignoring assignment: Backlog=\ufffd"}, true},
		{"noncharacter is not UTF-8 clean", "[Socket]\nD=\xef\xbf\xbe\n",
			[]string{"2 ! String is not UTF-8 clean, ignoring assignment: D=\ufffd\ufffd\ufffd"}, true},
		{"overlong encoding", "[Socket]\nB=\xc0\x80\n",
			[]string{"2 ! String is not UTF-8 clean, ignoring assignment: B=\ufffd\ufffd"}, true},
		{"U+FFFD itself is valid", "[Socket]\nB=\xef\xbf\xbd\n", []string{"2 Socket.B=\ufffd"}, false},
		{"invalid UTF-8 in a comment is fine", "[Socket]\n# \xff\nA=maybe\n", []string{"3 Socket.A=maybe"}, false},
		{"X- keys pass through to the table", "[Socket]\nX-Foo=bar\n", []string{"2 Socket.X-Foo=bar"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tokenize("x.socket", []byte(c.in), socketSections)
			if lines := tokLines(got); strings.Join(lines, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(c.want, "\n"))
			}
			if got.Fatal != c.fatal {
				t.Errorf("fatal = %v, want %v", got.Fatal, c.fatal)
			}
		})
	}
}

func TestTokenizeLineLength(t *testing.T) {
	prefix := "[Socket]\nA=1\nBacklog="
	for _, c := range []struct {
		content int // bytes of the third line
		fatal   bool
	}{
		{maxLineLen - 1, false}, // the longest line systemd reads
		{maxLineLen, true},      // ENOBUFS
		{2 * maxLineLen, true},
	} {
		in := prefix + strings.Repeat("1", c.content-len("Backlog=")) + "\nB=2\n"
		got := tokenize("x.socket", []byte(in), socketSections)
		if got.Fatal != c.fatal {
			t.Errorf("line of %d bytes: fatal = %v, want %v", c.content, got.Fatal, c.fatal)
		}
		if c.fatal {
			if len(got.Assignments) != 1 || len(got.Diagnostics) != 1 || got.Diagnostics[0].Line != 3 {
				t.Errorf("line of %d bytes: got %v", c.content, tokLines(got))
			}
		} else if len(got.Assignments) != 3 {
			t.Errorf("line of %d bytes: %d assignments, want 3", c.content, len(got.Assignments))
		}
	}
	// A continuation may not grow beyond 1 MiB either.
	half := strings.Repeat("a", maxLineLen/2+10)
	got := tokenize("x.socket", []byte("[Socket]\nD="+half+"\\\n"+half+"\\\n"+half+"\n"), socketSections)
	if !got.Fatal || len(got.Diagnostics) != 1 || !strings.Contains(got.Diagnostics[0].Message, "Continuation line too long") {
		t.Errorf("long continuation: %v", tokLines(got))
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"[Socket]\nListenStream=1234\n",
		"[Socket]\nDescription=a \\\n# c\n b\\\\\n",
		"\xef\xbb\xbf[Unit]\r\nA=\xff\x00\r[X-Foo]\nB\n=\n",
		"[Socket] x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := tokenize("f.socket", data, socketSections)
		physical := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + strings.Count(string(data), "\x00") + 2
		last := 0
		for _, a := range got.Assignments {
			if a.Loc.Line < last || a.Loc.Line < 1 || a.Loc.Line > physical {
				t.Fatalf("assignment line %d out of order or range (previous %d, at most %d)", a.Loc.Line, last, physical)
			}
			last = a.Loc.Line
			if a.Key == "" || strings.ContainsAny(a.Key, "=") || strings.Trim(a.Value, lineSpace) != a.Value {
				t.Fatalf("bad assignment %+v", a)
			}
			if a.Section != "Unit" && a.Section != "Socket" && a.Section != "Install" {
				t.Fatalf("assignment in section %q", a.Section)
			}
		}
		if got.Fatal && (len(got.Diagnostics) == 0 || got.Diagnostics[len(got.Diagnostics)-1].Severity != SeverityError) {
			t.Fatalf("fatal without an error finding: %v", got.Diagnostics)
		}
	})
}
