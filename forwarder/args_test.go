package forwarder

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestParseArgs checks the options, their defaults and their errors.
func TestParseArgs(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stderr string
		check  func(Config) bool
	}{
		{[]string{"127.0.0.1:80"}, -1, "", func(c Config) bool {
			return c.Target == "127.0.0.1:80" && c.ConnectionsMax == 256 && c.ExitIdleTime == 0 &&
				c.PipeSize == 256<<10 && c.ConnectRetry == 5*time.Second && c.NoDelay
		}},
		{[]string{"-c", "0x10", "x"}, -1, "", func(c Config) bool { return c.ConnectionsMax == 16 }},
		{[]string{"--connections-max=010", "x"}, -1, "", func(c Config) bool { return c.ConnectionsMax == 8 }},
		{[]string{"--exit-idle-time=1min 30s", "x"}, -1, "", func(c Config) bool { return c.ExitIdleTime == 90*time.Second }},
		{[]string{"--exit-idle-time=infinity", "x"}, -1, "", func(c Config) bool { return c.ExitIdleTime == 0 }},
		{[]string{"--exit-idle-time=0", "x"}, -1, "", func(c Config) bool { return c.ExitIdleTime > 0 }},
		{[]string{"--listen=8080", "--listen", "/run/x.sock", "x"}, -1, "", func(c Config) bool {
			return len(c.Listen) == 2 && c.Listen[1] == "/run/x.sock"
		}},
		{[]string{"--connect-timeout=2s", "--connect-retry=0", "--idle-timeout=5min", "x"}, -1, "", func(c Config) bool {
			return c.ConnectTimeout == 2*time.Second && c.ConnectRetry == 0 && c.IdleTimeout == 5*time.Minute
		}},
		{[]string{"--pipe-size=1M", "x"}, -1, "", func(c Config) bool { return c.PipeSize == 1<<20 }},
		{[]string{"--proxy-protocol=v2", "x"}, -1, "", func(c Config) bool { return c.ProxyProtocol == 2 }},
		{[]string{"-p", "x"}, -1, "", func(c Config) bool { return c.ProxyProtocol == 1 && c.Target == "x" }},
		{[]string{"--keepalive", "--keepalive-time=30s", "--nodelay=false", "x"}, -1, "", func(c Config) bool {
			return c.KeepAlive && c.KeepAliveIdle == 30*time.Second && !c.NoDelay
		}},
		{[]string{"--workers=3", "x"}, -1, "", func(c Config) bool { return c.Workers == 3 }},
		{[]string{"--workers=0", "x"}, 1, "Failed to parse --workers= argument: 0\n", nil},
		{[]string{"--", "-weird"}, -1, "", func(c Config) bool { return c.Target == "-weird" }},
		{[]string{}, 1, "Not enough parameters.\n", nil},
		{[]string{"a", "b"}, 1, "Too many parameters.\n", nil},
		{[]string{"-c", "0", "x"}, 1, "Connection limit is too low.\n", nil},
		{[]string{"-c", "abc", "x"}, 1, "Failed to parse --connections-max= argument: abc\n", nil},
		{[]string{"--exit-idle-time=foo", "x"}, 1, "Failed to parse --exit-idle-time= argument: foo\n", nil},
		{[]string{"--pipe-size=lots", "x"}, 1, "Failed to parse --pipe-size= argument: lots\n", nil},
		{[]string{"--proxy-protocol=v3", "x"}, 1, "Failed to parse --proxy-protocol= argument: v3\n", nil},
		{[]string{"--foo", "x"}, 1, "prog: unrecognized option '--foo'\n", nil},
		{[]string{"-x", "x"}, 1, "prog: invalid option -- 'x'\n", nil},
		{[]string{"-c"}, 1, "prog: option requires an argument -- 'c'\n", nil},
		{[]string{"[::1"}, 1, "Failed to parse target", nil},
		{[]string{"host:nosuchservice"}, 1, "Failed to parse target", nil},
		{[]string{"--help"}, 0, "", nil},
		{[]string{"--version"}, 0, "", nil},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		cfg, code := ParseArgs("prog", tc.args, &out, &errb)
		if code != tc.code {
			t.Errorf("%q: code %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
			continue
		}
		if tc.stderr != "" && !strings.HasPrefix(errb.String(), tc.stderr) {
			t.Errorf("%q: stderr %q, want %q", tc.args, errb.String(), tc.stderr)
		}
		if tc.check != nil && !tc.check(cfg) {
			t.Errorf("%q: unexpected config %+v", tc.args, cfg)
		}
		if code == 0 && out.Len() == 0 {
			t.Errorf("%q printed nothing", tc.args)
		}
	}
}

// FuzzParseArgs: any command line gives an exit code or a usable config, never a panic.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"x", "-c 5 x", "--exit-idle-time=1s x", "--listen=[::1]:80 /run/s", "-p v2 @a", "--pipe-size=1G x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var out, errb bytes.Buffer
		cfg, code := ParseArgs("prog", strings.Fields(s), &out, &errb)
		if code < 0 {
			if err := cfg.validate(); err != nil {
				t.Fatalf("%q accepted but invalid: %v", s, err)
			}
		} else if code == 1 && errb.Len() == 0 {
			t.Fatalf("%q failed without a message", s)
		}
	})
}
