package socketunit

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testSpecifierContext is a fixed context so expectations do not depend on the host.
func testSpecifierContext(unit string) SpecifierContext {
	return SpecifierContext{
		UnitName: unit, RuntimeDir: "/run", StateDir: "/var/lib", CacheDir: "/var/cache",
		LogsDir: "/var/log", ConfigDir: "/etc", TempDir: "/tmp", VarTempDir: "/var/tmp",
		UserName: "root", UID: "0", GroupName: "root", GID: "0", Home: "/root", Shell: "/bin/sh",
		Hostname: "host.example.org", PrettyHostname: "Host", MachineID: "0123456789abcdef0123456789abcdef",
		BootID: "fedcba9876543210fedcba9876543210", KernelRelease: "6.1.0", Architecture: "x86-64",
		OSRelease: map[string]string{"ID": "debian", "VERSION_ID": "12"},
	}
}

func TestExpandSpecifiers(t *testing.T) {
	c := testSpecifierContext(`foo-bar@a-b\x2dc.socket`)
	cases := map[string]string{
		"%n":         `foo-bar@a-b\x2dc.socket`,
		"%N":         `foo-bar@a-b\x2dc`,
		"%p":         "foo-bar",
		"%P":         "foo/bar",
		"%i":         `a-b\x2dc`,
		"%I":         "a/b-c",
		"%j":         "bar",
		"%J":         "bar",
		"%f":         "/a/b-c",
		"%t/x.sk":    "/run/x.sk",
		"%S %C %L":   "/var/lib /var/cache /var/log",
		"%E %T %V":   "/etc /tmp /var/tmp",
		"%h %s":      "/root /bin/sh",
		"%u%U%g%G":   "root0root0",
		"%H %l %q":   "host.example.org host Host",
		"%m":         "0123456789abcdef0123456789abcdef",
		"%b":         "fedcba9876543210fedcba9876543210",
		"%v %a":      "6.1.0 x86-64",
		"%o %w %W":   "debian 12 ",
		"%A%B%M":     "",
		"%d":         `/run/credentials/foo-bar@a-b\x2dc.socket`,
		"100%%":      "100%",
		"50%":        "50%",
		"a%-b %/":    "a%-b %/",
		"no percent": "no percent",
	}
	for in, want := range cases {
		got, err := ExpandSpecifiers(in, c)
		if err != nil || got != want {
			t.Errorf("ExpandSpecifiers(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	plain := testSpecifierContext("foo-bar.socket")
	for in, want := range map[string]string{"%i": "", "%I": "", "%f": "/foo/bar", "%p": "foo-bar", "%N": "foo-bar"} {
		if got, err := ExpandSpecifiers(in, plain); err != nil || got != want {
			t.Errorf("plain unit: ExpandSpecifiers(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExpandSpecifiersErrors(t *testing.T) {
	c := testSpecifierContext("x.socket")
	for _, in := range []string{"%Z", "/x%e", "%k", "%x", "%D", "%F", "%0"} {
		if _, err := ExpandSpecifiers(in, c); !errors.Is(err, syscall.EBADSLT) {
			t.Errorf("ExpandSpecifiers(%q) err = %v; want EBADSLT", in, err)
		}
	}
	if _, err := ExpandSpecifiers("%y", c); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("%%y without a fragment: %v", err)
	}
	bad := testSpecifierContext(`x@a\q.socket`)
	if _, err := ExpandSpecifiers("%I", bad); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("%%I with a bad escape: %v", err)
	}
	if _, err := ExpandSpecifiers("%f", testSpecifierContext("x@-a.socket")); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("%%f with a leading slash: %v", err)
	}
	if got, err := ExpandUnitNameSpecifiers("%p-x.service", c); err != nil || got != "x-x.service" {
		t.Errorf("ExpandUnitNameSpecifiers = %q, %v", got, err)
	}
	if _, err := ExpandUnitNameSpecifiers("%I.service", c); !errors.Is(err, syscall.EBADSLT) {
		t.Errorf("%%I is not a unit-name specifier: %v", err)
	}
	c.MaxLength = SpecifierMaxFDName
	if _, err := ExpandSpecifiers(strings.Repeat("a", 256), c); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Errorf("256-byte fd name: %v", err)
	}
	if got, err := ExpandSpecifiers(strings.Repeat("a", 255), c); err != nil || len(got) != 255 {
		t.Errorf("255-byte fd name: %v", err)
	}
	if got := DeprecatedSpecifiers("%c %r %% %c %R"); strings.Join(got, ",") != "%c,%r,%R" {
		t.Errorf("DeprecatedSpecifiers = %q", got)
	}
}

// TestSpecifierBomb is reference §7.2: 100,000 %H must fail fast and cleanly.
func TestSpecifierBomb(t *testing.T) {
	bomb := "vsock:" + strings.Repeat("%H", 100000)
	for _, limit := range []int{0, SpecifierMaxPath} {
		c := testSpecifierContext("bomb.socket")
		c.MaxLength = limit
		start := time.Now()
		_, err := ExpandSpecifiers(bomb, c)
		if !errors.Is(err, syscall.ENAMETOOLONG) {
			t.Errorf("limit %d: err = %v; want ENAMETOOLONG", limit, err)
		}
		// Linear work on ~1 MiB takes 0.01 s, but up to 1.3 s with -race on a loaded 2-core
		// machine; a quadratic expansion would take minutes.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("limit %d: took %v", limit, d)
		}
	}
}

func TestDefaultSpecifierContext(t *testing.T) {
	c := DefaultSpecifierContext("a@b.socket")
	if c.UnitName != "a@b.socket" || c.RuntimeDir != "/run" || c.UserName != "root" {
		t.Errorf("DefaultSpecifierContext = %+v", c)
	}
	if c.KernelRelease == "" || c.Hostname == "" {
		t.Errorf("host facts missing: kernel %q host %q", c.KernelRelease, c.Hostname)
	}
	if c.BootID != "" && (len(c.BootID) != 32 || strings.Contains(c.BootID, "-")) {
		t.Errorf("boot ID %q is not 32 hex digits", c.BootID)
	}
}

func FuzzExpandSpecifiers(f *testing.F) {
	for _, s := range []string{"%n", "%I%J%f", "100%%", "%", "%Z", strings.Repeat("%H", 1000), `\x2d%P`} {
		f.Add(s, `foo-bar@a-b\x2dc.socket`)
	}
	f.Fuzz(func(t *testing.T, s, unit string) {
		c := testSpecifierContext(unit)
		c.MaxLength = SpecifierMaxPath
		got, err := ExpandSpecifiers(s, c)
		if err != nil {
			return
		}
		if len(got) > SpecifierMaxPath {
			t.Fatalf("ExpandSpecifiers(%q) returned %d bytes, beyond the limit", s, len(got))
		}
		if !strings.Contains(s, "%") && got != s {
			t.Fatalf("ExpandSpecifiers(%q) changed a string without specifiers: %q", s, got)
		}
	})
}
