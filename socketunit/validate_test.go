package socketunit

import (
	"strings"
	"testing"
)

func TestValidIfname(t *testing.T) {
	for _, s := range []string{"foo", "eth0", "a99", "99a", "foo.bar", "xxxxxxxxxxxxxxx", "lo", "wlp0s20f3"} {
		if !ValidIfname(s) {
			t.Errorf("ValidIfname(%q) = false", s)
		}
	}
	for _, s := range []string{"0", "99", "", " ", " foo", "bar\n", ".", "..", "x:y", "xxxxxxxxxxxxxxxx", "all", "default", "a/b", "a%d", "0x10", "é"} {
		if ValidIfname(s) {
			t.Errorf("ValidIfname(%q) = true", s)
		}
	}
}

func TestValidFDName(t *testing.T) {
	for _, s := range []string{"", "name", "with space", strings.Repeat("a", 255), "~!@#"} {
		if !ValidFDName(s) {
			t.Errorf("ValidFDName(%q) = false", s)
		}
	}
	for _, s := range []string{"a:b", "tab\t", strings.Repeat("a", 256), "é", "\x7f"} {
		if ValidFDName(s) {
			t.Errorf("ValidFDName(%q) = true", s)
		}
	}
}

func TestCheckUserGroupName(t *testing.T) {
	cases := []struct {
		in            string
		valid, strict bool
	}{
		{"root", true, true}, {"_daemon", true, true}, {"www-data", true, true}, {"0", true, true},
		{"1000", true, true}, {"bad name!", true, false}, {"Foo.bar", true, false}, {"1abc", true, false},
		{"-abc", true, false}, {strings.Repeat("a", 32), true, false}, {"user@domain", true, false},
		{"", false, false}, {" lead", false, false}, {"trail ", false, false}, {"a:b", false, false},
		{"a/b", false, false}, {".", false, false}, {"..", false, false}, {"65535", false, false},
		{"4294967295", false, false}, {"-1", false, false}, {"00", false, false}, {"a\tb", false, false},
		{"\xff", false, false},
	}
	for _, c := range cases {
		v, s := CheckUserGroupName(c.in)
		if v != c.valid || s != c.strict {
			t.Errorf("CheckUserGroupName(%q) = %v, %v; want %v, %v", c.in, v, s, c.valid, c.strict)
		}
	}
}
