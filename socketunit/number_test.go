package socketunit

import (
	"errors"
	"syscall"
	"testing"
)

func TestParseBool(t *testing.T) {
	for _, s := range []string{"1", "yes", "y", "true", "t", "on", "YES", "True", "ON"} {
		if v, err := ParseBool(s); err != nil || !v {
			t.Errorf("ParseBool(%q) = %v, %v; want true", s, v, err)
		}
	}
	for _, s := range []string{"0", "no", "n", "false", "f", "off", "No", "OFF"} {
		if v, err := ParseBool(s); err != nil || v {
			t.Errorf("ParseBool(%q) = %v, %v; want false", s, v, err)
		}
	}
	for _, s := range []string{"", "maybe", " yes", "yes ", "2", "enable"} {
		if _, err := ParseBool(s); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("ParseBool(%q) err = %v; want EINVAL", s, err)
		}
	}
}

type numVector struct {
	in   string
	want int64
	err  syscall.Errno
}

func TestParseUnsigned(t *testing.T) {
	for _, v := range []numVector{
		{"0", 0, 0}, {"10", 10, 0}, {"010", 8, 0}, {"0x10", 16, 0}, {"0X1f", 31, 0}, {"0b101", 5, 0},
		{"0o17", 15, 0}, {"  42", 42, 0}, {"+7", 7, 0}, {"4294967295", 4294967295, 0},
		{"4294967296", 0, syscall.ERANGE}, {"-1", 0, syscall.ERANGE}, {"-0", 0, 0},
		{"", 0, syscall.EINVAL}, {"abc", 0, syscall.EINVAL}, {"12 ", 0, syscall.EINVAL},
		{"0x", 0, syscall.EINVAL}, {"08", 0, syscall.EINVAL}, {"0b2", 0, syscall.EINVAL},
		{"99999999999999999999", 0, syscall.ERANGE}, {"99999999999999999999x", 0, syscall.ERANGE},
		{"1.5", 0, syscall.EINVAL}, {"+-1", 0, syscall.EINVAL},
	} {
		got, err := ParseUnsigned(v.in)
		checkNum(t, "ParseUnsigned", v, int64(got), err)
	}
}

func TestParseIntLong(t *testing.T) {
	for _, v := range []numVector{
		{"-1", -1, 0}, {"0x7fffffff", 2147483647, 0}, {"2147483648", 0, syscall.ERANGE},
		{"-2147483648", -2147483648, 0}, {"-2147483649", 0, syscall.ERANGE}, {"010", 8, 0},
		{"-0b11", 0, syscall.EINVAL}, {"0b11", 3, 0}, {"abc", 0, syscall.EINVAL}, {"", 0, syscall.EINVAL},
		{" 5", 5, 0}, {"5 ", 0, syscall.EINVAL},
	} {
		got, err := ParseInt(v.in)
		checkNum(t, "ParseInt", v, int64(got), err)
	}
	for _, v := range []numVector{
		{"9223372036854775807", 9223372036854775807, 0}, {"9223372036854775808", 0, syscall.ERANGE},
		{"-9223372036854775808", -9223372036854775808, 0}, {"-9223372036854775809", 0, syscall.ERANGE},
		{"200", 200, 0}, {"x", 0, syscall.EINVAL},
	} {
		got, err := ParseLong(v.in)
		checkNum(t, "ParseLong", v, got, err)
	}
}

func TestParseMode(t *testing.T) {
	for _, v := range []numVector{
		{"0644", 0o644, 0}, {"644", 0o644, 0}, {"7777", 0o7777, 0}, {"07777", 0o7777, 0},
		{"10000", 0, syscall.ERANGE}, {"0999", 0, syscall.EINVAL}, {"+0644", 0, syscall.EINVAL},
		{"-0644", 0, syscall.EINVAL}, {"0x1ff", 0, syscall.EINVAL}, {"0o644", 0, syscall.EINVAL},
		{"", 0, syscall.EINVAL}, {" 0600", 0o600, 0}, {"u+rw", 0, syscall.EINVAL},
	} {
		got, err := ParseMode(v.in)
		checkNum(t, "ParseMode", v, int64(got), err)
	}
}

func TestParseSize(t *testing.T) {
	for _, v := range []numVector{
		{"0", 0, 0}, {"4096", 4096, 0}, {"1K", 1024, 0}, {"1.5K", 1536, 0}, {"1G 512M", 1<<30 + 512<<20, 0},
		{"1G512M", 1<<30 + 512<<20, 0}, {"2 M", 2 << 20, 0}, {"10B", 10, 0}, {"1E", 1 << 60, 0},
		{"7E", 7 << 60, 0}, {"16E", 0, syscall.ERANGE}, {"1Q", 0, syscall.EINVAL}, {"-1", 0, syscall.ERANGE},
		{"1K 1G", 0, syscall.EINVAL}, {"1 2", 0, syscall.EINVAL}, {"", 0, syscall.EINVAL},
		{"abc", 0, syscall.EINVAL}, {"1KiB", 0, syscall.EINVAL}, {"10.M", 10 << 20, 0},
		{"0.5", 0, 0}, {"1.5", 1, 0}, {" 8K ", 0, syscall.EINVAL}, {" 8K", 8192, 0}, {"1k", 0, syscall.EINVAL},
		{"99999999999999999999", 0, syscall.ERANGE},
	} {
		got, err := ParseSize(v.in)
		checkNum(t, "ParseSize", v, int64(got), err)
	}
}

func checkNum(t *testing.T, fn string, v numVector, got int64, err error) {
	t.Helper()
	if v.err != 0 {
		if !errors.Is(err, v.err) {
			t.Errorf("%s(%q) = %d, %v; want %v", fn, v.in, got, err, v.err)
		}
		return
	}
	if err != nil || got != v.want {
		t.Errorf("%s(%q) = %d, %v; want %d", fn, v.in, got, err, v.want)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1G 512M", "1.5K", "16E", "-1", "10.M", " 8K "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ParseSize(s)
		if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ERANGE) {
			t.Fatalf("ParseSize(%q): unexpected error class %v", s, err)
		}
		if _, err := ParseUnsigned(s); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ERANGE) {
			t.Fatalf("ParseUnsigned(%q): unexpected error class %v", s, err)
		}
	})
}
