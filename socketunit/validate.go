package socketunit

import (
	"strings"
	"unicode/utf8"
)

// Interface name limits (linux/if.h).
const (
	ifNameSize    = 16  // IFNAMSIZ: names are at most 15 bytes
	altIfNameSize = 128 // ALTIFNAMSIZ: alternative names are at most 127 bytes
)

// ifnameFlags are the IFNAME_VALID_* flags of systemd's ifname_valid_full.
type ifnameFlags uint8

const (
	ifnameAlternative ifnameFlags = 1 << iota // allow alternative (long) names
	ifnameNumeric                             // allow a numeric interface index
)

// parseIfindex is systemd's parse_ifindex: a positive int (base auto, whitespace skipped).
func parseIfindex(s string) (int, bool) {
	v, err := safeAtoll(s)
	if err != nil || v <= 0 || v > 1<<31-1 {
		return 0, false
	}
	return int(v), true
}

// ifnameValidFull is systemd's ifname_valid_full.
func ifnameValidFull(s string, flags ifnameFlags) bool {
	if s == "" {
		return false
	}
	if _, ok := parseIfindex(s); ok {
		return flags&ifnameNumeric != 0
	}
	limit := ifNameSize
	if flags&ifnameAlternative != 0 {
		limit = altIfNameSize
	}
	if len(s) >= limit {
		return false
	}
	if s == "." || s == ".." || s == "all" || s == "default" {
		return false
	}
	numeric := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 127 || c <= 32 || c == ':' || c == '/' || c == '%' {
			return false
		}
		numeric = numeric && c >= '0' && c <= '9'
	}
	return !numeric
}

// ValidIfname reports whether s is a valid network interface name for BindToDevice=
// (systemd's ifname_valid: at most 15 printable ASCII bytes, no ':' '/' '%', not all digits,
// not ".", "..", "all" or "default").
func ValidIfname(s string) bool { return ifnameValidFull(s, 0) }

// fdNameMax is FDNAME_MAX, the longest file descriptor name.
const fdNameMax = 255

// ValidFDName reports whether s is a valid FileDescriptorName= (fdname_is_valid: printable
// ASCII without ':', at most 255 bytes; the empty name is valid).
func ValidFDName(s string) bool {
	if len(s) > fdNameMax {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= 0x7f || s[i] == ':' {
			return false
		}
	}
	return true
}

// parseUID is systemd's parse_uid: strict decimal, no sign, no leading zero or whitespace, and
// neither 65535 nor 4294967295.
func parseUID(s string) bool {
	v, err := safeAtoull(s, 10, refuseLeadingWhitespace|refusePlusMinus|refuseLeadingZero)
	return err == nil && v < 1<<32-1 && v != 65535
}

// userNameMax is the longest strict user or group name (UT_NAMESIZE - 1).
const userNameMax = 31

// CheckUserGroupName checks a user or group name or numeric ID as systemd's
// valid_user_group_name does for SocketUser=/User=: valid under the relaxed rules (what systemd
// accepts, numeric IDs included) and strict under the strict ones (letters, digits, '_' and '-',
// not starting with a digit or '-', at most 31 bytes). A valid but not strict name is accepted
// by systemd with a warning.
func CheckUserGroupName(s string) (valid, strict bool) {
	if s == "" {
		return false, false
	}
	if parseUID(s) {
		return true, true
	}
	strict = strictUserName(s)
	switch {
	case strings.HasPrefix(s, " ") || strings.HasSuffix(s, " "):
		return false, false
	case !utf8.ValidString(s) || hasControlChar(s):
		return false, false
	case strings.ContainsAny(s, ":/"):
		return false, false
	case allDigits(s) || (s[0] == '-' && allDigits(s[1:])):
		return false, false
	case s == "." || s == "..":
		return false, false
	}
	return true, strict
}

// strictUserName applies valid_user_group_name's strict rules.
func strictUserName(s string) bool {
	if len(s) > userNameMax {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c = s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// allDigits reports whether s consists of ASCII digits only (true for "").
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// hasControlChar reports whether s holds a control character (string_has_cc: below ' ', or DEL).
func hasControlChar(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}
