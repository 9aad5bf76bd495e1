package supervisor

import "strings"

// ExpandArgv expands environment variables in a command's argv the way systemd does for
// ExecStart= and friends (replace_env_argv): a word that is exactly "$NAME" becomes the
// variable's value split at whitespace into zero or more words (quotes in the value group,
// as in the shell); "${NAME}" anywhere in a word is replaced by the value as is, without
// splitting; an unset variable expands to nothing (a whole-word "$NAME" to no word at all); "$$" is a literal "$"; a "$NAME" inside a
// longer word and "${NAME:-x}" forms are left as written.
func ExpandArgv(argv []string, env []string) []string {
	lookup := envLookup(env)
	out := make([]string, 0, len(argv))
	for _, w := range argv {
		if w != "" && w[0] == '$' && (len(w) == 1 || w[1] != '{' && w[1] != '$') {
			name := w[1:]
			if v, ok := lookup(name); ok && validEnvName(name) {
				out = append(out, splitShellWords(v)...)
			}
			continue
		}
		out = append(out, expandWord(w, lookup))
	}
	return out
}

// envLookup returns a lookup function over KEY=VALUE entries; the last assignment wins.
func envLookup(env []string) func(string) (string, bool) {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// expandWord replaces "${NAME}" and "$$" in one word.
func expandWord(w string, lookup func(string) (string, bool)) string {
	if !strings.Contains(w, "$") {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); {
		c := w[i]
		if c != '$' || i+1 >= len(w) {
			b.WriteByte(c)
			i++
			continue
		}
		switch w[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
		case '{':
			end := strings.IndexByte(w[i+2:], '}')
			if end < 0 {
				b.WriteString(w[i:])
				return b.String()
			}
			name := w[i+2 : i+2+end]
			if strings.IndexByte(name, ':') >= 0 {
				// ${NAME:-default} is not supported in command lines: left as written.
				b.WriteString(w[i : i+3+end])
			} else if v, ok := lookup(name); ok && validEnvName(name) {
				b.WriteString(v)
			}
			i += 3 + end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// validEnvName reports whether name is a valid environment variable name in systemd's sense
// (env_name_is_valid): non-empty, no "=", no control characters, not starting with a digit,
// letters, digits and "_" only.
func validEnvName(name string) bool {
	if name == "" || len(name) > 4096 {
		return false
	}
	if name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// splitShellWords splits a variable's value into words at whitespace, removing quotes and
// backslashes as systemd's extract_first_word does with EXTRACT_UNQUOTE|EXTRACT_RELAX: '...'
// is literal, "..." honours backslash escapes, an unbalanced quote runs to the end.
func splitShellWords(s string) []string {
	var words []string
	var b strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				b.WriteString(s[i+1:])
				i = len(s)
			} else {
				b.WriteString(s[i+1 : i+1+j])
				i += 1 + j
			}
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			inWord = true
			b.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words
}
