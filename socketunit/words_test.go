package socketunit

import (
	"errors"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestSplitWords(t *testing.T) {
	cases := []struct {
		in    string
		flags WordFlags
		want  []string
		err   bool
	}{
		{"a b  c", WordUnquote, []string{"a", "b", "c"}, false},
		{`  "a b" 'c d'  `, WordUnquote, []string{"a b", "c d"}, false},
		{`x"a b"y`, WordUnquote, []string{"xa by"}, false},
		{`""`, WordUnquote, []string{""}, false},
		{`"a b`, WordUnquote, nil, true},
		{`"a b`, WordUnquote | WordRelax, []string{"a b"}, false},
		{`a\ b`, WordUnquote, []string{"a b"}, false},
		{`a\`, WordUnquote, nil, true},
		{`a\`, WordUnquote | WordCUnescape | WordCUnescapeRelax, []string{`a\`}, false},
		{`"a b"`, 0, []string{`"a`, `b"`}, false},
		{`FOO=a\nb "BAR=x y"`, WordUnquote | WordCUnescape, []string{"FOO=a\nb", "BAR=x y"}, false},
		{`a\q`, WordUnquote | WordCUnescape, nil, true},
		{`a\q`, WordUnquote | WordCUnescape | WordCUnescapeRelax, []string{`a\q`}, false},
		{`\x00`, WordCUnescape, nil, true},
		{`\xff\u00e9\U0001F600\101`, WordCUnescape, []string{"\xff\u00e9\U0001F600A"}, false},
		{`\U0000D800`, WordCUnescape, nil, true},
		{`a\\b`, WordRetainEscape, []string{`a\\b`}, false},
		{`a\ b`, WordUnescapeSeparators, []string{`a b`}, false},
		{"", WordUnquote, nil, false},
		{" \t\n", WordUnquote, nil, false},
	}
	for _, c := range cases {
		got, err := SplitWords(c.in, c.flags)
		if c.err {
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("SplitWords(%q, %b) = %q, %v; want EINVAL", c.in, c.flags, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitWords(%q, %b) = %q, %v; want %q", c.in, c.flags, got, err, c.want)
		}
	}
}

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{`"a b" c`, `a\`, `\x41\u00e9`, `'x`, `a\q`} {
		f.Add(s, uint16(WordUnquote|WordCUnescape))
	}
	f.Add(`\ 0`, uint16(0))
	f.Fuzz(func(t *testing.T, s string, flags uint16) {
		fl := WordFlags(flags) & (WordUnquote | WordCUnescape | WordCUnescapeRelax | WordRelax | WordRetainEscape | WordUnescapeSeparators)
		words, err := SplitWords(s, fl)
		if err != nil {
			if !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("SplitWords(%q): unexpected error %v", s, err)
			}
			return
		}
		if len(words) > len(s) {
			t.Fatalf("SplitWords(%q) returned %d words from %d bytes", s, len(words), len(s))
		}
		if fl == 0 && !strings.ContainsRune(s, '\\') {
			// Without quoting or escapes, joining the words with spaces and splitting again is
			// stable (with no flags a backslash still escapes the next character, even a
			// separator, as in extract_first_word, so such input is left out).
			again, err := SplitWords(joinWords(words), 0)
			if err != nil || !reflect.DeepEqual(again, words) && len(words) > 0 {
				t.Fatalf("SplitWords(%q) = %q re-splits to %q, %v", s, words, again, err)
			}
		}
	})
}

// joinWords joins words with single spaces.
func joinWords(w []string) string {
	out := ""
	for i, x := range w {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
