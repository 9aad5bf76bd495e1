package socketunit

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
)

// Limits systemd puts on the result of a specifier expansion; a longer result is ENAMETOOLONG.
const (
	SpecifierMaxFull     = 1 << 20 // unit_full_printf (LONG_LINE_MAX): Exec*= words, SocketUser=
	SpecifierMaxPath     = 4096    // unit_path_printf (PATH_MAX): Listen*=, Symlinks=
	SpecifierMaxFDName   = 255     // unit_fd_printf (FDNAME_MAX): FileDescriptorName=
	SpecifierMaxUnitName = 256     // unit_name_printf (UNIT_NAME_MAX): Service=
)

// SpecifierContext holds what the %-specifiers of a unit expand to. DefaultSpecifierContext
// fills it for the system manager on this host; tests and callers may override any field.
type SpecifierContext struct {
	UnitName     string // %n, and %N %p %P %i %I %j %J %f derived from it: "foo-bar@inst.socket"
	FragmentPath string // %y (the unit file), %Y (its directory); empty: %y/%Y fail with ENOENT

	RuntimeDir, StateDir, CacheDir, LogsDir, ConfigDir string // %t %S %C %L %E
	TempDir, VarTempDir                                string // %T %V

	UserName, UID, GroupName, GID string // %u %U %g %G (the system manager: root, 0)
	Home, Shell                   string // %h %s

	Hostname, PrettyHostname    string            // %H (%l is its first label), %q
	MachineID, BootID           string            // %m %b: 32 lower-case hex digits
	KernelRelease, Architecture string            // %v, %a (systemd's names: x86-64, arm64…)
	OSRelease                   map[string]string // %o ID, %w VERSION_ID, %W VARIANT_ID, %B BUILD_ID, %M IMAGE_ID, %A IMAGE_VERSION

	// MaxLength bounds the result (ENAMETOOLONG beyond it); 0 means SpecifierMaxFull.
	MaxLength int
}

// unitNameParts splits "prefix@instance.type" (or "prefix.type").
func unitNameParts(name string) (prefix, instance string, hasInstance bool) {
	base := name
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		base = name[:dot]
	}
	prefix, instance, hasInstance = strings.Cut(base, "@")
	return prefix, instance, hasInstance
}

// unitNameUnescape is systemd's unit_name_unescape: '-' is '/', "\xNN" a byte.
func unitNameUnescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '-':
			b.WriteByte('/')
		case '\\':
			v, ok := hexAt(s, i+2, 2)
			if i+1 >= len(s) || s[i+1] != 'x' || !ok {
				return "", syscall.EINVAL
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// unitNamePathUnescape is unit_name_path_unescape: "-" is "/", else unescape, refuse leading or
// trailing slashes, prefix "/" and require a normalized path.
func unitNamePathUnescape(s string) (string, error) {
	switch s {
	case "":
		return "", syscall.EINVAL
	case "-":
		return "/", nil
	}
	w, err := unitNameUnescape(s)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(w, "/") || strings.HasSuffix(w, "/") {
		return "", syscall.EINVAL
	}
	if p := "/" + w; pathIsNormalized(p) {
		return p, nil
	}
	return "", syscall.EINVAL
}

// specifierFunc computes one specifier's value.
type specifierFunc func(c *SpecifierContext) (string, error)

// value returns a specifierFunc for a fixed field.
func value(get func(c *SpecifierContext) string) specifierFunc {
	return func(c *SpecifierContext) (string, error) { return get(c), nil }
}

// osField returns a specifierFunc for an os-release field (empty when unset).
func osField(key string) specifierFunc {
	return value(func(c *SpecifierContext) string { return c.OSRelease[key] })
}

// nameSpecifiers are the specifiers unit_name_printf knows (Service=); fullSpecifiers add the rest.
var nameSpecifiers = map[byte]specifierFunc{
	'n': value(func(c *SpecifierContext) string { return c.UnitName }),
	'N': value(func(c *SpecifierContext) string {
		if dot := strings.LastIndexByte(c.UnitName, '.'); dot >= 0 {
			return c.UnitName[:dot]
		}
		return c.UnitName
	}),
	'p': value(func(c *SpecifierContext) string { p, _, _ := unitNameParts(c.UnitName); return p }),
	'i': value(func(c *SpecifierContext) string { _, i, _ := unitNameParts(c.UnitName); return i }),
	'j': value(func(c *SpecifierContext) string { return lastComponent(c.UnitName) }),
	'a': value(func(c *SpecifierContext) string { return c.Architecture }),
	'A': osField("IMAGE_VERSION"),
	'b': value(func(c *SpecifierContext) string { return c.BootID }),
	'B': osField("BUILD_ID"),
	'H': value(func(c *SpecifierContext) string { return c.Hostname }),
	'l': value(func(c *SpecifierContext) string { h, _, _ := strings.Cut(c.Hostname, "."); return h }),
	'q': value(func(c *SpecifierContext) string { return c.PrettyHostname }),
	'm': value(func(c *SpecifierContext) string { return c.MachineID }),
	'M': osField("IMAGE_ID"),
	'o': osField("ID"),
	'v': value(func(c *SpecifierContext) string { return c.KernelRelease }),
	'w': osField("VERSION_ID"),
	'W': osField("VARIANT_ID"),
	'g': value(func(c *SpecifierContext) string { return c.GroupName }),
	'G': value(func(c *SpecifierContext) string { return c.GID }),
	'u': value(func(c *SpecifierContext) string { return c.UserName }),
	'U': value(func(c *SpecifierContext) string { return c.UID }),
}

// fullSpecifiers are the specifiers unit_full_printf/unit_path_printf add to nameSpecifiers.
var fullSpecifiers = map[byte]specifierFunc{
	'I': func(c *SpecifierContext) (string, error) {
		_, i, _ := unitNameParts(c.UnitName)
		return unitNameUnescape(i)
	},
	'P': func(c *SpecifierContext) (string, error) {
		p, _, _ := unitNameParts(c.UnitName)
		return unitNameUnescape(p)
	},
	'J': func(c *SpecifierContext) (string, error) { return unitNameUnescape(lastComponent(c.UnitName)) },
	'f': func(c *SpecifierContext) (string, error) {
		p, i, has := unitNameParts(c.UnitName)
		if has && i != "" {
			return unitNamePathUnescape(i)
		}
		return unitNamePathUnescape(p)
	},
	'y': func(c *SpecifierContext) (string, error) { return realPath(c.FragmentPath) },
	'Y': func(c *SpecifierContext) (string, error) {
		p, err := realPath(c.FragmentPath)
		return filepath.Dir(p), err
	},
	'c': value(func(c *SpecifierContext) string { return "/system.slice/" + c.UnitName }), // deprecated
	'r': value(func(c *SpecifierContext) string { return "/system.slice" }),               // deprecated
	'R': value(func(c *SpecifierContext) string { return "/" }),                           // deprecated
	'C': value(func(c *SpecifierContext) string { return c.CacheDir }),
	'd': value(func(c *SpecifierContext) string { return c.RuntimeDir + "/credentials/" + c.UnitName }),
	'E': value(func(c *SpecifierContext) string { return c.ConfigDir }),
	'L': value(func(c *SpecifierContext) string { return c.LogsDir }),
	'S': value(func(c *SpecifierContext) string { return c.StateDir }),
	't': value(func(c *SpecifierContext) string { return c.RuntimeDir }),
	'T': value(func(c *SpecifierContext) string { return c.TempDir }),
	'V': value(func(c *SpecifierContext) string { return c.VarTempDir }),
	'h': value(func(c *SpecifierContext) string { return c.Home }),
	's': value(func(c *SpecifierContext) string { return c.Shell }),
}

// lastComponent is what %j expands to: the prefix after its last '-'.
func lastComponent(unit string) string {
	p, _, _ := unitNameParts(unit)
	if dash := strings.LastIndexByte(p, '-'); dash >= 0 {
		return p[dash+1:]
	}
	return p
}

// realPath is what %y expands to: the unit file with symlinks resolved.
func realPath(p string) (string, error) {
	if p == "" {
		return "", syscall.ENOENT
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", syscall.ENOENT
	}
	return filepath.Abs(r)
}

// ExpandSpecifiers expands the %-specifiers of s as systemd's unit_full_printf does: %n %N %p %P
// %i %I %j %J %f %y %Y %t %T %V %S %C %L %E %d %h %s %u %U %g %G %H %l %q %m %b %v %a %A %B %M
// %o %w %W, the deprecated %c %r %R, and %% for a literal '%'. A '%' before a character that is
// not a letter or digit (or at the end) stays as written; an unknown letter or digit is an error
// wrapping syscall.EBADSLT ("Invalid slot"). The result is bounded by c.MaxLength (default
// SpecifierMaxFull): beyond it the error wraps syscall.ENAMETOOLONG, found as soon as the output
// grows past the limit, so 100,000 "%H" fail fast instead of building megabytes.
func ExpandSpecifiers(s string, c SpecifierContext) (string, error) {
	return expandSpecifiers(s, &c, true)
}

// ExpandUnitNameSpecifiers expands s as systemd's unit_name_printf does for Service=: only the
// specifiers safe in unit names (%n %N %p %i %j, the host, OS and user ones), at most
// SpecifierMaxUnitName bytes unless c.MaxLength is set.
func ExpandUnitNameSpecifiers(s string, c SpecifierContext) (string, error) {
	if c.MaxLength == 0 {
		c.MaxLength = SpecifierMaxUnitName
	}
	return expandSpecifiers(s, &c, false)
}

// DeprecatedSpecifiers lists the deprecated specifiers (%c, %r, %R) that s uses, each once, for
// systemd's "Specifier '%c' used in unit configuration, which is deprecated" notice.
func DeprecatedSpecifiers(s string) []string {
	var out []string
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if c := s[i]; c == 'c' || c == 'r' || c == 'R' {
			if sp := "%" + string(c); !contains(out, sp) {
				out = append(out, sp)
			}
		}
	}
	return out
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func expandSpecifiers(s string, c *SpecifierContext, full bool) (string, error) {
	limit := c.MaxLength
	if limit <= 0 {
		limit = SpecifierMaxFull
	}
	if !strings.Contains(s, "%") {
		if len(s) > limit {
			return "", fmt.Errorf("expand specifiers: %w", syscall.ENAMETOOLONG)
		}
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch != '%':
			b.WriteByte(ch)
		case i+1 == len(s): // a stray '%' at the end stays
			b.WriteByte('%')
		default:
			i++
			spec := s[i]
			f, ok := nameSpecifiers[spec]
			if !ok && full {
				f, ok = fullSpecifiers[spec]
			}
			switch {
			case spec == '%':
				b.WriteByte('%')
			case ok:
				v, err := f(c)
				if err != nil {
					return "", fmt.Errorf("expand specifier %%%c: %w", spec, err)
				}
				b.WriteString(v)
			case isAlnum(spec):
				return "", fmt.Errorf("unknown specifier %%%c: %w", spec, syscall.EBADSLT)
			default:
				b.WriteByte('%')
				b.WriteByte(spec)
			}
		}
		if b.Len() > limit {
			return "", fmt.Errorf("expand specifiers: result longer than %d bytes: %w", limit, syscall.ENAMETOOLONG)
		}
	}
	return b.String(), nil
}

// isAlnum reports whether c is an ASCII letter or digit (systemd's POSSIBLE_SPECIFIERS).
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
