//go:build linux

package socketunit

import (
	"bufio"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// goarchNames maps GOARCH to systemd's architecture names (%a).
var goarchNames = map[string]string{
	"amd64": "x86-64", "386": "x86", "arm64": "arm64", "arm": "arm", "ppc64le": "ppc64-le",
	"ppc64": "ppc64", "s390x": "s390x", "riscv64": "riscv64", "mips64le": "mips64-le",
	"mips64": "mips64", "mipsle": "mips-le", "mips": "mips", "loong64": "loongarch64",
}

// DefaultSpecifierContext returns the specifier values of unitName under the system manager on
// this host: /run, /var/lib, /var/cache, /var/log, /etc, /tmp, /var/tmp; user root (0), home
// /root, shell /bin/sh; host name, machine ID (/etc/machine-id), boot ID, kernel release,
// architecture and /etc/os-release (or /usr/lib/os-release). Facts that cannot be read are
// left empty.
func DefaultSpecifierContext(unitName string) SpecifierContext {
	c := SpecifierContext{
		UnitName:   unitName,
		RuntimeDir: "/run", StateDir: "/var/lib", CacheDir: "/var/cache", LogsDir: "/var/log",
		ConfigDir: "/etc", TempDir: "/tmp", VarTempDir: "/var/tmp",
		UserName: "root", UID: "0", GroupName: "root", GID: "0", Home: "/root", Shell: "/bin/sh",
		MachineID:    firstLine("/etc/machine-id"),
		BootID:       strings.ReplaceAll(firstLine("/proc/sys/kernel/random/boot_id"), "-", ""),
		Architecture: goarchNames[runtime.GOARCH],
	}
	if h, err := os.Hostname(); err == nil {
		c.Hostname = h
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		c.KernelRelease = unix.ByteSliceToString(u.Release[:])
	}
	c.OSRelease = readEnvFile("/etc/os-release")
	if c.OSRelease == nil {
		c.OSRelease = readEnvFile("/usr/lib/os-release")
	}
	c.PrettyHostname = readEnvFile("/etc/machine-info")["PRETTY_HOSTNAME"]
	return c
}

// firstLine returns the first line of a file, trimmed, or "".
func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// readEnvFile reads KEY=VALUE lines (os-release syntax, quotes removed); nil if unreadable.
func readEnvFile(path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		m[k] = v
	}
	return m
}
