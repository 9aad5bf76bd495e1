//go:build linux

package forwarder

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/internal/testnet"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// echoBackend is a datagram server answering "echo:" + payload (after any PROXY header, which
// it records) and remembering every sender.
type echoBackend struct {
	conn net.PacketConn
	mu   sync.Mutex
	from []string      // sender of each datagram
	hdrs []parsedProxy // PROXY headers seen, when strip is on
	wg   sync.WaitGroup
}

func startEcho(t *testing.T, network, addr string, proxyHeaders bool) *echoBackend {
	t.Helper()
	c, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &echoBackend{conn: c}
	b.wg.Go(func() {
		buf := make([]byte, 1<<17)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			payload := buf[:n]
			b.mu.Lock()
			b.from = append(b.from, from.String())
			if proxyHeaders {
				p, err := parseProxy(payload)
				if err != nil {
					p = parsedProxy{proto: "ERROR " + err.Error()}
				} else {
					payload = payload[p.n:]
				}
				b.hdrs = append(b.hdrs, p)
			}
			b.mu.Unlock()
			if from.String() != "" && from.String() != "@" {
				c.WriteTo(append([]byte("echo:"), payload...), from)
			}
		}
	})
	t.Cleanup(b.stop)
	return b
}

func (b *echoBackend) stop() { b.conn.Close(); b.wg.Wait() }

func (b *echoBackend) senders() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.from...)
}

func (b *echoBackend) headers() []parsedProxy {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]parsedProxy(nil), b.hdrs...)
}

// proxyRun is a running serveDatagramOpts.
type proxyRun struct {
	addr   net.Addr // where clients send
	cancel context.CancelFunc
	done   chan error
	logs   *testbin.Output
}

// startDatagramProxy forwards the datagram socket listened on at listen to opts.target.
func startDatagramProxy(t *testing.T, listen string, opts datagramOptions) *proxyRun {
	t.Helper()
	f := listenTest(t, listen)
	pc, err := net.FilePacketConn(f)
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr()
	pc.Close()
	if opts.maxFlows == 0 {
		opts.maxFlows = 256
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &proxyRun{addr: addr, cancel: cancel, done: make(chan error, 1), logs: &testbin.Output{}}
	go func() {
		err := serveDatagramOpts(ctx, f, opts, logTo(r.logs))
		f.Close()
		r.done <- err
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// listenTest opens a datagram socket for a test: UDP on an ephemeral port (ADDR:0, which
// --listen-datagram refuses, as systemd does) set up as listenDatagram would, else through
// listenDatagram.
func listenTest(t *testing.T, listen string) *os.File {
	t.Helper()
	ap, err := netip.ParseAddrPort(listen)
	if err != nil || ap.Port() != 0 {
		f, err := listenDatagram(listen)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	if ap.Addr().IsUnspecified() {
		family := unix.AF_INET6
		if ap.Addr().Is4() {
			family = unix.AF_INET
		}
		if err := enablePktinfo(int(f.Fd()), family); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// stop cancels the proxy and checks that it returned nil.
func (r *proxyRun) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("serveDatagram returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serveDatagram did not return after cancel")
	}
}

// exchange sends msg from c to the proxy and returns the reply and its source ("" on timeout).
func exchange(t *testing.T, c net.PacketConn, to net.Addr, msg string, timeout time.Duration) (string, string) {
	t.Helper()
	if _, err := c.WriteTo([]byte(msg), to); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 1<<17)
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		return "", ""
	}
	return string(buf[:n]), from.String()
}

func udpClient(t *testing.T, network, laddr string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket(network, laddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestDatagramUDP(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct{ name, network, loop string }{
		{"ipv4", "udp4", "127.0.0.1"},
		{"ipv6", "udp6", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := startEcho(t, tc.network, net.JoinHostPort(tc.loop, "0"), false)
			p := startDatagramProxy(t, net.JoinHostPort(tc.loop, "0"), datagramOptions{target: be.conn.LocalAddr().String()})
			c := udpClient(t, tc.network, net.JoinHostPort(tc.loop, "0"))
			for i := range 3 {
				msg := fmt.Sprintf("hello %d", i)
				got, from := exchange(t, c, p.addr, msg, 5*time.Second)
				if got != "echo:"+msg {
					t.Fatalf("reply %q, want %q; log:\n%s", got, "echo:"+msg, p.logs)
				}
				if from != p.addr.String() {
					t.Errorf("reply came from %s, want the proxy address %s", from, p.addr)
				}
			}
			if s := be.senders(); len(s) != 3 || s[0] != s[1] || s[1] != s[2] {
				t.Errorf("backend saw senders %v, want one flow socket for 3 datagrams", s)
			}
			p.stop(t)
		})
	}
}

// TestDatagramWildcardReplySource: a socket bound to every address answers from the address
// each client sent to (127.0.0.2 is a loopback address on Linux without set-up).
func TestDatagramWildcardReplySource(t *testing.T) {
	checkLeaks(t)
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	for _, tc := range []struct{ name, listen, network, dst string }{
		{"ipv4 wildcard", "0.0.0.0:0", "udp4", "127.0.0.2"},
		{"ipv4 wildcard first address", "0.0.0.0:0", "udp4", "127.0.0.1"},
		{"dual-stack wildcard, IPv4 client", "[::]:0", "udp", "127.0.0.2"},
		{"dual-stack wildcard, IPv6 client", "[::]:0", "udp6", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startDatagramProxy(t, tc.listen, datagramOptions{target: be.conn.LocalAddr().String()})
			port := p.addr.(*net.UDPAddr).Port
			to := &net.UDPAddr{IP: net.ParseIP(tc.dst), Port: port}
			c := udpClient(t, tc.network, net.JoinHostPort(map[bool]string{true: "::1", false: "127.0.0.1"}[tc.dst == "::1"], "0"))
			got, from := exchange(t, c, to, "ping", 5*time.Second)
			if got != "echo:ping" {
				t.Fatalf("reply %q; log:\n%s", got, p.logs)
			}
			fromAP := netip.MustParseAddrPort(from)
			if fromAP.Addr().Unmap().String() != tc.dst || int(fromAP.Port()) != port {
				t.Errorf("reply came from %s, want %s; log:\n%s", from, to, p.logs)
			}
			p.stop(t)
		})
	}
}

func TestDatagramUnixgram(t *testing.T) {
	checkLeaks(t)
	dir := t.TempDir()
	bePath := filepath.Join(dir, "backend.sock")
	be := startEcho(t, "unixgram", bePath, false)
	for _, listen := range []string{filepath.Join(dir, "proxy.sock"), fmt.Sprintf("@sockvisor-test-dgram-%d", os.Getpid())} {
		t.Run(listen, func(t *testing.T) {
			p := startDatagramProxy(t, listen, datagramOptions{target: bePath})
			c := udpClient(t, "unixgram", filepath.Join(dir, "client.sock"))
			defer os.Remove(filepath.Join(dir, "client.sock"))
			got, from := exchange(t, c, &net.UnixAddr{Name: listen, Net: "unixgram"}, "hi", 5*time.Second)
			if got != "echo:hi" {
				t.Fatalf("reply %q; log:\n%s", got, p.logs)
			}
			if from != listen {
				t.Errorf("reply came from %q, want %q", from, listen)
			}
			// An unbound client cannot be answered, but what it sends is delivered.
			before := len(be.senders())
			u, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: listen, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			if _, err := u.Write([]byte("one-way")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return len(be.senders()) > before }, "the unbound client's datagram to reach the backend")
			p.stop(t)
		})
	}
}

// TestDatagramUDPToUnixgram crosses families: UDP clients, a unixgram backend.
func TestDatagramUDPToUnixgram(t *testing.T) {
	bePath := filepath.Join(t.TempDir(), "backend.sock")
	startEcho(t, "unixgram", bePath, false)
	p := startDatagramProxy(t, "127.0.0.1:0", datagramOptions{target: bePath})
	c := udpClient(t, "udp4", "127.0.0.1:0")
	if got, _ := exchange(t, c, p.addr, "x", 5*time.Second); got != "echo:x" {
		t.Fatalf("reply %q; log:\n%s", got, p.logs)
	}
}

func TestDatagramManyClients(t *testing.T) {
	checkLeaks(t)
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	p := startDatagramProxy(t, "127.0.0.1:0", datagramOptions{target: be.conn.LocalAddr().String()})
	const clients, rounds = 100, 5
	var wg sync.WaitGroup
	errs := make(chan string, clients*rounds)
	for i := range clients {
		c := udpClient(t, "udp4", "127.0.0.1:0")
		wg.Go(func() {
			for j := range rounds {
				msg := fmt.Sprintf("c%d r%d", i, j)
				// UDP may drop under load: retry a lost exchange a few times.
				var got string
				for try := 0; try < 5 && got != "echo:"+msg; try++ {
					got, _ = exchange(t, c, p.addr, msg, time.Second)
				}
				if got != "echo:"+msg {
					errs <- fmt.Sprintf("client %d round %d: reply %q", i, j, got)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	distinct := map[string]bool{}
	for _, s := range be.senders() {
		distinct[s] = true
	}
	if len(distinct) != clients {
		t.Errorf("backend saw %d flow sockets, want one per client (%d)", len(distinct), clients)
	}
	p.stop(t)
}

func TestDatagramFlowLimit(t *testing.T) {
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	p := startDatagramProxy(t, "127.0.0.1:0", datagramOptions{target: be.conn.LocalAddr().String(), maxFlows: 2})
	var cs []net.PacketConn
	for range 3 {
		cs = append(cs, udpClient(t, "udp4", "127.0.0.1:0"))
	}
	for i, c := range cs[:2] {
		if got, _ := exchange(t, c, p.addr, "in", 5*time.Second); got != "echo:in" {
			t.Fatalf("client %d: reply %q", i, got)
		}
	}
	if got, _ := exchange(t, cs[2], p.addr, "over", 300*time.Millisecond); got != "" {
		t.Errorf("third client over a limit of 2 got %q", got)
	}
	if !strings.Contains(p.logs.String(), "Hit connection limit") {
		t.Errorf("no warning for the refused client; log:\n%s", p.logs)
	}
	// The first two keep working.
	if got, _ := exchange(t, cs[0], p.addr, "still", 5*time.Second); got != "echo:still" {
		t.Errorf("admitted client after the refusal: reply %q", got)
	}
}

func TestDatagramFlowExpiry(t *testing.T) {
	checkLeaks(t)
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	fds := openFDs(t)
	var active atomic.Int32
	p := startDatagramProxy(t, "127.0.0.1:0", datagramOptions{
		target: be.conn.LocalAddr().String(), idle: 600 * time.Millisecond,
		active: func(d int) { active.Add(int32(d)) },
	})
	c := udpClient(t, "udp4", "127.0.0.1:0")
	if got, _ := exchange(t, c, p.addr, "a", 5*time.Second); got != "echo:a" {
		t.Fatalf("reply %q", got)
	}
	if n := active.Load(); n != 1 {
		t.Errorf("%d flows reported active, want 1", n)
	}
	// Traffic within the idle time keeps the flow (and its backend socket).
	time.Sleep(100 * time.Millisecond)
	exchange(t, c, p.addr, "b", 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	exchange(t, c, p.addr, "c", 5*time.Second)
	if s := be.senders(); s[0] != s[1] || s[1] != s[2] {
		t.Errorf("flow did not survive steady traffic: senders %v", s)
	}
	waitFor(t, func() bool { return strings.Contains(p.logs.String(), "reason=idle") }, "the flow to expire")
	if n := active.Load(); n != 0 {
		t.Errorf("%d flows reported active after expiry, want 0", n)
	}
	if got, _ := exchange(t, c, p.addr, "d", 5*time.Second); got != "echo:d" {
		t.Fatalf("reply after expiry %q", got)
	}
	if s := be.senders(); s[3] == s[2] {
		t.Errorf("after expiry the backend saw the old flow socket %s again", s[3])
	}
	p.stop(t)
	if n := active.Load(); n != 0 {
		t.Errorf("%d flows reported active after shutdown, want 0", n)
	}
	c.Close()
	if now := openFDs(t); now > fds {
		t.Errorf("%d descriptors open after the proxy stopped, %d before it started", now, fds)
	}
}

// TestDatagramBackendDown: datagrams to a closed port are refused (ICMP); the flow stays, and
// when the backend comes up it answers through the same flow.
func TestDatagramBackendDown(t *testing.T) {
	checkLeaks(t)
	hold, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := hold.LocalAddr().String()
	hold.Close()
	p := startDatagramProxy(t, "127.0.0.1:0", datagramOptions{target: target})
	c := udpClient(t, "udp4", "127.0.0.1:0")
	for range 3 {
		if got, _ := exchange(t, c, p.addr, "nobody", 100*time.Millisecond); got != "" {
			t.Fatalf("reply %q from a backend that is down", got)
		}
	}
	be := startEcho(t, "udp4", target, false)
	if got := exchangeSkipping(t, c, p.addr, "back", "nobody"); got != "echo:back" {
		t.Fatalf("reply %q after the backend came up; log:\n%s", got, p.logs)
	}
	if strings.Count(p.logs.String(), "New datagram flow") != 1 {
		t.Errorf("want one flow throughout; log:\n%s", p.logs)
	}
	be.stop()
	p.stop(t)
}

func TestDatagramUnixgramBackendRestart(t *testing.T) {
	bePath := filepath.Join(t.TempDir(), "backend.sock")
	be := startEcho(t, "unixgram", bePath, false)
	p := startDatagramProxy(t, "127.0.0.1:0", datagramOptions{target: bePath})
	c := udpClient(t, "udp4", "127.0.0.1:0")
	if got, _ := exchange(t, c, p.addr, "1", 5*time.Second); got != "echo:1" {
		t.Fatalf("reply %q", got)
	}
	be.stop()
	os.Remove(bePath)
	if got, _ := exchange(t, c, p.addr, "2", 200*time.Millisecond); got != "" {
		t.Fatalf("reply %q with the backend gone", got)
	}
	startEcho(t, "unixgram", bePath, false)
	if got := exchangeSkipping(t, c, p.addr, "3", "2"); got != "echo:3" {
		t.Fatalf("reply %q after the backend came back; log:\n%s", got, p.logs)
	}
}

func TestDatagramProxyProtocolV2(t *testing.T) {
	be := startEcho(t, "udp4", "127.0.0.1:0", true)
	p := startDatagramProxy(t, "0.0.0.0:0", datagramOptions{target: be.conn.LocalAddr().String(), proxyProtocol: 2})
	port := p.addr.(*net.UDPAddr).Port
	c := udpClient(t, "udp4", "127.0.0.1:0")
	for i, dst := range []string{"127.0.0.2", "127.0.0.1"} {
		to := &net.UDPAddr{IP: net.ParseIP(dst), Port: port}
		if got, _ := exchange(t, c, to, "payload", 5*time.Second); got != "echo:payload" {
			t.Fatalf("reply %q (the backend strips the header); log:\n%s", got, p.logs)
		}
		h := be.headers()[i]
		want := parsedProxy{proto: "UDP4", src: c.LocalAddr().String(), dst: net.JoinHostPort(dst, fmt.Sprint(port)), n: 28}
		if h != want {
			t.Errorf("header %+v, want %+v", h, want)
		}
	}
}

func TestDatagramRefusesBadInput(t *testing.T) {
	tf, _ := loopbackListener(t)
	defer tf.Close()
	uf := listenTest(t, "127.0.0.1:0")
	defer uf.Close()
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name string
		f    *os.File
		opts datagramOptions
		want string
	}{
		{"stream socket", tf, datagramOptions{target: "127.0.0.1:9", maxFlows: 1}, "not a datagram socket"},
		{"proxy v1", uf, datagramOptions{target: "127.0.0.1:9", maxFlows: 1, proxyProtocol: 1}, "version 1 cannot describe datagrams"},
		{"vsock target", uf, datagramOptions{target: "vsock:2:9", maxFlows: 1}, "UDP or unixgram target"},
		{"empty port", uf, datagramOptions{target: "127.0.0.1:", maxFlows: 1}, "want HOST:PORT"},
		{"no flows", uf, datagramOptions{target: "127.0.0.1:9"}, "too low"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := serveDatagramOpts(context.Background(), tc.f, tc.opts, log)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDatagramTargetGrammar(t *testing.T) {
	for _, tc := range []struct {
		spec, host string
		port       int
		fixed      string
	}{
		{"127.0.0.1:53", "", 0, "127.0.0.1:53"},
		{"[::1]:53", "", 0, "[::1]:53"},
		{"::1:53", "", 0, "[::1]:53"},
		{"localhost:domain", "localhost", 53, ""},
		{"example.org", "example.org", 80, ""},
		{"/run/x.sock", "", 0, "/run/x.sock"},
		{"@abs", "", 0, "@abs"},
	} {
		got, err := parseDatagramTarget(tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if got.host != tc.host || (tc.host != "" && got.port != tc.port) {
			t.Errorf("%s: host %q port %d, want %q %d", tc.spec, got.host, got.port, tc.host, tc.port)
		}
		if tc.fixed != "" && (got.sa == nil || sockaddrString(got.sa) != tc.fixed) {
			t.Errorf("%s: address %v, want %s", tc.spec, got.sa, tc.fixed)
		}
	}
	for _, bad := range []string{"", "[::1", "host:", ":53", "vsock:2:9", "/" + strings.Repeat("x", 108)} {
		if _, err := parseDatagramTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDatagramTargetResolve: a name is resolved on first use, IPv4 first.
func TestDatagramTargetResolve(t *testing.T) {
	tg, err := parseDatagramTarget("localhost:5353")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := tg.resolve(time.Now())
	if err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	if got := sockaddrString(sa); got != "127.0.0.1:5353" {
		t.Errorf("localhost:5353 resolved to %s, want 127.0.0.1:5353", got)
	}
}

// TestDatagramTargetResolveFailure: a failed lookup is not repeated within a second.
func TestDatagramTargetResolveFailure(t *testing.T) {
	tg, err := parseDatagramTarget("no-such-host.invalid:53")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, err1 := tg.resolve(now)
	if err1 == nil {
		t.Skip("no-such-host.invalid resolves here")
	}
	start := time.Now()
	if _, err2 := tg.resolve(now.Add(500 * time.Millisecond)); err2 != err1 {
		t.Errorf("second lookup within a second: %v, want the cached %v", err2, err1)
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("cached failure took %v", time.Since(start))
	}
	if _, err3 := tg.resolve(now.Add(2 * time.Second)); err3 == err1 {
		t.Error("lookup not retried after a second")
	}
}

func TestListenDatagram(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	if c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: stale, Net: "unixgram"}); err != nil {
		t.Fatal(err)
	} else {
		c.Close() // leaves the socket file behind
	}
	port := strconv.Itoa(testnet.Port(t))
	for _, tc := range []struct {
		addr    string
		network string
		sendTo  []string
	}{
		{port, "udp", []string{"127.0.0.1:" + port, "[::1]:" + port}},
		{"127.0.0.1:" + port, "udp", []string{"127.0.0.1:" + port}},
		{"[::1]:" + port, "udp", []string{"[::1]:" + port}},
		{stale, "unixgram", []string{stale}},
		{fmt.Sprintf("@sockvisor-test-listen-%d", os.Getpid()), "unixgram", []string{fmt.Sprintf("@sockvisor-test-listen-%d", os.Getpid())}},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			f, err := listenDatagram(tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			pc, err := net.FilePacketConn(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			for _, to := range tc.sendTo {
				c, err := net.Dial(tc.network, to)
				if err != nil {
					t.Fatal(err)
				}
				c.Write([]byte("x"))
				c.Close()
				pc.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, _, err := pc.ReadFrom(make([]byte, 10)); err != nil {
					t.Errorf("datagram to %s not received: %v", to, err)
				}
			}
		})
	}
	for _, bad := range []string{"", "0", "host:53", "::1:53", "70000", "udp:53", "vsock:2:53"} {
		if f, err := listenDatagram(bad); err == nil {
			f.Close()
			t.Errorf("%q accepted", bad)
		}
	}
}

// checkLeaks makes the test fail if goroutines are left once it and its cleanups are done.
func checkLeaks(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
