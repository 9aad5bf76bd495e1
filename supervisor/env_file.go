package supervisor

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseEnvironmentFile parses the contents of an EnvironmentFile= the way systemd does
// (load_env_file): KEY=VALUE lines; "#" or ";" at the start of a line begins a comment; blanks
// around keys and unquoted values are trimmed; '...' is literal; "..." honours backslash
// escapes of \ " ` $ and a backslash-newline continues the line; an unquoted backslash escapes
// the next character, and before a newline continues the line. Lines without "=" are ignored;
// assignments with an invalid name or a value that is not UTF-8 are skipped and reported in
// skipped (as "line N: ...").
func ParseEnvironmentFile(data string) (env []string, skipped []string) {
	const (
		preKey = iota
		key
		preValue
		value
		valueEscape
		singleQuote
		doubleQuote
		doubleQuoteEscape
		comment
		commentEscape
	)
	state := preKey
	line, startLine := 1, 1
	var k, v strings.Builder
	keyEnd, valueEnd := 0, 0 // lengths without trailing blanks
	push := func() {
		name := k.String()[:keyEnd]
		val := v.String()[:valueEnd]
		switch {
		case !validEnvName(name):
			skipped = append(skipped, fmt.Sprintf("line %d: invalid variable name %q", startLine, name))
		case !utf8.ValidString(val):
			skipped = append(skipped, fmt.Sprintf("line %d: value of %s is not valid UTF-8", startLine, name))
		default:
			env = append(env, name+"="+val)
		}
		k.Reset()
		v.Reset()
		keyEnd, valueEnd = 0, 0
	}
	isBlank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			line++
		}
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case isBlank(c) || c == '\n':
			default:
				state, startLine = key, line
				k.WriteByte(c)
				keyEnd = k.Len()
			}
		case key:
			switch {
			case c == '\n':
				k.Reset()
				keyEnd = 0
				state = preKey
			case c == '=':
				state = preValue
			default:
				k.WriteByte(c)
				if !isBlank(c) {
					keyEnd = k.Len()
				}
			}
		case preValue:
			switch {
			case c == '\n':
				push()
				state = preKey
			case c == '\'':
				state = singleQuote
			case c == '"':
				state = doubleQuote
			case c == '\\':
				state = valueEscape
			case isBlank(c):
			default:
				state = value
				v.WriteByte(c)
				valueEnd = v.Len()
			}
		case value:
			switch {
			case c == '\n':
				push()
				state = preKey
			case c == '\\':
				state = valueEscape
			default:
				v.WriteByte(c)
				if !isBlank(c) {
					valueEnd = v.Len()
				}
			}
		case valueEscape:
			state = value
			if c != '\n' {
				v.WriteByte(c)
				valueEnd = v.Len()
			}
		case singleQuote:
			if c == '\'' {
				state = preValue
			} else {
				v.WriteByte(c)
				valueEnd = v.Len()
			}
		case doubleQuote:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleQuoteEscape
			default:
				v.WriteByte(c)
				valueEnd = v.Len()
			}
		case doubleQuoteEscape:
			state = doubleQuote
			switch c {
			case '"', '\\', '`', '$':
				v.WriteByte(c)
			case '\n':
			default:
				v.WriteByte('\\')
				v.WriteByte(c)
			}
			valueEnd = v.Len()
		case comment:
			switch c {
			case '\\':
				state = commentEscape
			case '\n':
				state = preKey
			}
		case commentEscape:
			state = comment
		}
	}
	switch state {
	case preValue, value, valueEscape, singleQuote, doubleQuote, doubleQuoteEscape:
		push()
	}
	return env, skipped
}
