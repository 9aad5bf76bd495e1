package forwarder

import (
	"errors"
	"fmt"
	"github.com/sockvisor/sockvisor/internal/version"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// ParseArgs parses the command line of systemd-socket-proxyd plus sockvisor's extensions. prog
// is the name messages carry. The int is the exit code when the process should exit now
// (--help, --version, a bad argument), or -1 to go on with the Config.
func ParseArgs(prog string, args []string, stdout, stderr io.Writer) (Config, int) {
	cfg := DefaultConfig()
	fs := pflag.NewFlagSet(prog, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false

	var bad argError
	var help, showVersion bool
	fs.VarP(&connMaxValue{&cfg.ConnectionsMax, &bad}, "connections-max", "c", "")
	fs.Var(&spanValue{&cfg.ExitIdleTime, &bad, "exit-idle-time", true}, "exit-idle-time", "")
	fs.BoolVarP(&help, "help", "h", false, "")
	fs.BoolVar(&showVersion, "version", false, "")
	fs.StringArrayVar(&cfg.Listen, "listen", nil, "")
	fs.Var(&spanValue{&cfg.ConnectTimeout, &bad, "connect-timeout", false}, "connect-timeout", "")
	fs.Var(&spanValue{&cfg.ConnectRetry, &bad, "connect-retry", false}, "connect-retry", "")
	fs.Var(&spanValue{&cfg.IdleTimeout, &bad, "idle-timeout", false}, "idle-timeout", "")
	fs.Var(&sizeValue{&cfg.PipeSize, &bad}, "pipe-size", "")
	fs.VarP(&proxyProtocolValue{&cfg.ProxyProtocol, &bad}, "proxy-protocol", "p", "")
	fs.BoolVar(&cfg.KeepAlive, "keepalive", false, "")
	fs.Var(&spanValue{&cfg.KeepAliveIdle, &bad, "keepalive-time", false}, "keepalive-time", "")
	fs.BoolVar(&cfg.NoDelay, "nodelay", true, "")
	fs.StringArrayVar(&cfg.ListenDatagram, "listen-datagram", nil, "")
	fs.Var(&workersValue{&cfg.Workers, &bad}, "workers", "")
	fs.Lookup("proxy-protocol").NoOptDefVal = "v1"
	fs.Lookup("nodelay").NoOptDefVal = "true"

	if err := fs.Parse(args); err != nil {
		if bad.msg != "" {
			fmt.Fprintln(stderr, bad.msg)
		} else {
			fmt.Fprintf(stderr, "%s: %s\n", prog, getoptMessage(err))
		}
		return cfg, 1
	}
	if help {
		writeHelp(stdout, prog)
		return cfg, 0
	}
	if showVersion {
		fmt.Fprintf(stdout, "sockvisor %s (systemd-socket-proxyd 252 compatible)\n", version.Release)
		return cfg, 0
	}
	switch fs.NArg() {
	case 0:
		fmt.Fprintln(stderr, "Not enough parameters.")
		return cfg, 1
	case 1:
	default:
		fmt.Fprintln(stderr, "Too many parameters.")
		return cfg, 1
	}
	cfg.Target = fs.Arg(0)
	if _, err := parseTarget(cfg.Target); err != nil {
		fmt.Fprintf(stderr, "Failed to parse target %q: %v\n", cfg.Target, err)
		return cfg, 1
	}
	return cfg, -1
}

// argError keeps the message of the first bad option value, worded as systemd words it.
type argError struct{ msg string }

func (a *argError) fail(format string, args ...any) error {
	if a.msg == "" {
		a.msg = fmt.Sprintf(format, args...)
	}
	return errors.New(a.msg)
}

// getoptMessage words a pflag parse error the way glibc's getopt_long does.
func getoptMessage(err error) string {
	s := err.Error()
	switch {
	case strings.HasPrefix(s, "unknown flag: "):
		return fmt.Sprintf("unrecognized option '%s'", strings.TrimPrefix(s, "unknown flag: "))
	case strings.HasPrefix(s, "unknown shorthand flag: "):
		// unknown shorthand flag: 'x' in -x
		c, _, _ := strings.Cut(strings.TrimPrefix(s, "unknown shorthand flag: "), " in ")
		return "invalid option -- " + c
	case strings.HasPrefix(s, "flag needs an argument: --"):
		return fmt.Sprintf("option '%s' requires an argument", strings.TrimPrefix(s, "flag needs an argument: "))
	case strings.HasPrefix(s, "flag needs an argument: "):
		c, _, _ := strings.Cut(strings.TrimPrefix(s, "flag needs an argument: "), " in ")
		return "option requires an argument -- " + c
	case strings.HasPrefix(s, "bad flag syntax: "):
		return fmt.Sprintf("unrecognized option '%s'", strings.TrimPrefix(s, "bad flag syntax: "))
	}
	return s
}

func writeHelp(w io.Writer, prog string) {
	fmt.Fprintf(w, `%[1]s [OPTIONS] [HOST:PORT]
%[1]s [OPTIONS] [SOCKET]

Forward every connection on the inherited (or --listen'ed) sockets to another, possibly
remote, socket. HOST:PORT may be [IPV6]:PORT, a host name tried at each of its addresses,
HOST alone (port 80), /path, @abstract or vsock:CID:PORT.

  -c --connections-max=N   Connections served at once (default %[2]d); more are closed
     --exit-idle-time=TIME Exit after this long without a connection, counted from start-up
                           too; see systemd.time(7) for the time span format
  -h --help                Show this help
     --version             Show the version

sockvisor's extensions:
     --listen=ADDR         Listen on ADDR (repeatable; systemd's ListenStream= grammar)
     --connect-timeout=TIME  Give up on one target address after TIME (default %[3]s)
     --connect-retry=TIME  Retry a refused or absent target with backoff for TIME
                           (default %[4]s; 0 fails at once)
     --idle-timeout=TIME   Close a connection silent in both directions for TIME
     --pipe-size=BYTES     Pipe buffer per direction in flight (default 256K)
  -p --proxy-protocol=v1|v2  Send a PROXY protocol header to the target
     --keepalive           TCP keepalive on both legs (--keepalive-time=TIME to tune)
     --nodelay=BOOL        TCP_NODELAY on both legs (default true)
     --workers=N           Event loops (default: one per two CPUs; at most one per CPU)
     --listen-datagram=ADDR  Listen for datagrams on ADDR (repeatable); flows expire
                           after --idle-timeout (default 30s)
`, prog, DefaultConnectionsMax, DefaultConnectTimeout, DefaultConnectRetry)
}

// connMaxValue is -c: a base-auto unsigned number (safe_atou) of at least 1.
type connMaxValue struct {
	v   *int
	bad *argError
}

func (c *connMaxValue) String() string { return fmt.Sprint(*c.v) }
func (c *connMaxValue) Type() string   { return "number" }
func (c *connMaxValue) Set(s string) error {
	n, err := parseUnsigned(s)
	if err != nil {
		return c.bad.fail("Failed to parse --connections-max= argument: %s", s)
	}
	if n < 1 {
		return c.bad.fail("Connection limit is too low.")
	}
	*c.v = int(min(n, 1<<31-1))
	return nil
}

// spanValue is a systemd time span; for exit-idle-time "infinity" is 0 (never) and 0 is the
// shortest span, so both keep their systemd meaning.
type spanValue struct {
	v        *time.Duration
	bad      *argError
	name     string
	zeroIsNo bool
}

func (s *spanValue) String() string { return s.v.String() }
func (s *spanValue) Type() string   { return "timespan" }
func (s *spanValue) Set(v string) error {
	d, inf, err := parseSpan(v)
	if err != nil {
		return s.bad.fail("Failed to parse --%s= argument: %s", s.name, v)
	}
	switch {
	case inf:
		d = 0
	case d == 0 && s.zeroIsNo:
		d = time.Nanosecond
	}
	*s.v = d
	return nil
}

// sizeValue is --pipe-size: bytes with an optional IEC suffix (K, M = 1024-based).
type sizeValue struct {
	v   *int
	bad *argError
}

func (s *sizeValue) String() string { return fmt.Sprint(*s.v) }
func (s *sizeValue) Type() string   { return "size" }
func (s *sizeValue) Set(v string) error {
	n, err := parseSize(v)
	if err != nil || n > 1<<30 {
		return s.bad.fail("Failed to parse --pipe-size= argument: %s", v)
	}
	*s.v = int(n)
	return nil
}

// proxyProtocolValue is --proxy-protocol: v1, v2 (or 1, 2), or none/0.
type proxyProtocolValue struct {
	v   *int
	bad *argError
}

func (p *proxyProtocolValue) String() string { return fmt.Sprint(*p.v) }
func (p *proxyProtocolValue) Type() string   { return "version" }
func (p *proxyProtocolValue) Set(v string) error {
	switch strings.ToLower(v) {
	case "v1", "1", "yes", "true":
		*p.v = 1
	case "v2", "2":
		*p.v = 2
	case "no", "none", "0", "false":
		*p.v = 0
	default:
		return p.bad.fail("Failed to parse --proxy-protocol= argument: %s", v)
	}
	return nil
}

// workersValue is --workers: how many event loops, 1 to 1024.
type workersValue struct {
	v   *int
	bad *argError
}

func (w *workersValue) String() string { return fmt.Sprint(*w.v) }
func (w *workersValue) Type() string   { return "number" }
func (w *workersValue) Set(s string) error {
	n, err := parseUnsigned(s)
	if err != nil || n < 1 || n > 1024 {
		return w.bad.fail("Failed to parse --workers= argument: %s", s)
	}
	*w.v = int(n)
	return nil
}
