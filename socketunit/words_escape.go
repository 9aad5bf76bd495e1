package socketunit

import (
	"strings"
	"syscall"
)

// unhex returns the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hexAt reads n hex digits of s from index i.
func hexAt(s string, i, n int) (uint32, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var v uint32
	for k := 0; k < n; k++ {
		d := unhex(s[i+k])
		if d < 0 {
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}

// unicharValid is systemd's unichar_is_valid.
func unicharValid(c uint32) bool {
	return c < 0x110000 && c&0xFFFFF800 != 0xD800 && (c < 0xFDD0 || c > 0xFDEF) && c&0xFFFE != 0xFFFE
}

// cUnescapeOne is systemd's cunescape_one: it decodes the escape at the start of s (the text after
// a backslash) and returns the code point or byte, the bytes used and whether it is a raw byte.
func cUnescapeOne(s string, acceptNUL bool) (uint32, int, bool, error) {
	if s == "" {
		return 0, 0, false, syscall.EINVAL
	}
	switch s[0] {
	case 'a':
		return '\a', 1, false, nil
	case 'b':
		return '\b', 1, false, nil
	case 'f':
		return '\f', 1, false, nil
	case 'n':
		return '\n', 1, false, nil
	case 'r':
		return '\r', 1, false, nil
	case 't':
		return '\t', 1, false, nil
	case 'v':
		return '\v', 1, false, nil
	case '\\', '"', '\'':
		return uint32(s[0]), 1, false, nil
	case 's':
		return ' ', 1, false, nil
	case 'x':
		v, ok := hexAt(s, 1, 2)
		if !ok || (v == 0 && !acceptNUL) {
			return 0, 0, false, syscall.EINVAL
		}
		return v, 3, true, nil
	case 'u':
		v, ok := hexAt(s, 1, 4)
		if !ok || (v == 0 && !acceptNUL) {
			return 0, 0, false, syscall.EINVAL
		}
		return v, 5, false, nil
	case 'U':
		v, ok := hexAt(s, 1, 8)
		if !ok || (v == 0 && !acceptNUL) || !unicharValid(v) {
			return 0, 0, false, syscall.EINVAL
		}
		return v, 9, false, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		if len(s) < 3 {
			return 0, 0, false, syscall.EINVAL
		}
		var m uint32
		for k := 0; k < 3; k++ {
			if s[k] < '0' || s[k] > '7' {
				return 0, 0, false, syscall.EINVAL
			}
			m = m<<3 | uint32(s[k]-'0')
		}
		if (m == 0 && !acceptNUL) || m > 255 {
			return 0, 0, false, syscall.EINVAL
		}
		return m, 3, true, nil
	}
	return 0, 0, false, syscall.EINVAL
}

// writeUTF8 encodes c as UTF-8 the way systemd's utf8_encode_unichar does, surrogates included.
func writeUTF8(b *strings.Builder, c uint32) {
	switch {
	case c < 0x80:
		b.WriteByte(byte(c))
	case c < 0x800:
		b.WriteByte(byte(0xc0 | c>>6))
		b.WriteByte(byte(0x80 | c&0x3f))
	case c < 0x10000:
		b.WriteByte(byte(0xe0 | c>>12))
		b.WriteByte(byte(0x80 | (c>>6)&0x3f))
		b.WriteByte(byte(0x80 | c&0x3f))
	default:
		b.WriteByte(byte(0xf0 | (c>>18)&0x07))
		b.WriteByte(byte(0x80 | (c>>12)&0x3f))
		b.WriteByte(byte(0x80 | (c>>6)&0x3f))
		b.WriteByte(byte(0x80 | c&0x3f))
	}
}

// cEscape is systemd's cescape: C escapes for \a \b \f \n \r \t \v \\ \" \' and octal for
// other bytes below ' ' or from 127 up.
func cEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		default:
			if c < ' ' || c >= 127 {
				b.WriteByte('\\')
				b.WriteByte('0' + c>>6)
				b.WriteByte('0' + (c>>3)&7)
				b.WriteByte('0' + c&7)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}
