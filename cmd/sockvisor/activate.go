package main

import (
	"context"
	"fmt"
	"github.com/sockvisor/sockvisor/internal/version"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
	"github.com/sockvisor/sockvisor/supervisor"
)

// activateOption is one option of the activate command, in getopt_long's terms.
type activateOption struct {
	long  string
	short byte // 0: long only
	arg   bool // takes a required argument
	own   bool // sockvisor's, not systemd-socket-activate's: loses an ambiguous-prefix tie
}

// activateOptions are systemd-socket-activate's options (getopt string "+hl:aE:d") plus --now
// (v258) and sockvisor's typed listeners for mixed stream and datagram sockets.
var activateOptions = []activateOption{
	{"help", 'h', false, false},
	{"version", 0, false, false},
	{"datagram", 'd', false, false},
	{"seqpacket", 0, false, false},
	{"listen", 'l', true, false},
	{"listen-stream", 0, true, true},
	{"listen-datagram", 0, true, true},
	{"listen-seqpacket", 0, true, true},
	{"accept", 'a', false, false},
	{"setenv", 'E', true, false},
	{"environment", 0, true, false}, // legacy alias of --setenv
	{"fdname", 0, true, false},
	{"inetd", 0, false, false},
	{"now", 0, false, true},
}

const activateHelp = `%s [OPTIONS...] COMMAND [ARGS...]

Listen on sockets and launch child on connection.

Options:
  -h --help                  Show this help and exit
     --version               Print version string and exit
  -l --listen=ADDR           Listen for raw connections at ADDR
  -d --datagram              Listen on datagram instead of stream socket
     --seqpacket             Listen on SOCK_SEQPACKET instead of stream socket
     --listen-stream=ADDR    Listen on a stream socket at ADDR, whatever -d says
     --listen-datagram=ADDR  Listen on a datagram socket at ADDR (mix with -l)
     --listen-seqpacket=ADDR Listen on a SOCK_SEQPACKET socket at ADDR
  -a --accept                Spawn separate child for each connection
  -E --setenv=NAME[=VALUE]   Pass an environment variable to children
     --fdname=NAME[:NAME...] Specify names for file descriptors
     --inetd                 Enable inetd file descriptor passing protocol
     --now                   Start the command at once instead of on first traffic

Note: file descriptors from sd_listen_fds() will be passed through.
ADDR: PORT, IPv4:PORT, [IPv6]:PORT, /path, @abstract, vsock:CID:PORT.
`

// runActivate is the "activate" command, also run when the binary is called
// systemd-socket-activate: a drop-in for systemd-socket-activate(1).
func runActivate(cio commandIO, args []string) int {
	getoptProg := cio.prog
	if !strings.Contains(getoptProg, " ") && len(os.Args) > 0 {
		getoptProg = os.Args[0] // getopt names the program as invoked, path included
	}
	o, code, done := parseActivate(cio, getoptProg, args, os.Environ())
	if done {
		return code
	}
	return supervisor.Activate(context.Background(), o)
}

// parseActivate parses the command line like getopt_long with "+" (options end at the first
// non-option) and checks it as systemd-socket-activate does. done reports that the command
// has finished (help, version or an error) with exit code code.
func parseActivate(cio commandIO, getoptProg string, args []string, environ []string) (o supervisor.ActivateOptions, code int, done bool) {
	o = supervisor.ActivateOptions{Environ: environ, Stderr: cio.stderr}
	prog := getoptProg
	fail := func(format string, a ...any) (supervisor.ActivateOptions, int, bool) {
		fmt.Fprintf(cio.stderr, format+"\n", a...)
		return o, 1, true
	}
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		type found struct {
			opt activateOption
			val string
			has bool
		}
		var hits []found
		if strings.HasPrefix(a, "--") {
			name, val, has := strings.Cut(a[2:], "=")
			opt, err := lookupLong(name)
			if err != "" {
				return fail("%s: %s", prog, fmt.Sprintf(err, a))
			}
			if !opt.arg && has {
				return fail("%s: option '--%s' doesn't allow an argument", prog, opt.long)
			}
			if opt.arg && !has {
				if i+1 >= len(args) {
					return fail("%s: option '--%s' requires an argument", prog, opt.long)
				}
				i++
				val, has = args[i], true
			}
			hits = append(hits, found{opt, val, has})
		} else {
			for j := 1; j < len(a); j++ {
				opt, ok := lookupShort(a[j])
				if !ok {
					return fail("%s: invalid option -- '%c'", prog, a[j])
				}
				if opt.arg {
					val := a[j+1:]
					if val == "" {
						if i+1 >= len(args) {
							return fail("%s: option requires an argument -- '%c'", prog, a[j])
						}
						i++
						val = args[i]
					}
					hits = append(hits, found{opt, val, true})
					break
				}
				hits = append(hits, found{opt, "", false})
			}
		}
		i++
		for _, h := range hits {
			switch h.opt.long {
			case "help":
				fmt.Fprintf(cio.stdout, activateHelp, cio.prog)
				return o, 0, true
			case "version":
				fmt.Fprintf(cio.stdout, "sockvisor %s (systemd-socket-activate compatible)\n", version.Release)
				return o, 0, true
			case "listen":
				o.Listen = append(o.Listen, supervisor.ActivateListen{Address: h.val})
			case "listen-stream":
				o.Listen = append(o.Listen, supervisor.ActivateListen{Address: h.val, Type: unix.SOCK_STREAM})
			case "listen-datagram":
				o.Listen = append(o.Listen, supervisor.ActivateListen{Address: h.val, Type: unix.SOCK_DGRAM})
			case "listen-seqpacket":
				o.Listen = append(o.Listen, supervisor.ActivateListen{Address: h.val, Type: unix.SOCK_SEQPACKET})
			case "datagram":
				if o.SocketType == unix.SOCK_SEQPACKET {
					return fail("--datagram may not be combined with --seqpacket.")
				}
				o.SocketType = unix.SOCK_DGRAM
			case "seqpacket":
				if o.SocketType == unix.SOCK_DGRAM {
					return fail("--seqpacket may not be combined with --datagram.")
				}
				o.SocketType = unix.SOCK_SEQPACKET
			case "accept":
				o.Accept = true
			case "setenv", "environment":
				kv, err := supervisor.CheckActivateEnv(h.val, environ)
				if err != nil {
					return fail("Cannot assign environment variable %s: Invalid argument", h.val)
				}
				o.SetEnv = append(o.SetEnv, kv)
			case "fdname":
				var names []string // split like strv_split: empty fields vanish
				for _, n := range strings.Split(h.val, ":") {
					if n == "" {
						continue
					}
					if !socketunit.ValidFDName(n) {
						fmt.Fprintf(cio.stderr, "File descriptor name \"%s\" is not valid.\n", cEscape(n))
					}
					names = append(names, n)
				}
				if len(names) == 0 {
					names = []string{""} // an empty argument is one empty name
				}
				if o.FDNames == nil {
					o.FDNames = []string{}
				}
				o.FDNames = append(o.FDNames, names...)
			case "inetd":
				o.Inetd = true
			case "now":
				o.Now = true
			}
		}
	}
	o.Argv = args[i:]
	if len(o.Argv) == 0 {
		return fail("%s: command to execute is missing.", cio.prog)
	}
	if o.Accept && (o.SocketType == unix.SOCK_DGRAM || hasDatagram(o.Listen)) {
		return fail("Datagram sockets do not accept connections. The --datagram and --accept options may not be combined.")
	}
	if o.Accept && o.Now {
		return fail("--now cannot be used with --accept.")
	}
	return o, 0, false
}

func hasDatagram(ls []supervisor.ActivateListen) bool {
	for _, l := range ls {
		if l.Type == unix.SOCK_DGRAM {
			return true
		}
	}
	return false
}

// lookupLong finds a long option by its name or an unambiguous prefix, as getopt_long does;
// the error is a format for the argument as written.
func lookupLong(name string) (activateOption, string) {
	var matches []activateOption
	for _, o := range activateOptions {
		if o.long == name {
			return o, ""
		}
		if strings.HasPrefix(o.long, name) {
			matches = append(matches, o)
		}
	}
	if len(matches) > 1 {
		var compat []activateOption
		for _, m := range matches {
			if !m.own {
				compat = append(compat, m)
			}
		}
		if len(compat) == 1 {
			return compat[0], ""
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], ""
	case 0:
		return activateOption{}, "unrecognized option '%s'"
	}
	var b strings.Builder
	b.WriteString("option '%s' is ambiguous; possibilities:")
	for _, m := range matches {
		b.WriteString(" '--" + m.long + "'")
	}
	return activateOption{}, b.String()
}

func lookupShort(c byte) (activateOption, bool) {
	for _, o := range activateOptions {
		if o.short == c {
			return o, true
		}
	}
	return activateOption{}, false
}

// cEscape escapes a name for a message as systemd's cescape does.
func cEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i := strings.IndexByte("\a\b\f\n\r\t\v", c); i >= 0 {
			b.WriteByte('\\')
			b.WriteByte("abfnrtv"[i])
			continue
		}
		switch {
		case c == '\\' || c == '"' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
