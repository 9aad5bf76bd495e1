//go:build linux

package socketunit

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// addressVector is one row of systemd's TEST(socket_address_parse) (reference §2.5) or of the
// extra vectors observed on 252 (§2.6).
type addressVector struct {
	in      string
	err     syscall.Errno // 0 = success
	family  int           // -1 = DEF (AF_INET6 when the kernel has IPv6, else AF_INET)
	printed string        // "" = same as in; for DEF the IPv6 form, the IPv4 one is derived
}

var addressVectors = []addressVector{
	{"junk", syscall.EINVAL, 0, ""},
	{"192.168.1.1", syscall.EINVAL, 0, ""},
	{".168.1.1", syscall.EINVAL, 0, ""},
	{"989.168.1.1", syscall.EINVAL, 0, ""},
	{"192.168.1.1:65536", syscall.ERANGE, 0, ""},
	{"192.168.1.1:0", syscall.EINVAL, 0, ""},
	{"0", syscall.EINVAL, 0, ""},
	{"65536", syscall.ERANGE, 0, ""},
	{"65535", 0, -1, "[::]:65535"},
	{"[::1]", syscall.EINVAL, 0, ""},
	{"[::1]8888", syscall.EINVAL, 0, ""},
	{"::1", syscall.EINVAL, 0, ""},
	{"[::1]:0", syscall.EINVAL, 0, ""},
	{"[::1]:65536", syscall.ERANGE, 0, ""},
	{"[a:b:1]:8888", syscall.EINVAL, 0, ""},
	{"[::1]%lo:1234", syscall.EINVAL, 0, ""},
	{"[::1]%lo:0", syscall.EINVAL, 0, ""},
	{"[::1]%lo", syscall.EINVAL, 0, ""},
	{"[::1]%lo%lo:1234", syscall.EINVAL, 0, ""},
	{"[::1]% lo:1234", syscall.EINVAL, 0, ""},
	{"8888", 0, -1, "[::]:8888"},
	{"[2001:0db8:0000:85a3:0000:0000:ac1f:8001]:8888", 0, unix.AF_INET6, "[2001:db8:0:85a3::ac1f:8001]:8888"},
	{"[::1]:8888", 0, unix.AF_INET6, ""},
	{"[::1]:1234%lo", 0, unix.AF_INET6, ""},
	{"[::1]:0%lo", syscall.EINVAL, 0, ""},
	{"[::1]%lo", syscall.EINVAL, 0, ""},
	{"[::1]:1234%lo%lo", syscall.EINVAL, 0, ""},
	{"[::1]:1234%xxxxasdf", syscall.ENODEV, 0, ""},
	{"192.168.1.254:8888", 0, unix.AF_INET, ""},
	{"/foo/bar", 0, unix.AF_UNIX, ""},
	{"/", syscall.EINVAL, 0, ""},
	{"@abstract", 0, unix.AF_UNIX, ""},
	{"@" + strings.Repeat("a", 107), syscall.EINVAL, 0, ""},
	{"@" + strings.Repeat("a", 106), 0, unix.AF_UNIX, ""},
	{"vsock:2:1234", 0, unix.AF_VSOCK, ""},
	{"vsock::1234", 0, unix.AF_VSOCK, ""},
	{"vsock:2:1234x", syscall.EINVAL, 0, ""},
	{"vsock:2x:1234", syscall.EINVAL, 0, ""},
	{"vsock:2", syscall.EINVAL, 0, ""},
}

// extraAddressVectors are §2.6 (observed on 252) and further cases of the same grammar.
var extraAddressVectors = []addressVector{
	{"127.0.0.1:0x4653", 0, unix.AF_INET, "127.0.0.1:18003"},
	{"127.0.0.1:010", 0, unix.AF_INET, "127.0.0.1:8"},
	{"127.0.0.1:0b11", 0, unix.AF_INET, "127.0.0.1:3"},
	{"127.0.0.1:+80", 0, unix.AF_INET, "127.0.0.1:80"},
	{"127.0.0.1:80%lo", 0, unix.AF_INET, "127.0.0.1:80"},
	{" 127.0.0.1:80", syscall.EINVAL, 0, ""},
	{"127.0.0.1:0", syscall.EINVAL, 0, ""},
	{"localhost:80", syscall.EINVAL, 0, ""},
	{"[::1]:8080%lo", 0, unix.AF_INET6, ""},
	{"[::ffff:127.0.0.1]:18011", 0, unix.AF_INET6, ""},
	{"@abstract-test", 0, unix.AF_UNIX, ""},
	{"1.2.3.4:99999", syscall.ERANGE, 0, ""},
	{"01.2.3.4:18300", syscall.EINVAL, 0, ""},
	{"127.0.0.01:18301", syscall.EINVAL, 0, ""},
	{"127.1:80", syscall.EINVAL, 0, ""},
	{"0x7f.0.0.1:80", syscall.EINVAL, 0, ""},
	{"//", 0, unix.AF_UNIX, ""},
	{"/a/../b", 0, unix.AF_UNIX, ""},
	{"@", syscall.EINVAL, 0, ""},
	{"/" + strings.Repeat("a", 106), 0, unix.AF_UNIX, ""},
	{"/" + strings.Repeat("a", 107), syscall.ENAMETOOLONG, 0, ""},
	{"vsock:34843013755:210", syscall.ERANGE, 0, ""},
	{"vsock:0x10:010", 0, unix.AF_VSOCK, "vsock:16:8"},
	{"vsock:1:2:3", syscall.EINVAL, 0, ""},
	{"vsock-stream:1:2", 0, unix.AF_VSOCK, "vsock:1:2"},
	{"vsock-dgram:host:2", 0, unix.AF_VSOCK, "vsock:2:2"},
	{"1.2.3.4:80#x", syscall.EINVAL, 0, ""},
	{"[::1]:80%1", 0, unix.AF_INET6, "[::1]:80%lo"},
	{"[fe80::1]:80%nosuchdev", syscall.ENODEV, 0, ""},
	{"[::1.2.3.4]:80", 0, unix.AF_INET6, ""},
	{"[::102:0]:80", 0, unix.AF_INET6, "[::1.2.0.0]:80"},
	{"[::1%lo]:80", syscall.EINVAL, 0, ""},
	{"1.2.3.4:", syscall.EINVAL, 0, ""},
	{"", syscall.EINVAL, 0, ""},
	{"80 ", syscall.EINVAL, 0, ""},
}

func TestParseAddressVectors(t *testing.T) {
	def := unix.AF_INET
	if IPv6Supported() {
		def = unix.AF_INET6
	}
	all := append(append([]addressVector{}, addressVectors...), extraAddressVectors...)
	if len(addressVectors) != 39 {
		t.Fatalf("want the 39 vectors of systemd's test, have %d", len(addressVectors))
	}
	for _, v := range all {
		a, err := ParseAddress(v.in)
		if v.err != 0 {
			if !errors.Is(err, v.err) {
				t.Errorf("ParseAddress(%q) = %v, %v; want %v", v.in, a, err, v.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", v.in, err)
			continue
		}
		fam, want := v.family, v.printed
		if want == "" {
			want = v.in
		}
		if fam == -1 {
			fam = def
			if def == unix.AF_INET {
				want = "0.0.0.0:" + strings.TrimPrefix(want, "[::]:")
			}
		}
		if a.Family != fam {
			t.Errorf("ParseAddress(%q).Family = %d, want %d", v.in, a.Family, fam)
		}
		if got := a.String(); got != want {
			t.Errorf("ParseAddress(%q).String() = %q, want %q", v.in, got, want)
		}
		if !strings.HasPrefix(v.in, "vsock-") && a.Type != 0 {
			t.Errorf("ParseAddress(%q).Type = %d, want 0", v.in, a.Type)
		}
		// What systemd prints, it parses back to the same address.
		b, err := ParseAddress(a.String())
		b.Type = a.Type // the typed vsock prefixes print as plain vsock:
		if err != nil || !a.Equal(b) {
			t.Errorf("%q printed as %q re-parses to %v, %v", v.in, a.String(), b, err)
		}
	}
}

func TestParseAddressVsockTyped(t *testing.T) {
	for in, typ := range map[string]int{"vsock:1:2": 0, "vsock-stream:1:2": unix.SOCK_STREAM,
		"vsock-dgram:1:2": unix.SOCK_DGRAM, "vsock-seqpacket:1:2": unix.SOCK_SEQPACKET} {
		a, err := ParseAddress(in)
		if err != nil || a.Type != typ || a.CID != 1 || a.VsockPort != 2 {
			t.Errorf("ParseAddress(%q) = %+v, %v; want CID 1 port 2 type %d", in, a, err, typ)
		}
	}
	a, err := ParseAddress("vsock::5")
	if err != nil || a.CID != unix.VMADDR_CID_ANY {
		t.Errorf("vsock::5 = %+v, %v; want CID ANY", a, err)
	}
}

func TestParseAddressScope(t *testing.T) {
	a, err := ParseAddress("[::1]:1234%lo")
	if err != nil {
		t.Fatal(err)
	}
	if a.IfIndex == 0 || a.IfName != "lo" {
		t.Errorf("scope = %d %q, want lo's index", a.IfIndex, a.IfName)
	}
	v4, err := ParseAddress("127.0.0.1:80%lo")
	if err != nil || v4.IfIndex != 0 {
		t.Errorf("IPv4 scope should be dropped: %+v %v", v4, err)
	}
}

func TestParseNetlinkAddress(t *testing.T) {
	ok := []struct {
		in     string
		proto  int
		groups uint32
		print  string
	}{
		{"route", unix.NETLINK_ROUTE, 0, "route 0"},
		{"route 10", unix.NETLINK_ROUTE, 10, "route 10"},
		{" kobject-uevent ", unix.NETLINK_KOBJECT_UEVENT, 0, "kobject-uevent 0"},
		{" \t kobject-uevent \t 10", unix.NETLINK_KOBJECT_UEVENT, 10, "kobject-uevent 10"},
		{"kobject-uevent\t10", unix.NETLINK_KOBJECT_UEVENT, 10, "kobject-uevent 10"},
		{"firewall", unix.NETLINK_FIREWALL, 0, "firewall 0"},
		{"audit 0x10", unix.NETLINK_AUDIT, 16, "audit 16"},
		{"22 1", 22, 1, "22 1"},
		{"rdma", unix.NETLINK_RDMA, 0, "rdma 0"},
	}
	for _, v := range ok {
		a, err := ParseNetlinkAddress(v.in)
		if err != nil {
			t.Errorf("ParseNetlinkAddress(%q): %v", v.in, err)
			continue
		}
		if a.Family != unix.AF_NETLINK || a.Type != unix.SOCK_RAW || a.Protocol != v.proto || a.Groups != v.groups {
			t.Errorf("ParseNetlinkAddress(%q) = %+v", v.in, a)
		}
		if a.String() != v.print {
			t.Errorf("ParseNetlinkAddress(%q).String() = %q, want %q", v.in, a.String(), v.print)
		}
		b, err := ParseNetlinkAddress(a.String())
		if err != nil || !a.Equal(b) {
			t.Errorf("%q re-parses to %+v, %v", a.String(), b, err)
		}
	}
	bad := map[string]syscall.Errno{
		"junk": syscall.EINVAL, "": syscall.EINVAL, "kobject-uevent\t10 ": syscall.EINVAL,
		"kobject-uevent -1": syscall.ERANGE, "\xff": syscall.EINVAL, "nosuch 1": syscall.EINVAL,
		"route 4294967296": syscall.ERANGE, "route\\": syscall.EINVAL,
	}
	for in, want := range bad {
		if a, err := ParseNetlinkAddress(in); !errors.Is(err, want) {
			t.Errorf("ParseNetlinkAddress(%q) = %+v, %v; want %v", in, a, err, want)
		}
	}
}

func TestAddressEqual(t *testing.T) {
	parse := func(s string) Address {
		t.Helper()
		a, err := ParseAddress(s)
		if err != nil {
			a, err = ParseNetlinkAddress(s)
		}
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		return a
	}
	cases := []struct {
		a, b  string
		equal bool
	}{
		{"192.168.1.1:8888", "192.168.1.1:888", false},
		{"192.168.1.1:8888", "192.16.1.1:8888", false},
		{"192.168.1.1:8888", "8888", false},
		{"192.168.1.1:8888", "/foo/bar/", false},
		{"192.168.1.1:8888", "192.168.1.1:8888", true},
		{"/foo/bar", "/foo/bar", true},
		{"/foo/bar", "/foo//bar/", true},
		{"[::1]:8888", "[::1]:8888", true},
		{"[::1]:8888", "[::1]:8888%lo", true},
		{"@abstract", "@abstract", true},
		{"@abstract", "/abstract", false},
		{"firewall", "firewall", true},
		{"route 10", "route 1", false},
		{"vsock:2:1234", "vsock:2:1234", true},
		{"vsock:2:1234", "vsock:2:1235", false},
		{"vsock:2:1234", "vsock:3:1234", false},
	}
	for _, c := range cases {
		if got := parse(c.a).Equal(parse(c.b)); got != c.equal {
			t.Errorf("%q Equal %q = %v, want %v", c.a, c.b, got, c.equal)
		}
	}
	a := parse("192.168.1.1:8888")
	b := a
	b.Type = unix.SOCK_STREAM
	if a.Equal(b) {
		t.Error("addresses of different types must differ")
	}
	if !b.CanAccept() || a.CanAccept() {
		t.Error("CanAccept: stream accepts, type 0 does not")
	}
}

func TestAddressPrintEscapes(t *testing.T) {
	a := Address{Family: unix.AF_UNIX, Path: "@a\nb\x01"}
	if got, want := a.String(), `@a\nb\001`; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := (Address{Family: unix.AF_UNIX}).String(); got != "<unnamed>" {
		t.Errorf("unnamed prints %q", got)
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, v := range addressVectors {
		f.Add(v.in)
	}
	for _, v := range extraAddressVectors {
		f.Add(v.in)
	}
	f.Add("@a\nb")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ERANGE) &&
				!errors.Is(err, syscall.ENODEV) && !errors.Is(err, syscall.ENAMETOOLONG) {
				t.Fatalf("ParseAddress(%q): unexpected error class %v", s, err)
			}
			return
		}
		p := a.String()
		if a.Family == unix.AF_UNIX && cEscape(a.Path) != a.Path {
			// Printing C-escapes the path as socket_address_print does; parsing takes it
			// literally (as socket_address_parse), so the escaped form names another socket.
			return
		}
		b, err := ParseAddress(p)
		if err != nil {
			t.Fatalf("ParseAddress(%q) prints %q which does not parse: %v", s, p, err)
		}
		b.Type = a.Type // the typed vsock prefixes print as plain vsock:
		if !a.Equal(b) {
			t.Fatalf("ParseAddress(%q) = %+v prints %q = %+v", s, a, p, b)
		}
	})
}

func FuzzParseNetlinkAddress(f *testing.F) {
	for _, s := range []string{"route", "route 10", " kobject-uevent ", "kobject-uevent\t10 ", "\xff", "audit 0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseNetlinkAddress(s)
		if err != nil {
			if !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ERANGE) {
				t.Fatalf("ParseNetlinkAddress(%q): unexpected error class %v", s, err)
			}
			return
		}
		b, err := ParseNetlinkAddress(a.String())
		if err != nil || !a.Equal(b) {
			t.Fatalf("ParseNetlinkAddress(%q) prints %q which re-parses to %+v, %v", s, a.String(), b, err)
		}
	})
}
