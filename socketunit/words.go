package socketunit

import (
	"fmt"
	"strings"
	"syscall"
)

// WordFlags select how SplitWords splits and decodes, after systemd's EXTRACT_* flags.
type WordFlags uint16

// The flags of systemd's extract_first_word that unit-file parsers use.
const (
	// WordUnquote removes single and double quotes; whitespace inside them is kept.
	WordUnquote WordFlags = 1 << iota
	// WordCUnescape decodes C escapes (\n, \t, \x41, \u00e9, \101, \s…).
	WordCUnescape
	// WordCUnescapeRelax keeps an unknown escape (and a trailing backslash) verbatim.
	WordCUnescapeRelax
	// WordRelax accepts unbalanced quotes and a trailing backslash.
	WordRelax
	// WordRetainEscape keeps backslashes as ordinary characters.
	WordRetainEscape
	// WordUnescapeSeparators decodes only escaped separators and escaped backslashes.
	WordUnescapeSeparators
)

// SplitWords splits s into words as repeated calls of systemd's extract_first_word with
// whitespace separators do (Symlinks= and SupplementaryGroups= use WordUnquote; Environment= and
// PassEnvironment= WordUnquote|WordCUnescape). Errors wrap syscall.EINVAL: unbalanced quotes, a
// trailing backslash, or an invalid escape.
func SplitWords(s string, flags WordFlags) ([]string, error) {
	var out []string
	for {
		w, rest, err := extractFirstWord(s, whitespace, flags)
		if err != nil {
			return out, fmt.Errorf("split words %q: %w", s, err)
		}
		if w == nil {
			return out, nil
		}
		out = append(out, *w)
		s = rest
	}
}

// extractFirstWord is systemd's extract_first_word: it returns the first word of s (nil when
// there is none) and the rest of the string after it.
func extractFirstWord(s, separators string, flags WordFlags) (*string, string, error) {
	isSep := func(c byte) bool { return strings.IndexByte(separators, c) >= 0 }
	var b strings.Builder
	i := 0
	for i < len(s) && isSep(s[i]) { // leading separators
		i++
	}
	if i == len(s) {
		return nil, "", nil
	}
	var quote byte
	for i <= len(s) {
		if i == len(s) {
			if quote != 0 && flags&WordRelax == 0 {
				return nil, "", syscall.EINVAL
			}
			break
		}
		c := s[i]
		if c == '\\' && flags&WordRetainEscape == 0 {
			i++
			if i == len(s) {
				if flags&WordCUnescapeRelax != 0 && (quote == 0 || flags&WordRelax != 0) {
					b.WriteByte('\\')
					break
				}
				if flags&WordRelax != 0 {
					break
				}
				return nil, "", syscall.EINVAL
			}
			n, err := unescapeAfterBackslash(&b, s, i, separators, flags)
			if err != nil {
				return nil, "", err
			}
			i += n
			continue
		}
		if quote != 0 {
			if c == quote {
				quote = 0
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		switch {
		case (c == '\'' || c == '"') && flags&WordUnquote != 0:
			quote = c
			i++
			continue
		case isSep(c):
			for i < len(s) && isSep(s[i]) {
				i++
			}
			w := b.String()
			return &w, s[i:], nil
		}
		b.WriteByte(c)
		i++
	}
	w := b.String()
	return &w, "", nil
}

// unescapeAfterBackslash decodes the escape whose first byte (after the backslash) is s[i],
// writing the result to b; it returns how many bytes it used.
func unescapeAfterBackslash(b *strings.Builder, s string, i int, separators string, flags WordFlags) (int, error) {
	c := s[i]
	if flags&(WordCUnescape|WordUnescapeSeparators) == 0 {
		b.WriteByte(c)
		return 1, nil
	}
	if flags&WordCUnescape != 0 {
		if r, n, eightBit, err := cUnescapeOne(s[i:], false); err == nil {
			if eightBit {
				b.WriteByte(byte(r))
			} else {
				writeUTF8(b, r)
			}
			return n, nil
		}
	}
	switch {
	case flags&WordUnescapeSeparators != 0 && (strings.IndexByte(separators, c) >= 0 || c == '\\'):
		b.WriteByte(c)
	case flags&WordCUnescapeRelax != 0:
		b.WriteByte('\\')
		b.WriteByte(c)
	default:
		return 0, syscall.EINVAL
	}
	return 1, nil
}
